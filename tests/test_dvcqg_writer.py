"""The sample publishes its own official results: DVCQG responses written from computed figures.

The equality test: ``score-official`` on the written responses and ``compute`` on the
synced dossiers agree for every unit and every sub-indicator both define.
"""

import json

import numpy as np
import pandas as pd
import pytest

from chiso.indicators import compute_scores
from chiso.methodology import load_methodology
from chiso.period import Period
from chiso.reconcile import portal_view
from chiso.sources.dossiers import load_dossiers
from chiso.sources.dvcqg_writer import department_id, periods_within
from chiso.sources.official import ENDPOINTS, ONLINE_BLOCK, load_official, score_official
from chiso.sources.sample import OFFICIAL_FOLDER, write_sample
from conftest import REFERENCE

PERIODS = [p.code for p in periods_within(Period.parse("2026"))]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sample")
    write_sample(folder, scale=0.005, fmt="csv")
    return folder, load_dossiers(folder)


def test_every_month_quarter_and_the_year(sample):
    folder, _ = sample
    written = sorted(p.name for p in (folder / OFFICIAL_FOLDER).iterdir())
    assert written == sorted(PERIODS) and len(written) == 17
    for period in written:
        files = sorted(p.stem for p in (folder / OFFICIAL_FOLDER / period).glob("*.json"))
        assert files == sorted(ENDPOINTS)


def _keys(doc):
    data = doc["data"]
    top = data.get("overview") or data.get("parent")
    children = data.get("evaluation") or data.get("children")
    metrics = {k for u in [top, *children] for m in u.get("metrics", []) for k in m}
    return set(data), set(top) - {"metrics"}, set().union(*(set(c) for c in children)) - {"metrics"}, metrics


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_real_formats_and_field_names(sample, endpoint):
    folder, _ = sample
    written = json.loads((folder / OFFICIAL_FOLDER / "2026-Q3" / f"{endpoint}.json").read_text(encoding="utf-8"))
    real = json.loads((REFERENCE / "2026-Q3" / f"{endpoint}.json").read_text(encoding="utf-8"))
    assert written["sample"] is True  # labelled as sample
    assert (written["code"], written["message"]) == ("OK", "OK")
    data, top, children, metrics = _keys(written)
    real_data, real_top, real_children, real_metrics = _keys(real)
    assert data == real_data
    assert top == real_top
    assert children == real_children
    # The portal adds the data-quality pair only to the metrics it flags.
    assert metrics == real_metrics | ({"dataQualityStatus", "dataQualityMessage"} & metrics)


@pytest.mark.parametrize("period", PERIODS)
def test_score_official_equals_compute_on_the_synced_dossiers(sample, period):
    folder, data = sample
    methodology = load_methodology()
    official = score_official(load_official([folder / OFFICIAL_FOLDER / period]), methodology)
    end = Period.parse(period).end
    computed = compute_scores(portal_view(data, cutoff=end), Period.parse(period), methodology)
    assert set(official["unit"]) == set(computed["unit"]) == set(data.units["unit"])

    both = computed.merge(official, on=["unit", "indicator"], suffixes=("_computed", "_official"))
    defined = both[both["status_official"].isin(["ok", "no_data", "not_applicable"])]
    assert len(defined) >= 18 * len(data.units)
    ratio_only = defined["numerator_official"].isna() & defined["denominator_official"].isna()
    assert set(defined.loc[ratio_only, "indicator"]) <= {"4.5"}  # DVCQG publishes only its ratio
    counted = defined[~ratio_only]
    for column in ("numerator", "denominator"):
        pd.testing.assert_series_equal(counted[f"{column}_official"], counted[f"{column}_computed"].astype(float),
                                       check_names=False)
    np.testing.assert_allclose(defined["points_official"], defined["points_computed"], atol=1e-9)

    # The online-services block (3.1–3.3): the published total is the sum of chiso's points.
    block = official[official["indicator"] == ONLINE_BLOCK].set_index("unit")["points"]
    parts = computed[computed["indicator"].isin(["3.1", "3.2", "3.3"])].groupby("unit")["points"].sum()
    np.testing.assert_allclose(block.sort_index(), parts.reindex(block.index).sort_index().round(2), atol=1e-9)


def test_province_online_counters(sample):
    """Spec R12: the parent of provide-online-tree carries the counters of 3.1–3.3."""
    folder, data = sample
    doc = json.loads((folder / OFFICIAL_FOLDER / "2026-Q2" / "provide-online-tree.json").read_text(encoding="utf-8"))
    parent = doc["data"]["parent"]
    q2 = Period.parse("2026-Q2")
    computed = compute_scores(portal_view(data, cutoff=q2.end), q2, load_methodology()).set_index(
        ["unit", "indicator"])
    root = parent["departmentCode"]
    assert parent["authorityCount"] == computed.loc[(root, "3.1"), "denominator"]
    assert parent["partialCount"] + parent["fullCount"] == computed.loc[(root, "3.1"), "numerator"]
    assert 0 < parent["fullCount"] < parent["authorityCount"]
    assert (parent["onlineDossierCount"], parent["onlineServiceTotal"]) == tuple(
        computed.loc[(root, "3.2"), ["numerator", "denominator"]])
    assert (parent["channelOnlineSum"], parent["channelTotalSum"]) == tuple(
        computed.loc[(root, "3.3"), ["numerator", "denominator"]])
    assert parent["channelOnlineSum"] + parent["channelDirectSum"] + parent["channelPostalSum"] == parent[
        "channelTotalSum"]
    points = computed.loc[[(root, c) for c in ("3.1", "3.2", "3.3")], "points"].sum()
    assert parent["totalScore"] == pytest.approx(points)


def test_data_quality_flag_where_the_portal_sets_one(sample):
    """1.4's denominator on DVCQG is provisional (its own sync count), or absent for a unit with no dossier."""
    folder, data = sample
    doc = json.loads((folder / OFFICIAL_FOLDER / "2026-08" / "transparency.json").read_text(encoding="utf-8"))
    units = [doc["data"]["overview"], *doc["data"]["evaluation"]]
    sync = [next(m for m in u["metrics"] if m["code"] == "DOSSIER_SYNC") for u in units]
    flags = {m["dataQualityStatus"] for m in sync}
    assert flags <= {"TEMP_NATIONAL_REPORT_DENOMINATOR", "NO_NATIONAL_REPORT_DATA"}
    for m in sync:
        if m["dataQualityStatus"] == "NO_NATIONAL_REPORT_DATA":
            assert (m["denominator"], m["ratio"], m["score"]) == (0, None, None)
        else:
            assert m["numerator"] == m["denominator"] > 0 and m["ratio"] == 100
    # Other metrics carry no flag.
    assert all("dataQualityStatus" not in m for u in units for m in u["metrics"] if m["code"] != "DOSSIER_SYNC")


def test_units_keep_their_ids_and_codes(sample):
    folder, data = sample
    official = load_official([folder / OFFICIAL_FOLDER / "2026-Q1"])
    units = official.units.set_index("unit")
    assert units.loc["S99.01", "unit_id"] == department_id("S99.01")
    assert set(units["level"]) == {"province", "department", "commune"}
    assert official.province == data.units.loc[data.units["parent"].isna(), "name"].iloc[0]
