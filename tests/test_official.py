"""Official DVCQG importer and recomputed scoring against the real Phú Thọ responses.

Tolerances (issue #2): every sub-indicator exactly after 2-decimal rounding; the payment
group total within 0.01; every group total within 0.02; over all 163 units + the province.
"""

import dataclasses
import json
import shutil

import numpy as np
import pandas as pd
import pytest

from chiso.errors import InputError
from chiso.methodology import RULE_LINEAR, RULE_NOT_SCORED, load_methodology
from chiso.sources.official import (
    BLOCK_TOTAL_MATCHES,
    ENDPOINTS,
    ONLINE_BLOCK,
    OFFICIAL_NOT_RECOMPUTED,
    OfficialResults,
    detect_endpoint,
    load_official,
    score_official,
)
from chiso.status import NOT_SCORED, OFFICIAL
from conftest import REFERENCE, REFERENCE_PERIODS


@pytest.fixture(scope="module", params=REFERENCE_PERIODS)
def period_results(request):
    official = load_official([REFERENCE / request.param])
    return official, score_official(official, load_methodology("qd766-2022"))


def test_all_units_and_levels(period_results):
    official, _ = period_results
    counts = official.units["level"].value_counts().to_dict()
    assert counts == {"commune": 148, "department": 15, "province": 1}
    assert official.province == "UBND tỉnh Phú Thọ"
    assert set(official.files) == set(ENDPOINTS)


def test_every_published_subindicator_reproduced_exactly(period_results):
    _, scored = period_results
    comparable = scored[scored["published_points"].notna() & (scored["status"] == "ok")]
    assert len(comparable) > 2000
    mismatch = comparable[~np.isclose(comparable["points"], comparable["published_points"], atol=1e-9)]
    assert mismatch.empty, mismatch[["unit", "indicator", "numerator", "denominator", "points", "published_points"]]


def test_null_published_score_means_zero_points_for_zero_denominator(period_results):
    _, scored = period_results
    zero = scored[(scored["denominator"] == 0) & scored["indicator"].isin(["1.4", "4.1", "4.7"])]
    assert (zero["points"] == 0).all()
    pakn = scored[(scored["denominator"] == 0) & scored["indicator"].isin(["5.1", "5.2"])]
    assert len(pakn) > 100 and (pakn["points"] == 6).all()


def endpoint_totals(scored: pd.DataFrame, official: OfficialResults) -> pd.DataFrame:
    """Recomputed points per unit and DVCQG endpoint beside the published group totals:
    ``points`` is the sum of chiso's rounded sub-indicator points of the endpoint's
    sub-indicators, ``official_total`` what the portal published, and ``difference`` =
    points − official_total."""
    sums = (
        scored[scored["status"] != NOT_SCORED]
        .groupby(["unit", "endpoint"], as_index=False)["points"]
        .sum(min_count=1)
    )
    out = official.group_totals.merge(sums, on=["unit", "endpoint"], how="left")
    out["difference"] = (out["points"] - pd.to_numeric(out["official_total"])).round(6)
    return out


def test_group_totals_within_tolerance(period_results):
    official, scored = period_results
    totals = endpoint_totals(scored, official)
    recomputed = totals[totals["endpoint"] != "provide-online-tree"].dropna(subset=["official_total"])
    assert recomputed["unit"].nunique() == 164
    payment = recomputed[recomputed["endpoint"] == "formality-online-payment-tree"]
    assert len(payment) == 164
    assert payment["difference"].abs().max() <= 0.01 + 1e-9
    assert recomputed["difference"].abs().max() <= 0.02 + 1e-9
    # Progress (2.1) is one sub-indicator: its published score must match exactly.
    progress = recomputed[recomputed["endpoint"] == "dvc-progress-tree"]
    assert progress["difference"].abs().max() < 1e-9


def test_online_services_block_kept_as_official(period_results):
    official, scored = period_results
    # Spec §5 R12 (supersedes "the block for every unit"): the 163 child units keep the
    # published block total; the province's 3.1–3.3 are recomputed (next test).
    block = scored[scored["indicator"] == ONLINE_BLOCK]
    assert len(block) == 163 and "H44" not in set(block["unit"])
    assert (block["status"] == OFFICIAL).all() and (block["data_quality"] == OFFICIAL_NOT_RECOMPUTED).all()
    published = official.group_totals.query("endpoint == 'provide-online-tree'").set_index("unit")["official_total"]
    assert np.allclose(block.set_index("unit")["points"], published.loc[block["unit"]])


def test_province_online_group_from_the_parent_counters(period_results):
    # Spec §5 R12: 3.1 = (partialCount + fullCount) / authorityCount (threshold 80 %, 2 points),
    # 3.2 = onlineDossierCount / onlineServiceTotal (linear, 4), 3.3 = channelOnlineSum /
    # channelTotalSum (threshold 50 %, 6); 2026-08: 52/56 -> 2.00, 406/1968 -> 0.83, 6.00 = 8.83;
    # 2026-Q3: 52/89 -> 1.46, 449/1884 -> 0.95, 6.00 = 8.41: the published block totals.
    official, scored = period_results
    rows = scored[scored["unit"] == "H44"].set_index("indicator").loc[["3.1", "3.2", "3.3"]]
    expected = {"2026-08": ([52, 406, 150956], [56, 1968, 152595], [2.0, 0.83, 6.0]),
                "2026-Q3": ([52, 449, 435258], [89, 1884, 440558], [1.46, 0.95, 6.0])}[official.period_hint]
    assert rows["numerator"].tolist() == expected[0] and rows["denominator"].tolist() == expected[1]
    assert rows["points"].tolist() == expected[2] and (rows["status"] == "ok").all()
    assert (rows["data_quality"] == BLOCK_TOTAL_MATCHES).all()


def test_electronic_certified_copy_uses_published_ratio(period_results):
    _, scored = period_results
    cc = scored[scored["indicator"] == "4.5"]
    assert cc["numerator"].isna().all() and cc["denominator"].isna().all()
    assert np.allclose(cc["points"], cc["published_points"])


def _strip_scores(node):
    if isinstance(node, dict):
        return {k: _strip_scores(v) for k, v in node.items() if k not in ("score", "totalScore")}
    if isinstance(node, list):
        return [_strip_scores(v) for v in node]
    return node


@pytest.mark.parametrize("period", REFERENCE_PERIODS)
def test_same_points_without_any_published_score(tmp_path, period):
    for src in (REFERENCE / period).glob("*.json"):
        doc = _strip_scores(json.loads(src.read_text(encoding="utf-8")))
        # any file name: the endpoint is recognised from the content
        (tmp_path / f"response-{src.stem[:4]}-{len(src.name)}.json").write_text(json.dumps(doc), encoding="utf-8")
    m = load_methodology("qd766-2022")
    stripped = score_official(load_official([tmp_path]), m)
    original = score_official(load_official([REFERENCE / period]), m)
    key = ["unit", "indicator"]
    both = original[original["indicator"] != ONLINE_BLOCK].merge(
        stripped, on=key, suffixes=("", "_stripped"), validate="one_to_one"
    )
    assert len(both) == len(original) - 163  # the children's blocks (the province's 3.1–3.3 are recomputed)
    assert np.allclose(both["points"], both["points_stripped"], equal_nan=True)


def test_pages_are_merged_including_a_unit_split_across_pages(tmp_path):
    doc = json.loads((REFERENCE / "2026-08" / "dossier-digitized.json").read_text(encoding="utf-8"))
    units = doc["data"]["evaluation"]
    split = units[10]
    first = {**split, "metrics": split["metrics"][:3]}
    second = {**split, "metrics": split["metrics"][3:]}
    page1 = {**doc, "data": {**doc["data"], "evaluation": units[:10] + [first],
                             "pagination": {"total": 163, "currentPage": 1, "pageSize": 100, "totalPages": 2}}}
    page2 = {**doc, "data": {**doc["data"], "evaluation": [second] + units[11:],
                             "pagination": {"total": 163, "currentPage": 2, "pageSize": 100, "totalPages": 2}}}
    (tmp_path / "a.json").write_text(json.dumps(page1), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps(page2), encoding="utf-8")
    shutil.copy(REFERENCE / "2026-08" / "dvc-progress-tree.json", tmp_path / "c.json")
    scored = score_official(load_official([tmp_path]))
    code = split["departmentCode"]
    got = scored[(scored["unit"] == code) & scored["indicator"].str.startswith("4.")]
    assert sorted(got["indicator"]) == ["4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "4.7"]
    assert np.allclose(got["points"], got["published_points"])


def test_null_stays_null():
    official = load_official([REFERENCE / "2026-08" / "dossier-digitized.json"])
    cc = official.table[official.table["metric"] == "ELECTRONIC_CERTIFIED_COPY"]
    assert cc["numerator"].isna().all()
    zero = official.table[(official.table["metric"] == "ORIGINAL_RESULT_AVAILABLE") & (official.table["denominator"] == 0)]
    assert zero["official_points"].isna().all()


def test_data_quality_flags_kept():
    official = load_official([REFERENCE / "2026-08" / "transparency.json"])
    flags = official.table["data_quality"].dropna().unique()
    assert "TEMP_NATIONAL_REPORT_DENOMINATOR" in flags and "NO_NATIONAL_REPORT_DATA" in flags
    # transparency has no departmentCode: alone, units keep their departmentId
    assert official.table["unit"].str.len().max() == 36


def test_truncated_json_names_the_file(tmp_path):
    raw = (REFERENCE / "2026-08" / "transparency.json").read_bytes()
    bad = tmp_path / "transparency.json"
    bad.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(InputError, match=r"transparency\.json: truncated JSON"):
        load_official([tmp_path])


def test_malformed_json_names_the_file(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"code": "OK", "data": {,}}', encoding="utf-8")
    with pytest.raises(InputError, match=r"x\.json: malformed JSON at line 1"):
        load_official([bad])


def test_another_province_in_the_folder_is_refused(tmp_path):
    shutil.copy(REFERENCE / "2026-08" / "transparency.json", tmp_path / "a.json")
    doc = json.loads((REFERENCE / "2026-08" / "dvc-progress-tree.json").read_text(encoding="utf-8"))
    doc["data"]["parent"]["departmentId"] = "other-province"
    doc["data"]["parent"]["departmentName"] = "UBND tỉnh Khác"
    (tmp_path / "b.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError, match=r"b\.json: response for 'UBND tỉnh Khác'"):
        load_official([tmp_path])


def test_unrecognised_content_names_the_file(tmp_path):
    bad = tmp_path / "other.json"
    bad.write_text('{"code": "OK", "data": {"items": []}}', encoding="utf-8")
    with pytest.raises(InputError, match=r"other\.json: not recognised"):
        load_official([bad])


def test_detect_endpoint_from_content_only():
    for name in ENDPOINTS:
        doc = json.loads((REFERENCE / "2026-Q3" / f"{name}.json").read_text(encoding="utf-8"))
        assert detect_endpoint(doc["data"], REFERENCE) == name


def test_six_group_layout_scores_the_same_points():
    official = load_official([REFERENCE / "2026-Q3"])
    five = score_official(official, load_methodology("qd766-2022")).set_index(["unit", "indicator"])["points"]
    six = score_official(official, load_methodology("dvcqg-2025")).set_index(["unit", "indicator"])["points"]
    pd.testing.assert_series_equal(five.sort_index(), six.sort_index())


def test_what_is_not_scored_comes_from_the_methodology():
    # The methodology's rule not_scored (2.2 in QĐ 766) decides which rows are "not_scored":
    # moved to 4.6, 4.6's rows are analysis only and 2.2's are not.
    m = load_methodology("qd766-2022")
    moved = dataclasses.replace(m, indicators=tuple(
        dataclasses.replace(i, rule={"2.2": RULE_LINEAR, "4.6": RULE_NOT_SCORED}.get(i.code, i.rule))
        for i in m.indicators))
    assert moved.unscored_codes == ["4.6"]
    status = score_official(load_official([REFERENCE / "2026-Q3"]), moved).groupby("indicator")["status"].unique()
    assert list(status["4.6"]) == [NOT_SCORED]
    assert NOT_SCORED not in set(status["2.2"])


def test_online_block_counts_in_its_group():
    from chiso.scoring import group_scores

    m = load_methodology("qd766-2022")
    scored = score_official(load_official([REFERENCE / "2026-Q3"]), m)
    groups = group_scores(scored, m).set_index(["unit", "group"])["points"]
    unit = scored[scored["unit"] == "H44.116"].set_index("indicator")["points"]
    expected = unit["3.1-3.3"] + unit["3.4"] + unit["3.5"] + unit["3.6"]
    assert groups[("H44.116", "3")] == pytest.approx(expected)
