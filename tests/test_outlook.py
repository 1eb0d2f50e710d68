"""Self-assessment as of a date (chiso.outlook): what can still move before the period ends.

Commune T00.101, Q2 2026 as of Sat 20/06/2026 (period ends 30/06):
  E1 rec 01/06, due 05/06, finished 03/06           -> on time, settled
  E2 rec 15/06, due 25/06, open                     -> on time so far: can still go overdue
  E3 rec 10/06, due 12/06, open                     -> already overdue: cannot get better or worse
  E4 rec 18/06, due 10/07 (after the period), open  -> on time so far: a second supplement request
                                                       would still make it overdue
  2.1 now 3/4 -> 15 points; at worst (E2, E4 overdue) 1/4 -> 5 points: at most -10.
PAKN (deadline: 15 working days after reception):
  K1 rec 15/06 open: deadline 06/07, after the period -> 5.1 cannot fall; 5.2 can (rated unsatisfied)
  K2 rec 01/06 open: deadline 22/06 inside the period -> 5.1 and 5.2 can fall
  K3 rec 02/06 handled 05/06 -> settled
  5.1 now 3/3 -> 6; worst 2/3 -> 4: at most -2. 5.2 now 3/3 -> 6; worst 1/3 -> 2: at most -4.
"""

import pytest

from chiso.indicators import compute_scores
from chiso.methodology import load_methodology
from chiso.outlook import outlook_sentence, still_open
from chiso.period import Period
from dossier_frames import events_of, make_data

AS_OF = Period.parse("2026-Q2", as_of="2026-06-20")
UNITS = [("T00", "Tỉnh T", "TINH", None), ("T00.101", "Xã B", "XA", "T00")]


def dataset():
    dossiers = [("E1", "2026-06-01 08:00", "2026-06-05 17:00"), ("E2", "2026-06-15 08:00", "2026-06-25 17:00"),
                ("E3", "2026-06-10 08:00", "2026-06-12 17:00"), ("E4", "2026-06-18 08:00", "2026-07-10 17:00")]
    hoso = [{"MaHoSo": d, "MaTTHC": "P1", "MaDonVi": "T00.101", "KenhNop": 1, "NgayTiepNhan": r, "NgayHenTra": due}
            for d, r, due in dossiers]
    events = [e for d, r, _ in dossiers for e in events_of(d, (r, "TIEP_NHAN"))]
    events += events_of("E1", ("2026-06-03 09:00", "XU_LY_XONG"))
    pakn = [
        {"MaPAKN": "K1", "MaDonVi": "T00.101", "NgayTiepNhan": "2026-06-15 08:00", "NgayXuLyXong": None, "KhongHaiLong": False},
        {"MaPAKN": "K2", "MaDonVi": "T00.101", "NgayTiepNhan": "2026-06-01 08:00", "NgayXuLyXong": None, "KhongHaiLong": False},
        {"MaPAKN": "K3", "MaDonVi": "T00.101", "NgayTiepNhan": "2026-06-02 08:00", "NgayXuLyXong": "2026-06-05 08:00",
         "KhongHaiLong": False},
    ]
    return make_data(UNITS, [{"MaTTHC": "P1", "ThoiHanGiaiQuyet": 5}], hoso, events, pakn=pakn)


@pytest.fixture(scope="module")
def table():
    return still_open(dataset(), AS_OF, load_methodology("qd766-2022")).set_index(["unit", "indicator"])


def test_open_items_and_the_most_that_can_be_lost(table):
    row = table.loc[("T00.101", "2.1")]
    assert (row["open_items"], row["points"], row["worst_points"], row["max_drop"]) == (2, 15, 5, 10)
    assert (table.loc[("T00.101", "5.1"), "open_items"], table.loc[("T00.101", "5.1"), "max_drop"]) == (1, 2)
    assert (table.loc[("T00.101", "5.2"), "open_items"], table.loc[("T00.101", "5.2"), "max_drop"]) == (2, 4)
    # parents roll up like the sub-indicators
    assert table.loc[("T00", "2.1"), "open_items"] == 2 and table.loc[("T00", "2.1"), "max_drop"] == 10


def test_sentence_says_by_how_much_at_most_and_if_what(table):
    rows = table.loc["T00.101"].reset_index()
    text = outlook_sentence(rows, "30/06/2026")
    assert text.startswith("Đến hết kỳ (30/06/2026) tổng điểm có thể giảm tối đa ")
    assert "nếu 2 hồ sơ đang giải quyết bị quá hạn (2.1: −10,00" in text
    assert "2 PAKN đang xử lý bị trễ hạn hoặc không hài lòng (5.1: −2,00; 5.2: −4,00)" in text


def test_a_whole_period_has_nothing_left_to_move():
    assert still_open(dataset(), Period.parse("2026-Q2"), load_methodology("qd766-2022")).empty
