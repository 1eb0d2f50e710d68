"""Per-dossier timeline (spec §3): scope, end by precedence, supplements, pauses, due dates, on time.

Period: Q2 2026 (1/4–30/6). Holidays inside: Giỗ Tổ observed Mon 27/4, 30/4, 1/5.
"""

import dataclasses

import pandas as pd
import pytest

from chiso.indicators import dossier_outcomes
from chiso.methodology import load_methodology
from chiso.period import Period
from dossier_frames import events_of, make_data, rows_by

T = pd.Timestamp
Q2 = Period.parse("2026-Q2")
UNITS = [("H44", "Tỉnh", "TINH", None), ("S1", "Sở Tư pháp", "SO", "H44")]
PROCEDURES = [
    {"MaTTHC": "T1", "ThoiHanGiaiQuyet": 5, "DonViThoiHan": "NGAY_LAM_VIEC"},
    {"MaTTHC": "T2", "ThoiHanGiaiQuyet": 3, "DonViThoiHan": "NGAY"},
    {"MaTTHC": "T3", "ThoiHanGiaiQuyet": 4, "DonViThoiHan": "GIO"},
    {"MaTTHC": "T4"},  # no legal time limit
]


def dossier(code, received, due=None, procedure="T1"):
    return {"MaHoSo": code, "MaTTHC": procedure, "MaDonVi": "S1", "KenhNop": 1, "NgayTiepNhan": received,
            "NgayHenTra": due}


CASES = [
    # (dossier row, events after reception)
    (dossier("ON_TIME", "2026-04-06 08:00", "2026-04-10"), [("2026-04-10 16:00", "XU_LY_XONG")]),
    (dossier("LATE", "2026-04-06 08:00", "2026-04-10 17:00"), [("2026-04-13 09:00", "XU_LY_XONG")]),
    (dossier("TWO_SUPPLEMENTS", "2026-04-06 08:00", "2026-04-30 17:00"),
     [("2026-04-07 09:00", "YEU_CAU_BO_SUNG"), ("2026-04-08 09:00", "HOAN_THANH_BO_SUNG"),
      ("2026-04-09 09:00", "YEU_CAU_BO_SUNG"), ("2026-04-10 09:00", "HOAN_THANH_BO_SUNG"),
      ("2026-04-14 10:00", "XU_LY_XONG")]),
    (dossier("PENDING_OK", "2026-04-06 08:00", "2026-04-10 17:00"), [("2026-04-08 10:00", "YEU_CAU_BO_SUNG")]),
    (dossier("PENDING_LATE", "2026-04-06 08:00", "2026-04-10 17:00"), [("2026-04-13 10:00", "YEU_CAU_BO_SUNG")]),
    (dossier("CITIZEN_BACK", "2026-04-06 08:00", "2026-04-10 17:00"),
     [("2026-04-07 09:00", "YEU_CAU_BO_SUNG"), ("2026-04-09 09:00", "HOAN_THANH_BO_SUNG"),
      ("2026-04-12 10:00", "XU_LY_XONG")]),
    (dossier("NO_DUE_OK", "2026-04-23 09:00"), [("2026-05-05 15:00", "XU_LY_XONG")]),
    (dossier("NO_DUE_LATE", "2026-04-23 09:00"), [("2026-05-06 09:00", "XU_LY_XONG")]),
    (dossier("NO_DUE_SUPPLEMENT", "2026-04-23 09:00"),
     [("2026-04-24 09:00", "YEU_CAU_BO_SUNG"), ("2026-04-28 09:00", "HOAN_THANH_BO_SUNG"),
      ("2026-05-09 09:00", "XU_LY_XONG")]),
    (dossier("CALENDAR_DAYS", "2026-04-24 10:00", procedure="T2"), [("2026-04-27 11:00", "XU_LY_XONG")]),
    (dossier("HOURS", "2026-04-24 22:00", procedure="T3"), [("2026-04-28 01:00", "XU_LY_XONG")]),
    (dossier("NO_LEGAL_TIME", "2026-04-06 08:00", procedure="T4"), [("2026-04-06 10:00", "XU_LY_XONG")]),
    (dossier("CARRIED_OVER", "2026-03-25 09:00", "2026-03-31 17:00"), [("2026-04-02 09:00", "XU_LY_XONG")]),
    (dossier("DONE_BEFORE", "2026-03-20 09:00", "2026-03-31 17:00"), [("2026-03-27 09:00", "XU_LY_XONG")]),
    (dossier("OPEN_WITHIN", "2026-06-25 09:00", "2026-07-03"), []),
    (dossier("OPEN_PAST", "2026-06-15 09:00", "2026-06-22 17:00"), []),
    (dossier("REJECTED", "2026-04-06 08:00", "2026-04-08 17:00"), [("2026-04-09 09:00", "TU_CHOI")]),
    (dossier("PRECEDENCE", "2026-04-06 08:00", "2026-04-09 17:00"),
     [("2026-04-09 10:00", "TRA_KET_QUA"), ("2026-04-10 09:00", "XU_LY_XONG")]),
    (dossier("PAUSED", "2026-04-06 08:00", "2026-04-09 17:00"),
     [("2026-04-07 09:00", "TAM_DUNG"), ("2026-04-09 09:00", "TIEP_TUC"), ("2026-04-10 16:00", "XU_LY_XONG")]),
    (dossier("NEXT_QUARTER", "2026-07-01 09:00", "2026-07-03"), []),
]


def timeline_data(extra_dossiers=(), extra_events=()):
    hoso = [row for row, _ in CASES] + list(extra_dossiers)
    events = []
    for row, steps in CASES:
        events += events_of(row["MaHoSo"], (row["NgayTiepNhan"], "TIEP_NHAN"), *steps)
    return make_data(UNITS, PROCEDURES, hoso, events + list(extra_events))


@pytest.fixture(scope="module")
def methodology():
    return load_methodology("qd766-2022")


@pytest.fixture(scope="module")
def outcome(methodology):
    return rows_by(dossier_outcomes(timeline_data(), Q2, methodology), "MaHoSo")


def test_scope_received_in_period_or_carried_over(outcome):
    assert "DONE_BEFORE" not in outcome  # finished before Q2 started
    assert "NEXT_QUARTER" not in outcome  # received after Q2
    carried = outcome["CARRIED_OVER"]
    assert not carried["received_in_period"] and carried["finished"] and not carried["on_time"]
    assert carried["overdue_reason"] == "finished after due date"
    assert outcome["ON_TIME"]["received_in_period"]


def test_on_time_and_late(outcome):
    on_time = outcome["ON_TIME"]
    assert on_time["on_time"] and pd.isna(on_time["overdue_reason"])
    assert on_time["due"] == T("2026-04-10 23:59:59.999999")  # a date-only due date = end of that day
    assert on_time["due_source"] == "NgayHenTra"
    late = outcome["LATE"]
    assert not late["on_time"] and late["overdue_reason"] == "finished after due date"


def test_more_than_one_supplement_request_is_overdue_whatever_the_dates(outcome):
    row = outcome["TWO_SUPPLEMENTS"]
    assert row["supplement_requests"] == 2 and row["finished"] and row["end"] < row["due"]
    assert not row["on_time"] and row["overdue_reason"] == "more than one supplement request"
    assert row["citizen_days"] == 2.0


def test_one_pending_supplement_request_stops_the_clock(outcome):
    pending = outcome["PENDING_OK"]
    assert pending["pending_supplement"] and not pending["finished"]
    assert pending["counted_end"] == T("2026-04-08 10:00") and pending["on_time"]
    late = outcome["PENDING_LATE"]
    assert not late["on_time"] and late["overdue_reason"] == "supplement requested after due date"


def test_citizen_time_moves_the_due_date_in_office_hours(outcome):
    # Spec §5 R6 (supersedes subtracting calendar time from the end): Tue 09:00 -> Thu 09:00
    # is 16 office hours (Tue 7, Wed 8, Thu 1); due Fri 17:00 + 16 h = Tue 14/4 17:00.
    row = outcome["CITIZEN_BACK"]
    assert row["citizen_days"] == 2.0 and not row["pending_supplement"] and row["extension_hours"] == 16
    assert row["end"] == row["counted_end"] == T("2026-04-12 10:00")
    assert row["due_extended"] == T("2026-04-14 17:00") and row["on_time"]


def test_no_due_date_uses_legal_time_in_working_days_over_holidays(outcome):
    # Thu 23/4 + 5 working days: 24/4, (27/4 Giỗ Tổ observed), 28/4, 29/4, (30/4, 1/5), 4/5, 5/5
    ok, late = outcome["NO_DUE_OK"], outcome["NO_DUE_LATE"]
    assert ok["due"] == late["due"] == T("2026-05-05 23:59:59.999999")
    assert ok["due_source"] == "legal time"
    assert ok["on_time"] and not late["on_time"]
    # Spec §5 R6 (supersedes calendar time): the wait Fri 24/4 09:00 -> Tue 28/4 09:00 is 8
    # office hours (Fri 7, Tue 1; the weekend and Giỗ Tổ are not working time), so the due date
    # moves from the end of 5/5 to Wed 6/5 17:00; finished Sat 9/5 => late (it was on time
    # when the 4 calendar days were subtracted).
    with_supplement = outcome["NO_DUE_SUPPLEMENT"]
    assert with_supplement["due_extended"] == T("2026-05-06 17:00") and not with_supplement["on_time"]


def test_legal_time_in_calendar_days_and_hours(outcome):
    assert outcome["CALENDAR_DAYS"]["due"] == T("2026-04-27 23:59:59.999999")  # 3 days, holidays included
    assert outcome["CALENDAR_DAYS"]["on_time"]
    # Spec §5 R6 (supersedes the 24-hour clock): 4 office hours from Fri 22:00 = from Tuesday
    # 28/4 08:00 (Mon 27/4 off) to 12:00
    assert outcome["HOURS"]["due"] == T("2026-04-28 12:00") and outcome["HOURS"]["on_time"]
    no_legal = outcome["NO_LEGAL_TIME"]
    assert pd.isna(no_legal["due"]) and not no_legal["on_time"]
    assert no_legal["overdue_reason"] == "no due date and no legal time limit"


def test_in_progress_on_time_while_end_of_period_before_due(outcome):
    within = outcome["OPEN_WITHIN"]
    assert not within["finished"] and within["end"] == Q2.end and within["on_time"]
    past = outcome["OPEN_PAST"]
    assert not past["on_time"] and past["overdue_reason"] == "in progress past due date"


def test_end_by_precedence_and_rejection(outcome):
    rejected = outcome["REJECTED"]
    assert rejected["finished"] and rejected["end_event"] == "TU_CHOI" and not rejected["on_time"]
    # Spec §5 R4 (supersedes precedence over time): the chronologically first terminal event
    # ends the dossier; the later XU_LY_XONG is flagged for the data-quality table.
    row = outcome["PRECEDENCE"]
    assert row["end_event"] == "TRA_KET_QUA" and row["end"] == T("2026-04-09 10:00") and row["on_time"]
    assert row["later_terminal"] and not outcome["ON_TIME"]["later_terminal"]


def test_withdrawal_counts_only_after_acceptance(methodology):
    data = timeline_data(
        extra_dossiers=[dossier("WITHDRAWN_BEFORE", "2026-04-06 09:00", "2026-04-10"),
                        dossier("WITHDRAWN_BEFORE_EVENT", "2026-04-06 09:00", "2026-04-10"),
                        dossier("WITHDRAWN_AFTER", "2026-04-06 09:00", "2026-04-10")],
        extra_events=events_of("WITHDRAWN_BEFORE", ("2026-04-06 08:30", "RUT_HO_SO"))  # no TIEP_NHAN event
        + events_of("WITHDRAWN_BEFORE_EVENT", ("2026-04-07 08:00", "RUT_HO_SO"), ("2026-04-07 09:00", "TIEP_NHAN"))
        + events_of("WITHDRAWN_AFTER", ("2026-04-06 09:00", "TIEP_NHAN"), ("2026-04-07 10:00", "RUT_HO_SO")),
    )
    outcome = rows_by(dossier_outcomes(data, Q2, methodology), "MaHoSo")
    assert "WITHDRAWN_BEFORE" not in outcome and "WITHDRAWN_BEFORE_EVENT" not in outcome
    after = outcome["WITHDRAWN_AFTER"]
    assert after["finished"] and after["end_event"] == "RUT_HO_SO" and after["on_time"]


def test_pauses_subtracted_only_when_the_methodology_says_so(outcome, methodology):
    paused = outcome["PAUSED"]
    assert paused["paused_days"] == 2.0 and not paused["on_time"]
    subtracting = dataclasses.replace(methodology, settings={**methodology.settings, "subtract_pauses": True})
    # the pause Tue 09:00 -> Thu 09:00 (16 office hours) moves the due date Thu 17:00 -> Mon 13/4 17:00
    row = rows_by(dossier_outcomes(timeline_data(), Q2, subtracting), "MaHoSo")["PAUSED"]
    assert row["due_extended"] == T("2026-04-13 17:00") and row["on_time"]


def test_as_of_date_ignores_later_events(methodology):
    as_of = Period.parse("2026-Q2", as_of="2026-04-10")
    outcome = rows_by(dossier_outcomes(timeline_data(), as_of, methodology), "MaHoSo")
    late = outcome["LATE"]  # finished 13/4, after the as-of date: in progress on 10/4
    assert not late["finished"] and late["end"] == T("2026-04-10 23:59:59.999999")
    assert late["overdue_reason"] == "in progress past due date"
    assert outcome["ON_TIME"]["on_time"] and outcome["ON_TIME"]["finished"]
    assert "NO_DUE_OK" not in outcome  # received 23/4


def test_processing_days_are_working_time_without_the_citizens_time(outcome):
    # Mon 08:00 -> Fri 16:00: 2/3 of Monday, Tue–Thu, 2/3 of Friday
    assert outcome["ON_TIME"]["processing_days"] == pytest.approx(3 + 4 / 3)
    # Mon 08:00 -> Sun 10:00 is 4 2/3 working days, minus the citizen's Tue 09:00 -> Thu 09:00
    # (2 working days; spec §5 R6: working time, not calendar time)
    assert outcome["CITIZEN_BACK"]["processing_days"] == pytest.approx(2 + 2 / 3)
    assert pd.isna(outcome["OPEN_WITHIN"]["processing_days"])


def test_responsible_official_is_the_one_whose_step_ran_past_its_deadline(methodology):
    steps = [
        ("2026-04-06 08:00", "TIEP_NHAN", {"MaCanBo": "CB1", "BuocXuLy": "Tiếp nhận", "HanBuoc": "2026-04-06"}),
        ("2026-04-06 10:00", "CHUYEN_BUOC", {"MaCanBo": "CB2", "BuocXuLy": "Thẩm định", "HanBuoc": "2026-04-08"}),
        ("2026-04-09 15:00", "CHUYEN_BUOC", {"MaCanBo": "CB3", "BuocXuLy": "Phê duyệt", "HanBuoc": "2026-04-10"}),
        ("2026-04-13 09:00", "XU_LY_XONG", {"MaCanBo": "CB3", "BuocXuLy": "Phê duyệt"}),
    ]
    hoso = [dossier("LATE_STEP", "2026-04-06 08:00", "2026-04-10 17:00")]
    data = make_data(UNITS, PROCEDURES, hoso, events_of("LATE_STEP", *steps))
    row = dossier_outcomes(data, Q2, methodology).iloc[0]
    assert (row["responsible_official"], row["responsible_step"]) == ("CB2", "Thẩm định")
    # without step deadlines: whoever held the dossier when its due date passed
    no_step_deadlines = [(t, k, {key: v for key, v in extra.items() if key != "HanBuoc"}) for t, k, extra in steps]
    data = make_data(UNITS, PROCEDURES, hoso, events_of("LATE_STEP", *no_step_deadlines))
    row = dossier_outcomes(data, Q2, methodology).iloc[0]
    assert (row["responsible_official"], row["responsible_step"]) == ("CB3", "Phê duyệt")


def test_responsible_official_for_a_second_supplement_request(methodology):
    steps = [
        ("2026-04-06 08:00", "TIEP_NHAN", {"MaCanBo": "CB1"}),
        ("2026-04-07 09:00", "YEU_CAU_BO_SUNG", {"MaCanBo": "CB2"}),
        ("2026-04-08 09:00", "HOAN_THANH_BO_SUNG", {"MaCanBo": "CB1"}),
        ("2026-04-09 09:00", "YEU_CAU_BO_SUNG", {"MaCanBo": "CB4"}),
    ]
    data = make_data(UNITS, PROCEDURES, [dossier("TWICE", "2026-04-06 08:00", "2026-04-30")],
                     events_of("TWICE", *steps))
    row = dossier_outcomes(data, Q2, methodology).iloc[0]
    assert row["responsible_official"] == "CB4" and pd.isna(row["responsible_step"])
    on_time = rows_by(dossier_outcomes(timeline_data(), Q2, methodology), "MaHoSo")["ON_TIME"]
    assert pd.isna(on_time["responsible_official"])  # no MaCanBo column, and not overdue


def test_pause_overlapping_a_supplement_wait_is_not_subtracted_twice(methodology):
    # Supplement wait Tue 7/4 09:00 -> Thu 9/4 09:00 and a pause Wed 8/4 09:00 -> Fri 10/4 09:00:
    # their union is Tue 09:00 -> Fri 09:00 = 24 office hours (not 16 + 16 = 32).
    steps = [("2026-04-07 09:00", "YEU_CAU_BO_SUNG"), ("2026-04-08 09:00", "TAM_DUNG"),
             ("2026-04-09 09:00", "HOAN_THANH_BO_SUNG"), ("2026-04-10 09:00", "TIEP_TUC"),
             ("2026-04-15 10:00", "XU_LY_XONG")]
    data = make_data(UNITS, PROCEDURES, [dossier("OVERLAP", "2026-04-06 08:00", "2026-04-10 17:00")],
                     events_of("OVERLAP", ("2026-04-06 08:00", "TIEP_NHAN"), *steps))
    subtracting = dataclasses.replace(methodology, settings={**methodology.settings, "subtract_pauses": True})
    row = dossier_outcomes(data, Q2, subtracting).iloc[0]
    assert row["extension_hours"] == 24 and row["due_extended"] == T("2026-04-15 17:00") and row["on_time"]
    row = dossier_outcomes(data, Q2, methodology).iloc[0]  # the citizen's 16 hours only
    assert row["extension_hours"] == 16 and row["due_extended"] == T("2026-04-14 17:00") and not row["on_time"]
