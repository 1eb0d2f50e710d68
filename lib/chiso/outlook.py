"""Self-assessment as of a date: which figures can still move before the period ends, and by how much at most.

On an as-of date inside a period (the plan's self-assessment "trước ngày 20/12"), some items
counted as fine today can still turn bad before the period ends; nothing counted as bad can
turn good (an overdue dossier stays overdue, a late PAKN stays late). So the points can only
fall, and at most by what these items would cost if all of them turned bad:

- **2.1 and 5.3**: dossiers in progress at the cut-off and on time so far (spec §3: "in
  progress counts as on time while the end of P ≤ due date") — any of them can still go
  overdue (its due date passes, or a second supplement request comes);
- **5.1**: PAKN open at the cut-off, not late yet, whose deadline falls before the period
  ends (one whose deadline is later is on time at the end of P whatever happens);
- **5.2**: every PAKN open at the cut-off and not late yet (it can still be handled late or
  rated unsatisfied).

Worst case: those numerators fall by those counts, denominators stay (dossiers and PAKN
received after the cut-off are unknown: the bound is "with what has been received so far").
Each sub-indicator is rescored by the methodology (:func:`chiso.scoring.score_indicators`);
the most a unit can lose is the sum over them. Counts are rolled up to parents as the
sub-indicators are. Counts only: publishable.

Example
-------
>>> table = still_open(data, Period.parse("2026-Q4", as_of="2026-12-15"), methodology)   # doctest: +SKIP
>>> table.query("unit == 'S99.02'")[["indicator", "open_items", "max_drop"]]              # doctest: +SKIP
  indicator  open_items  max_drop
0       2.1          12      1.25
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chiso import formatting as fmt
from chiso.indicators import compute_scores
from chiso.indicators.common import Context
from chiso.indicators.satisfaction import pakn_status
from chiso.indicators.timeline import outcomes
from chiso.methodology import Methodology
from chiso.period import Period
from chiso.scoring import score_indicators
from chiso.status import OK
from chiso.workdays import WorkingCalendar

COLUMNS = ["unit", "indicator", "open_items", "points", "worst_points", "max_drop"]
DOSSIER_INDICATORS = ("2.1", "5.3")


def still_open(data, period: Period, methodology: Methodology, calendar: WorkingCalendar | None = None,
               scored: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per unit and sub-indicator that can still move: open items, points now, worst points, max drop.

    ``scored``: the period's :func:`compute_scores` table when already computed. Empty for a
    period without a cut-off (nothing can move any more).
    """
    if period.as_of is None or period.end >= period.full_end:
        return pd.DataFrame(columns=COLUMNS)
    calendar = calendar or WorkingCalendar.default()
    ctx = Context(data, period, methodology, calendar)
    scored = compute_scores(data, period, methodology, calendar) if scored is None else scored
    timeline = outcomes(ctx)
    open_dossiers = (~timeline["finished"] & timeline["on_time"]).to_numpy()
    counts = {code: ctx.roll_up(ctx.count(timeline["unit_pos"].to_numpy()[open_dossiers]))
              for code in DOSSIER_INDICATORS}
    if ctx.has("pakn", "NgayXuLyXong"):
        pakn = pakn_status(ctx)
        waiting = (~pakn["handled"] & pakn["on_time"]).to_numpy()
        due_in_period = (pakn["deadline"] <= period.full_end).to_numpy()
        counts["5.1"] = ctx.roll_up(ctx.count(pakn["unit_pos"].to_numpy()[waiting & due_in_period]))
        counts["5.2"] = ctx.roll_up(ctx.count(pakn["unit_pos"].to_numpy()[waiting]))
    open_items = pd.DataFrame(counts, index=ctx.unit_codes).rename_axis("unit").reset_index().melt(
        id_vars="unit", var_name="indicator", value_name="open_items")
    rows = scored.merge(open_items, on=["unit", "indicator"], how="inner")
    rows = rows[(rows["open_items"] > 0) & rows["status"].eq(OK)]
    worst = score_indicators(
        rows[["unit", "indicator", "level", "denominator"]].assign(
            numerator=np.maximum(rows["numerator"] - rows["open_items"], 0)),
        methodology, level_column="level")
    out = rows[["unit", "indicator", "open_items", "points"]].assign(worst_points=worst["points"].to_numpy())
    out["max_drop"] = (out["points"] - out["worst_points"]).round(methodology.rounding_decimals)
    return out[COLUMNS].reset_index(drop=True)


def outlook_sentence(rows: pd.DataFrame, full_end: str) -> str | None:
    """One unit's rows of :func:`still_open` as the sentence its report prints (None when
    nothing can move).

    >>> outlook_sentence(pd.DataFrame({"indicator": ["2.1", "5.3", "5.1", "5.2"], "open_items": [12, 12, 2, 3],
    ...                                "max_drop": [1.25, 0.5, 0.4, 0.0]}), "31/12/2026")
    'Đến hết kỳ (31/12/2026) tổng điểm có thể giảm tối đa 2,15 điểm nếu 12 hồ sơ đang giải quyết bị quá hạn (2.1: −1,25; 5.3: −0,50) và 2 PAKN đang xử lý bị trễ hạn hoặc không hài lòng (5.1: −0,40).'
    """
    rows = rows[rows["max_drop"] > 0]
    if rows.empty:
        return None
    by = rows.set_index("indicator")
    parts = []
    dossier = [c for c in DOSSIER_INDICATORS if c in by.index]
    if dossier:
        detail = "; ".join(f"{c}: −{fmt.number(by.at[c, 'max_drop'])}" for c in dossier)
        parts.append(f"{fmt.integer(by.loc[dossier, 'open_items'].max())} hồ sơ đang giải quyết bị quá hạn ({detail})")
    feedback = [c for c in ("5.1", "5.2") if c in by.index]
    if feedback:
        detail = "; ".join(f"{c}: −{fmt.number(by.at[c, 'max_drop'])}" for c in feedback)
        count = int(rows.loc[rows["indicator"].isin(["5.1", "5.2"]), "open_items"].max())
        parts.append(f"{fmt.integer(count)} PAKN đang xử lý bị trễ hạn hoặc không hài lòng ({detail})")
    return (f"Đến hết kỳ ({full_end}) tổng điểm có thể giảm tối đa {fmt.number(rows['max_drop'].sum())} điểm "
            f"nếu {' và '.join(parts)}.")
