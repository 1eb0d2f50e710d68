"""Scoring rules (spec §2) on hand-computed cases, bands and ranks."""

import math

import numpy as np
import pandas as pd
import pytest

from chiso.methodology import load_methodology
from chiso.scoring import (
    group_scores,
    indicator_points,
    numerator_to_full,
    round_half_up,
    score_indicators,
    unit_scores,
)

M = load_methodology("qd766-2022")


@pytest.mark.parametrize(
    "code, num, den, expected",
    [
        ("2.1", 702, 797, 17.62),  # linear: 20 × 0.88080 = 17.616
        ("2.1", 800, 797, 20.0),  # capped at P
        ("4.3", 31, 1778, 0.04),  # threshold 80 %: 2 × 0.01744 / 0.8 = 0.0436
        ("4.3", 80, 100, 2.0),  # at the threshold: full points
        ("3.3", 25, 100, 3.0),  # threshold 50 %: 6 × 0.25 / 0.5
        ("5.3", 519, 561, 6.0),  # 92.5 % ≥ 90 %
        ("5.3", 880, 1000, 5.87),  # 6 × 0.88 / 0.9 = 5.8667
        ("1.4", 0, 0, 0.0),  # zero denominator: 0
        ("5.1", 0, 0, 6.0),  # no PAKN: full points
        ("5.2", 0, 0, 6.0),
    ],
)
def test_indicator_points(code, num, den, expected):
    assert indicator_points(M.indicator(code), num, den) == expected


def test_ratio_only_is_used_when_counts_are_null():
    assert indicator_points(M.indicator("4.5"), None, None, ratio=0.5) == 1.0


def test_nothing_known_is_no_data_not_zero():
    assert math.isnan(indicator_points(M.indicator("4.1"), None, None))


def test_round_half_up():
    assert list(round_half_up([2.675, 1.7849999999999997, 0.125, 0.124])) == [2.68, 1.79, 0.13, 0.12]


def _table():
    rows = []
    for unit, level, on_time in [("A", "department", 90), ("B", "department", 95), ("C", "department", 90),
                                 ("X", "commune", 50), ("Y", "commune", 100)]:
        for ind in M.indicators:
            num, den = (on_time, 100) if ind.code == "2.1" else (1, 1)
            rows.append({"unit": unit, "level": level, "indicator": ind.code, "numerator": num, "denominator": den})
    return pd.DataFrame(rows)


def test_group_and_total_and_rank_with_ties():
    scored = score_indicators(_table(), M)
    groups = group_scores(scored, M)
    a = groups[groups["unit"] == "A"].set_index("group")["points"]
    assert a.to_dict() == {"1": 18.0, "2": 18.0, "3": 22.0, "4": 22.0, "5": 18.0}
    units = pd.DataFrame({"unit": list("ABCXY"), "name": list("ABCXY"),
                          "level": ["department"] * 3 + ["commune"] * 2})
    totals = unit_scores(groups, M, units).set_index("unit")
    assert totals.loc["A", "total"] == 98.0 and totals.loc["B", "total"] == 99.0
    # departments among departments, communes among communes; ties share a rank
    assert totals.loc[["B", "A", "C"], "rank"].tolist() == [1, 2, 2]
    assert totals.loc[["Y", "X"], "rank"].tolist() == [1, 2]
    assert totals.loc["X", "total"] == 90.0 and totals.loc["X", "band"] == "Xuất sắc"
    assert totals.loc["A", "rank_of"] == 3


def test_points_lost():
    scored = score_indicators(_table(), M).set_index(["unit", "indicator"])
    assert scored.loc[("X", "2.1"), "points_lost"] == 10.0


def test_commune_policy_for_not_applicable(tmp_path):
    import dataclasses
    ind = dataclasses.replace(M.indicator("4.6"), commune=False)
    indicators = tuple(ind if i.code == "4.6" else i for i in M.indicators)
    table = pd.DataFrame([{"unit": "X", "level": "commune", "indicator": "4.6", "numerator": 0, "denominator": 10},
                          {"unit": "A", "level": "department", "indicator": "4.6", "numerator": 0, "denominator": 10}])
    for policy, expected in [("full", 2.0), ("zero", 0.0)]:
        m = dataclasses.replace(M, indicators=indicators, settings={**M.settings, "commune_not_applicable": policy})
        out = score_indicators(table, m).set_index("unit")["points"]
        assert out["A"] == 0.0
        assert out["X"] == expected


@pytest.mark.parametrize("code, num, den, more", [("2.1", 958, 1000, 42), ("5.3", 880, 1000, 20),
                                                  ("4.3", 80, 100, 0), ("4.3", 10, 99, 70), ("1.4", 0, 0, None)])
def test_numerator_to_full(code, num, den, more):
    assert numerator_to_full(M.indicator(code), num, den) == more


def test_rank_with_district_level_units():
    # Data from before 7/2025 has districts (cấp huyện): ranked among districts.
    table = _table()
    table.loc[table["unit"] == "C", "level"] = "district"
    scored = score_indicators(table, M)
    units = pd.DataFrame({"unit": list("ABCXY"), "name": list("ABCXY"),
                          "level": ["department", "department", "district", "commune", "commune"]})
    totals = unit_scores(group_scores(scored, M), M, units).set_index("unit")
    assert totals.loc["C", "rank"] == 1 and totals.loc["C", "rank_of"] == 1
    assert list(totals["level"].drop_duplicates()) == ["department", "district", "commune"]


def test_no_count_for_a_numerator_that_is_not_a_count():
    # 3.3's numerator is online × synced / received: "N more dossiers" would be wrong.
    assert numerator_to_full(M.indicator("3.3"), 2 * 4 / 10, 10) is None
