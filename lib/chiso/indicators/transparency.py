"""Group 1 — Công khai, minh bạch (transparency): sub-indicators 1.1–1.4 (docs/methodology.md §3).

1.1–1.3 read the ``congbo`` table (announcement decisions and their publication on the
national procedure database); their scope is the congbo rows whose decision date
(NgayQuyetDinh) is in P, counted for the announcing unit (MaDonVi). Each procedure
(MaTTHC) counts once per unit, and once at a parent (docs/methodology.md §5 R1): a procedure in several
decisions of the period is late if any is late (incomplete if any is). 1.4 reads dossiers.
Deadlines in working days come from the methodology settings
``announce_before_effective_working_days`` and ``publish_after_decision_working_days``
(5 and 5 for a province).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chiso.indicators.common import Context
from chiso.indicators.timeline import received_in_period
from chiso.workdays import end_of_day


def _announcements(ctx: Context) -> tuple[pd.DataFrame, np.ndarray]:
    """congbo rows with NgayQuyetDinh in P, and the position of their unit."""
    ctx.require("congbo")
    congbo = ctx.data.congbo
    rows = congbo[ctx.in_period(congbo["NgayQuyetDinh"])].reset_index(drop=True)
    return rows, ctx.unit_positions(rows["MaDonVi"])


def _published(ctx: Context, rows: pd.DataFrame) -> np.ndarray:
    """Published on the national procedure database by the end of P."""
    return (rows["NgayCongKhai"] <= ctx.period.end).fillna(False).to_numpy(dtype=bool)


def announced_on_time(ctx: Context) -> pd.DataFrame:
    """1.1 Tỷ lệ TTHC công bố đúng hạn — docs/methodology.md §3, 1.1.

    Announced on time: decision date ≤ the 5th working day before the effective date of
    the legal basis (NgayHieuLuc), i.e. ``NgayQuyetDinh ≤ add_working_days(NgayHieuLuc, -5)``.
    Scope: congbo rows with NgayQuyetDinh in P; rows without NgayHieuLuc cannot be judged
    and are left out of the denominator (the note counts them).

    Example: effective Thu 7/5/2026 → deadline Tue 28/4 (30/4 and 1/5 are holidays);
    decisions of 28/4 (procedure A) and 20/4 (B) are on time, 29/4 (C) is late → 2 / 3; a
    second decision for A on 29/4 would make A late → 1 / 3 (each procedure once, R1).
    """
    ctx.require("congbo.NgayHieuLuc")
    rows, unit = _announcements(ctx)
    days = int(ctx.setting("announce_before_effective_working_days", 5))
    judged = rows["NgayHieuLuc"].notna().to_numpy()
    deadline = ctx.calendar.add_working_days(rows["NgayHieuLuc"], -days)
    on_time = (rows["NgayQuyetDinh"].dt.normalize() <= deadline).fillna(False).to_numpy(dtype=bool)
    note = ctx.count_note(ctx.count(unit, ~judged), "{n:g} announcement(s) without NgayHieuLuc left out")
    result = ctx.distinct_procedures(unit[judged], rows["MaTTHC"][judged], on_time[judged], agg="all")
    result["note"] = note
    return result


def published_on_time(ctx: Context) -> pd.DataFrame:
    """1.2 Tỷ lệ TTHC được cập nhật, công khai đúng hạn — docs/methodology.md §3, 1.2.

    Published on time: NgayCongKhai ≤ end of the 5th working day after NgayQuyetDinh. A
    decision not yet published at the end of P counts as on time while its deadline has not
    passed (as in-progress dossiers do for 2.1). Scope: congbo rows with NgayQuyetDinh in P.

    Example: decision Wed 29/4/2026 → deadline end of Fri 8/5 (30/4 and 1/5 are holidays);
    published 8/5 on time, published 11/5 late, not published by the end of Q2 late → 1 / 3.
    """
    ctx.require("congbo.NgayCongKhai")
    rows, unit = _announcements(ctx)
    days = int(ctx.setting("publish_after_decision_working_days", 5))
    deadline = end_of_day(ctx.calendar.add_working_days(rows["NgayQuyetDinh"], days))
    published = _published(ctx, rows)
    on_time = np.where(
        published,
        (rows["NgayCongKhai"] <= deadline).fillna(False).to_numpy(dtype=bool),
        (ctx.period.end <= deadline).to_numpy(dtype=bool),
    )
    return ctx.distinct_procedures(unit, rows["MaTTHC"], on_time, agg="all")


def published_in_full(ctx: Context) -> pd.DataFrame:
    """1.3 Tỷ lệ TTHC công khai đầy đủ nội dung — docs/methodology.md §3, 1.3.

    Published records with every required part (DayDuNoiDung) / published records, among
    congbo rows with NgayQuyetDinh in P published by the end of P.

    Example: 4 decisions in P, 3 published, 2 of them complete → 2 / 3.
    """
    ctx.require("congbo.NgayCongKhai", "congbo.DayDuNoiDung")
    rows, unit = _announcements(ctx)
    published = _published(ctx, rows)
    complete = rows["DayDuNoiDung"].to_numpy(dtype=bool)
    return ctx.distinct_procedures(unit[published], rows["MaTTHC"][published], complete[published], agg="all")


def synced_dossiers(ctx: Context) -> pd.DataFrame:
    """1.4 Tỷ lệ hồ sơ đồng bộ lên Cổng DVCQG — docs/methodology.md §3, 1.4.

    Dossiers synced to DVCQG (DongBoDVCQG) / dossiers received in P (NgayTiepNhan in P).

    Example: 4 dossiers received in P, 3 synced → 3 / 4.
    """
    ctx.require("hoso.DongBoDVCQG")
    received = received_in_period(ctx)
    synced = ctx.dossier_flag("DongBoDVCQG")
    unit = ctx.dossier_unit_pos
    return ctx.rolled_up(ctx.count(unit, received & synced), ctx.count(unit, received))
