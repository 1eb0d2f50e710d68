"""Scoring: points from numerator and denominator, group and total scores, bands and ranks.

Rules (docs/methodology.md §2, verified on the DVCQG reference responses). With r = numerator /
denominator and P = the sub-indicator's maximum points:

- ``linear``:        points = min(P, P × r)
- ``threshold`` T:   points = min(P, P × r / T)  — full points from T upward
- each sub-indicator's points are rounded to 2 decimals (half up); a group's points are
  the sum of its sub-indicators' rounded points; the total is the sum of the groups;
- zero denominator: the sub-indicator's ``zero_denominator_points`` (0, except 5.1 and
  5.2: no PAKN in the period gives full points);
- numerator and denominator both missing but a published ratio present (DVCQG's 4.5):
  the ratio is used;
- nothing known: "no data" (NaN points), never silently 0.

Example
-------
>>> from chiso.methodology import load_methodology
>>> m = load_methodology("qd766-2022")
>>> indicator_points(m.indicator("4.3"), 31, 1778)      # threshold 80 %
0.04
>>> indicator_points(m.indicator("5.1"), 0, 0)          # no PAKN: full points
6.0
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from chiso.methodology import Indicator, Methodology
from chiso.status import NOT_APPLICABLE

# Unit levels, top down; "district" (cấp huyện) exists only in data from before 7/2025.
LEVELS = ("province", "department", "district", "commune")
LEVEL_NAMES_VI = {"province": "Tỉnh", "department": "Sở, ban, ngành", "district": "Huyện", "commune": "Xã, phường"}


def round_half_up(values, decimals: int = 2):
    """Round half up (2.675 → 2.68), as the portal does, not to even like ``round``.

    The tiny epsilon absorbs binary noise such as 6 × 0.2975 = 1.7849999999999997.
    """
    scale = 10.0**decimals
    return np.floor(np.asarray(values, dtype=float) * scale + 0.5 + 1e-7) / scale


def _raw_points(ind: Indicator, ratio):
    """Unrounded points for a ratio (fraction): linear or threshold, capped at P."""
    ratio = np.asarray(ratio, dtype=float)
    if not ind.scored:
        return np.zeros_like(ratio)
    return np.minimum(ind.max_points, ind.max_points * ratio / ind.full_points_ratio)


def indicator_points(ind: Indicator, numerator, denominator, ratio=None, decimals: int = 2) -> float:
    """Points of one sub-indicator for one unit (scalar form of :func:`score_indicators`)."""
    frame = pd.DataFrame(
        {"indicator": [ind.code], "numerator": [numerator], "denominator": [denominator], "ratio": [ratio]}
    )
    value = _points_for(ind, frame, decimals)[0]
    return float(value) if not math.isnan(value) else math.nan


def _points_for(ind: Indicator, rows: pd.DataFrame, decimals: int) -> np.ndarray:
    num = pd.to_numeric(rows["numerator"], errors="coerce").to_numpy(dtype=float)
    den = pd.to_numeric(rows["denominator"], errors="coerce").to_numpy(dtype=float)
    published = (
        pd.to_numeric(rows["ratio"], errors="coerce").to_numpy(dtype=float)
        if "ratio" in rows
        else np.full(len(rows), np.nan)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(den > 0, num / den, np.nan)
    # Only the ratio is known (numerator and denominator null): use it.
    ratio = np.where(np.isnan(num) & np.isnan(den) & ~np.isnan(published), published, ratio)
    points = round_half_up(_raw_points(ind, np.nan_to_num(ratio)), decimals)
    points = np.where(np.isnan(ratio), np.nan, points)
    zero_den = (den == 0) & ~np.isnan(num)
    points = np.where(zero_den, ind.zero_denominator_points, points)
    return points


def score_indicators(table: pd.DataFrame, methodology: Methodology, level_column: str | None = "level") -> pd.DataFrame:
    """Add ``ratio``, ``points``, ``max_points`` and ``points_lost`` to a long table.

    ``table`` has one row per unit and sub-indicator with columns ``indicator``,
    ``numerator``, ``denominator`` and optionally ``published_ratio`` (a fraction, used
    only when numerator and denominator are both null). Rows whose indicator the
    methodology does not know are returned unchanged with NaN points.

    A sub-indicator that does not apply to a unit — ``commune: false`` in the methodology
    for a commune-level unit, or a row whose ``status`` is already "not_applicable" (e.g.
    4.5 for a unit with no commune under it) — is scored by the methodology's
    ``commune_not_applicable`` setting [open]: ``full`` (max points, as DVCQG gives
    departments for 4.5) or ``zero``. Such rows get
    ``status`` "not_applicable".
    """
    out = table.copy()
    published = out["published_ratio"] if "published_ratio" in out else pd.Series(np.nan, index=out.index)
    num = pd.to_numeric(out["numerator"], errors="coerce")
    den = pd.to_numeric(out["denominator"], errors="coerce")
    out["ratio"] = np.where(den > 0, num / den.where(den > 0), published)
    out["points"] = np.nan
    out["max_points"] = np.nan
    known = {ind.code: ind for ind in methodology.indicators}
    work = pd.DataFrame({"numerator": num, "denominator": den, "ratio": published}, index=out.index)
    for code, idx in out.groupby("indicator", sort=False).groups.items():
        ind = known.get(code)
        if ind is None:
            continue
        out.loc[idx, "points"] = _points_for(ind, work.loc[idx], methodology.rounding_decimals)
        out.loc[idx, "max_points"] = ind.max_points
    out = _apply_not_applicable_policy(out, methodology, level_column)
    out["points_lost"] = out["max_points"] - out["points"]
    return out


def _apply_not_applicable_policy(out: pd.DataFrame, methodology: Methodology, level_column: str | None) -> pd.DataFrame:
    mask = out["status"].eq(NOT_APPLICABLE) if "status" in out else pd.Series(False, index=out.index)
    not_for_communes = [i.code for i in methodology.indicators if not i.commune]
    if level_column and level_column in out and not_for_communes:
        mask |= out[level_column].eq("commune") & out["indicator"].isin(not_for_communes)
    if not mask.any():
        return out
    policy = methodology.settings.get("commune_not_applicable", "full")
    out.loc[mask, "points"] = out.loc[mask, "max_points"] if policy == "full" else 0.0
    out.loc[mask, "status"] = NOT_APPLICABLE
    return out


def group_scores(scored: pd.DataFrame, methodology: Methodology, unit_columns=("unit",)) -> pd.DataFrame:
    """Sum rounded sub-indicator points into groups: one row per unit and group.

    Columns: unit columns, ``group``, ``group_name``, ``points``, ``max_points``,
    ``indicators_with_data`` and ``indicators_expected``. A group with no data at all
    has NaN points. A block row such as ``3.1-3.3`` (DVCQG's published total for
    sub-indicators whose own points it does not publish) counts in the group of its
    first sub-indicator.
    """
    group_of = {ind.code: ind.group for ind in methodology.indicators}
    first_code = scored["indicator"].astype("string").str.split("-").str[0]
    scored = scored.assign(group=first_code.map(group_of))
    scored = scored[scored["group"].notna()]
    keys = [*unit_columns, "group"]
    agg = scored.groupby(keys, sort=False).agg(
        points=("points", lambda s: s.sum(min_count=1)),
        indicators_with_data=("points", "count"),
    )
    agg = agg.reset_index()
    grp = {g.code: g for g in methodology.groups}
    agg["group_name"] = agg["group"].map(lambda c: grp[c].name)
    agg["max_points"] = agg["group"].map(lambda c: grp[c].max_points)
    agg["indicators_expected"] = agg["group"].map(
        lambda c: sum(1 for i in grp[c].indicators if methodology.indicator(i).scored)
    )
    agg["points"] = round_half_up(agg["points"], methodology.rounding_decimals)
    order = {g.code: n for n, g in enumerate(methodology.groups)}
    return agg.sort_values([*unit_columns, "group"], key=lambda s: s.map(order) if s.name == "group" else s)


def unit_scores(groups: pd.DataFrame, methodology: Methodology, units: pd.DataFrame) -> pd.DataFrame:
    """Total score, band and rank for each unit.

    ``groups`` is the output of :func:`group_scores`; ``units`` has ``unit``, ``name``
    and ``level``. Rank is within the same level (departments among departments,
    communes among communes), highest total first; ties share a rank ("1, 2, 2, 4").
    """
    totals = groups.groupby("unit", sort=False).agg(
        total=("points", lambda s: s.sum(min_count=1)),
        groups_with_data=("points", "count"),
    ).reset_index()
    totals["total"] = round_half_up(totals["total"], methodology.rounding_decimals)
    out = units.merge(totals, on="unit", how="left")
    out["groups_expected"] = len(methodology.groups)
    out["band"] = out["total"].map(lambda s: b.name if (b := methodology.band_for(s)) else None)
    out["band_code"] = out["total"].map(lambda s: b.code if (b := methodology.band_for(s)) else None)
    out["rank"] = out.groupby("level")["total"].rank(method="min", ascending=False).astype("Int64")
    out["rank_of"] = out.groupby("level")["total"].transform("count").astype("Int64")
    return out.sort_values(["level", "rank"], key=lambda s: s.map(LEVELS.index) if s.name == "level" else s)


def numerator_to_full(ind: Indicator, numerator, denominator) -> int | None:
    """How many more numerator units (on-time dossiers, procedures, PAKN, ...) give full points.

    With the denominator fixed, full points need numerator / denominator >= T (T = the
    threshold, or 1 for a linear rule). Returns 0 when points are already full, None when
    it cannot be said (no denominator, not scored, or a numerator that is not a count).

    >>> from chiso.methodology import load_methodology
    >>> m = load_methodology("qd766-2022")
    >>> numerator_to_full(m.indicator("2.1"), 958, 1000)   # 42 more on-time dossiers
    42
    >>> numerator_to_full(m.indicator("5.3"), 880, 1000)   # threshold 90 %
    20
    """
    if not ind.scored or not ind.numerator_is_count:
        return None
    if denominator is None or pd.isna(denominator) or denominator <= 0 or pd.isna(numerator):
        return None
    # Integer arithmetic on the target share avoids 0.9 * 1000 = 899.9999 surprises.
    needed = math.ceil(round(ind.full_points_ratio * float(denominator), 9)) - float(numerator)
    return max(0, int(math.ceil(needed)))
