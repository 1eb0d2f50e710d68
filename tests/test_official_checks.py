"""Nothing read from DVCQG is trusted: every malformed response either stops with one line naming
the file, the unit and the field (exit 2), or makes the affected unit's sub-indicators "no data"
with the reason — never wrong points, never an "unexpected error"."""

import json
import random
import shutil

import numpy as np
import pytest

from chiso.cli import main
from chiso.errors import InputError
from chiso.methodology import load_methodology
from chiso.sources.official import defect_summary, load_official, read_number, score_official
from conftest import REFERENCE

PERIOD = "2026-08"
METHODOLOGY = load_methodology("qd766-2022")


@pytest.fixture(scope="module")
def reference_scores():
    return score_official(load_official([REFERENCE / PERIOD]), METHODOLOGY).set_index(["unit", "indicator"])


def folder_with(tmp_path, endpoint=None, change=None, raw=None):
    """The reference period in tmp_path/2026-08, with one endpoint's document changed."""
    folder = tmp_path / PERIOD
    shutil.copytree(REFERENCE / PERIOD, folder)
    if endpoint:
        path = folder / f"{endpoint}.json"
        if raw is not None:
            path.write_text(raw(path.read_text(encoding="utf-8")), encoding="utf-8")
        else:
            doc = json.loads(path.read_text(encoding="utf-8"))
            change(doc["data"])
            path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return folder


def metric(unit, code):
    return next(m for m in unit["metrics"] if m["code"] == code)


def scored_with(tmp_path, endpoint, change=None, raw=None):
    official = load_official([folder_with(tmp_path, endpoint, change, raw)])
    return official, score_official(official, METHODOLOGY)


def assert_only(scored, reference, unit, indicators, reason):
    """``unit``'s ``indicators`` are no data with ``reason``; every other row is unchanged."""
    bad = scored[scored["defect"].notna()]
    assert set(zip(bad["unit"], bad["indicator"])) == {(unit, i) for i in indicators}, bad[["unit", "indicator", "defect"]]
    assert (bad["status"] == "no_data").all() and bad["points"].isna().all()
    for text in bad["defect"]:
        assert reason in text, text
    good = scored[scored["defect"].isna()].set_index(["unit", "indicator"])
    assert np.allclose(good["points"], reference.loc[good.index, "points"], equal_nan=True)


# -- numbers -----------------------------------------------------------------------------------

def test_one_rule_for_every_number():
    assert read_number(5) == (5.0, None) and read_number(5.5) == (5.5, None) and read_number(" 7 ") == (7.0, None)
    assert np.isnan(read_number(None)[0]) and read_number(None)[1] is None
    for value, problem in [(True, "true is not a number"), (False, "false is not a number"),
                           ("abc", "text 'abc' is not a number"), ("1,5", "text '1,5' is not a number"),
                           (float("nan"), "NaN is not a number"), (float("inf"), "overflow"),
                           (10 ** 30, "overflow"), (1e300, "overflow"), (-1, "negative (-1)"), ("-2", "negative (-2)"),
                           ([], "list is not a number"), ({}, "dict is not a number")]:
        number, got = read_number(value)
        assert np.isnan(number) and got.startswith(problem), (value, got)


@pytest.mark.parametrize("value, reason", [
    (-5, "negative (-5)"), (True, "true is not a number"), ("năm", "text 'năm' is not a number"),
    (1e300, "overflow"), (10 ** 20, "overflow"),
])
def test_a_bad_figure_in_a_metric_makes_that_unit_no_data(tmp_path, reference_scores, value, reason):
    def change(data):
        unit = data["evaluation"][5]
        metric(unit, "PUBLISH_ON_TIME")["numerator"] = value

    official, scored = scored_with(tmp_path, "transparency", change)
    unit = official.units.iloc[6]["unit"]  # transparency has no codes: the id, or the code from another file
    target = scored[scored["defect"].notna()]["unit"].unique()
    assert len(target) == 1
    assert_only(scored, reference_scores, target[0], ["1.1"],
                f"transparency.json: field PUBLISH_ON_TIME.numerator: {reason}")
    assert defect_summary(scored, official).startswith("1 of 164 units have sub-indicators (1.1) without data")
    assert unit


@pytest.mark.parametrize("value, reason", [
    (-1, "negative (-1)"), (False, "false is not a number"), ("x12", "text 'x12' is not a number"),
])
def test_a_bad_counter_in_a_tree_makes_that_unit_no_data(tmp_path, reference_scores, value, reason):
    def change(data):
        data["children"][3]["totalFeeFormality"] = value

    _, scored = scored_with(tmp_path, "formality-online-payment-tree", change)
    code = json.loads((REFERENCE / PERIOD / "formality-online-payment-tree.json").read_text())["data"]["children"][3]["departmentCode"]
    # totalFeeFormality is the denominator of 3.4 and 3.5
    assert_only(scored, reference_scores, code, ["3.4", "3.5"],
                f"formality-online-payment-tree.json: field totalFeeFormality: {reason}")


def test_nan_and_infinity_literals(tmp_path, reference_scores):
    def raw(text):
        doc = json.loads(text)
        doc["data"]["children"][0]["totalOnTime"] = "@NAN@"
        doc["data"]["children"][1]["totalReceived"] = "@INF@"
        return json.dumps(doc).replace('"@NAN@"', "NaN").replace('"@INF@"', "1e400")

    _, scored = scored_with(tmp_path, "dvc-progress-tree", raw=raw)
    bad = scored[scored["defect"].notna()].sort_values("unit")
    assert list(bad["indicator"]) == ["2.1", "2.1"]
    assert {d.split(": ", 2)[2] for d in bad["defect"]} == {"NaN is not a number", "overflow (inf, more than 1e+12)"}


def test_a_number_too_long_to_read_stops_naming_the_file(tmp_path):
    def raw(text):
        return text.replace('"totalOnTime":', '"totalOnTime":' + "9" * 5000 + ",\"x\":", 1)

    with pytest.raises(InputError, match=r"dvc-progress-tree\.json: unreadable JSON \(ValueError"):
        load_official([folder_with(tmp_path, "dvc-progress-tree", raw=raw)])


def test_numerator_above_denominator(tmp_path, reference_scores):
    def change(data):
        child = data["children"][7]
        child["totalOnTime"] = child["totalReceived"] + 1

    _, scored = scored_with(tmp_path, "dvc-progress-tree", change)
    code = json.loads((REFERENCE / PERIOD / "dvc-progress-tree.json").read_text())["data"]["children"][7]["departmentCode"]
    assert_only(scored, reference_scores, code, ["2.1"], "dvc-progress-tree.json: numerator")
    assert "> denominator" in scored[scored["defect"].notna()]["defect"].iloc[0]


def test_numerator_above_denominator_in_a_metric(tmp_path, reference_scores):
    def change(data):
        m = metric(data["evaluation"][0], "ORIGINAL_RESULT_AVAILABLE")
        m["numerator"] = m["denominator"] + 10

    _, scored = scored_with(tmp_path, "dossier-digitized", change)
    bad = scored[scored["defect"].notna()]
    assert list(bad["indicator"]) == ["4.1"] and "numerator" in bad["defect"].iloc[0]


@pytest.mark.parametrize("endpoint, field, where", [
    ("transparency", "numerator", "metric"), ("dvc-progress-tree", "totalOnTime", "tree"),
])
def test_quoted_numbers_are_read_like_numbers_in_every_endpoint(tmp_path, reference_scores, endpoint, field, where):
    def change(data):
        units = data["evaluation"] if where == "metric" else data["children"]
        for unit in units:
            for holder in (unit["metrics"] if where == "metric" else [unit]):
                if isinstance(holder.get(field), (int, float)) and not isinstance(holder.get(field), bool):
                    holder[field] = str(holder[field])

    _, scored = scored_with(tmp_path, endpoint, change)
    assert scored["defect"].isna().all()
    both = scored.set_index(["unit", "indicator"])["points"]
    assert np.allclose(both, reference_scores.loc[both.index, "points"], equal_nan=True)


def test_text_is_refused_the_same_way_in_every_endpoint(tmp_path):
    def metric_change(data):
        metric(data["evaluation"][2], "PUBLISH_ON_TIME")["denominator"] = "n/a"

    def tree_change(data):
        data["children"][2]["totalReceived"] = "n/a"

    _, a = scored_with(tmp_path / "a", "transparency", metric_change)
    _, b = scored_with(tmp_path / "b", "dvc-progress-tree", tree_change)
    reasons = [s.loc[s["defect"].notna(), "defect"].iloc[0].rsplit(": ", 1)[1] for s in (a, b)]
    assert reasons == ["text 'n/a' is not a number"] * 2


def test_a_bad_group_total_of_the_online_block(tmp_path, reference_scores):
    def change(data):
        data["children"][4]["totalScore"] = "abc"

    _, scored = scored_with(tmp_path, "provide-online-tree", change)
    bad = scored[scored["defect"].notna()]
    assert list(bad["indicator"]) == ["3.1-3.3"] and (bad["status"] == "no_data").all()
    assert "provide-online-tree.json: field totalScore: text 'abc'" in bad["defect"].iloc[0]


# -- structure ---------------------------------------------------------------------------------

def split_pages(folder, endpoint, keep=(1, 2)):
    path = folder / f"{endpoint}.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    units = doc["data"]["evaluation"]
    path.unlink()
    for page in keep:
        part = units[:80] if page == 1 else units[80:]
        data = {**doc["data"], "evaluation": part,
                "pagination": {"total": len(units), "currentPage": page, "pageSize": 80, "totalPages": 2}}
        (folder / f"{endpoint}-p{page}.json").write_text(json.dumps({**doc, "data": data}), encoding="utf-8")


def test_all_pages_read(tmp_path, reference_scores):
    folder = folder_with(tmp_path)
    split_pages(folder, "transparency")
    scored = score_official(load_official([folder]), METHODOLOGY).set_index(["unit", "indicator"])
    assert np.allclose(scored["points"], reference_scores.loc[scored.index, "points"], equal_nan=True)


def test_a_missing_page_stops(tmp_path):
    folder = folder_with(tmp_path)
    split_pages(folder, "transparency", keep=(1,))
    with pytest.raises(InputError, match=r"transparency-p1\.json: transparency page 2 of 2 is missing "
                                         r"\(pagination\.totalPages = 2; pages read: 1\)"):
        load_official([folder])


def test_pages_that_disagree_on_the_page_count_stop(tmp_path):
    folder = folder_with(tmp_path)
    split_pages(folder, "transparency")
    path = folder / "transparency-p2.json"
    doc = json.loads(path.read_text())
    doc["data"]["pagination"]["totalPages"] = 3
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match="field pagination.totalPages is"):
        load_official([folder])


def test_a_missing_endpoint_is_no_data_for_every_unit(tmp_path, reference_scores, capsys):
    folder = folder_with(tmp_path)
    (folder / "handling-satisfaction.json").unlink()
    official = load_official([folder])
    scored = score_official(official, METHODOLOGY)
    assert official.missing_endpoints == ["handling-satisfaction"]
    bad = scored[scored["defect"].notna()]
    assert set(bad["indicator"]) == {"5.1", "5.2", "5.3"} and bad["unit"].nunique() == 164
    assert (bad["status"] == "no_data").all()
    assert bad["defect"].str.startswith("no handling-satisfaction response among the files read").all()
    assert defect_summary(scored, official) == "missing response: handling-satisfaction (no data for every unit)"
    assert main(["score-official", str(folder), "--out", str(tmp_path / "s.csv")]) == 0
    assert "missing response: handling-satisfaction" in capsys.readouterr().out


@pytest.mark.parametrize("same", [True, False])
def test_a_unit_listed_twice(tmp_path, reference_scores, same):
    def change(data):
        twin = json.loads(json.dumps(data["evaluation"][9]))
        if not same:
            metric(twin, "DOSSIER_SYNC")["numerator"] = 0
        data["evaluation"].append(twin)

    _, scored = scored_with(tmp_path, "transparency", change)
    if same:
        assert scored["defect"].isna().all()
    else:
        bad = scored[scored["defect"].notna()]
        assert list(bad["indicator"]) == ["1.4"]
        assert "transparency.json: field DOSSIER_SYNC: the unit is listed more than once with different numbers" \
            in bad["defect"].iloc[0]


def test_a_unit_listed_on_two_pages_with_different_numbers(tmp_path):
    folder = folder_with(tmp_path)
    split_pages(folder, "dossier-digitized")
    p1, p2 = (folder / f"dossier-digitized-p{n}.json" for n in (1, 2))
    one, two = json.loads(p1.read_text()), json.loads(p2.read_text())
    twin = json.loads(json.dumps(one["data"]["evaluation"][0]))
    m = metric(twin, "ORIGINAL_RESULT_AVAILABLE")
    m["denominator"] = (m["denominator"] or 0) + 5
    two["data"]["evaluation"].append(twin)
    p2.write_text(json.dumps(two))
    scored = score_official(load_official([folder]), METHODOLOGY)
    bad = scored[scored["defect"].notna()]
    assert list(bad["indicator"]) == ["4.1"]
    assert "dossier-digitized-p1.json, dossier-digitized-p2.json: field ORIGINAL_RESULT_AVAILABLE" in bad["defect"].iloc[0]


def test_units_of_another_province_without_an_overview_stop(tmp_path):
    def change(data):
        data.pop("parent")
        for child in data["children"]:
            child["departmentCode"] = "H15." + child["departmentCode"].split(".", 1)[1]

    with pytest.raises(InputError, match=r"dvc-progress-tree\.json: unit .*: field departmentCode is 'H15\.\d+', "
                                         r"not a unit of province H44"):
        load_official([folder_with(tmp_path, "dvc-progress-tree", change)])


def test_units_of_another_province_without_codes_or_overview_stop(tmp_path):
    def change(data):
        data.pop("overview")
        for n, unit in enumerate(data["evaluation"]):
            unit["departmentId"] = f"other-{n}"

    with pytest.raises(InputError, match=r"transparency\.json: none of its 163 units is a unit of the province"):
        load_official([folder_with(tmp_path, "transparency", change)])


@pytest.mark.parametrize("endpoint, key", [("transparency", "evaluation"), ("dvc-progress-tree", "children")])
def test_a_missing_department_id_stops(tmp_path, endpoint, key):
    def change(data):
        data[key][5].pop("departmentId")

    with pytest.raises(InputError, match=rf"{endpoint}\.json: data\.{key}\[5\] \(.+\): field departmentId is null"):
        load_official([folder_with(tmp_path, endpoint, change)])


@pytest.mark.parametrize("endpoint, key", [("handling-satisfaction", "evaluation"), ("dvc-progress-tree", "children")])
def test_null_children_stop(tmp_path, endpoint, key):
    def change(data):
        data[key] = None

    with pytest.raises(InputError, match=rf"{endpoint}\.json: data\.{key} is null; expected a list of units"):
        load_official([folder_with(tmp_path, endpoint, change)])


def test_a_null_unit_in_the_list_stops(tmp_path):
    with pytest.raises(InputError, match=r"dossier-digitized\.json: data\.evaluation\[3\] is null"):
        load_official([folder_with(tmp_path, "dossier-digitized", lambda d: d["evaluation"].__setitem__(3, None))])


def test_null_metrics_make_that_unit_no_data(tmp_path, reference_scores):
    def change(data):
        data["evaluation"][1]["metrics"] = None

    _, scored = scored_with(tmp_path, "dossier-digitized", change)
    code = json.loads((REFERENCE / PERIOD / "dossier-digitized.json").read_text())["data"]["evaluation"][1]["departmentCode"]
    assert_only(scored, reference_scores, code, ["4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "4.7"],
                "dossier-digitized.json: field metrics is null")


def test_a_null_metric_makes_that_unit_no_data(tmp_path, reference_scores):
    def change(data):
        data["evaluation"][1]["metrics"][0] = None

    _, scored = scored_with(tmp_path, "dossier-digitized", change)
    code = json.loads((REFERENCE / PERIOD / "dossier-digitized.json").read_text())["data"]["evaluation"][1]["departmentCode"]
    # which metric is which cannot be told any more: the unit's whole group
    assert_only(scored, reference_scores, code, ["4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "4.7"],
                "dossier-digitized.json: field metrics[0] is null; expected a metric with its code")


HOSTILE = [None, True, "x", -1, float("nan"), 1e400, [], {}, "", 0]


def _paths(node, prefix=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node[:2]):
            yield from _paths(v, prefix + (i,))
    yield prefix


def test_no_input_ends_in_an_unexpected_error(tmp_path, capsys):
    """Hostile values at random places of every response: exit 0 (defects as no data) or 2 (one
    line naming the file), never 1 ("unexpected error")."""
    rng = random.Random(766)
    for n in range(24):
        endpoint = ["transparency", "dvc-progress-tree", "provide-online-tree", "formality-online-payment-tree",
                    "dossier-digitized", "handling-satisfaction"][n % 6]
        folder = tmp_path / f"case{n}"

        def change(data):
            doc = {"data": data}
            path = rng.choice([p for p in _paths(doc) if len(p) > 1])
            node = doc
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = rng.choice(HOSTILE)

        folder_with(folder, endpoint, change)
        code = main(["score-official", str(folder / PERIOD), "--out", str(folder / "s.csv")])
        err = capsys.readouterr().err
        assert code in (0, 2), err
        assert "unexpected error" not in err and (code == 0 or (err.count("\n") == 1 and ".json" in err)), err


def test_the_national_table_is_read_and_checked(tmp_path):
    folder = folder_with(tmp_path)
    national = json.loads((REFERENCE.parent / "dvcqg-national-2026" / f"{PERIOD}.json").read_text(encoding="utf-8"))
    (folder / "service-results.json").write_text(json.dumps(national, ensure_ascii=False), encoding="utf-8")
    official = load_official([folder])
    assert len(official.national) == 34 and official.national["is_province"].sum() == 1
    national["data"]["evaluation"][3]["groupScores"]["MDSH"] = "cao"
    (folder / "service-results.json").write_text(json.dumps(national, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InputError, match=r"service-results\.json: province '.+': field MDSH: text 'cao' is not a number"):
        load_official([folder])
