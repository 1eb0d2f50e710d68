"""Appraisal evidence (chiso.appraisal) on a hand-built year with four named officials.

The dataset (unit T00.101, a commune, and T00.01, a department; year 2026, quarters):

D1 (T00.101) rec Mon 02/02 08:00, due 06/02 17:00, on time
    TIEP_NHAN   02/02 08:00 AN     HanBuoc 02/02 17:00 -> step ends 03/02 09:00: LATE (AN, Q1)
    CHUYEN_BUOC 03/02 09:00 BINH   HanBuoc 04/02 17:00 -> ends 05/02 10:00: LATE (BINH, Q1)
    CHUYEN_BUOC 05/02 10:00 CUONG  HanBuoc 06/02 (a date: end of day) -> ends 06/02 09:00: in time
    XU_LY_XONG  06/02 09:00 CUONG
D2 (T00.101) rec 02/03 08:00, due 10/03: two supplement requests -> overdue
    TIEP_NHAN 02/03 AN; CHUYEN_BUOC 02/03 BINH; YEU_CAU_BO_SUNG 03/03 BINH (1st); HOAN_THANH 04/03 AN;
    YEU_CAU_BO_SUNG 01/04 DUNG (2nd: DUNG, Q2); HOAN_THANH 02/04 AN; XU_LY_XONG 03/04 DUNG.
    Responsible (no step deadlines): the holder at the 2nd request = DUNG; part = due date's (Q1).
D3 (T00.101) rec 04/05, due 08/05: CUONG pauses "chờ ý kiến lãnh đạo" (not a permitted reason) and
    refuses it (TU_CHOI 07/05): pause CUONG Q2, return CUONG Q2; on time. PAKN K1 (CAN_BO, 10/05)
    about D3 -> its handlers AN and CUONG (Q2).
D4 (T00.101) rec 03/08, due 07/08; BINH pauses for "nghĩa vụ tài chính" (permitted), finishes 11/08:
    overdue; no step past its own deadline -> holder at the due date = BINH (TIEP_TUC 06/08), Q3.
D5 (T00.01) rec 02/11, due 06/11; DUNG's step (HanBuoc 04/11 17:00) ends at his request 05/11:
    LATE (DUNG, Q4); DUNG_XU_LY 20/12 by DUNG: a return (Q4). One pending request: on time.
D6 (T00.101) rec 29/12/2025, due 05/01/2026 (carried over): BINH's step (HanBuoc 31/12/2025) ends
    with XU_LY_XONG 08/01/2026: LATE (BINH, Q1, finished in the year); overdue, responsible BINH.
PAKN K2 is about procedures, K3 was received in 2025, K4 names no dossier: none counts.

Expected per official and unit, year (quarters):
    AN/T00.101    handled 4 (Q1 2: D1, D2; Q2 2: D2, D3; Q3 1: D4), steps 6 (Q1 3, Q2 2, Q3 1),
                  late_steps 1 (Q1), staff_pakn 1 (Q2)
    AN/T00.01     handled 1 (Q4), steps 1
    BINH/T00.101  handled 4 (D1, D2, D6 in Q1; D4 in Q3), steps 1+2+1+4 = 8 (Q1 4, Q3 4),
                  late_steps 2 (Q1), overdue_held 2 (D6 Q1, D4 Q3)
    CUONG/T00.101 handled 2 (D1 Q1, D3 Q2), steps 2+4 = 6, pauses 1 (Q2), returns 1 (Q2), staff_pakn 1 (Q2)
    DUNG/T00.101  handled 1 (Q2), steps 2, supplements 1 (Q2), overdue_held 1 (Q1)
    DUNG/T00.01   handled 1 (Q4), steps 3, late_steps 1 (Q4), returns 1 (Q4)
"""

import numpy as np
import pandas as pd
import pytest

from chiso.appraisal import MEASURES, NO_DATA, appraise, permitted_pause
from chiso.methodology import load_methodology
from chiso.period import Period
from dossier_frames import events_of, make_data

YEAR = Period.parse("2026")
UNITS = [("T00", "Tỉnh T", "TINH", None), ("T00.01", "Sở A", "SO", "T00"), ("T00.101", "Xã B", "XA", "T00")]


def step(official, name=None, deadline=None):
    fields = {"MaCanBo": official, "BuocXuLy": name}
    if deadline:
        fields["HanBuoc"] = deadline
    return fields


def dataset(with_officials=True, with_deadlines=True, with_pakn=True):
    dossiers = [
        ("D1", "T00.101", "2026-02-02 08:00", "2026-02-06 17:00"),
        ("D2", "T00.101", "2026-03-02 08:00", "2026-03-10 17:00"),
        ("D3", "T00.101", "2026-05-04 08:00", "2026-05-08 17:00"),
        ("D4", "T00.101", "2026-08-03 08:00", "2026-08-07 17:00"),
        ("D5", "T00.01", "2026-11-02 08:00", "2026-11-06 17:00"),
        ("D6", "T00.101", "2025-12-29 08:00", "2026-01-05 17:00"),
    ]
    hoso = [{"MaHoSo": d, "MaTTHC": "P1", "MaDonVi": u, "KenhNop": 1, "NgayTiepNhan": r, "NgayHenTra": due}
            for d, u, r, due in dossiers]
    events = [
        *events_of("D1", ("2026-02-02 08:00", "TIEP_NHAN", step("AN", "Tiếp nhận", "2026-02-02 17:00")),
                  ("2026-02-03 09:00", "CHUYEN_BUOC", step("BINH", "Thẩm định", "2026-02-04 17:00")),
                  ("2026-02-05 10:00", "CHUYEN_BUOC", step("CUONG", "Phê duyệt", "2026-02-06")),
                  ("2026-02-06 09:00", "XU_LY_XONG", step("CUONG", "Hoàn thành"))),
        *events_of("D2", ("2026-03-02 08:00", "TIEP_NHAN", step("AN", "Tiếp nhận")),
                  ("2026-03-02 10:00", "CHUYEN_BUOC", step("BINH", "Thẩm định")),
                  ("2026-03-03 09:00", "YEU_CAU_BO_SUNG", step("BINH", "Yêu cầu bổ sung")),
                  ("2026-03-04 09:00", "HOAN_THANH_BO_SUNG", step("AN", "Bổ sung")),
                  ("2026-04-01 09:00", "YEU_CAU_BO_SUNG", step("DUNG", "Yêu cầu bổ sung")),
                  ("2026-04-02 09:00", "HOAN_THANH_BO_SUNG", step("AN", "Bổ sung")),
                  ("2026-04-03 09:00", "XU_LY_XONG", step("DUNG", "Hoàn thành"))),
        *events_of("D3", ("2026-05-04 08:00", "TIEP_NHAN", step("AN", "Tiếp nhận")),
                  ("2026-05-04 14:00", "CHUYEN_BUOC", step("CUONG", "Thẩm định")),
                  ("2026-05-05 09:00", "TAM_DUNG", step("CUONG", "Tạm dừng chờ ý kiến lãnh đạo")),
                  ("2026-05-06 09:00", "TIEP_TUC", step("CUONG", "Tiếp tục")),
                  ("2026-05-07 09:00", "TU_CHOI", step("CUONG", "Từ chối giải quyết"))),
        *events_of("D4", ("2026-08-03 08:00", "TIEP_NHAN", step("AN", "Tiếp nhận")),
                  ("2026-08-03 10:00", "CHUYEN_BUOC", step("BINH", "Thẩm định", "2026-08-05 17:00")),
                  ("2026-08-04 09:00", "TAM_DUNG", step("BINH", "Tạm dừng chờ thực hiện nghĩa vụ tài chính")),
                  ("2026-08-06 09:00", "TIEP_TUC", step("BINH", "Tiếp tục")),
                  ("2026-08-11 09:00", "XU_LY_XONG", step("BINH", "Hoàn thành"))),
        *events_of("D5", ("2026-11-02 08:00", "TIEP_NHAN", step("AN", "Tiếp nhận")),
                  ("2026-11-02 10:00", "CHUYEN_BUOC", step("DUNG", "Thụ lý", "2026-11-04 17:00")),
                  ("2026-11-05 09:00", "YEU_CAU_BO_SUNG", step("DUNG", "Yêu cầu bổ sung")),
                  ("2026-12-20 09:00", "DUNG_XU_LY", step("DUNG", "Dừng xử lý"))),
        *events_of("D6", ("2025-12-29 08:00", "TIEP_NHAN", step("AN", "Tiếp nhận")),
                  ("2025-12-29 10:00", "CHUYEN_BUOC", step("BINH", "Thẩm định", "2025-12-31 17:00")),
                  ("2026-01-08 09:00", "XU_LY_XONG", step("BINH", "Hoàn thành"))),
    ]
    drop = ([] if with_officials else ["MaCanBo"]) + ([] if with_deadlines else ["HanBuoc"])
    events = [{k: v for k, v in e.items() if k not in drop} for e in events]
    pakn = [
        {"MaPAKN": "K1", "MaDonVi": "T00.101", "NgayTiepNhan": "2026-05-10 08:00", "MaHoSo": "D3", "PhanLoai": "CAN_BO"},
        {"MaPAKN": "K2", "MaDonVi": "T00.101", "NgayTiepNhan": "2026-06-01 08:00", "MaHoSo": "D1", "PhanLoai": "TTHC"},
        {"MaPAKN": "K3", "MaDonVi": "T00.101", "NgayTiepNhan": "2025-12-30 08:00", "MaHoSo": "D6", "PhanLoai": "CAN_BO"},
        {"MaPAKN": "K4", "MaDonVi": "T00.101", "NgayTiepNhan": "2026-09-01 08:00", "MaHoSo": None, "PhanLoai": "CAN_BO"},
    ]
    tthc = [{"MaTTHC": "P1", "ThoiHanGiaiQuyet": 5}]
    return make_data(UNITS, tthc, hoso, events, pakn=pakn if with_pakn else None)


@pytest.fixture(scope="module")
def result():
    return appraise(dataset(), YEAR, load_methodology("qd766-2022"))


# (official, unit) -> {measure: (year, Q1, Q2, Q3, Q4)}; absent = zeros (worked out in the module docstring)
EXPECTED = {
    ("AN", "T00.101"): {"handled": (4, 2, 2, 1, 0), "steps": (6, 3, 2, 1, 0), "late_steps": (1, 1, 0, 0, 0),
                        "staff_pakn": (1, 0, 1, 0, 0)},
    ("AN", "T00.01"): {"handled": (1, 0, 0, 0, 1), "steps": (1, 0, 0, 0, 1)},
    ("BINH", "T00.101"): {"handled": (4, 3, 0, 1, 0), "steps": (8, 4, 0, 4, 0), "late_steps": (2, 2, 0, 0, 0),
                          "overdue_held": (2, 1, 0, 1, 0)},
    ("CUONG", "T00.101"): {"handled": (2, 1, 1, 0, 0), "steps": (6, 2, 4, 0, 0), "pauses": (1, 0, 1, 0, 0),
                           "returns": (1, 0, 1, 0, 0), "staff_pakn": (1, 0, 1, 0, 0)},
    ("DUNG", "T00.101"): {"handled": (1, 0, 1, 0, 0), "steps": (2, 0, 2, 0, 0), "supplements": (1, 0, 1, 0, 0),
                          "overdue_held": (1, 1, 0, 0, 0)},
    ("DUNG", "T00.01"): {"handled": (1, 0, 0, 0, 1), "steps": (3, 0, 0, 0, 3), "late_steps": (1, 0, 0, 0, 1),
                         "returns": (1, 0, 0, 0, 1)},
}
PARTS = ["2026", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
NAMES = ["handled", "steps"] + [m.key for m in MEASURES[1:]]


def test_counts_per_official_and_unit_match_the_hand_count(result):
    table = result.table().set_index(["MaCanBo", "unit"])
    assert set(table.index) == set(EXPECTED)
    for key, expected in EXPECTED.items():
        for name in NAMES:
            got = tuple(int(table.loc[key, f"{name}|{part}"]) for part in PARTS)
            assert got == expected.get(name, (0,) * 5), (key, name)


def test_each_count_is_the_number_of_dossiers_listed_behind_it(result):
    table = result.table().set_index(["MaCanBo", "unit"])
    for measure in MEASURES:
        rows = result.evidence[measure.key]
        for (official, unit), count in table[f"{measure.key}|2026"].items():
            listed = rows[(rows["MaCanBo"] == official) & (rows["unit"] == unit)]
            assert listed["item"].nunique() == count, (measure.key, official)
    # The evidence names the dossier, procedure, dates and step.
    late = result.evidence["late_steps"]
    binh = late[late["MaCanBo"] == "BINH"].set_index("MaHoSo")
    assert sorted(binh.index) == ["D1", "D6"] and binh.loc["D6", "step"] == "Thẩm định"
    assert "hạn bước 31/12/2025 17:00" in binh.loc["D6", "detail"]
    supplements = result.evidence["supplements"]
    assert supplements["detail"].tolist() == ["lần 1: BINH (03/03/2026), lần 2: DUNG (01/04/2026)"]
    assert result.evidence["overdue_held"].set_index("MaHoSo").loc["D6", "MaCanBo"] == "BINH"


def test_quarters_add_up_to_the_year_except_dossiers_handled(result):
    table = result.table()
    for name in NAMES:
        if name == "handled":
            continue
        assert (table[[f"{name}|{q}" for q in PARTS[1:]]].sum(axis=1) == table[f"{name}|2026"]).all(), name


def test_unit_counts_without_officials(result):
    units = result.table(per_official=False).set_index("unit")
    assert units.loc["T00.101", "handled|2026"] == 5  # D1-D4, D6
    assert units.loc["T00.101", "steps|2026"] == 22
    assert units.loc["T00.101", "overdue_held|2026"] == 3  # D2, D4, D6
    assert units.loc["T00.101", "staff_pakn|2026"] == 1  # K1, whoever handled D3
    assert units.loc["T00.01", "returns|2026"] == 1 and units.loc["T00.01", "late_steps|2026-Q4"] == 1


def test_missing_inputs_say_no_data_never_zero():
    methodology = load_methodology("qd766-2022")
    result = appraise(dataset(with_deadlines=False, with_pakn=False), YEAR, methodology)
    table = result.table()
    assert table["late_steps|2026"].isna().all() and table["staff_pakn|2026-Q2"].isna().all()
    assert result.missing["late_steps"] == f"{NO_DATA}: thiếu hoso_su_kien.HanBuoc"
    assert result.missing["staff_pakn"].startswith(NO_DATA)
    assert (table.set_index(["MaCanBo", "unit"]).loc[("CUONG", "T00.101"), "pauses|2026"]) == 1

    anonymous = appraise(dataset(with_officials=False), YEAR, methodology)
    assert not anonymous.has_officials and anonymous.missing["MaCanBo"].startswith(NO_DATA)
    assert anonymous.table().empty
    units = anonymous.table(per_official=False).set_index("unit")
    assert units.loc["T00.101", "supplements|2026"] == 1 and units.loc["T00.101", "handled|2026"] == 5


def test_a_quarter_splits_into_months_and_a_month_into_nothing():
    methodology = load_methodology("qd766-2022")
    result = appraise(dataset(), Period.parse("2026-Q2"), methodology)
    table = result.table().set_index(["MaCanBo", "unit"])
    assert result.part_keys == ["2026-Q2", "2026-04", "2026-05", "2026-06"]
    assert table.loc[("CUONG", "T00.101"), "pauses|2026-05"] == 1
    assert table.loc[("DUNG", "T00.101"), "supplements|2026-Q2"] == 1
    month = appraise(dataset(), Period.parse("2026-04"), methodology)
    assert month.part_keys == ["2026-04"] and month.table().set_index("MaCanBo").loc["DUNG", "supplements|2026-04"] == 1


def test_permitted_pause_reasons_fold_case_and_diacritics():
    reasons = pd.Series(["Tạm dừng chờ kết quả THẨM ĐỊNH", "tam dung cho xac minh", "", None, "Chờ lãnh đạo"])
    assert permitted_pause(reasons, ["thẩm định", "xác minh"]).tolist() == [True, True, False, False, False]
