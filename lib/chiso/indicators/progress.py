"""Group 2 — Tiến độ, kết quả giải quyết (progress): 2.1 on time, 2.2 processing time (docs/methodology.md §3).

Both read the per-dossier timeline of :mod:`chiso.indicators.timeline`, where scope, end,
supplements, pauses and due dates are defined.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chiso.indicators.common import Context
from chiso.indicators.timeline import OVERDUE_REASONS, outcomes


def on_time_dossiers(ctx: Context) -> pd.DataFrame:
    """2.1 Tỷ lệ hồ sơ xử lý trước hạn, đúng hạn — docs/methodology.md §3, "On time (2.1)".

    On-time dossiers in scope / dossiers in scope (received in P, plus those received
    before P and not finished when P started; finished and in progress alike). A dossier
    is on time when its counted end ≤ its due date with at most one supplement request;
    see :mod:`chiso.indicators.timeline` for the corrections.

    Example (Q2): received in Q2 and finished before due; carried over from Q1 and finished
    late; in progress and still within its due date at 30/6; two supplement requests
    → 2 / 4.
    """
    ctx.require("hoso_su_kien")
    if not (ctx.has("hoso", "NgayHenTra") or ctx.has("tthc", "ThoiHanGiaiQuyet")):
        ctx.require("hoso.NgayHenTra", "tthc.ThoiHanGiaiQuyet")
    timeline = outcomes(ctx)
    unit = timeline["unit_pos"].to_numpy()
    no_due = timeline["overdue_reason"].eq(OVERDUE_REASONS["no_due"]).fillna(False).to_numpy(dtype=bool)
    note = ctx.count_note(ctx.count(unit, no_due), "{n:g} dossier(s) without due date or legal time counted overdue")
    return ctx.rolled_up(ctx.count(unit, timeline["on_time"]), ctx.count(unit), note)


def processing_time_by_procedure(data, period, methodology, calendar=None) -> pd.DataFrame:
    """2.2 per procedure, in each procedure's own unit (docs/methodology.md §5 R8; analysis, not points).

    One row per unit (the dossier's own unit, not rolled up) and procedure with dossiers
    finished in P: unit, MaTTHC, time_unit ("hours" for procedures whose legal time is in
    hours, ``GIO``; "days" otherwise), dossiers, average. Hours are office hours from
    reception to the counted end less the time outside the agency's hands (as the due date
    moves, R6); days are working days as the unit's 2.2.

    Example: a GIO procedure received Mon 09:00 and finished 15:00 → 5 hours (09–12, 13–15).
    """
    from chiso.workdays import WorkingCalendar

    ctx = Context(data, period, methodology, calendar or WorkingCalendar.default())
    ctx.require("hoso_su_kien")
    timeline = outcomes(ctx)
    done = timeline[timeline["finished"].to_numpy()]
    tthc = ctx.data.tthc
    unit_of_time = (tthc["DonViThoiHan"] if "DonViThoiHan" in tthc else pd.Series("NGAY_LAM_VIEC", index=tthc.index))
    in_hours = np.append(unit_of_time.eq("GIO").to_numpy(dtype=bool), False)[done["proc_pos"].to_numpy()]
    hours = ctx.calendar.office_hours_between(done["received"], done["counted_end"]).to_numpy() - done[
        "extension_hours"].to_numpy()
    table = pd.DataFrame({
        "unit": done["MaDonVi"].to_numpy(), "MaTTHC": done["MaTTHC"].to_numpy(),
        "time_unit": np.where(in_hours, "hours", "days"),
        "time": np.where(in_hours, np.maximum(hours, 0), done["processing_days"].to_numpy()),
    })
    return (table.groupby(["unit", "MaTTHC", "time_unit"], as_index=False)
            .agg(dossiers=("time", "size"), average=("time", "mean")))


def average_processing_time(ctx: Context) -> pd.DataFrame:
    """2.2 Thời gian giải quyết trung bình (analysis only, 0 points) — docs/methodology.md §3, 2.2.

    numerator = total processing time of the dossiers finished in P, denominator = their
    number; the ratio is the average, in working days. A dossier's processing time is the
    working time from reception to its counted end (the citizen's supplement time taken
    out, pauses too when ``subtract_pauses``), fractional on a 24-hour clock
    (:meth:`~chiso.workdays.WorkingCalendar.working_time`): the unit figure DVCQG publishes as
    avgProcessingDays. Each procedure in its own unit (hours for ``GIO``):
    :func:`processing_time_by_procedure` (docs/methodology.md §5 R8).

    Example: received Mon 09:00 and finished Mon 15:00 (0.25), received Mon 12:00 and
    finished Wed 12:00 (2.0) → 2.25 / 2 = 1.125 working days.
    """
    ctx.require("hoso_su_kien")
    timeline = outcomes(ctx)
    finished = timeline["finished"].to_numpy()
    unit = timeline["unit_pos"].to_numpy()
    days = timeline["processing_days"].fillna(0).to_numpy()
    return ctx.rolled_up(ctx.count(unit, days * finished), ctx.count(unit, finished))
