"""The life of each dossier in a period: scope, end, supplements, pauses, due date, on time.

Shared by 2.1 (on time), 2.2 (processing time), 4.1 (finished with a result) and 5.3
(satisfaction), and by the internal report edition (drill-down by procedure, step and
official). Rules of spec §3 ("Dossiers in scope", "End of a dossier", "On time (2.1)"):

- **Events known at the end of P**: events after the end of P (an as-of date included) are
  ignored, as if the export had been made then.
- **Accepted**: a dossier is accepted at its first ``TIEP_NHAN`` event, or — when its history
  has none — at ``NgayTiepNhan``. A dossier withdrawn (``RUT_HO_SO``) before it was accepted
  was never received: it is left out of every sub-indicator (not only 2.1 and 5.3).
- **In scope for P**: accepted dossiers received in P, plus those received before P that had
  no terminal event before P started.
- **End**: by precedence, the first ``XU_LY_XONG``; else the first ``TRA_KET_QUA``; else the
  first of ``DUNG_XU_LY`` / ``TU_CHOI`` / ``RUT_HO_SO``. No terminal event by the end of P:
  *in progress*, end = end of P. A dossier *finished* in P is one in scope with an end event.
- **Supplements** (``YEU_CAU_BO_SUNG`` → ``HOAN_THANH_BO_SUNG``), counted up to the dossier's
  end: more than one request ⇒ overdue whatever the dates; one request and no completion
  after it ⇒ the dossier's counted end is the moment of the request; one request and a
  completion ⇒ the citizen's time (completion − request, calendar time) is subtracted from
  the end.
- **Pauses** (``TAM_DUNG`` → ``TIEP_TUC``; open at the end: until the end): measured
  always (``paused_days``), subtracted from the end only when the methodology setting
  ``subtract_pauses`` is true (default false, spec [open]).
- **Due date**: ``NgayHenTra``; a due date without a time of day means the end of that day.
  Without one, the procedure's legal time ``ThoiHanGiaiQuyet`` counted from reception in
  ``DonViThoiHan``: ``NGAY_LAM_VIEC`` (default) = end of the n-th working day after the day
  of reception (whole days, fractions dropped: 0.5 = the day of reception, or the next
  working day when received on a day off); ``NGAY`` = end of the n-th calendar day after;
  ``GIO`` = n hours of working days on a 24-hour clock
  (:meth:`~chiso.workdays.WorkingCalendar.add_working_time`). This is the spec's
  "(end − reception − citizen's time) ≤ legal time" written as a due date.
- **On time**: counted end ≤ due date, with ≤ 1 supplement request. In-progress dossiers
  are on time while the end of P (minus the citizen's time) ≤ due date. No due date and
  no usable legal time ⇒ overdue ("no due date and no legal time limit").
- **Processing time** (2.2) of a finished dossier: working time from reception to its
  counted end, in working days of 24 hours (fractional).

Example (one dossier, Q2 2026): received Fri 24/4 09:00, due Wed 29/4; one supplement
request Mon 28/4 10:00, the citizen comes back Thu 30/4 10:00 (2 days), result Mon 4/5
09:00 → counted end Sat 2/5 09:00 > due ⇒ overdue, reason "finished after due date".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chiso.indicators.common import Context, positions
from chiso.workdays import end_of_day, end_of_day_if_date_only

EVENT_KINDS = (
    "TIEP_NHAN", "CHUYEN_BUOC", "YEU_CAU_BO_SUNG", "HOAN_THANH_BO_SUNG", "TAM_DUNG", "TIEP_TUC",
    "XU_LY_XONG", "TRA_KET_QUA", "TU_CHOI", "DUNG_XU_LY", "RUT_HO_SO",
)
KIND = {name: code for code, name in enumerate(EVENT_KINDS)}
TERMINAL_KINDS = ("XU_LY_XONG", "TRA_KET_QUA", "DUNG_XU_LY", "TU_CHOI", "RUT_HO_SO")
RESULT_KINDS = ("XU_LY_XONG", "TRA_KET_QUA")
DUE_SOURCES = ("NgayHenTra", "legal time")
NO_EVENT = np.iinfo(np.int64).max  # "never" in first-event-time arrays
NS_PER_DAY = 86_400 * 10**9

OVERDUE_REASONS = {  # in order of precedence: a dossier gets the first that applies
    "supplements": "more than one supplement request",
    "no_due": "no due date and no legal time limit",
    "supplement_late": "supplement requested after due date",
    "finished_late": "finished after due date",
    "open_late": "in progress past due date",
}


def _ns(values) -> np.ndarray:
    """Times as int64 nanoseconds (NaT = the smallest int64)."""
    return pd.to_datetime(values).to_numpy(dtype="datetime64[ns]").astype(np.int64)


def _as_time(ns: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(ns, dtype=np.int64).view("datetime64[ns]"))


def event_table(ctx: Context) -> pd.DataFrame:
    """Events known at the end of P, one row per event of a known dossier.

    Columns: ``pos`` (row of hoso), ``kind`` (code in :data:`EVENT_KINDS`), ``time`` (int64 ns),
    ``row`` (row of hoso_su_kien, to fetch MaCanBo / BuocXuLy / HanBuoc). Unknown event kinds
    and dossiers are left out (the loader sets such rows aside).
    """

    def build():
        events = ctx.data.hoso_su_kien
        pos = positions(events["MaHoSo"], ctx.data.hoso["MaHoSo"])
        kind = positions(events["SuKien"], pd.Series(EVENT_KINDS, dtype="string"))
        time = _ns(events["ThoiDiem"])
        keep = (pos >= 0) & (kind >= 0) & (time != np.iinfo(np.int64).min) & (time <= _ns([ctx.period.end])[0])
        return pd.DataFrame(
            {"pos": pos[keep], "kind": kind[keep].astype(np.int8), "time": time[keep], "row": np.flatnonzero(keep)}
        )

    return ctx.cached("events", build)


def first_event_times(ctx: Context) -> np.ndarray:
    """(dossiers × event kinds) int64 ns of each dossier's first event of each kind (:data:`NO_EVENT` if none)."""

    def build():
        events = event_table(ctx)
        width = len(EVENT_KINDS)
        first = np.full(len(ctx.data.hoso) * width, NO_EVENT, dtype=np.int64)
        # flat (dossier, kind) index: numpy's fast path for ufunc.at is one-dimensional
        np.minimum.at(first, events["pos"].to_numpy() * width + events["kind"].to_numpy(), events["time"].to_numpy())
        return first.reshape(-1, width)

    return ctx.cached("first_event_times", build)


def accepted_dossiers(ctx: Context) -> np.ndarray:
    """True for dossiers not withdrawn before acceptance (see module doc, "Accepted").

    Example: TIEP_NHAN 09:00, RUT_HO_SO 10:00 → accepted (the withdrawal ends it);
    RUT_HO_SO 08:00 and TIEP_NHAN 09:00, or RUT_HO_SO before NgayTiepNhan with no
    TIEP_NHAN event → not accepted, left out everywhere.
    """

    def build():
        first = first_event_times(ctx)
        accepted_at = np.where(
            first[:, KIND["TIEP_NHAN"]] != NO_EVENT, first[:, KIND["TIEP_NHAN"]], _ns(ctx.data.hoso["NgayTiepNhan"])
        )
        return ~(first[:, KIND["RUT_HO_SO"]] < accepted_at)

    return ctx.cached("accepted", build)


def received_in_period(ctx: Context) -> np.ndarray:
    """Accepted dossiers whose reception date (NgayTiepNhan) is in P: the denominator of 1.4, 3.3, 4.2–4.4, 4.7."""
    return ctx.cached("received", lambda: accepted_dossiers(ctx) & ctx.in_period(ctx.data.hoso["NgayTiepNhan"]))


def outcomes(ctx: Context) -> pd.DataFrame:
    """The timeline of every dossier in scope for P (cached; see :func:`dossier_outcomes`), without
    the responsible official and step, which no sub-indicator reads."""
    return ctx.cached("outcomes", lambda: _build_outcomes(ctx))


def dossier_outcomes(data, period, methodology, calendar=None) -> pd.DataFrame:
    """One row per dossier in scope for P, with the facts behind 2.1, 2.2 and 5.3.

    Columns: MaHoSo, MaDonVi, MaTTHC, received (NgayTiepNhan), received_in_period, finished,
    end_event, end, counted_end (the end the due date is compared with), due, due_source
    ("NgayHenTra" | "legal time" | NaN), on_time, overdue_reason (the first that applies of
    :data:`OVERDUE_REASONS`, NaN when on time), supplement_requests,
    pending_supplement, citizen_days and paused_days (calendar days), processing_days
    (working days, finished dossiers), responsible_official (MaCanBo — internal, never
    publish) and responsible_step (BuocXuLy). end_event, due_source and overdue_reason are
    categoricals.

    ``responsible_official`` of an overdue dossier is the official of the first step that
    ended after its own deadline (HanBuoc); with none, the official holding the dossier when
    it went overdue: at its due date, or at its second supplement request.
    """
    from chiso.workdays import WorkingCalendar

    ctx = Context(data, period, methodology, calendar or WorkingCalendar.default())
    timeline = outcomes(ctx)
    official, step = _responsible(ctx, timeline)
    return timeline.drop(columns=["pos", "unit_pos", "proc_pos"]).assign(
        responsible_official=official, responsible_step=step)


def _build_outcomes(ctx: Context) -> pd.DataFrame:
    hoso = ctx.data.hoso
    start, stop = _ns([ctx.period.start])[0], _ns([ctx.period.end])[0]
    first = first_event_times(ctx)
    received = _ns(hoso["NgayTiepNhan"])
    terminal = first[:, [KIND[k] for k in TERMINAL_KINDS]].min(axis=1)
    known = received != np.iinfo(np.int64).min  # the loader sets rows without a reception date aside
    in_scope = accepted_dossiers(ctx) & known & (received <= stop) & ((received >= start) | (terminal >= start))
    pos = np.flatnonzero(in_scope)
    first = first[pos]

    # End by precedence: XU_LY_XONG > TRA_KET_QUA > the first of the others.
    others = first[:, [KIND[k] for k in TERMINAL_KINDS[2:]]]
    has_xlx = first[:, KIND["XU_LY_XONG"]] != NO_EVENT
    has_tkq = first[:, KIND["TRA_KET_QUA"]] != NO_EVENT
    end_time = np.where(has_xlx, first[:, KIND["XU_LY_XONG"]],
                        np.where(has_tkq, first[:, KIND["TRA_KET_QUA"]], others.min(axis=1)))
    finished = end_time != NO_EVENT
    end_event = np.where(has_xlx, 0, np.where(has_tkq, 1, 2 + others.argmin(axis=1)))  # codes in TERMINAL_KINDS
    end = np.where(finished, end_time, stop)

    events = _scope_events(ctx, pos, end)

    supplements = events[events["kind"].isin([KIND["YEU_CAU_BO_SUNG"], KIND["HOAN_THANH_BO_SUNG"]])]
    requests = np.bincount(supplements.loc[supplements["kind"] == KIND["YEU_CAU_BO_SUNG"], "srow"],
                           minlength=len(pos))
    waits = _intervals(supplements, KIND["YEU_CAU_BO_SUNG"])
    open_wait = waits[waits["end"] == NO_EVENT]
    pending = np.zeros(len(pos), dtype=bool)
    pending[open_wait["row"].to_numpy()] = True
    pending_request = np.full(len(pos), NO_EVENT)
    pending_request[open_wait["row"].to_numpy()] = open_wait["start"].to_numpy()
    single_pending = pending & (requests == 1)
    citizen_ns = _total_duration(waits, stop_at=np.full(len(pos), NO_EVENT), only_closed=True)

    # The clock stops at the single pending request, else at the end; pauses count up to it.
    clock_stop = np.where(single_pending, pending_request, end)
    pauses = _intervals(events[events["kind"].isin([KIND["TAM_DUNG"], KIND["TIEP_TUC"]])], KIND["TAM_DUNG"])
    paused_ns = _total_duration(pauses, stop_at=clock_stop, only_closed=False)
    subtracted = citizen_ns + (paused_ns if ctx.setting("subtract_pauses", False) else 0)
    counted_end = clock_stop - subtracted

    due, due_source = _due_dates(ctx, pos, received[pos])
    due_ns = due.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    has_due = due.notna().to_numpy()
    late = counted_end > due_ns
    on_time = (requests <= 1) & has_due & ~late
    reason = np.select(  # codes in OVERDUE_REASONS order, -1 = on time
        [requests > 1, ~has_due, single_pending & late, finished & late, late], range(5), default=-1
    )

    processing_days = np.where(
        finished, ctx.calendar.working_time(_as_time(received[pos]), _as_time(counted_end)), np.nan
    )
    out = pd.DataFrame(
        {
            "MaHoSo": hoso["MaHoSo"].iloc[pos].reset_index(drop=True),
            "MaDonVi": hoso["MaDonVi"].iloc[pos].reset_index(drop=True),
            "MaTTHC": hoso["MaTTHC"].iloc[pos].reset_index(drop=True),
            "received": _as_time(received[pos]),
            "received_in_period": received[pos] >= start,
            "finished": finished,
            "end_event": pd.Categorical.from_codes(np.where(finished, end_event, -1), categories=TERMINAL_KINDS),
            "end": _as_time(end),
            "counted_end": _as_time(counted_end),
            "due": due.to_numpy(dtype="datetime64[ns]"),
            "due_source": due_source,
            "on_time": on_time,
            "overdue_reason": pd.Categorical.from_codes(reason, categories=list(OVERDUE_REASONS.values())),
            "supplement_requests": requests,
            "pending_supplement": pending,
            "citizen_days": citizen_ns / NS_PER_DAY,
            "paused_days": paused_ns / NS_PER_DAY,
            "processing_days": processing_days,
            "pos": pos,
            "unit_pos": ctx.dossier_unit_pos[pos],
            "proc_pos": ctx.dossier_proc_pos[pos],
        }
    )
    return out


def _scope_events(ctx: Context, pos: np.ndarray, end: np.ndarray) -> pd.DataFrame:
    """Events of the dossiers in scope (rows ``pos`` of hoso), each up to its dossier's ``end``.

    Cached: a context has one scope, so the timeline and the responsible officials share it.

    Columns: those of :func:`event_table` plus ``srow``, the dossier's row in the timeline.
    """

    def build():
        scope_row = np.full(len(ctx.data.hoso), -1)
        scope_row[pos] = np.arange(len(pos))
        events = event_table(ctx)
        srow = scope_row[events["pos"].to_numpy()]
        kept = srow >= 0  # one selection: the table has millions of rows
        kept[kept] = events["time"].to_numpy()[kept] <= end[srow[kept]]
        return events[kept].assign(srow=srow[kept])

    return ctx.cached("scope_events", build)


def _intervals(events: pd.DataFrame, opening_kind: int) -> pd.DataFrame:
    """Waiting intervals from opening / closing events: row (scope row), start, end (ns; :data:`NO_EVENT` while open).

    Repeated openings before a closing extend the same interval; a closing with nothing open
    is ignored. Example: request 1/4, request 3/4, completion 5/4, request 8/4 →
    [1/4, 5/4] and [8/4, open).
    """
    ordered = events.assign(closing=events["kind"] != opening_kind).sort_values(["srow", "time", "closing"])
    row = ordered["srow"].to_numpy()
    opening = ~ordered["closing"].to_numpy()
    time = ordered["time"].to_numpy()
    same_row_as_previous = np.r_[False, row[1:] == row[:-1]]
    previous_opening = np.r_[False, opening[:-1]] & same_row_as_previous
    boundary = (opening & ~previous_opening) | (~opening & previous_opening)
    row, opening, time = row[boundary], opening[boundary], time[boundary]
    # Boundaries alternate start, end, start, ... within a row: each end closes the start before it.
    closed_by_next = np.r_[(~opening[1:]) & (row[1:] == row[:-1]), False]
    starts = np.flatnonzero(opening)
    end = np.where(closed_by_next[starts], time[np.minimum(starts + 1, len(time) - 1)], NO_EVENT)
    return pd.DataFrame({"row": row[starts], "start": time[starts], "end": end.astype(np.int64)})


def _total_duration(intervals: pd.DataFrame, stop_at: np.ndarray, only_closed: bool) -> np.ndarray:
    """Per scope row, total ns of the intervals, each cut at the row's ``stop_at`` (open ones run to it)."""
    if only_closed:
        intervals = intervals[intervals["end"] != NO_EVENT]
    row = intervals["row"].to_numpy()
    length = np.minimum(intervals["end"].to_numpy(), stop_at[row]) - intervals["start"].to_numpy()
    total = np.zeros(len(stop_at), dtype=np.int64)
    np.add.at(total, row, np.maximum(length, 0))
    return total


def _due_dates(ctx: Context, pos: np.ndarray, received_ns: np.ndarray) -> tuple[pd.Series, pd.Categorical]:
    """Due date of each dossier and where it comes from (see module doc, "Due date")."""
    hoso, tthc = ctx.data.hoso, ctx.data.tthc
    if "NgayHenTra" in hoso:
        promised = end_of_day_if_date_only(hoso["NgayHenTra"].iloc[pos].reset_index(drop=True))
    else:
        promised = pd.Series(pd.NaT, index=range(len(pos)), dtype="datetime64[ns]")
    due = promised.astype("datetime64[ns]")
    source = np.where(due.notna(), 0, -1)  # codes in DUE_SOURCES
    needs_legal = due.isna().to_numpy()
    if needs_legal.any() and "ThoiHanGiaiQuyet" in tthc:
        proc = ctx.dossier_proc_pos[pos[needs_legal]]
        known = proc >= 0
        limit = np.full(len(proc), np.nan)
        limit[known] = tthc["ThoiHanGiaiQuyet"].to_numpy(dtype=float)[proc[known]]
        unit = np.full(len(proc), "NGAY_LAM_VIEC", dtype=object)
        if "DonViThoiHan" in tthc:
            unit[known] = tthc["DonViThoiHan"].fillna("NGAY_LAM_VIEC").to_numpy(dtype=object)[proc[known]]
        legal = _legal_due(ctx, _as_time(received_ns[needs_legal]), limit, unit)
        due.loc[needs_legal] = legal.to_numpy()
        source[needs_legal] = np.where(legal.notna(), 1, -1)
    return due, pd.Categorical.from_codes(source, categories=DUE_SOURCES)


def _legal_due(ctx: Context, received: pd.Series, limit: np.ndarray, unit: np.ndarray) -> pd.Series:
    """Due date from the legal time limit: working days, calendar days or hours on working days."""
    whole = np.floor(limit)
    usable = ~np.isnan(limit) & (limit >= 0)
    due = pd.Series(pd.NaT, index=received.index, dtype="datetime64[ns]")
    working = usable & (unit == "NGAY_LAM_VIEC")
    if working.any():
        days = ctx.calendar.add_working_days(received[working], whole[working].astype(np.int64))
        due[working] = end_of_day(days)
    calendar_days = usable & (unit == "NGAY")
    if calendar_days.any():
        days = pd.to_timedelta(whole[calendar_days], unit="D").to_numpy()
        due[calendar_days] = end_of_day(received[calendar_days] + days)
    hours = usable & (unit == "GIO")
    if hours.any():
        due[hours] = ctx.calendar.add_working_time(received[hours], limit[hours] / 24)
    return due


def _responsible(ctx: Context, out: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """MaCanBo and BuocXuLy of the step that made each overdue dossier late (see :func:`dossier_outcomes`).

    Works on event row numbers and fetches the two text columns only for the chosen rows:
    millions of strings would dominate the run time otherwise.
    """
    history = ctx.data.hoso_su_kien
    chosen_row = np.full(len(out), -1)
    overdue = ~out["on_time"].to_numpy()
    if "MaCanBo" in history:
        end = _ns(out["end"])
        events = _scope_events(ctx, out["pos"].to_numpy(), end)
        steps = events[overdue[events["srow"].to_numpy()]]
        srow, time, row = steps["srow"].to_numpy(), steps["time"].to_numpy(), steps["row"].to_numpy()
        by_dossier_then_time = np.lexsort((time, srow))  # stable, as the events' order breaks ties
        srow, time, row = srow[by_dossier_then_time], time[by_dossier_then_time], row[by_dossier_then_time]
        if "HanBuoc" in history:
            # a step lasts until the next event of the dossier, the last one until the dossier's end
            next_same = np.r_[srow[1:] == srow[:-1], False]
            step_end = np.where(next_same, np.r_[time[1:], 0], end[srow])
            step_due = _ns(end_of_day_if_date_only(history["HanBuoc"].take(row)))
            passed = (step_due != np.iinfo(np.int64).min) & (step_end > step_due)
            first_passed = pd.DataFrame({"srow": srow[passed], "row": row[passed]}).drop_duplicates("srow")
            chosen_row[first_passed["srow"].to_numpy()] = first_passed["row"].to_numpy()

        # Otherwise: who held the dossier when it went overdue (second request, or the due date).
        requests = events[events["kind"] == KIND["YEU_CAU_BO_SUNG"]].sort_values(["srow", "time"])
        second_request = requests[requests.groupby("srow").cumcount() == 1]
        moment = out["due"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
        moment[second_request["srow"].to_numpy()] = second_request["time"].to_numpy()
        undecided = np.flatnonzero(overdue & (chosen_row < 0) & (moment != np.iinfo(np.int64).min))
        if len(undecided) and len(srow):
            left = pd.DataFrame({"srow": undecided, "time": moment[undecided]}).sort_values("time")
            right = pd.DataFrame({"srow": srow, "time": time, "row": row}).sort_values("time", kind="stable")
            held = pd.merge_asof(left, right, on="time", by="srow", direction="backward")
            # due before the first recorded step: the official who received it
            first_step = pd.Series(row, index=srow).groupby(level=0).first()
            holder = held["row"].fillna(held["srow"].map(first_step)).fillna(-1).to_numpy(dtype=np.int64)
            chosen_row[held["srow"].to_numpy()] = holder
    return _take_text(history, "MaCanBo", chosen_row), _take_text(history, "BuocXuLy", chosen_row)


def _take_text(table: pd.DataFrame, column: str, rows: np.ndarray) -> pd.Series:
    """``table[column]`` at ``rows`` (-1 = missing) as a "string" Series, or all missing without the column."""
    if column not in table:
        return pd.Series(pd.NA, index=range(len(rows)), dtype="string")
    # -1 takes a missing value: only the chosen rows' strings are copied
    return pd.Series(table[column].astype("string").array.take(rows, allow_fill=True))
