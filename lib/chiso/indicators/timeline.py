"""The life of each dossier in a period: scope, end, supplements, pauses, due date, on time.

Shared by 2.1 (on time), 2.2 (processing time), 4.1 (finished with a result) and 5.3
(satisfaction), and by the internal report edition (drill-down by procedure, step and
official). Rules of docs/methodology.md §3 as revised by §5 (R4–R6, R9). Event kinds and their roles are
those of ``params/contract.yaml`` (:data:`chiso.codes.EVENTS`); the loader has already set
aside events before reception and repeated events (R5).

- **Events known at the end of P**: events after the end of P (an as-of date included) are
  ignored, as if the export had been made then.
- **Accepted**: a dossier is accepted at its first ``TIEP_NHAN`` event, or — when its history
  has none — at ``NgayTiepNhan``. A dossier withdrawn (``RUT_HO_SO``) before it was accepted
  was never received: it is left out of every sub-indicator (not only 2.1 and 5.3).
- **End** (R4): the chronologically first terminal event (``XU_LY_XONG``, ``TRA_KET_QUA``,
  ``DUNG_XU_LY``, ``TU_CHOI``, ``RUT_HO_SO``); events at the same instant are ranked by that
  precedence. No terminal event by the end of P: *in progress*, end = end of P. A dossier
  with a terminal event of another kind after its end is flagged (``later_terminal``,
  counted in the data-quality table).
- **In scope for P** (the base of 2.1, 4.1–4.4, 4.7 and 5.3, R2): accepted dossiers received
  in P, plus those received before P whose end (the same end) is not before P started — so
  every dossier lands in exactly one period and quarters add up to the year.
- **Supplements** (``YEU_CAU_BO_SUNG`` → ``HOAN_THANH_BO_SUNG``), counted up to the dossier's
  end: more than one request ⇒ overdue whatever the dates; one request and no completion
  after it ⇒ the clock stops at the request (``counted_end``); one request and a completion
  ⇒ the citizen's time (request → completion) in office hours moves the due date by as many
  office hours (R6: a Friday 16:00 → Monday 09:00 wait is 2 hours, not 3 days).
- **Pauses** (``TAM_DUNG`` → ``TIEP_TUC``; open at the end: until the end): measured
  always (``paused_days``, calendar days); when the methodology setting ``subtract_pauses``
  is true (default false, spec [open]) they move the due date too — the union of pauses and
  supplement waits, so an overlap counts once.
- **Due date**: ``NgayHenTraMoi`` (a new due date given after a supplement: used as it is),
  else ``NgayHenTra`` moved by the citizen's time; a due date without a time of day means
  the end of that day. Without one, the procedure's legal time ``ThoiHanGiaiQuyet`` counted
  from reception in ``DonViThoiHan``: ``NGAY_LAM_VIEC`` (default) = end of the n-th working
  day after the day of reception, plus the fraction's share of the office day (0.5 = 4 office
  hours after that); ``NGAY`` = end of the n-th calendar day after; ``GIO`` = n office hours
  from reception (:meth:`~chiso.workdays.WorkingCalendar.add_office_hours`; office hours in
  ``params/calendar.yaml``). A limit ≤ 0 is not usable. Then moved by the citizen's time.
- **On time**: ``counted_end`` (the end, or the single pending request) ≤ ``due_extended``,
  with ≤ 1 supplement request. In-progress dossiers are on time while the end of P ≤ their
  due date. No due date and no usable legal time ⇒ overdue ("no due date and no legal time
  limit").
- **Processing time** (2.2) of a finished dossier: working time from reception to its
  counted end minus the time outside the agency's hands (as above), in working days of 24
  hours (fractional).

Example (one dossier, Q2 2026): received Fri 24/4 09:00, due Wed 29/4; one supplement
request Wed 29/4 16:00, the citizen comes back Mon 4/5 09:00: 2 office hours (Wed 16–17 h,
Mon 08–09 h; 30/4, 1/5 and the weekend are not working time), so the due date moves from
the end of Wed 29/4 to Mon 4/5 10:00; result Mon 4/5 09:30 ⇒ on time (in calendar time the
wait would have been 4 days 17 hours).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chiso.codes import EVENTS
from chiso.indicators.common import Context, positions
from chiso.workdays import end_of_day, end_of_day_if_date_only

KIND = {name: code for code, name in enumerate(EVENTS.kinds)}
# Where a dossier's due date comes from; a new due date given after a supplement is not moved again.
DUE_SOURCES = ("NgayHenTra", "legal time", "NgayHenTraMoi")
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

    Columns: ``pos`` (row of hoso), ``kind`` (code in ``EVENTS.kinds``), ``time`` (int64 ns),
    ``row`` (row of hoso_su_kien, to fetch MaCanBo / BuocXuLy / HanBuoc). Unknown event kinds
    and dossiers are left out (the loader sets such rows aside).
    """

    def build():
        events = ctx.data.hoso_su_kien
        pos = positions(events["MaHoSo"], ctx.data.hoso["MaHoSo"])
        kind = positions(events["SuKien"], pd.Series(EVENTS.kinds, dtype="string"))
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
        width = len(EVENTS.kinds)
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
        reception = first[:, KIND[EVENTS.reception]]
        accepted_at = np.where(reception != NO_EVENT, reception, _ns(ctx.data.hoso["NgayTiepNhan"]))
        return ~(first[:, KIND[EVENTS.withdrawal]] < accepted_at)

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
    end_time, end_event = _first_terminal(first)
    known = received != np.iinfo(np.int64).min  # the loader sets rows without a reception date aside
    # one definition of the end for the scope and the timeline (R4)
    in_scope = accepted_dossiers(ctx) & known & (received <= stop) & ((received >= start) | (end_time >= start))
    pos = np.flatnonzero(in_scope)
    first, end_time, end_event = first[pos], end_time[pos], end_event[pos]
    finished = end_time != NO_EVENT
    end = np.where(finished, end_time, stop)
    later_terminal = _later_different_terminal(first, end_time, end_event)

    events = _scope_events(ctx, pos, end)
    supplements = events[events["kind"].isin([KIND[EVENTS.supplement_request], KIND[EVENTS.supplement_done]])]
    requests = np.bincount(supplements.loc[supplements["kind"] == KIND[EVENTS.supplement_request], "srow"],
                           minlength=len(pos))
    waits = _intervals(supplements, KIND[EVENTS.supplement_request])
    open_wait = waits[waits["end"] == NO_EVENT]
    pending = np.zeros(len(pos), dtype=bool)
    pending[open_wait["row"].to_numpy()] = True
    pending_request = np.full(len(pos), NO_EVENT)
    pending_request[open_wait["row"].to_numpy()] = open_wait["start"].to_numpy()
    single_pending = pending & (requests == 1)
    closed_waits = waits[waits["end"] != NO_EVENT]
    citizen_ns = _total_duration(closed_waits, stop_at=np.full(len(pos), NO_EVENT))

    # The clock stops at the single pending request, else at the end; pauses count up to it.
    clock_stop = np.where(single_pending, pending_request, end)
    pauses = _intervals(events[events["kind"].isin([KIND[EVENTS.pause], KIND[EVENTS.resume]])], KIND[EVENTS.pause])
    pauses = pauses.assign(end=np.minimum(pauses["end"].to_numpy(), clock_stop[pauses["row"].to_numpy()]))
    paused_ns = _total_duration(pauses, stop_at=clock_stop)
    # The time that is not the agency's: the citizen's closed supplement waits, and pauses when
    # the methodology says so; their union, so an overlap is not counted twice.
    outside = pd.concat([closed_waits, pauses]) if ctx.setting("subtract_pauses", False) else closed_waits
    outside = _union(outside.assign(end=np.minimum(outside["end"].to_numpy(), clock_stop[outside["row"].to_numpy()])))

    due, due_source = _due_dates(ctx, pos, received[pos])
    # R6: the outside time, in office hours, moves the due date (unless the export gave the new one)
    office = np.zeros(len(pos))
    np.add.at(office, outside["row"].to_numpy(),
              ctx.calendar.office_hours_between(_as_time(outside["start"]), _as_time(outside["end"])).to_numpy())
    extend = (office > 0) & (due_source.codes != DUE_SOURCES.index("NgayHenTraMoi")) & due.notna().to_numpy()
    due_extended = due.copy()
    if extend.any():
        due_extended[extend] = ctx.calendar.add_office_hours(due[extend], office[extend]).to_numpy()
    due_ns = due_extended.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    has_due = due.notna().to_numpy()
    late = clock_stop > due_ns
    on_time = (requests <= 1) & has_due & ~late
    reason = np.select(  # codes in OVERDUE_REASONS order, -1 = on time
        [requests > 1, ~has_due, single_pending & late, finished & late, late], range(5), default=-1
    )

    outside_days = np.zeros(len(pos))
    outside_start = np.maximum(outside["start"].to_numpy(), received[pos][outside["row"].to_numpy()])
    np.add.at(outside_days, outside["row"].to_numpy(),
              ctx.calendar.working_time(_as_time(outside_start), _as_time(outside["end"])).to_numpy())
    processing_days = np.where(
        finished, ctx.calendar.working_time(_as_time(received[pos]), _as_time(clock_stop)) - outside_days, np.nan
    )
    out = pd.DataFrame(
        {
            "MaHoSo": hoso["MaHoSo"].iloc[pos].reset_index(drop=True),
            "MaDonVi": hoso["MaDonVi"].iloc[pos].reset_index(drop=True),
            "MaTTHC": hoso["MaTTHC"].iloc[pos].reset_index(drop=True),
            "received": _as_time(received[pos]),
            "received_in_period": received[pos] >= start,
            "finished": finished,
            "end_event": pd.Categorical.from_codes(np.where(finished, end_event, -1), categories=EVENTS.terminal),
            "later_terminal": later_terminal,
            "end": _as_time(end),
            "counted_end": _as_time(clock_stop),
            "due": due.to_numpy(dtype="datetime64[ns]"),
            "due_extended": due_extended.to_numpy(dtype="datetime64[ns]"),
            "due_source": due_source,
            "on_time": on_time,
            "overdue_reason": pd.Categorical.from_codes(reason, categories=list(OVERDUE_REASONS.values())),
            "supplement_requests": requests,
            "pending_supplement": pending,
            "citizen_days": citizen_ns / NS_PER_DAY,
            "paused_days": paused_ns / NS_PER_DAY,
            "extension_hours": office,
            "processing_days": processing_days,
            "pos": pos,
            "unit_pos": ctx.dossier_unit_pos[pos],
            "proc_pos": ctx.dossier_proc_pos[pos],
        }
    )
    return out


def _first_terminal(first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each dossier's end (R4): the time of its chronologically first terminal event
    (:data:`NO_EVENT` when none) and that event's position in ``EVENTS.terminal``; events at
    one instant are ranked by the precedence of ``EVENTS.terminal``."""
    times = first[:, [KIND[k] for k in EVENTS.terminal]]
    which = times.argmin(axis=1)  # the first minimum: the highest precedence among ties
    return times[np.arange(len(times)), which], which


def _later_different_terminal(first: np.ndarray, end_time: np.ndarray, end_event: np.ndarray) -> np.ndarray:
    """True where a terminal event of another kind follows the dossier's end (data quality, R4)."""
    times = first[:, [KIND[k] for k in EVENTS.terminal]]
    other = np.arange(times.shape[1])[None, :] != end_event[:, None]
    return ((times != NO_EVENT) & (times > end_time[:, None]) & other).any(axis=1) & (end_time != NO_EVENT)


def _union(intervals: pd.DataFrame) -> pd.DataFrame:
    """Merge overlapping intervals of each row: row, start, end (ns), all closed.

    Example: [1, 5] and [3, 8] of one row -> [1, 8].
    """
    ordered = intervals[intervals["end"] > intervals["start"]].sort_values(["row", "start"])
    row, begin, finish = (ordered[c].to_numpy() for c in ("row", "start", "end"))
    if not len(row):
        return pd.DataFrame({"row": row, "start": begin, "end": finish})
    new_row = np.r_[True, row[1:] != row[:-1]]
    # running maximum of the ends within a row: an interval starting after it opens a new block
    group = np.cumsum(new_row)
    running = pd.Series(finish).groupby(group).cummax().to_numpy()
    opens = new_row | (begin > np.r_[0, running[:-1]])
    block = np.cumsum(opens) - 1
    merged_end = np.zeros(block[-1] + 1, dtype=np.int64)
    np.maximum.at(merged_end, block, finish)
    return pd.DataFrame({"row": row[opens], "start": begin[opens], "end": merged_end})


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


def _total_duration(intervals: pd.DataFrame, stop_at: np.ndarray) -> np.ndarray:
    """Per scope row, total ns (calendar time) of the intervals, each cut at the row's ``stop_at``."""
    row = intervals["row"].to_numpy()
    length = np.minimum(intervals["end"].to_numpy(), stop_at[row]) - intervals["start"].to_numpy()
    total = np.zeros(len(stop_at), dtype=np.int64)
    np.add.at(total, row, np.maximum(length, 0))
    return total


def _due_dates(ctx: Context, pos: np.ndarray, received_ns: np.ndarray) -> tuple[pd.Series, pd.Categorical]:
    """Due date of each dossier and where it comes from (see module doc, "Due date")."""
    hoso, tthc = ctx.data.hoso, ctx.data.tthc
    due = pd.Series(pd.NaT, index=range(len(pos)), dtype="datetime64[ns]")
    source = np.full(len(pos), -1)  # codes in DUE_SOURCES
    for column in ("NgayHenTraMoi", "NgayHenTra"):
        if column in hoso:
            given = end_of_day_if_date_only(hoso[column].iloc[pos].reset_index(drop=True)).astype("datetime64[ns]")
            fill = due.isna().to_numpy() & given.notna().to_numpy()
            due[fill] = given[fill]
            source[fill] = DUE_SOURCES.index(column)
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
        source[needs_legal] = np.where(legal.notna(), DUE_SOURCES.index("legal time"), -1)
    return due, pd.Categorical.from_codes(source, categories=DUE_SOURCES)


def _legal_due(ctx: Context, received: pd.Series, limit: np.ndarray, unit: np.ndarray) -> pd.Series:
    """Due date from the legal time limit (R6): working days, calendar days or office hours.

    Whole working days end at the end of the n-th working day after the day of reception; a
    fraction of a working day adds its share of the office day's hours after that (0.5 day
    received Monday = Tuesday 12:00); hours (``GIO``) run on office hours from reception. A
    limit ≤ 0 is not usable (the dossier has no due date; counted in the data-quality table).
    """
    usable = ~np.isnan(limit) & (limit > 0)
    whole = np.floor(np.where(usable, limit, 0))
    fraction = np.where(usable, limit, 0) - whole
    due = pd.Series(pd.NaT, index=received.index, dtype="datetime64[ns]")
    hours_per_day = ctx.calendar.office_seconds_per_day / 3600
    working = usable & (unit == "NGAY_LAM_VIEC")
    if working.any():
        last_day = end_of_day(ctx.calendar.add_working_days(received[working], whole[working].astype(np.int64)))
        part = fraction[working] > 0
        last_day = last_day.where(~part, ctx.calendar.add_office_hours(last_day, fraction[working] * hours_per_day))
        due[working] = last_day
    calendar_days = usable & (unit == "NGAY")
    if calendar_days.any():
        whole_days = pd.to_timedelta(whole[calendar_days], unit="D").to_numpy()
        part = pd.to_timedelta(fraction[calendar_days], unit="D").to_numpy()  # calendar time: 0.5 = 12 h
        due[calendar_days] = end_of_day(received[calendar_days] + whole_days) + part
    hours = usable & (unit == "GIO")
    if hours.any():
        due[hours] = ctx.calendar.add_office_hours(received[hours], limit[hours])
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
        requests = events[events["kind"] == KIND[EVENTS.supplement_request]].sort_values(["srow", "time"])
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
