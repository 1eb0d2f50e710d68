"""Every sub-indicator computed from a province's dossier exports (docs/methodology.md §3).

:func:`compute_indicators` gives one row per unit (every unit of ``data.units``, parents
included) and sub-indicator of the methodology, with ``numerator``, ``denominator``,
``status`` ("ok" | "no_data" | "not_applicable") and ``note``. :func:`compute_scores` adds
unit names, levels, ratios and points. Where each rule lives:

======  ==========================================================  ==============
code    function                                                    module
======  ==========================================================  ==============
1.1     announced_on_time                                           transparency
1.2     published_on_time                                           transparency
1.3     published_in_full                                           transparency
1.4     synced_dossiers                                             transparency
2.1     on_time_dossiers (timeline: scope, end, due date, on time)  progress
2.2     average_processing_time (numerator = total working days,    progress
        denominator = finished dossiers: the ratio is the average)
3.1     online_procedures                                           online
3.2     online_services_used                                        online
3.3     online_dossiers                                             online
3.4     fee_procedures_integrated                                   online
3.5     fee_procedures_paid_online                                  online
3.6     dossiers_paid_online                                        online
4.1     electronic_results                                          digitisation
4.2     digitised_dossiers                                          digitisation
4.3     reused_data                                                 digitisation
4.4     personal_data_store                                         digitisation
4.5     certified_copy_communes                                     digitisation
4.6     population_data_procedures                                  digitisation
4.7     population_data_dossiers                                    digitisation
5.1     feedback_on_time                                            satisfaction
5.2     feedback_satisfaction                                       satisfaction
5.3     dossier_satisfaction                                        satisfaction
======  ==========================================================  ==============

Missing input — an optional table not supplied, or a column absent from the export (a
present column blank in every row is "no", docs/methodology.md §5 R3) — makes the sub-indicators that read it "no data": numerator and denominator
NaN (never 0) and a note naming what is missing. A parent's figures are the sums over
its subtree for dossier-based counts, and count each procedure once for procedure-based ones
(docs/methodology.md §5 R1, see :mod:`chiso.indicators.common`). The methodology's ``province_level_codes``
(1.1–1.3, 4.5) show every unit the province's figure, its own kept as ``own_numerator`` /
``own_denominator`` (docs/methodology.md §5 R13).

Example
-------
>>> from chiso.sources.dossiers import load_dossiers          # doctest: +SKIP
>>> table = compute_indicators(load_dossiers("data/sample"), Period.parse("2026-Q2"),
...                            load_methodology("qd766-2022"))  # doctest: +SKIP
>>> table.columns.tolist()                                     # doctest: +SKIP
['unit', 'indicator', 'numerator', 'denominator', 'status', 'note']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chiso.indicators import digitisation, online, progress, satisfaction, transparency
from chiso.indicators.common import Context, MissingInput
from chiso.indicators.satisfaction import late_pakn
from chiso.indicators.timeline import dossier_outcomes
from chiso.methodology import Methodology
from chiso.period import Period
from chiso.scoring import score_indicators
from chiso.status import NO_DATA, NOT_APPLICABLE, NOT_SCORED, OK
from chiso.workdays import WorkingCalendar

__all__ = ["INDICATORS", "compute_indicators", "compute_scores", "dossier_outcomes", "late_pakn"]

INDICATORS = {
    "1.1": transparency.announced_on_time,
    "1.2": transparency.published_on_time,
    "1.3": transparency.published_in_full,
    "1.4": transparency.synced_dossiers,
    "2.1": progress.on_time_dossiers,
    "2.2": progress.average_processing_time,
    "3.1": online.online_procedures,
    "3.2": online.online_services_used,
    "3.3": online.online_dossiers,
    "3.4": online.fee_procedures_integrated,
    "3.5": online.fee_procedures_paid_online,
    "3.6": online.dossiers_paid_online,
    "4.1": digitisation.electronic_results,
    "4.2": digitisation.digitised_dossiers,
    "4.3": digitisation.reused_data,
    "4.4": digitisation.personal_data_store,
    "4.5": digitisation.certified_copy_communes,
    "4.6": digitisation.population_data_procedures,
    "4.7": digitisation.population_data_dossiers,
    "5.1": satisfaction.feedback_on_time,
    "5.2": satisfaction.feedback_satisfaction,
    "5.3": satisfaction.dossier_satisfaction,
}
PROVINCE_FIGURE_NOTE = "the province's figure (spec R13)"  # the note of a province-level sub-indicator
COLUMNS = ["unit", "indicator", "numerator", "denominator", "status", "note", "own_numerator", "own_denominator"]


def compute_indicators(data, period: Period, methodology: Methodology,
                       calendar: WorkingCalendar | None = None) -> pd.DataFrame:
    """Numerator and denominator of every sub-indicator of ``methodology`` for every unit.

    ``data`` is a :class:`chiso.sources.dossiers.DossierData` (or any object with the same
    attributes); ``calendar`` defaults to :meth:`WorkingCalendar.default`. Rows are ordered
    by unit (as in ``data.units``), then in methodology order.
    """
    ctx = Context(data, period, methodology, calendar or WorkingCalendar.default())
    frames = []
    for code in methodology.codes:
        rule = INDICATORS.get(code)
        try:
            if rule is None:
                raise MissingInput([f"a rule for sub-indicator {code} (not computable from dossiers)"])
            frame = rule(ctx)
            if code in ctx.setting("province_level_codes", []):
                frame = _province_figures(ctx, frame)
        except MissingInput as missing:
            frame = ctx.result(np.nan, np.nan, f"no data: missing {', '.join(missing.missing)}")
            frame["status"] = NO_DATA
        frames.append(frame.assign(indicator=code))
    table = pd.concat(frames).rename_axis("unit").reset_index()
    if "status" not in table:
        table["status"] = OK
    table["status"] = table["status"].fillna(OK)
    for column in ("note", "own_numerator", "own_denominator"):
        if column not in table:
            table[column] = pd.NA if column == "note" else np.nan
    table["note"] = table["note"].astype("string")
    order = {code: n for n, code in enumerate(methodology.codes)}
    table = table.assign(
        _unit=table["unit"].map({u: n for n, u in enumerate(ctx.unit_codes)}),
        _indicator=table["indicator"].map(order),
    )
    table = table.sort_values(["_unit", "_indicator"], kind="stable", ignore_index=True)
    return table[COLUMNS]


def _province_figures(ctx: Context, frame: pd.DataFrame) -> pd.DataFrame:
    """Every unit under a province gets the province's figure (docs/methodology.md §5 R13, methodology setting
    ``province_level_codes``); its own numerator and denominator stay as ``own_numerator`` /
    ``own_denominator`` (analysis, not points), and the note says so.

    Example: 4.5 of the province 2 / 3; a commune offering the service (own 1 / 1) and a
    department (own: not applicable) both show 2 / 3.
    """
    frame = frame.copy()
    for column, default in (("status", OK), ("note", pd.NA)):
        if column not in frame:
            frame[column] = default
    frame["note"] = frame["note"].astype("string")
    frame["own_numerator"], frame["own_denominator"] = frame["numerator"], frame["denominator"]
    province = ctx.province_of
    under = (province >= 0) & (province != np.arange(len(province)))
    if not under.any():
        return frame
    own = frame.loc[under, ["own_numerator", "own_denominator", "status"]]
    shown = frame.iloc[province[under]][["numerator", "denominator", "status", "note"]]
    frame.loc[under, ["numerator", "denominator", "status", "note"]] = shown.to_numpy()
    frame.loc[under, "note"] = [
        f"{PROVINCE_FIGURE_NOTE}; this unit's own: "
        + ("not applicable" if status == NOT_APPLICABLE else f"{n:g} / {d:g}")
        for n, d, status in own.itertuples(index=False)]
    return frame


def compute_scores(data, period: Period, methodology: Methodology,
                   calendar: WorkingCalendar | None = None) -> pd.DataFrame:
    """:func:`compute_indicators` with unit_name and level, scored by :func:`chiso.scoring.score_indicators`.

    Adds ``ratio``, ``points``, ``max_points`` and ``points_lost``. A row with status
    "not_applicable" (4.5 for a unit with no commune under it) is scored by the
    methodology's not-applicable setting (see :func:`chiso.scoring.score_indicators`).
    A computed row of a sub-indicator the methodology does not score (rule not_scored:
    2.2 in QĐ 766) gets the status "not_scored", as in ``score-official``.
    """
    table = compute_indicators(data, period, methodology, calendar)
    units = data.units[["unit", "name", "level"]].rename(columns={"name": "unit_name"})
    table = table.merge(units, on="unit", how="left")
    scored = score_indicators(table, methodology, level_column="level")
    scored.loc[scored["indicator"].isin(methodology.unscored_codes) & scored["status"].eq(OK), "status"] = NOT_SCORED
    first = ["unit", "unit_name", "level", "indicator", "numerator", "denominator", "ratio", "points",
             "max_points", "points_lost", "status", "note"]
    return scored[first + [c for c in scored.columns if c not in first]]
