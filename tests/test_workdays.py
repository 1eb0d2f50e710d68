"""Working-day calendar: Vietnam's holidays (lunar ones, days in lieu, swaps) and the conventions."""

import numpy as np
import pandas as pd
import pytest

from chiso.errors import ChisoError
from chiso.workdays import WorkingCalendar, end_of_day, end_of_day_if_date_only

T = pd.Timestamp


@pytest.fixture(scope="module")
def cal():
    return WorkingCalendar()


@pytest.mark.parametrize(
    "day, working",
    [
        ("2026-02-13", True),   # Friday before Tết
        ("2026-02-16", False),  # Giao thừa (Tết Bính Ngọ 2026: 16–20/2 off)
        ("2026-02-20", False),  # mùng 4 Tết
        ("2026-02-23", True),
        ("2026-04-26", False),  # Giỗ Tổ Hùng Vương on a Sunday ...
        ("2026-04-27", False),  # ... observed on Monday
        ("2026-04-28", True),
        ("2026-04-30", False),
        ("2026-05-01", False),
        ("2026-08-22", True),   # Saturday worked in exchange for 31/8/2026
        ("2026-08-31", False),
        ("2026-09-01", False),
        ("2025-04-26", True),   # Saturday worked in exchange for 2/5/2025
        ("2025-05-02", False),
        ("2026-06-06", False),  # an ordinary Saturday
    ],
)
def test_vietnam_holidays_and_swaps(cal, day, working):
    assert cal.is_working_day(T(day)) is working


def test_elapsed_working_days_convention(cal):
    # (start's date, end's date]: the day of reception does not count, the day of the end does.
    assert cal.working_days_between(T("2026-04-06 08:00"), T("2026-04-06 17:00")) == 0
    assert cal.working_days_between(T("2026-04-06 16:00"), T("2026-04-07 08:00")) == 1
    assert cal.working_days_between(T("2026-04-04 10:00"), T("2026-04-06 08:00")) == 1  # Saturday -> Monday
    assert cal.working_days_between(T("2026-04-03"), T("2026-04-06")) == 1  # Friday -> Monday
    assert cal.working_days_between(T("2026-04-07"), T("2026-04-06")) == -1
    # Giỗ Tổ (observed 27/4), 30/4 and 1/5 inside: Thu 23/4 -> Tue 5/5 is 5 working days.
    assert cal.working_days_between(T("2026-04-23 09:00"), T("2026-05-05 15:00")) == 5


def test_add_working_days_over_holidays(cal):
    received = T("2026-04-23 09:00")  # Thursday
    assert cal.add_working_days(received, 1) == T("2026-04-24")
    assert cal.add_working_days(received, 2) == T("2026-04-28")  # Mon 27/4 is off
    assert cal.add_working_days(received, 5) == T("2026-05-05")  # 30/4, 1/5 and the weekend off
    assert cal.add_working_days(T("2026-04-25 10:00"), 1) == T("2026-04-28")  # from a Saturday
    assert cal.add_working_days(T("2026-04-25 10:00"), 0) == T("2026-04-28")  # first working day on/after
    assert cal.add_working_days(T("2026-04-28 10:00"), 0) == T("2026-04-28")
    assert cal.add_working_days(T("2026-05-07"), -5) == T("2026-04-28")  # 5th working day before
    assert cal.add_working_days(T("2026-05-10"), -5) == T("2026-05-04")  # from a Sunday


def test_vectorised_with_missing_values_and_series_index(cal):
    start = pd.Series(pd.to_datetime(["2026-04-23 09:00", None, "2026-02-13 16:00"]), index=[10, 11, 12])
    days = cal.add_working_days(start, np.array([5, 3, 1]))
    assert list(days.index) == [10, 11, 12]
    assert days.tolist()[0] == T("2026-05-05") and pd.isna(days[11]) and days[12] == T("2026-02-23")
    elapsed = cal.working_days_between(start, pd.Series(pd.to_datetime(["2026-05-05", "2026-05-05", None]),
                                                        index=[10, 11, 12]))
    assert elapsed[10] == 5 and elapsed[[11, 12]].isna().all()


def test_add_working_days_is_the_deadline_of_working_days_between(cal):
    rng = np.random.default_rng(7)
    start = pd.Series(pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 700 * 24, 400), unit="h"))
    n = rng.integers(1, 40, 400)
    due = cal.add_working_days(start, n)
    assert (cal.working_days_between(start, due) == n).all()
    assert cal.is_working_day(due).all()
    # the day before a deadline is never already n working days away
    assert (cal.working_days_between(start, due - pd.Timedelta(days=1)) < n).all()


def test_working_time_counts_only_working_days(cal):
    # Fri 24/4 12:00 -> Tue 28/4 06:00: half of Friday + a quarter of Tuesday (weekend, Giỗ Tổ off)
    assert cal.working_time(T("2026-04-24 12:00"), T("2026-04-28 06:00")) == pytest.approx(0.75)
    assert cal.working_time(T("2026-04-06 09:00"), T("2026-04-06 15:00")) == pytest.approx(0.25)
    assert cal.working_time(T("2026-04-25 09:00"), T("2026-04-25 15:00")) == 0  # Saturday
    assert cal.working_time(T("2026-04-07"), T("2026-04-06")) == 0


def test_add_working_time_inverts_working_time(cal):
    assert cal.add_working_time(T("2026-04-24 18:00"), 0.5) == T("2026-04-28 06:00")
    assert cal.add_working_time(T("2026-04-25 10:00"), 0.25) == T("2026-04-28 06:00")  # clock starts Tuesday
    rng = np.random.default_rng(3)
    start = pd.Series(pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 300 * 24 * 60, 300), unit="min"))
    amount = rng.uniform(0, 12, 300)
    end = cal.add_working_time(start, amount)
    assert np.allclose(cal.working_time(start, end), amount)


def test_extra_days_off_and_working_days():
    cal = WorkingCalendar(extra_days_off=["2026-06-01"], extra_working_days=["2026-06-06", "2026-04-30"])
    assert not cal.is_working_day(T("2026-06-01"))
    assert cal.is_working_day(T("2026-06-06"))  # a make-up Saturday
    assert cal.is_working_day(T("2026-04-30"))  # a listed working day overrides a holiday
    table = cal.days_off([2026])
    assert T("2026-06-01").date() in set(table.loc[~table["working"], "date"])
    assert T("2026-06-06").date() in set(table.loc[table["working"], "date"])


def test_calendar_file(tmp_path):
    path = tmp_path / "calendar.yaml"
    path.write_text("extra_days_off:\n  - {date: 2026-06-01, reason: test, source: a notice}\nextra_working_days: []\n")
    assert not WorkingCalendar.from_file(path).is_working_day(T("2026-06-01"))
    path.write_text("extra_days_off:\n  - {date: 'first of June', reason: test, source: a notice}\n")
    with pytest.raises(ChisoError, match="calendar.yaml: extra_days_off item 1"):
        WorkingCalendar.from_file(path)
    # spec §5 R10: every day added or removed cites its source (the old format had none)
    path.write_text("extra_days_off:\n  - {date: 2026-06-01, reason: test}\n")
    with pytest.raises(ChisoError, match="extra_days_off item 1: expected .*source"):
        WorkingCalendar.from_file(path)


def test_24_november_2026_is_a_working_day():
    # spec §5 R10: the package lists Ngày Văn hóa Việt Nam as a day off from 2026; the
    # project calendar corrects it (the Labour Code amendment is not enacted).
    assert WorkingCalendar.default().is_working_day(T("2026-11-24"))
    assert not WorkingCalendar().is_working_day(T("2026-11-24"))  # the package alone


def test_office_hours():
    cal = WorkingCalendar.default()
    # Fri 16:00 -> Tue 09:00 (Mon 27/4 off): 1 h on Friday, 1 h on Tuesday
    assert cal.office_hours_between(T("2026-04-24 16:00"), T("2026-04-28 09:00")) == 2.0
    assert cal.office_hours_between(T("2026-04-28 11:00"), T("2026-04-28 14:00")) == 2.0  # lunch is not counted
    assert cal.add_office_hours(T("2026-04-28 10:00"), 3) == T("2026-04-28 14:00")
    assert cal.add_office_hours(T("2026-04-28 10:00"), 7) == T("2026-04-29 09:00")
    assert cal.add_office_hours(T("2026-04-25 10:00"), 4) == T("2026-04-28 12:00")  # Saturday: from Tuesday's opening
    assert cal.add_office_hours(T("2026-04-28 17:00"), 0) == T("2026-04-28 17:00")
    spans = WorkingCalendar(office_hours=[(7.5, 11.5), (13.5, 17.5)])
    assert spans.add_office_hours(T("2026-04-28 07:00"), 8) == T("2026-04-28 17:30")


def test_project_calendar_loads():
    cal = WorkingCalendar.default()
    assert cal is WorkingCalendar.default()  # read once
    assert not cal.is_working_day(T("2026-04-27"))


def test_days_off_names_the_holidays(cal):
    table = cal.days_off([2026])
    names = dict(zip(table["date"], table["name"]))
    assert "Giỗ Tổ" in names[T("2026-04-27").date()]
    assert names[T("2026-08-22").date()] == "Ngày làm bù"


def test_dates_outside_the_supported_years_are_an_error(cal):
    with pytest.raises(ChisoError, match="outside the years"):
        cal.working_days_between(T("1850-01-01"), T("2026-01-01"))


def test_end_of_day_helpers():
    assert end_of_day(T("2026-04-28 09:30")) == T("2026-04-28 23:59:59.999999")
    assert end_of_day_if_date_only(T("2026-04-28")) == T("2026-04-28 23:59:59.999999")
    assert end_of_day_if_date_only(T("2026-04-28 17:00")) == T("2026-04-28 17:00")


def test_a_scalar_against_a_series_gives_a_series(cal):
    ends = pd.Series(pd.to_datetime(["2026-05-05", "2026-05-06"]), index=["a", "b"])
    assert cal.working_days_between(T("2026-04-23"), ends).to_dict() == {"a": 5.0, "b": 6.0}
    assert cal.working_time(ends, T("2026-05-07")).to_dict() == {"a": 2.0, "b": 1.0}
