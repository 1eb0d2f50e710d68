"""Working days in Vietnam, for deadlines and processing times (docs/methodology.md §3).

Working days exclude Saturdays, Sundays and Vietnam's public holidays — lunar ones
included (Tết Nguyên đán, Giỗ Tổ Hùng Vương), with the days off in lieu and the
government's day swaps known to the ``holidays`` package (``holidays.Vietnam``, which
also knows the Saturdays worked in exchange) — plus the extra days off and make-up
working days listed in ``params/calendar.yaml``.

Conventions (all functions are vectorised: they take a scalar, an array, a DatetimeIndex or
a Series, and NaT gives NaN / NaT):

- :meth:`WorkingCalendar.working_days_between` counts *elapsed working days*: the working
  days d with ``start``'s date < d ≤ ``end``'s date. The day something is received does not
  count, the day it ends does; times of day are ignored. A dossier received on Monday and
  finished on Tuesday took 1 working day; received on Saturday (online) and finished on
  Monday, 1 as well.
- :meth:`WorkingCalendar.add_working_days` is the matching deadline: the date of the n-th
  working day after ``t``'s date (n > 0), so that ``working_days_between(t, result) == n``;
  for n = 0 the first working day on or after ``t``; for n < 0 the |n|-th working day
  before ``t``'s date. Deadlines in working days are whole days: a deadline ends at the end
  of the returned day (:func:`end_of_day`).
- :meth:`WorkingCalendar.working_time` measures the part of [start, end] that falls on
  working days, in days of 24 hours (fractional): used for average processing times (2.2).
  :meth:`WorkingCalendar.add_working_time` is its inverse.
- :meth:`WorkingCalendar.office_hours_between` measures [start, end] in office hours
  (default 08:00–12:00 and 13:00–17:00 on working days, 8 hours = 1 working day; docs/methodology.md §5
  R6, ``office_hours`` in ``params/calendar.yaml``): the citizen's supplement time, legal
  limits in hours (``GIO``) and fractions of a working day. :meth:`WorkingCalendar.add_office_hours`
  is its inverse.

Example
-------
>>> cal = WorkingCalendar()
>>> cal.add_working_days(pd.Timestamp("2026-04-24 10:00"), 1)   # Fri; Mon 27/4 is Giỗ Tổ (observed)
Timestamp('2026-04-28 00:00:00')
>>> cal.working_days_between(pd.Timestamp("2026-04-29"), pd.Timestamp("2026-05-04"))  # 30/4, 1/5 off
1.0
>>> cal.working_time(pd.Timestamp("2026-04-24 12:00"), pd.Timestamp("2026-04-28 06:00"))
0.75
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import holidays
import numpy as np
import pandas as pd
import yaml

from chiso.errors import ChisoError
from chiso.paths import params_dir

DAY = np.timedelta64(1, "D")
# Office hours of state agencies (docs/methodology.md §5 R6 default; params/calendar.yaml may change them).
DEFAULT_OFFICE_HOURS = ((8.0, 12.0), (13.0, 17.0))
_NS_PER_DAY = 86_400 * 10**9
# The calendar covers the years of its inputs plus this margin, so that deadlines counted
# forward or backward from the last input date stay inside the covered years.
_MARGIN_YEARS = 2


def end_of_day(timestamps):
    """The last instant (…23:59:59.999999) of each timestamp's day, as :class:`chiso.period.Period` ends.

    >>> end_of_day(pd.Timestamp("2026-04-28 09:30"))
    Timestamp('2026-04-28 23:59:59.999999')
    """
    return _midnight(pd.to_datetime(timestamps)) + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)


def end_of_day_if_date_only(timestamps):
    """Read a date without a time of day (exactly midnight) as the end of that day.

    Due dates exported as dates (``03/04/2026``) mean "by the end of 03/04/2026".

    >>> end_of_day_if_date_only(pd.Series(pd.to_datetime(["2026-04-03 00:00", "2026-04-03 10:00"]))).tolist()
    [Timestamp('2026-04-03 23:59:59.999999'), Timestamp('2026-04-03 10:00:00')]
    """
    ts = pd.to_datetime(timestamps)
    if isinstance(ts, pd.Timestamp):
        return end_of_day(ts) if ts == ts.normalize() else ts
    return ts.where(ts != _midnight(ts), end_of_day(ts))


def _midnight(ts):
    return ts.dt.normalize() if isinstance(ts, pd.Series) else ts.normalize()


class WorkingCalendar:
    """Vietnam's working days: weekends, public holidays and configured extra days.

    ``extra_days_off`` and ``extra_working_days`` are dates (anything ``pd.Timestamp``
    reads); a date in ``extra_working_days`` is a working day whatever else says.
    :meth:`default` reads them from ``params/calendar.yaml``.
    """

    def __init__(self, extra_days_off=(), extra_working_days=(), office_hours=DEFAULT_OFFICE_HOURS, reasons=None):
        self.extra_days_off = frozenset(pd.Timestamp(d).date() for d in extra_days_off)
        self.extra_working_days = frozenset(pd.Timestamp(d).date() for d in extra_working_days)
        self.reasons = dict(reasons or {})  # date -> why the calendar file adds or removes it
        # office hours as (start, end) seconds after midnight, in order, not overlapping
        self.office_hours = tuple((int(a * 3600), int(b * 3600)) for a, b in office_hours)
        if not self.office_hours or any(a >= b for a, b in self.office_hours) or any(
                b1 > a2 for (_, b1), (a2, _) in zip(self.office_hours, self.office_hours[1:])):
            raise ChisoError(f"office hours {office_hours!r}: expected ordered, non-overlapping (start, end) spans")
        self.office_seconds_per_day = sum(b - a for a, b in self.office_hours)
        self._years: tuple[int, int] | None = None
        self._busdaycal: np.busdaycalendar | None = None

    @classmethod
    def from_file(cls, path: str | Path) -> "WorkingCalendar":
        """Read ``extra_days_off``, ``extra_working_days`` and ``office_hours`` from a calendar YAML file.

        Every added or removed day must say why and cite its source (``reason``, ``source``).
        """
        path = Path(path)
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ChisoError(f"{path}: cannot read the calendar file ({exc})") from exc
        lists, reasons = {}, {}
        for key in ("extra_days_off", "extra_working_days"):
            items = raw.get(key) or []
            dates = []
            for n, item in enumerate(items, start=1):
                if not isinstance(item, dict) or not item.get("reason") or not item.get("source"):
                    raise ChisoError(f"{path}: {key} item {n}: expected {{date: YYYY-MM-DD, reason: ..., "
                                     "source: ...}} (every day added or removed cites its source)")
                value = item.get("date")
                try:
                    dates.append(pd.Timestamp(value).date())
                except (TypeError, ValueError) as exc:
                    raise ChisoError(
                        f"{path}: {key} item {n}: date {value!r} is not a date (expected YYYY-MM-DD)"
                    ) from exc
                reasons[dates[-1]] = str(item["reason"])
            lists[key] = dates
        spans = DEFAULT_OFFICE_HOURS
        if raw.get("office_hours"):
            try:
                spans = [tuple(_hour(t) for t in span) for span in raw["office_hours"]]
            except (TypeError, ValueError) as exc:
                raise ChisoError(f"{path}: office_hours: expected spans like [\"08:00\", \"12:00\"] ({exc})") from None
        return cls(lists["extra_days_off"], lists["extra_working_days"], spans, reasons)

    @classmethod
    def default(cls) -> "WorkingCalendar":
        """The project calendar (``params/calendar.yaml``), read once per process."""
        return _default_calendar(params_dir() / "calendar.yaml")

    # -- non-working days ------------------------------------------------------------------

    def days_off(self, years) -> pd.DataFrame:
        """Weekdays that are not working days, and weekend days that are: date, name, working.

        >>> WorkingCalendar().days_off([2026]).head(2)
                 date                      name  working
        0  2026-01-01            Tết Dương lịch    False
        1  2026-02-16  Giao thừa Tết Nguyên Đán    False
        """
        years = sorted({int(y) for y in years})
        public = holidays.Vietnam(years=years, language="vi")
        rows = [
            (day, name, False)
            for day, name in public.items()
            if day.weekday() < 5 and day not in self.extra_working_days
        ]
        rows += [(day, self.reasons.get(day, "Ngày nghỉ bổ sung (params/calendar.yaml)"), False)
                 for day in self.extra_days_off if day.year in years and day not in public]
        worked = (public.weekend_workdays | self.extra_working_days)
        rows += [(day, self.reasons.get(day, "Ngày làm bù"), True) for day in worked if day.year in years]
        table = pd.DataFrame(rows, columns=["date", "name", "working"])
        return table.sort_values("date", ignore_index=True)

    def _calendar(self, first: np.datetime64, last: np.datetime64) -> np.busdaycalendar:
        """A numpy business-day calendar valid from ``first`` to ``last`` (cached, grown on demand).

        numpy's weekmask cannot express a worked Saturday, so the calendar counts every day
        of the week as valid and lists weekends (minus worked days) as holidays.
        """
        lo = int(str(first)[:4]) - _MARGIN_YEARS
        hi = int(str(last)[:4]) + _MARGIN_YEARS
        if self._years is not None and self._years[0] <= lo and hi <= self._years[1]:
            return self._busdaycal
        if self._years is not None:
            lo, hi = min(lo, self._years[0]), max(hi, self._years[1])
        if lo < 1901 or hi > 2099:
            raise ChisoError(
                f"dates from {first} to {last} are outside the years the working-day calendar "
                "supports (1901–2099): check the input dates"
            )
        years = range(lo, hi + 1)
        public = holidays.Vietnam(years=years)
        worked = public.weekend_workdays | self.extra_working_days
        days = np.arange(np.datetime64(f"{lo}-01-01"), np.datetime64(f"{hi + 1}-01-01"), DAY)
        weekday = (days.astype("int64") + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        off = set(days[weekday >= 5].astype(object)) | set(public) | self.extra_days_off
        off -= worked
        self._busdaycal = np.busdaycalendar(weekmask="1111111", holidays=np.array(sorted(off), dtype="datetime64[D]"))
        self._years = (lo, hi)
        return self._busdaycal

    # -- vectorised operations ---------------------------------------------------------------

    def is_working_day(self, dates):
        """True where the date is a working day.

        >>> WorkingCalendar().is_working_day(pd.to_datetime(["2026-04-27", "2026-04-28"]))
        array([False,  True])
        """
        days, valid, wrap = _as_days(dates)
        out = np.zeros(days.shape, dtype=bool)
        if valid.any():
            cal = self._calendar(days[valid].min(), days[valid].max())
            out[valid] = np.is_busday(days[valid], busdaycal=cal)
        return wrap(out)

    def working_days_between(self, start, end):
        """Elapsed working days: working days d with start's date < d ≤ end's date (float, NaN if missing).

        Negative when ``end`` is before ``start``.

        >>> cal = WorkingCalendar()
        >>> cal.working_days_between(pd.Timestamp("2026-02-13 16:00"), pd.Timestamp("2026-02-23 08:00"))
        1.0
        """
        s, e, valid, wrap = _as_pair(start, end)
        s, e = s.astype("datetime64[D]"), e.astype("datetime64[D]")
        out = np.full(s.shape, np.nan)
        if valid.any():
            sv, ev = s[valid], e[valid]
            cal = self._calendar(min(sv.min(), ev.min()), max(sv.max(), ev.max()))
            out[valid] = np.busday_count(sv + DAY, ev + DAY, busdaycal=cal)
        return wrap(out)

    def add_working_days(self, timestamps, n):
        """Date (midnight) of the n-th working day after each timestamp's date (see module doc).

        ``n`` is an integer or an array of integers, one per timestamp.

        >>> cal = WorkingCalendar()
        >>> cal.add_working_days(pd.Timestamp("2026-04-25"), 0)       # Saturday -> Tuesday 28/4
        Timestamp('2026-04-28 00:00:00')
        >>> cal.add_working_days(pd.Timestamp("2026-05-04"), -2)      # Monday -> Tuesday 28/4
        Timestamp('2026-04-28 00:00:00')
        """
        days, valid, wrap = _as_days(timestamps)
        n = np.broadcast_to(np.asarray(n), days.shape)
        n_valid = ~pd.isna(n)
        valid = valid & n_valid
        out = np.full(days.shape, np.datetime64("NaT"), dtype="datetime64[D]")
        if valid.any():
            dv, nv = days[valid], n[valid].astype("int64")
            span = int(np.abs(nv).max()) * 2 + 30  # more calendar days than n working days can take
            cal = self._calendar(dv.min() - span * DAY, dv.max() + span * DAY)
            result = np.empty(dv.shape, dtype="datetime64[D]")
            # n > 0 counts from the working day on or before t; n <= 0 from the one on or after t.
            ahead = nv > 0
            result[ahead] = np.busday_offset(dv[ahead], nv[ahead], roll="backward", busdaycal=cal)
            result[~ahead] = np.busday_offset(dv[~ahead], nv[~ahead], roll="forward", busdaycal=cal)
            out[valid] = result
        return wrap(out.astype("datetime64[ns]"))

    def working_time(self, start, end):
        """Length of [start, end] on working days, in days of 24 hours (float; 0 if end ≤ start).

        >>> WorkingCalendar().working_time(pd.Timestamp("2026-04-29 18:00"), pd.Timestamp("2026-05-04 06:00"))
        0.5
        """
        return self._measure_spans(start, end, self._working_time)

    @staticmethod
    def _working_time(sv, ev, cal, first):
        """``working_time`` of valid, ordered pairs (see ``_measure_spans``)."""
        s_day, e_day = sv.astype("datetime64[D]"), ev.astype("datetime64[D]")
        s_work = np.is_busday(s_day, busdaycal=cal)
        e_work = np.is_busday(e_day, busdaycal=cal)
        s_frac = (sv - s_day.astype("datetime64[ns]")).astype("int64") / _NS_PER_DAY
        e_frac = (ev - e_day.astype("datetime64[ns]")).astype("int64") / _NS_PER_DAY
        same_day = s_day == e_day
        whole_between = np.busday_count(s_day + DAY, e_day, busdaycal=cal)
        spread = np.where(s_work, 1 - s_frac, 0) + np.maximum(whole_between, 0) + np.where(e_work, e_frac, 0)
        return np.where(same_day, np.where(s_work, e_frac - s_frac, 0), spread)

    def add_working_time(self, timestamps, days):
        """The earliest instant e with ``working_time(t, e) == days`` (``days`` ≥ 0, fractional).

        >>> WorkingCalendar().add_working_time(pd.Timestamp("2026-04-24 18:00"), 0.5)  # 24 h from Fri 18:00
        Timestamp('2026-04-28 06:00:00')
        """
        t, t_valid, wrap = _as_ns(timestamps)
        x = np.broadcast_to(np.asarray(days, dtype=float), t.shape)
        valid = t_valid & ~np.isnan(x)
        out = np.full(t.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
        if valid.any():
            tv, xv = t[valid], x[valid]
            t_day = tv.astype("datetime64[D]")
            span = int(np.ceil(xv.max())) * 2 + 30
            cal = self._calendar(t_day.min(), t_day.max() + span * DAY)
            # Start the clock at t, or at the start of the next working day when t is not on one.
            # Integer nanoseconds keep the result exact (2 h stays 2 h, not 1:59:59.999999999).
            amount = np.round(xv * _NS_PER_DAY).astype("int64")
            on_working_day = np.is_busday(t_day, busdaycal=cal)
            start_day = np.where(on_working_day, t_day, np.busday_offset(t_day, 0, roll="forward", busdaycal=cal))
            start_day_ns = start_day.astype("datetime64[ns]").astype("int64")
            start = np.where(on_working_day, tv.astype("int64"), start_day_ns)
            left_today = _NS_PER_DAY - (start - start_day_ns)
            beyond = np.maximum(amount - left_today, 0)
            whole = -(-beyond // _NS_PER_DAY)  # working days started after the first one (ceiling)
            last_day = np.busday_offset(start_day, whole, roll="forward", busdaycal=cal)
            later = last_day.astype("datetime64[ns]").astype("int64") + beyond - (whole - 1) * _NS_PER_DAY
            same = start + amount
            out[valid] = np.where(amount <= left_today, same, later).astype("datetime64[ns]")
        return wrap(out)


    # -- office hours (docs/methodology.md §5 R6) ------------------------------------------------------------

    def _office_clock(self, t: np.ndarray, cal: np.busdaycalendar, origin: np.datetime64) -> np.ndarray:
        """Office seconds from ``origin`` (a day) to each instant of ``t`` (datetime64[ns])."""
        day = t.astype("datetime64[D]")
        before = np.busday_count(origin, day, busdaycal=cal).astype(np.int64) * self.office_seconds_per_day
        seconds = (t - day.astype("datetime64[ns]")).astype(np.int64) // 10**9
        today = sum(np.clip(seconds - a, 0, b - a) for a, b in self.office_hours)
        return before + np.where(np.is_busday(day, busdaycal=cal), today, 0)

    def office_hours_between(self, start, end):
        """Office hours (float) in [start, end]; 0 when end ≤ start, NaN when either is missing.

        >>> WorkingCalendar().office_hours_between(pd.Timestamp("2026-04-24 16:00"), pd.Timestamp("2026-04-28 09:00"))
        2.0
        """
        return self._measure_spans(start, end, self._office_hours_between)

    def _office_hours_between(self, sv, ev, cal, first):
        """``office_hours_between`` of valid, ordered pairs (see ``_measure_spans``)."""
        return (self._office_clock(ev, cal, first) - self._office_clock(sv, cal, first)) / 3600

    def _measure_spans(self, start, end, measure):
        """``measure(s, e, cal, first)`` of each pair of [start, end], NaN where either is missing.

        ``measure`` sees only the valid pairs: ``s`` and ``e`` as datetime64[ns] arrays with an end before
        its start moved up to the start (an empty span), ``first`` the earliest start's day and ``cal`` a
        calendar from ``first`` to the latest end's day. Shared by every "how much of [start, end]" measure.
        """
        s, e, valid, wrap = _as_pair(start, end)
        out = np.full(s.shape, np.nan)
        if valid.any():
            sv, ev = s[valid], np.maximum(e[valid], s[valid])
            first, last = sv.min().astype("datetime64[D]"), ev.max().astype("datetime64[D]")
            out[valid] = measure(sv, ev, self._calendar(first, last), first)
        return wrap(out)

    def add_office_hours(self, timestamps, hours):
        """The earliest instant e with ``office_hours_between(t, e) == hours`` (hours ≥ 0).

        A span that ends exactly at a closing time ends there (17:00), not at the next opening.

        >>> WorkingCalendar().add_office_hours(pd.Timestamp("2026-04-24 16:00"), 2)  # Fri; Mon 27/4 off
        Timestamp('2026-04-28 09:00:00')
        >>> WorkingCalendar().add_office_hours(pd.Timestamp("2026-04-24 23:59"), 8)
        Timestamp('2026-04-28 17:00:00')
        """
        t, t_valid, wrap = _as_ns(timestamps)
        x = np.broadcast_to(np.asarray(hours, dtype=float), t.shape)
        valid = t_valid & ~np.isnan(x) & (x >= 0)
        out = np.full(t.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
        if valid.any():
            tv, xv = t[valid], x[valid]
            origin = tv.min().astype("datetime64[D]")
            per_day = self.office_seconds_per_day
            span = int(np.ceil(xv.max() * 3600 / per_day)) * 2 + 30
            cal = self._calendar(origin, tv.max().astype("datetime64[D]") + span * DAY)
            target = self._office_clock(tv, cal, origin) + np.round(xv * 3600).astype(np.int64)
            # the working day (counted from origin) holding the target, and the office seconds into it;
            # a target at a day's boundary is that day's closing time
            index = np.maximum(target - 1, 0) // per_day
            into = target - index * per_day
            day = np.busday_offset(origin, index, roll="forward", busdaycal=cal)
            clock = np.zeros(len(tv), dtype=np.int64)
            left = into.copy()
            for a, b in self.office_hours:
                here = (left > 0) & (left <= b - a) & (clock == 0)
                clock = np.where(here, a + left, clock)
                left = np.where(clock == 0, left - (b - a), left)
            clock = np.where(into == 0, self.office_hours[0][0], clock)  # hours == 0 at the origin's opening
            result = day.astype("datetime64[ns]") + clock.astype("timedelta64[s]").astype("timedelta64[ns]")
            # zero hours: the instant itself
            out[valid] = np.where(xv == 0, tv, result)
        return wrap(out)


def _hour(text) -> float:
    """"08:30" -> 8.5."""
    hours, _, minutes = str(text).partition(":")
    return int(hours) + int(minutes or 0) / 60


@lru_cache(maxsize=4)
def _default_calendar(path: Path) -> WorkingCalendar:
    return WorkingCalendar.from_file(path)


def _is_scalar(values) -> bool:
    return isinstance(values, (pd.Timestamp, dt.date, np.datetime64, str)) or values is pd.NaT


def _as_ns(values):
    """(datetime64[ns] array, not-NaT mask, function giving results the input's shape and type)."""
    if isinstance(values, pd.Series):
        arr = pd.to_datetime(values).to_numpy(dtype="datetime64[ns]")
        index, name = values.index, values.name

        def wrap(out):
            return pd.Series(out, index=index, name=name)
    elif _is_scalar(values):
        arr = np.atleast_1d(np.asarray(pd.Timestamp(values).to_datetime64(), dtype="datetime64[ns]"))

        def wrap(out):
            if np.issubdtype(out.dtype, np.datetime64):
                return pd.Timestamp(out[0])
            return out[0].item()
    else:
        arr = np.asarray(pd.to_datetime(values), dtype="datetime64[ns]")

        def wrap(out):
            return out
    return arr, ~np.isnat(arr), wrap


def _as_days(values):
    arr, valid, wrap = _as_ns(values)
    return arr.astype("datetime64[D]"), valid, wrap


def _as_pair(start, end):
    """Both inputs broadcast together as datetime64[ns], one mask, results shaped like the non-scalar one."""
    s, s_valid, s_wrap = _as_ns(start)
    e, e_valid, e_wrap = _as_ns(end)
    s, e, s_valid, e_valid = np.broadcast_arrays(s, e, s_valid, e_valid)
    wrap = e_wrap if _is_scalar(start) and not _is_scalar(end) else s_wrap
    return s, e, s_valid & e_valid, wrap
