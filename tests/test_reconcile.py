"""Reconciliation of computed and official figures, end to end through the CLI."""

import json
import shutil

import pandas as pd
import pytest

from chiso.cli import main
from chiso.errors import ChisoError
from chiso.reconcile import reconcile
from conftest import DATA, REFERENCE
from reconcile_pair import build_pair


def _scored(rows):
    return pd.DataFrame(rows, columns=["unit", "unit_name", "indicator", "numerator", "denominator", "points",
                                       "status"])


def test_differences_per_unit_and_indicator():
    computed = _scored([("X", "Xã X", "2.1", 90, 100, 18.0, "ok"), ("X", "Xã X", "1.4", 5, 5, 6.0, "ok"),
                        ("X", "Xã X", "2.2", 30, 10, 0.0, "not_scored")])
    official = _scored([("X", None, "2.1", 88, 100, 17.6, "ok"), ("X", None, "1.4", 5, 5, 6.0, "ok"),
                        ("X", None, "3.1-3.3", None, None, 6.2, "official, not recomputed")])
    table = reconcile(computed, official).set_index("indicator")
    assert list(table.index) == ["2.1", "1.4"]
    assert table.loc["2.1", "numerator_difference"] == 2 and not table.loc["2.1", "matches"]
    assert table.loc["1.4", "matches"]


def test_no_common_unit_is_a_clear_error():
    with pytest.raises(ChisoError, match="no unit code is common"):
        reconcile(_scored([("A", "A", "2.1", 1, 1, 20.0, "ok")]), _scored([("B", None, "2.1", 1, 1, 20.0, "ok")]))


def test_cli_against_the_reference_responses(tmp_path):
    # The hand-made export's units renamed to codes of the reference province.
    data = tmp_path / "data"
    shutil.copytree(DATA / "handmade", data)
    for name in ("donvi.csv", "hoso.csv", "pakn.csv"):
        path = data / name
        path.write_text(path.read_text(encoding="utf-8").replace("T00.101", "H44.116").replace("T00", "H44"),
                        encoding="utf-8")
    out = tmp_path / "reconcile.csv"
    assert main(["reconcile", "--data", str(data), "--official", str(REFERENCE / "2026-Q3"), "--period", "2026-Q2",
                 "--out", str(out)]) == 0
    table = pd.read_csv(out, dtype={"indicator": str}).set_index(["unit", "indicator"])
    row = table.loc[("H44.116", "2.1")]
    assert (row["numerator_computed"], row["denominator_computed"]) == (2, 3)
    assert (row["numerator_official"], row["denominator_official"]) == (1889, 1996)
    assert not row["matches"]


def test_no_data_on_one_side_is_not_a_match():
    computed = _scored([("X", "Xã X", "3.6", None, None, None, "no_data"), ("X", "Xã X", "4.5", None, None, 2.0, "ok")])
    official = _scored([("X", None, "3.6", 10, 100, 0.6, "ok"), ("X", None, "4.5", None, None, 2.0, "ok")])
    table = reconcile(computed, official).set_index("indicator")
    assert not table.loc["3.6", "matches"]
    assert table.loc["4.5", "matches"]  # ratio-only on both sides, same points


# --------------------------------------------------------------------------- a hand-built pair

@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    return build_pair(tmp_path_factory.mktemp("pair"))


@pytest.fixture(scope="module")
def explained(pair):
    from chiso.reconcile import explain
    from chiso.sources.official import load_official

    data, official_dir, period, methodology = pair
    return explain(data, load_official([official_dir]), period, methodology)


def test_units_matched_across_codes(explained):
    units = explained.units.set_index("unit", drop=False)
    assert units.loc["T00.01", "matched_by"] == "MaDVCQG" and units.loc["T00.01", "official_unit"] == "H99.1"
    assert units.loc["T00.101", "matched_by"] == "name" and units.loc["T00.101", "official_unit"] == "H99.5"
    assert units.loc["T00", "matched_by"] == "province"
    assert pd.isna(units.loc["T00.102", "official_unit"])
    only_official = explained.units[explained.units["unit"].isna()]
    assert list(only_official["official_name"]) == ["Sở Ngoại vụ - Tỉnh Thử Nghiệm"]
    assert any("only in DVCQG" in n and "Sở Ngoại vụ" in n for n in explained.notes)
    assert any("only in the dossier export" in n and "Phường Hà Tĩnh" in n for n in explained.notes)


def row(explained, unit, indicator):
    return explained.table.set_index(["unit", "indicator"]).loc[(unit, indicator)]


def parts(r, name):
    return (r[f"{name}_numerator"], r[f"{name}_denominator"])


def test_not_synced_explains_the_department(explained):
    # 2.1 own 8/10 (spec tests: A1 A3 A4 A5 A6 A8 A11 A12 on time, A2 A9 overdue). The portal
    # lacks A3 and A8, both on time: 6/8. The whole difference (2, 2) is "not synced".
    r = row(explained, "T00.01", "2.1")
    assert (r["numerator_computed"], r["denominator_computed"]) == (8, 10)
    assert (r["numerator_official"], r["denominator_official"]) == (6, 8)
    assert parts(r, "not_synced") == (2, 2)
    assert parts(r, "unexplained") == (0, 0) and r["explained"]
    assert r["explanation"] == "hồ sơ chưa đồng bộ lên DVCQG"
    # 1.4: received A1 A2 A3 A4 A5 A8 A9 A11 A12, synced all but A3 and A8: own 7/9; the
    # portal's provisional denominator is its own sync count: 7/7. Not synced: (0, 2).
    r = row(explained, "T00.01", "1.4")
    assert (r["numerator_computed"], r["denominator_computed"], r["numerator_official"],
            r["denominator_official"]) == (7, 9, 7, 7)
    assert parts(r, "not_synced") == (0, 2) and r["explained"]


def test_late_status_and_missing_procedure_explain_the_commune(explained):
    # 2.1 own: B1, B2 on time, B3 late: 2/3. The portal: B3 not synced; B2's end synced on
    # 3/7, so at 30/6 it is open past its due date (4/5): 1/2; plus C1: 1/3.
    # Difference (1, 0) = not synced (0, 1) + late status (1, 0) + missing procedure (0, -1).
    r = row(explained, "T00.101", "2.1")
    assert (r["numerator_computed"], r["denominator_computed"]) == (2, 3)
    assert (r["numerator_official"], r["denominator_official"]) == (1, 3)
    assert parts(r, "not_synced") == (0, 1)
    assert parts(r, "late_status") == (1, 0)
    assert parts(r, "missing_procedure") == (0, -1)
    assert parts(r, "unexplained") == (0, 0) and r["explained"]
    assert r["explanation"] == ("hồ sơ chưa đồng bộ lên DVCQG; trạng thái đồng bộ muộn; "
                                "thủ tục không có trong danh mục")
    # The province sums its units: own 10/13, portal 6/8 + 1/3 = 7/11.
    r = row(explained, "T00", "2.1")
    assert (r["numerator_official"], r["denominator_official"]) == (7, 11)
    assert parts(r, "not_synced") == (2, 3) and parts(r, "late_status") == (1, 0)
    assert parts(r, "missing_procedure") == (0, -1) and r["explained"]


def test_an_edited_figure_is_unexplained(explained):
    # 5.1 at T00.101: own 2/4; the portal's numerator was lowered to 1: nothing explains it.
    r = row(explained, "T00.101", "5.1")
    assert (r["numerator_difference"], r["denominator_difference"]) == (1, 0)
    assert parts(r, "unexplained") == (1, 0) and not r["explained"]
    assert r["explanation"] == "chưa giải thích được"
    # Figures that agree need no explanation.
    r = row(explained, "T00.01", "5.1")
    assert r["matches"] and r["explanation"] == ""


def test_dossiers_behind_the_differences(explained):
    d = explained.dossiers.set_index("MaHoSo")
    assert sorted(d.index[d["class"] == "not_synced"]) == ["A3", "A8", "B3"]
    assert list(d.index[d["class"] == "late_status"]) == ["B2"]
    assert "XU_LY_XONG" in d.loc["B2", "detail"] and "03/07/2026" in d.loc["B2", "detail"]
    assert list(d.index[d["class"] == "missing_procedure"]) == ["C1"]
    assert d.loc["C1", "unit"] == "T00.101"


def test_units_sorted_by_unexplained_difference(explained):
    by_unit = explained.by_unit()
    assert by_unit.iloc[0]["unit"] == "T00.101"  # the only unexplained figure
    assert by_unit.set_index("unit").loc["T00.01", "dossiers_not_synced"] == 2


def test_cli_explains_and_lists_the_dossiers(pair, tmp_path, capsys):
    data, official_dir, _, _ = pair
    out, dossiers = tmp_path / "diff.csv", tmp_path / "dossiers.csv"
    assert main(["reconcile", "--data", str(data.files["hoso"].parent), "--official", str(official_dir),
                 "--period", "2026-Q2", "--out", str(out), "--dossiers", str(dossiers)]) == 0
    table = pd.read_csv(out, dtype={"indicator": str}).set_index(["unit", "indicator"])
    assert table.loc[("T00.101", "5.1"), "explanation"] == "chưa giải thích được"
    assert sorted(pd.read_csv(dossiers)["MaHoSo"]) == ["A3", "A8", "B2", "B3", "C1"]
    printed = capsys.readouterr().out
    assert "1 unit(s) only in DVCQG: Sở Ngoại vụ" in printed and "not explained" in printed
