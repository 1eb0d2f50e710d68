"""Group 5 — Mức độ hài lòng (satisfaction): sub-indicators 5.1–5.3 (docs/methodology.md §3).

PAKN (phản ánh, kiến nghị — citizen feedback) must be handled within
``pakn_deadline_working_days`` working days (methodology setting, 15): the deadline is the end
of the 15th working day after the day of reception. A PAKN handled after the end of P counts
as still open at the end of P. No ``pakn`` table ⇒ 5.1 and 5.2 are "no data", never the
full points a unit with no PAKN gets (data contract).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chiso.codes import STATUS
from chiso.indicators.common import Context
from chiso.indicators.timeline import outcomes
from chiso.workdays import WorkingCalendar, end_of_day


def pakn_status(ctx: Context) -> pd.DataFrame:
    """PAKN received in P with their deadline and status at the end of P (cached).

    Columns: the pakn columns, plus unit_pos, deadline, handled (by the end of P),
    working_days (elapsed from reception to handling, or to the end of P while open),
    on_time, late_reason ("handled late" | "open past deadline" | <NA>).
    """

    def build():
        ctx.require("pakn.NgayXuLyXong")
        pakn = ctx.data.pakn
        rows = pakn[ctx.in_period(pakn["NgayTiepNhan"])].reset_index(drop=True)
        days = int(ctx.setting("pakn_deadline_working_days", 15))
        deadline = end_of_day(ctx.calendar.add_working_days(rows["NgayTiepNhan"], days))
        handled = (rows["NgayXuLyXong"] <= ctx.period.end).fillna(False).to_numpy(dtype=bool)
        until = rows["NgayXuLyXong"].where(handled, ctx.period.end)
        on_time = (until <= deadline).to_numpy(dtype=bool)
        late_reason = np.select([~on_time & handled, ~on_time], ["handled late", "open past deadline"], default="")
        return rows.assign(
            unit_pos=ctx.unit_positions(rows["MaDonVi"]),
            deadline=deadline,
            handled=handled,
            working_days=ctx.calendar.working_days_between(rows["NgayTiepNhan"], until),
            on_time=on_time,
            late_reason=pd.Series(late_reason, dtype="string").replace("", pd.NA),
        )

    return ctx.cached("pakn_status", build)


def feedback_on_time(ctx: Context) -> pd.DataFrame:
    """5.1 Tỷ lệ PAKN xử lý đúng hạn — docs/methodology.md §3, 5.1.

    PAKN handled within 15 working days, or still open at the end of P and not yet past
    them / PAKN received in P. No PAKN in P ⇒ 0 / 0 ⇒ full points (methodology).

    Example (Q2 2026): received Wed 10/6, deadline end of Wed 1/7: open at 30/6 → on time;
    received Mon 6/4 (deadline end of Tue 28/4: Giỗ Tổ observed Mon 27/4 is off), handled
    28/4 → on time, handled 29/4 → late → 2 / 3.
    """
    status = pakn_status(ctx)
    unit = status["unit_pos"].to_numpy()
    return ctx.rolled_up(ctx.count(unit, status["on_time"]), ctx.count(unit))


def feedback_satisfaction(ctx: Context) -> pd.DataFrame:
    """5.2 Tỷ lệ hài lòng trong xử lý PAKN — docs/methodology.md §3, 5.2.

    (PAKN received in P − those rated unsatisfied (KhongHaiLong) or late, as in 5.1)
    / PAKN received in P. No PAKN in P ⇒ 0 / 0 ⇒ full points (methodology).

    Example: 4 PAKN; one rated unsatisfied, one open past its deadline → 2 / 4.
    """
    ctx.require("pakn.NgayXuLyXong", "pakn.KhongHaiLong")
    status = pakn_status(ctx)
    unit = status["unit_pos"].to_numpy()
    satisfied = status["on_time"].to_numpy() & ~status["KhongHaiLong"].to_numpy(dtype=bool)
    return ctx.rolled_up(ctx.count(unit, satisfied), ctx.count(unit))


def dossier_satisfaction(ctx: Context) -> pd.DataFrame:
    """5.3 Tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC — docs/methodology.md §3, 5.3.

    (dossiers in scope − overdue ones − those rated KHONG_HAI_LONG (DanhGia) or with a PAKN
    about them (pakn.MaHoSo, PAKN received by the end of P)) / dossiers in scope (as 2.1).

    Example: 5 in scope; one overdue, one rated KHONG_HAI_LONG, one with a PAKN about it
    (the overdue one also rated unsatisfied) → 2 / 5.
    """
    ctx.require("hoso_su_kien", "hoso.DanhGia", "pakn.MaHoSo")
    timeline = outcomes(ctx)
    pos = timeline["pos"].to_numpy()
    unsatisfied = (ctx.data.hoso["DanhGia"] == STATUS.unsatisfied_rating).fillna(False).to_numpy(dtype=bool)
    unsatisfied &= ctx.fact_known("DanhGia")  # a rating dated after the end of P is not yet known (R9)
    pakn = ctx.data.pakn
    known_feedback = pakn[(pakn["NgayTiepNhan"] <= ctx.period.end).fillna(False)]
    # dossiers named by a PAKN (MaHoSo is unique in hoso); hashing the few PAKN, not every dossier
    complained = ctx.data.hoso["MaHoSo"].isin(known_feedback["MaHoSo"].dropna()).to_numpy(dtype=bool)
    satisfied = timeline["on_time"].to_numpy() & ~unsatisfied[pos] & ~complained[pos]
    unit = timeline["unit_pos"].to_numpy()
    return ctx.rolled_up(ctx.count(unit, satisfied), ctx.count(unit))


def late_pakn(data, period, methodology, calendar: WorkingCalendar | None = None) -> pd.DataFrame:
    """PAKN received in P that were handled late or are open past their deadline (internal edition).

    Columns: MaPAKN, MaDonVi, NgayTiepNhan, deadline, NgayXuLyXong, working_days,
    late_reason, and MaHoSo / PhanLoai when the export has them.
    """
    ctx = Context(data, period, methodology, calendar or WorkingCalendar.default())
    status = pakn_status(ctx)
    columns = ["MaPAKN", "MaDonVi", "NgayTiepNhan", "deadline", "NgayXuLyXong", "working_days", "late_reason"]
    columns += [c for c in ("MaHoSo", "PhanLoai") if c in status]
    return status.loc[~status["on_time"], columns].reset_index(drop=True)
