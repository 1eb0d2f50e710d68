"""Methodology files: both layouts load, validate, and bad files fail clearly."""

import pytest
import yaml

from chiso.errors import MethodologyError
from chiso.methodology import available_methodologies, load_methodology
from chiso.paths import params_dir


def test_both_layouts_ship():
    assert {"qd766-2022", "dvcqg-2025"} <= set(available_methodologies())


def test_five_group_layout():
    m = load_methodology("qd766-2022")
    assert [g.max_points for g in m.groups] == [18, 20, 22, 22, 18]
    assert len(m.indicators) == 22 and sum(i.max_points for i in m.indicators) == 100
    assert m.indicator("3.3").threshold == 0.5 and m.indicator("5.3").threshold == 0.9
    assert m.indicator("5.1").zero_denominator_points == 6
    assert m.indicator("2.2").scored is False


def test_six_group_layout_same_indicators():
    five, six = load_methodology("qd766-2022"), load_methodology("dvcqg-2025")
    assert [g.max_points for g in six.groups] == [18, 20, 12, 22, 18, 10]
    assert six.group("6").indicators == ("3.4", "3.5", "3.6")
    key = lambda m: {i.code: (i.max_points, i.rule, i.threshold) for i in m.indicators}
    assert key(five) == key(six)


@pytest.mark.parametrize(
    "score, band", [(95, "Xuất sắc"), (90, "Xuất sắc"), (89.99, "Tốt"), (70, "Khá"), (50, "Trung bình"), (10, "Yếu")]
)
def test_bands(score, band):
    assert load_methodology().band_for(score).name == band


def _write(tmp_path, mutate):
    raw = yaml.safe_load((params_dir() / "methodology" / "qd766-2022.yaml").read_text(encoding="utf-8"))
    mutate(raw)
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_points_must_add_up(tmp_path):
    path = _write(tmp_path, lambda r: r["groups"][0]["indicators"][0].update(max_points=7))
    with pytest.raises(MethodologyError, match="group 1 says 18 points but its sub-indicators add up to 19"):
        load_methodology(path)


def test_groups_must_add_up_to_100(tmp_path):
    def mutate(r):
        r["groups"][0]["max_points"] = 19
        r["groups"][0]["indicators"][0]["max_points"] = 7
    with pytest.raises(MethodologyError, match="groups add up to 101 points, expected 100"):
        load_methodology(_write(tmp_path, mutate))


def test_codes_must_be_unique(tmp_path):
    path = _write(tmp_path, lambda r: r["groups"][0]["indicators"][1].update(code="1.1"))
    with pytest.raises(MethodologyError, match="codes not unique: 1.1"):
        load_methodology(path)


def test_unknown_rule(tmp_path):
    path = _write(tmp_path, lambda r: r["groups"][0]["indicators"][0].update(rule="log"))
    with pytest.raises(MethodologyError, match="rule 'log' is not one of"):
        load_methodology(path)


def test_unknown_methodology_lists_available():
    with pytest.raises(MethodologyError, match="available: dvcqg-2025, qd766-2022"):
        load_methodology("nope")


def test_unknown_not_applicable_policy(tmp_path):
    path = _write(tmp_path, lambda r: r["settings"].update(commune_not_applicable="exclude"))
    with pytest.raises(MethodologyError, match="commune_not_applicable must be one of"):
        load_methodology(path)
