"""Every sub-indicator from dossier data (spec §3): exact numerators and denominators on tiny cases.

Period: Q2 2026. Units: province H44 with departments S1, S2 and communes X1, X2 (and a
pre-2025 district D1 with commune X3 where the roll-up through two levels matters).
Per-dossier timeline rules (scope, supplements, due dates) are tested in test_timeline.py;
here they are checked through 2.1, 2.2 and 5.3.
"""

import dataclasses

import numpy as np
import pytest

from chiso.errors import ChisoError
from chiso.indicators import INDICATORS, compute_indicators, compute_scores, late_pakn
from chiso.methodology import load_methodology
from chiso.period import Period
from chiso.sources.dossiers import load_dossiers
from dossier_frames import events_of, make_data

Q2 = Period.parse("2026-Q2")
UNITS = [
    ("H44", "Tỉnh Phú Thọ", "TINH", None),
    ("S1", "Sở Tư pháp", "SO", "H44"),
    ("S2", "Sở Y tế", "SO", "H44"),
    ("X1", "Xã Một", "XA", "H44"),
    ("X2", "Xã Hai", "XA", "H44"),
]


@pytest.fixture(scope="module")
def methodology():
    return load_methodology("qd766-2022")


@pytest.fixture(scope="module")
def own_figures(methodology):
    """The methodology with every unit's own 1.1–1.3 and 4.5 (no province-level codes, spec §5
    R13): what the reports keep as analysis, and what the per-unit rules compute."""
    return dataclasses.replace(methodology, settings={**methodology.settings, "province_level_codes": []})


def values(table, code):
    """{unit: (numerator, denominator)} of one sub-indicator, numbers rounded to 9 places."""
    rows = table[table["indicator"] == code]
    return {u: (round(n, 9), round(d, 9)) for u, n, d in zip(rows["unit"], rows["numerator"], rows["denominator"])}


def row(table, unit, code):
    return table[(table["unit"] == unit) & (table["indicator"] == code)].iloc[0]


def hoso(code, unit, procedure="P2", received="2026-04-06 08:00", **fields):
    return {"MaHoSo": code, "MaTTHC": procedure, "MaDonVi": unit, "KenhNop": 1, "NgayTiepNhan": received, **fields}


# -- shape ------------------------------------------------------------------------------------


def test_one_row_per_unit_and_sub_indicator(methodology):
    data = make_data(UNITS, [{"MaTTHC": "P2"}], [hoso("d1", "S1")], [])
    table = compute_indicators(data, Q2, methodology)
    assert list(table.columns) == ["unit", "indicator", "numerator", "denominator", "status", "note",
                                   "own_numerator", "own_denominator"]
    assert len(table) == len(UNITS) * 22
    assert table["indicator"].tolist()[:22] == methodology.codes == list(INDICATORS)
    assert table["unit"].unique().tolist() == ["H44", "S1", "S2", "X1", "X2"]


# -- group 1: announcements (congbo) and sync ---------------------------------------------------


def test_announcement_and_publication_on_time(own_figures):
    congbo = [
        {"MaTTHC": "Q1", "MaDonVi": "S1", "NgayQuyetDinh": "2026-04-20", "NgayHieuLuc": "2026-05-07",
         "NgayCongKhai": "2026-04-28", "DayDuNoiDung": True},
        {"MaTTHC": "Q2", "MaDonVi": "S1", "NgayQuyetDinh": "2026-04-28", "NgayHieuLuc": "2026-05-07",
         "NgayCongKhai": "2026-05-08", "DayDuNoiDung": False},
        {"MaTTHC": "Q3", "MaDonVi": "S1", "NgayQuyetDinh": "2026-04-29", "NgayHieuLuc": "2026-05-07"},
        {"MaTTHC": "Q4", "MaDonVi": "S1", "NgayQuyetDinh": "2026-06-29"},
        {"MaTTHC": "Q5", "MaDonVi": "S1", "NgayQuyetDinh": "2026-03-30", "NgayHieuLuc": "2026-04-10",
         "NgayCongKhai": "2026-03-31", "DayDuNoiDung": True},  # decided before Q2: out of scope
        {"MaTTHC": "Q6", "MaDonVi": "X1", "NgayQuyetDinh": "2026-05-04", "NgayHieuLuc": "2026-05-20",
         "NgayCongKhai": "2026-05-05", "DayDuNoiDung": True},
    ]
    # one procedure per decision (spec §5 R1 counts each procedure once: see the test below)
    data = make_data(UNITS, [{"MaTTHC": "P2"}], [], [], congbo=congbo)
    table = compute_indicators(data, Q2, own_figures)
    # 1.1: effective 7/5 -> decision due by Tue 28/4 (30/4, 1/5 off); the row without NgayHieuLuc is left out
    assert values(table, "1.1") == {"H44": (3, 4), "S1": (2, 3), "S2": (0, 0), "X1": (1, 1), "X2": (0, 0)}
    assert row(table, "S1", "1.1")["note"] == "1 announcement(s) without NgayHieuLuc left out"
    # 1.2: 20/4 -> by 28/4 (27/4 off) published 28/4 ok; 28/4 -> by 7/5, published 8/5 late;
    # 29/4 -> by 8/5, unpublished at 30/6 late; 29/6 -> by 6/7, unpublished but still within
    assert values(table, "1.2")["S1"] == (2, 4) and values(table, "1.2")["H44"] == (3, 5)
    # 1.3: complete among those published by 30/6
    assert values(table, "1.3")["S1"] == (1, 2) and values(table, "1.3")["H44"] == (2, 3)


def test_a_procedure_announced_twice_counts_once_late_if_any_is_late(own_figures):
    # Spec §5 R1: Q1 decided 20/4 (on time) and again 29/4 (late: effective 7/5 -> by 28/4)
    # at S1 -> S1 0 / 1; X1 announces Q1 on time -> X1 1 / 1; the province counts Q1 once,
    # late (0 / 1), where the sum of rows gave 2 / 3.
    congbo = [
        {"MaTTHC": "Q1", "MaDonVi": "S1", "NgayQuyetDinh": "2026-04-20", "NgayHieuLuc": "2026-05-07"},
        {"MaTTHC": "Q1", "MaDonVi": "S1", "NgayQuyetDinh": "2026-04-29", "NgayHieuLuc": "2026-05-07"},
        {"MaTTHC": "Q1", "MaDonVi": "X1", "NgayQuyetDinh": "2026-04-20", "NgayHieuLuc": "2026-05-07"},
    ]
    table = compute_indicators(make_data(UNITS, [{"MaTTHC": "P2"}], [], [], congbo=congbo), Q2, own_figures)
    got = values(table, "1.1")
    assert (got["S1"], got["X1"], got["H44"]) == ((0, 1), (1, 1), (0, 1))


FLAG_PROCEDURES = [{"MaTTHC": "P1", "YeuCauKetQuaGiay": True}, {"MaTTHC": "P2", "YeuCauKetQuaGiay": False}]
ALL_FLAGS = {"DongBoDVCQG": True, "SoHoa": True, "TaiSuDung": True, "KhoDuLieuCaNhan": True, "DuLieuDanCu": True,
             "KetQuaDienTu": True}


def flags_data():
    dossiers = [
        hoso("d1", "S1", "P1", KenhNop=2, **ALL_FLAGS),
        hoso("d2", "S1", "P1", KenhNop=2, DongBoDVCQG=True, SoHoa=True),  # paper result, no e-result
        hoso("d3", "S1", "P2", KenhNop=2, DongBoDVCQG=True, SoHoa=True, DuLieuDanCu=True),
        hoso("d4", "S1", "P2", KhoDuLieuCaNhan=True),
        hoso("d5", "S1", "P2", KenhNop=3, DongBoDVCQG=True),
        hoso("d6", "S1", "P2", received="2026-03-31 10:00", KenhNop=2, **ALL_FLAGS),  # received before Q2
        hoso("d7", "S1", "P2", received="2026-04-06 09:00", KenhNop=2, **ALL_FLAGS),  # withdrawn before acceptance
        hoso("x1", "X1", "P2", KenhNop=2, DongBoDVCQG=True, SoHoa=True),
        hoso("x2", "X1", "P2"),
    ]
    events = events_of("d7", ("2026-04-06 08:30", "RUT_HO_SO"))
    return make_data(UNITS, FLAG_PROCEDURES, dossiers, events)


def test_dossier_shares_of_dossiers_in_scope(methodology):
    table = compute_indicators(flags_data(), Q2, methodology)
    # received in Q2: S1 d1–d5 (d6 before Q2, d7 withdrawn before acceptance), X1 x1–x2
    assert values(table, "1.4") == {"H44": (5, 7), "S1": (4, 5), "S2": (0, 0), "X1": (1, 2), "X2": (0, 0)}
    # Spec §5 R2 (supersedes "received in P"): 4.2–4.4 and 4.7 count among the dossiers in
    # scope, the base of 2.1: S1 d1–d5 plus d6 (received before Q2, unfinished) = 6; X1 x1–x2.
    # 4.2: digitised, and with an e-result when the procedure requires a paper result (d2 fails)
    assert values(table, "4.2")["S1"] == (3, 6) and values(table, "4.2")["H44"] == (4, 8)
    assert values(table, "4.3")["S1"] == (2, 6)  # d1, d6
    assert values(table, "4.4")["S1"] == (3, 6)  # d1, d4, d6
    assert values(table, "4.7")["S1"] == (3, 6) and values(table, "4.7")["X1"] == (0, 2)  # d1, d3, d6


def test_online_dossiers_times_the_sync_ratio(methodology):
    table = compute_indicators(flags_data(), Q2, methodology)
    # S1: online d1 (paper result with e-result) and d3 count, d2 does not; × 1.4 ratio 4/5
    assert values(table, "3.3")["S1"] == (round(2 * 4 / 5, 9), 5)
    assert values(table, "3.3")["X1"] == (0.5, 2)
    assert values(table, "3.3")["H44"] == (round(3 * 5 / 7, 9), 7)  # components summed first
    assert row(table, "S1", "3.3")["note"] == "online 2, synced 4, received 5"
    assert values(table, "3.3")["S2"] == (0, 0)


def test_electronic_results_among_dossiers_in_scope(methodology):
    dossiers = [
        hoso("e1", "S1", "P1", KetQuaDienTu=True),
        hoso("e2", "S1", "P1"),
        hoso("e3", "S1", "P1", KetQuaDienTu=True),  # rejected: no result to issue
        hoso("e4", "S1", "P2", KetQuaDienTu=True),  # no paper result required
        hoso("e5", "S1", "P1", KetQuaDienTu=True),  # in progress
    ]
    events = (events_of("e1", ("2026-04-07 10:00", "XU_LY_XONG")) + events_of("e2", ("2026-04-07 10:00", "TRA_KET_QUA"))
              + events_of("e3", ("2026-04-07 10:00", "TU_CHOI")) + events_of("e4", ("2026-04-07 10:00", "XU_LY_XONG")))
    data = make_data(UNITS, FLAG_PROCEDURES, dossiers, events)
    # Spec §5 R2 (supersedes "finished paper-result dossiers"): every dossier in scope is in the
    # base, the paper-result condition narrows neither side: e1, e3, e4, e5 of e1–e5.
    assert values(compute_indicators(data, Q2, methodology), "4.1")["S1"] == (4, 5)


# -- group 2 and 5.3: the timeline ---------------------------------------------------------------


def progress_data(with_pakn=True):
    dossiers = [
        hoso("g1", "S1", received="2026-04-06 08:00", NgayHenTra="2026-04-10", DanhGia="HAI_LONG"),
        hoso("g2", "S1", received="2026-04-06 12:00", NgayHenTra="2026-04-06 17:00"),
        hoso("g3", "S1", received="2026-04-07 00:00", NgayHenTra="2026-04-10", DanhGia="KHONG_HAI_LONG"),
        hoso("g4", "S1", received="2026-06-25 08:00", NgayHenTra="2026-07-03"),
        hoso("g5", "S1", received="2026-03-30 12:00", NgayHenTra="2026-04-03"),  # carried over from Q1
        hoso("g6", "X1", received="2026-04-23 12:00", NgayHenTra="2026-04-29"),
    ]
    events = (events_of("g1", ("2026-04-06 14:00", "XU_LY_XONG")) + events_of("g2", ("2026-04-08 12:00", "XU_LY_XONG"))
              + events_of("g3", ("2026-04-07 12:00", "XU_LY_XONG")) + events_of("g5", ("2026-04-01 12:00", "XU_LY_XONG"))
              + events_of("g6", ("2026-04-28 12:00", "TRA_KET_QUA")))
    pakn = [{"MaPAKN": "k1", "MaDonVi": "S1", "NgayTiepNhan": "2026-06-26 09:00", "MaHoSo": "g4",
             "NgayXuLyXong": None, "KhongHaiLong": False}] if with_pakn else None
    return make_data(UNITS, [{"MaTTHC": "P2"}], dossiers, events, pakn=pakn)


def test_on_time_rate_and_average_processing_time(methodology):
    table = compute_indicators(progress_data(), Q2, methodology)
    # S1 in scope: g1–g5 (g5 carried over); late: g2
    assert values(table, "2.1") == {"H44": (5, 6), "S1": (4, 5), "S2": (0, 0), "X1": (1, 1), "X2": (0, 0)}
    # finished in Q2: g1 0.25, g2 2.0, g3 0.5, g5 2.0 (Wed 1/4 12:00 from Mon 30/3 12:00);
    # g6 Thu 23/4 12:00 -> Tue 28/4 12:00 = 0.5 + 1 + 0.5 (weekend and Giỗ Tổ 27/4 off)
    assert values(table, "2.2") == {"H44": (6.75, 5), "S1": (4.75, 4), "S2": (0, 0), "X1": (2.0, 1), "X2": (0, 0)}


def test_dossier_satisfaction(methodology):
    table = compute_indicators(progress_data(), Q2, methodology)
    # S1: g2 overdue, g3 rated unsatisfied, g4 has a PAKN about it -> g1, g5
    assert values(table, "5.3") == {"H44": (3, 6), "S1": (2, 5), "S2": (0, 0), "X1": (1, 1), "X2": (0, 0)}


# -- group 3, 4.5, 4.6: procedures and services (tthc_donvi) -------------------------------------

SERVICE_UNITS = UNITS + [("D1", "Huyện Một", "HUYEN", "H44"), ("X3", "Xã Ba", "XA", "D1")]
SERVICE_PROCEDURES = [
    {"MaTTHC": "A", "CoPhiLePhi": True, "ChoCongDan": True},
    {"MaTTHC": "B", "CoPhiLePhi": True},
    {"MaTTHC": "C", "ChoCongDan": True},
    {"MaTTHC": "CT", "ChoCongDan": True, "ChungThucDienTu": True},
]
SERVICES = [
    {"MaDonVi": "S1", "MaTTHC": "A", "MucDoDVCTT": "TOAN_TRINH", "TichHopThanhToan": True},
    {"MaDonVi": "S1", "MaTTHC": "B", "MucDoDVCTT": "KHONG", "TichHopThanhToan": True},
    {"MaDonVi": "S1", "MaTTHC": "C", "MucDoDVCTT": "MOT_PHAN"},
    {"MaDonVi": "S1", "MaTTHC": "C", "MucDoDVCTT": "MOT_PHAN"},  # duplicate row: merged
    {"MaDonVi": "X1", "MaTTHC": "A", "MucDoDVCTT": "KHONG"},
    {"MaDonVi": "X1", "MaTTHC": "C", "MucDoDVCTT": "TOAN_TRINH"},
    {"MaDonVi": "X1", "MaTTHC": "CT", "MucDoDVCTT": "TOAN_TRINH"},
    {"MaDonVi": "X2", "MaTTHC": "CT", "MucDoDVCTT": "KHONG"},
    {"MaDonVi": "X2", "MaTTHC": "C", "MucDoDVCTT": "MOT_PHAN"},
]


def services_data():
    dossiers = [
        hoso("a1", "S1", "A", KenhNop=2, PhiLePhi=50000, ThanhToanTrucTuyen=True, DuLieuDanCu=True,
             NgayBatDauXuLy="2026-04-07 08:00"),
        hoso("a2", "S1", "A", PhiLePhi=0),  # no fee due
        hoso("a3", "S1", "A", PhiLePhi=30000),
        hoso("b1", "S1", "B", PhiLePhi=10000, NgayBatDauXuLy="2026-07-01 08:00"),  # processing starts after Q2
        hoso("c1", "S1", "C"),
        hoso("xa1", "X1", "A", KenhNop=2, PhiLePhi=20000, ThanhToanTrucTuyen=True),
        hoso("xc1", "X1", "C", KenhNop=2, DuLieuDanCu=True),
        hoso("ct2", "X2", "CT", KenhNop=2),
    ]
    return make_data(SERVICE_UNITS, SERVICE_PROCEDURES, dossiers, [], tthc_donvi=SERVICES)


def test_online_procedures_count_at_the_higher_level(methodology):
    table = compute_indicators(services_data(), Q2, methodology)
    # Spec §5 R1: H44 counts each procedure once: A and C at S1 (department above communes), B
    # at S1 (not online), CT at the communes' tier, online since X1 offers it (any) -> 3 / 4
    # (the sum of pairs counted CT twice: 3 / 5).
    assert values(table, "3.1") == {"H44": (3, 4), "S1": (2, 3), "S2": (0, 0), "X1": (2, 3), "X2": (1, 2),
                                    "D1": (0, 0), "X3": (0, 0)}


def test_online_services_with_online_dossiers(methodology):
    table = compute_indicators(services_data(), Q2, methodology)
    # S1 services A (online dossier a1), C (only in person); X1-A is not an online service
    assert values(table, "3.2") == {"H44": (2, 5), "S1": (1, 2), "S2": (0, 0), "X1": (1, 2), "X2": (0, 1),
                                    "D1": (0, 0), "X3": (0, 0)}


def test_online_payment(methodology):
    table = compute_indicators(services_data(), Q2, methodology)
    # 3.4: fee procedures S1-A (integrated, dossiers in Q2), S1-B (integrated, none started in Q2), X1-A (not integrated)
    assert values(table, "3.4")["S1"] == (1, 2) and values(table, "3.4")["X1"] == (0, 1)
    # Spec §5 R1: the province counts fee procedures A and B once each: A good at S1 -> 1 / 2
    assert values(table, "3.4")["H44"] == (1, 2)
    # 3.5: paid online in Q2: S1-A (a1), X1-A (xa1); the province: A paid, B not -> 1 / 2
    assert values(table, "3.5")["S1"] == (1, 2) and values(table, "3.5")["H44"] == (1, 2)
    # 3.6: a1 paid, a3 not; a2 has no fee, b1 starts after Q2
    assert values(table, "3.6")["S1"] == (1, 2) and values(table, "3.6")["H44"] == (2, 3)


def test_population_data_procedures(methodology):
    table = compute_indicators(services_data(), Q2, methodology)
    # citizen procedures: S1 A, C; X1 A, C, CT; X2 CT, C. Used with population data: S1-A, X1-C.
    # Spec §5 R1: the province counts A, C, CT once each, A and C used -> 2 / 3 (pairs: 2 / 7).
    assert values(table, "4.6") == {"H44": (2, 3), "S1": (1, 2), "S2": (0, 0), "X1": (1, 3), "X2": (0, 2),
                                    "D1": (0, 0), "X3": (0, 0)}


def test_province_level_codes_show_the_province_figure_to_every_unit(methodology):
    # Spec §5 R13: 4.5 of the province is 2 / 3 (X1 lists the service, X2 had a dossier, X3
    # neither); every unit shows it, the department S1 included (own: not applicable), its
    # own figure kept apart.
    table = compute_indicators(services_data(), Q2, methodology)
    assert set(values(table, "4.5").values()) == {(2, 3)}
    s1, x3 = row(table, "S1", "4.5"), row(table, "X3", "4.5")
    assert s1["status"] == "ok" and np.isnan(s1["own_numerator"])
    assert s1["note"] == "the province's figure (spec R13); this unit's own: not applicable"
    assert (x3["own_numerator"], x3["own_denominator"]) == (0, 1)
    assert row(compute_scores(services_data(), Q2, methodology), "X3", "4.5")["points"] == round(2 * 2 / 3, 2)


def test_certified_copy_communes_and_two_level_roll_up(own_figures):
    table = compute_indicators(services_data(), Q2, own_figures)
    # X1 lists the service online; X2 had a dossier of it in Q2; X3 (under district D1) neither
    got = values(table, "4.5")
    assert {u: got[u] for u in ("H44", "X1", "X2", "X3", "D1")} == {
        "H44": (2, 3), "X1": (1, 1), "X2": (1, 1), "X3": (0, 1), "D1": (0, 1)}
    department = row(table, "S1", "4.5")
    assert department["status"] == "not_applicable" and np.isnan(department["numerator"])
    scored = compute_scores(services_data(), Q2, own_figures)
    assert row(scored, "S1", "4.5")["points"] == 2.0  # methodology: commune_not_applicable = full
    assert row(scored, "X3", "4.5")["points"] == 0.0


# -- group 5: PAKN --------------------------------------------------------------------------------


def pakn_data():
    def pakn(code, received, handled=None, unsatisfied=False, unit="S1"):
        return {"MaPAKN": code, "MaDonVi": unit, "NgayTiepNhan": received, "NgayXuLyXong": handled,
                "KhongHaiLong": unsatisfied, "PhanLoai": "TTHC"}

    feedback = [
        pakn("p1", "2026-04-06 09:00", "2026-04-28 10:00"),  # deadline Tue 28/4 (Giỗ Tổ 27/4 off)
        pakn("p2", "2026-04-06 09:00", "2026-04-29 10:00"),  # late
        pakn("p3", "2026-06-10 09:00"),  # open, deadline 1/7: still within
        pakn("p4", "2026-05-04 09:00"),  # open past its deadline 25/5
        pakn("p5", "2026-04-06 09:00", "2026-04-20 10:00", unsatisfied=True),
        pakn("p6", "2026-03-20 09:00", "2026-04-02 10:00"),  # received before Q2
        pakn("p7", "2026-04-06 09:00", "2026-07-02 10:00"),  # handled after Q2: open at 30/6, past deadline
    ]
    return make_data(UNITS, [{"MaTTHC": "P2"}], [], [], pakn=feedback)


def test_feedback_on_time_and_satisfaction(methodology):
    table = compute_indicators(pakn_data(), Q2, methodology)
    assert values(table, "5.1")["S1"] == (3, 6) and values(table, "5.1")["H44"] == (3, 6)
    assert values(table, "5.2")["S1"] == (2, 6)
    assert values(table, "5.1")["X1"] == (0, 0)


def test_no_feedback_gives_full_points(methodology):
    scored = compute_scores(pakn_data(), Q2, methodology)
    assert row(scored, "X1", "5.1")["points"] == 6.0 and row(scored, "X1", "5.2")["points"] == 6.0
    assert row(scored, "S1", "5.1")["points"] == 3.0


def test_no_pakn_table_is_no_data_not_full_points(methodology):
    scored = compute_scores(progress_data(with_pakn=False), Q2, methodology)
    for code in ("5.1", "5.2", "5.3"):
        result = row(scored, "X1", code)
        assert result["status"] == "no_data" and np.isnan(result["numerator"]) and np.isnan(result["points"])
        assert "table pakn" in result["note"]


def test_late_pakn_listing(methodology):
    late = late_pakn(pakn_data(), Q2, methodology)
    assert dict(zip(late["MaPAKN"], late["late_reason"])) == {
        "p2": "handled late", "p4": "open past deadline", "p7": "open past deadline"}
    assert late.loc[late["MaPAKN"] == "p2", "working_days"].item() == 16


def test_as_of_date(methodology):
    as_of = Period.parse("2026-Q2", as_of="2026-04-28")
    table = compute_indicators(pakn_data(), as_of, methodology)
    # received by 28/4: p1, p2, p5, p7; p2 and p7 still open on 28/4 and within their deadline
    assert values(table, "5.1")["S1"] == (4, 4)
    table = compute_indicators(flags_data(), Period.parse("2026-Q2", as_of="2026-04-05"), methodology)
    assert values(table, "1.4")["S1"] == (0, 0)  # everything was received on 6/4


# -- missing input and scores -----------------------------------------------------------------


def test_missing_column_is_no_data_with_a_note(methodology):
    data = flags_data()
    data.hoso = data.hoso.drop(columns=["DongBoDVCQG"])
    table = compute_indicators(data, Q2, methodology)
    for code in ("1.4", "3.3"):
        result = row(table, "S1", code)
        assert result["status"] == "no_data" and np.isnan(result["denominator"])
        assert "column hoso.DongBoDVCQG" in result["note"]
    assert row(table, "S1", "4.3")["status"] == "ok"


def test_compute_scores_adds_names_levels_and_points(methodology):
    scored = compute_scores(progress_data(), Q2, methodology)
    s1 = row(scored, "S1", "2.1")
    assert (s1["unit_name"], s1["level"], s1["ratio"], s1["points"], s1["max_points"]) == (
        "Sở Tư pháp", "department", 0.8, 16.0, 20.0)
    average = row(scored, "S1", "2.2")
    assert average["ratio"] == pytest.approx(4.75 / 4) and average["points"] == 0.0
    assert average["status"] == "not_scored"  # analysis only: the methodology's rule for 2.2
    others = scored[scored["indicator"] != "2.2"]
    assert set(others["status"]) <= {"ok", "no_data", "not_applicable"}
    assert list(scored.columns[:6]) == ["unit", "unit_name", "level", "indicator", "numerator", "denominator"]


def test_late_pakn_needs_the_pakn_table(methodology):
    with pytest.raises(ChisoError, match="table pakn"):
        late_pakn(progress_data(with_pakn=False), Q2, methodology)


def test_certified_copy_from_dossiers_alone_says_so(own_figures):
    data = services_data()
    data.tthc_donvi = None
    table = compute_indicators(data, Q2, own_figures)
    assert values(table, "4.5")["H44"] == (1, 3)  # only X2's dossier is evidence now
    assert row(table, "H44", "4.5")["note"] == "offering judged from dossiers only (no tthc_donvi.MucDoDVCTT)"


def test_scores_from_a_loaded_data_folder(tmp_path, methodology):
    # the real loader's dtypes (Vietnamese headers and day-first dates included) feed the same rules
    (tmp_path / "donvi.csv").write_text("MaDonVi,TenDonVi,Cap,MaDonViCha\nH44,Tỉnh,TINH,\nS1,Sở,SO,H44\nX1,Xã,XA,H44\n")
    (tmp_path / "tthc.csv").write_text("MaTTHC,TenTTHC,ThoiHanGiaiQuyet,YeuCauKetQuaGiay\nT1,Thủ tục,5,x\n")
    (tmp_path / "hoso.csv").write_text(
        "MaHoSo,MaTTHC,MaDonVi,KenhNop,NgayTiepNhan,NgayHenTra,DongBoDVCQG,KetQuaDienTu\n"
        "A,T1,S1,2,06/04/2026 08:00,10/04/2026,1,1\n"
        "B,T1,X1,1,23/04/2026 09:00,,0,0\n"
        "C,T1,S1,2,06/04/2026 08:00,10/04/2026 17:00,1,0\n")
    (tmp_path / "hoso_su_kien.csv").write_text(
        "MaHoSo,ThoiDiem,SuKien\nA,06/04/2026 08:00,Tiếp nhận\nA,10/04/2026 16:00,Xử lý xong\n"
        "B,06/05/2026 09:00,XU_LY_XONG\nC,13/04/2026 09:00,XU_LY_XONG\n")
    scored = compute_scores(load_dossiers(tmp_path), Q2, methodology)
    # B: no due date, 5 working days from Thu 23/4 end on Tue 5/5 -> late; C late
    assert values(scored, "2.1") == {"H44": (1, 3), "S1": (1, 2), "X1": (0, 1)}
    assert values(scored, "3.3")["S1"] == (1, 2)  # C: online, paper result, no e-result
    assert row(scored, "S1", "1.4")["points"] == 6.0
