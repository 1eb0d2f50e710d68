"""chiso.sources.dossiers: reading, header aliases, value decoding, rows set aside, errors.

Every fixture is a tiny data folder written in tmp_path; expected values are hand-written.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from chiso import reasons
from chiso.errors import ChisoError, InputError
from chiso.sources.dossiers import header_key, load_dossiers, quality_by_reason

# A valid minimal province: 3 units, 2 procedures, 2 dossiers with their histories.
DONVI = ("MaDonVi,TenDonVi,Cap,MaDonViCha\n"
         "H44,UBND tỉnh,TINH,\nH44.01,Sở Tư pháp,SO,H44\nH44.99,Xã Một,XA,H44\n")
TTHC = "MaTTHC,TenTTHC\n1.001,Thủ tục A\n1.002,Thủ tục B\n"
HOSO = ("MaHoSo,MaTTHC,MaDonVi,KenhNop,NgayTiepNhan\n"
        "A1,1.001,H44.01,2,2026-04-03 08:00\n"
        "A2,1.002,H44.99,1,2026-04-03 09:00\n")
EVENTS = ("MaHoSo,ThoiDiem,SuKien\n"
          "A1,2026-04-03 08:00,TIEP_NHAN\n"
          "A1,2026-04-06 10:00,XU_LY_XONG\n"
          "A2,2026-04-03 09:00,TIEP_NHAN\n")
BASE = {"donvi": DONVI, "tthc": TTHC, "hoso": HOSO, "hoso_su_kien": EVENTS}


def write_folder(folder, **tables):
    """Write BASE with some tables replaced (text = CSV content, None = no file)."""
    folder.mkdir(exist_ok=True)
    for table, text in {**BASE, **tables}.items():
        if text is not None:
            (folder / f"{table}.csv").write_text(text, encoding="utf-8")
    return folder


def hoso_with(columns: str, *rows: str) -> str:
    """hoso.csv text: A1.. with the base required values plus extra columns."""
    lines = [f"MaHoSo,MaTTHC,MaDonVi,KenhNop,NgayTiepNhan,{columns}"]
    lines += [f"A{i},1.001,H44.01,1,2026-04-03 08:00,{row}" for i, row in enumerate(rows, start=1)]
    return "\n".join(lines) + "\n"


def events_for(n: int) -> str:
    return "MaHoSo,ThoiDiem,SuKien\n" + "".join(f"A{i},2026-04-03 08:00,TIEP_NHAN\n" for i in range(1, n + 1))


def set_aside_rows(data, table):
    """(row, column, reason) of the rows set aside from one table."""
    rows = data.set_aside[data.set_aside["table"] == table]
    return list(zip(rows["row"], rows["column"], rows["reason"]))


def assert_balanced(data):
    q = data.quality
    assert (q["rows_read"] == q["accepted"] + q["set_aside"]).all()
    for table, accepted in zip(q["table"], q["accepted"]):
        assert len(getattr(data, table)) == accepted
    assert q["set_aside"].sum() == len(data.set_aside)


# --------------------------------------------------------------------------- formats

@pytest.mark.parametrize("bom", [False, True])
def test_csv_with_and_without_bom(tmp_path, bom):
    folder = write_folder(tmp_path / "data")
    if bom:
        path = folder / "hoso.csv"
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    data = load_dossiers(folder)
    assert list(data.hoso["MaHoSo"]) == ["A1", "A2"]
    assert data.hoso.dtypes.to_dict() == {
        "MaHoSo": "string", "MaTTHC": "string", "MaDonVi": "string", "KenhNop": "Int8",
        "NgayTiepNhan": "datetime64[ns]"}
    assert list(data.hoso["KenhNop"]) == [2, 1]
    assert data.hoso["NgayTiepNhan"][0] == pd.Timestamp("2026-04-03 08:00")
    assert data.set_aside.empty
    assert_balanced(data)


def test_csv_semicolon_delimiter_and_null_markers(tmp_path):
    hoso = ("MaHoSo;MaTTHC;MaDonVi;KenhNop;NgayTiepNhan;NgayHenTra\n"
            "A1;1.001;H44.01;1;03/04/2026;NULL\nA2;1.001;H44.01;1;03/04/2026;10/04/2026\n")
    data = load_dossiers(write_folder(tmp_path / "d", hoso=hoso))
    assert data.hoso["NgayHenTra"].isna().tolist() == [True, False]
    assert data.set_aside.empty


def test_xlsx_native_cells_and_sheet_rows(tmp_path):
    folder = write_folder(tmp_path / "d", hoso=None)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Mã hồ sơ", "Mã thủ tục", "Mã đơn vị", "Kênh nộp", "Ngày tiếp nhận", "Ngày hẹn trả",
                  "Phí lệ phí"])
    sheet.append(["A1", "1.001", "H44.01", 2, dt.datetime(2026, 4, 3, 14, 5), "10/04/2026", 50000])
    sheet.append([None] * 7)  # an empty row is skipped, the numbering keeps the sheet's rows
    sheet.append(["A2", "1.001", "H44.01", 1, "03/04/2026 09:00", dt.date(2026, 4, 10), 1500.5])
    sheet.append(["A3", "1.001", "H44.01", 1, "3 April", None, None])
    book.save(folder / "hoso.xlsx")
    data = load_dossiers(folder)
    assert list(data.hoso["MaHoSo"]) == ["A1", "A2"]
    assert list(data.hoso["KenhNop"]) == [2, 1]
    assert list(data.hoso["NgayTiepNhan"]) == [pd.Timestamp("2026-04-03 14:05"), pd.Timestamp("2026-04-03 09:00")]
    assert list(data.hoso["NgayHenTra"]) == [pd.Timestamp("2026-04-10")] * 2
    assert list(data.hoso["PhiLePhi"]) == [50000.0, 1500.5]
    # row = sheet row - 1: "A3" is on sheet row 5
    assert set_aside_rows(data, "hoso") == [(4, "NgayTiepNhan", reasons.UNPARSEABLE_DATE)]
    assert data.quality.set_index("table").loc["hoso", "file"] == "hoso.xlsx"


def test_parquet_native_types_pass_through(tmp_path):
    folder = write_folder(tmp_path / "d", hoso=None)
    local = pd.to_datetime(["2026-04-03 08:00", "2026-04-03 09:00"])
    table = pa.table({
        "MaHoSo": ["A1", "A2"],
        "MaTTHC": pa.array(["1.001", "1.002"]).dictionary_encode(),
        "MaDonVi": ["H44.01", "H44.99"],
        "KenhNop": pa.array([2, 3], pa.int8()),
        "NgayTiepNhan": pa.array(local, pa.timestamp("us")),
        # the same instants in UTC: converted to local time (UTC+7)
        "NgayHenTra": pa.array(local.tz_localize("Asia/Ho_Chi_Minh").tz_convert("UTC")),
        "SoHoa": [True, None],
        "ThanhToanTrucTuyen": pa.array([2, 0], pa.int8()),
        "PhiLePhi": [50000, None],
    })
    pq.write_table(table, folder / "hoso.parquet")
    data = load_dossiers(folder)
    hoso = data.hoso
    assert hoso["NgayTiepNhan"].dtype == "datetime64[ns]"
    assert list(hoso["NgayTiepNhan"]) == list(local)
    assert list(hoso["NgayHenTra"]) == list(local)
    assert hoso["SoHoa"].tolist() == [True, False]
    assert hoso["ThanhToanTrucTuyen"].tolist() == [True, False]
    assert hoso["PhiLePhi"].iloc[0] == 50000.0 and np.isnan(hoso["PhiLePhi"].iloc[1])
    assert hoso["MaTTHC"].dtype == "string" and list(hoso["KenhNop"]) == [2, 3]
    assert data.set_aside.empty


# --------------------------------------------------------------------------- values

@pytest.mark.parametrize("text, expected", [
    ("2026-04-03 14:05", "2026-04-03 14:05"),
    ("2026-04-03T14:05:00", "2026-04-03 14:05"),
    ("2026-04-03", "2026-04-03 00:00"),
    ("03/04/2026 14:05", "2026-04-03 14:05"),       # day first: 3 April, never 4 March
    ("03/04/2026 14:05:30", "2026-04-03 14:05:30"),
    ("03/04/2026", "2026-04-03 00:00"),
    ("3/4/2026", "2026-04-03 00:00"),
    ("13/04/2026", "2026-04-13 00:00"),
    ("20260403140500", "2026-04-03 14:05"),          # DVCQG sync form
    ("2026-04-03T14:05:00+07:00", "2026-04-03 14:05"),
    ("2026-04-03T07:05:00Z", "2026-04-03 14:05"),    # UTC -> local time
])
def test_date_spellings(tmp_path, text, expected):
    data = load_dossiers(write_folder(tmp_path / "d", hoso=hoso_with("NgayHenTra", text), hoso_su_kien=events_for(1)))
    assert data.hoso["NgayHenTra"].tolist() == [pd.Timestamp(expected)]


def test_mixed_date_spellings_in_one_column(tmp_path):
    hoso = hoso_with("NgayHenTra", "03/04/2026", "2026-04-05", "05/04/2026 10:00", "", "31/02/2026", "2026-13-01",
                     "04/03", "31/12/9999")
    data = load_dossiers(write_folder(tmp_path / "d", hoso=hoso, hoso_su_kien=events_for(8)))
    assert data.hoso["NgayHenTra"].tolist() == [
        pd.Timestamp("2026-04-03"), pd.Timestamp("2026-04-05"), pd.Timestamp("2026-04-05 10:00"), pd.NaT]
    assert set_aside_rows(data, "hoso") == [(row, "NgayHenTra", reasons.UNPARSEABLE_DATE) for row in (5, 6, 7, 8)]


YES_NO = [("1", True), ("0", False), ("true", True), ("FALSE", False), ("True", True), ("có", True),
          ("Có", True), ("CÓ", True), ("co", True), ("không", False), ("Không", False), ("KHONG", False),
          ("x", True), ("X", True), ("", False), (" có ", True)]


def test_every_yes_no_spelling(tmp_path):
    hoso = hoso_with("SoHoa", *[text for text, _ in YES_NO], "maybe")
    data = load_dossiers(write_folder(tmp_path / "d", hoso=hoso, hoso_su_kien=events_for(len(YES_NO) + 1)))
    assert data.hoso["SoHoa"].dtype == bool
    assert data.hoso["SoHoa"].tolist() == [value for _, value in YES_NO]
    assert set_aside_rows(data, "hoso") == [(len(YES_NO) + 1, "SoHoa", reasons.NOT_YES_NO)]


def test_online_payment_dvcqg_codes(tmp_path):
    hoso = hoso_with("DuocThanhToanTrucTuyen", "1", "2", "0", "", "3")
    data = load_dossiers(write_folder(tmp_path / "d", hoso=hoso, hoso_su_kien=events_for(5)))
    assert data.hoso["ThanhToanTrucTuyen"].tolist() == [True, True, False, False]
    assert set_aside_rows(data, "hoso") == [(5, "ThanhToanTrucTuyen", reasons.NOT_YES_NO)]


def test_enums_are_folded_and_defaults_filled(tmp_path):
    tthc = "MaTTHC,TenTTHC,DonViThoiHan\n1.001,A,Ngày làm việc\n1.002,B,\n1.003,C,gio\n"
    events = ("MaHoSo,ThoiDiem,SuKien\n"
              "A1,2026-04-03 08:00,Tiếp nhận\nA1,2026-04-04 08:00,xử lý xong\nA2,2026-04-03 09:00,TIEP_NHAN\n")
    hoso = HOSO.replace(",2,2026", ",Trực tuyến,2026")
    data = load_dossiers(write_folder(tmp_path / "d", tthc=tthc, hoso=hoso, hoso_su_kien=events))
    assert data.tthc["DonViThoiHan"].tolist() == ["NGAY_LAM_VIEC", "NGAY_LAM_VIEC", "GIO"]
    assert data.hoso_su_kien["SuKien"].tolist() == ["TIEP_NHAN", "XU_LY_XONG", "TIEP_NHAN"]
    assert list(data.hoso["KenhNop"]) == [2, 1]


def test_optional_columns_absent_are_absent_blank_are_no(tmp_path):
    # Spec §5 R3 (supersedes "blank in every row = absent"): a present yes/no column blank in
    # every row means "no" for every row; only an absent column is "no data".
    hoso = hoso_with("NgayHenTra,SoHoa,Ghi chu", ",,riêng", ",,")
    data = load_dossiers(write_folder(tmp_path / "d", hoso=hoso, hoso_su_kien=events_for(2)))
    assert "DongBoDVCQG" not in data.hoso
    assert data.hoso["SoHoa"].tolist() == [False, False] and data.hoso["NgayHenTra"].isna().all()
    assert data.hoso["Ghi chu"].tolist() == ["riêng", ""]  # other columns are kept as they are
    assert data.tthc["DonViThoiHan"].tolist() == ["NGAY_LAM_VIEC"] * 2  # has a default: always present


# --------------------------------------------------------------------------- headers

def test_header_key_ignores_case_spaces_and_diacritics():
    assert header_key("Ngày tiếp nhận") == header_key("NGAY_TIEP_NHAN") == "ngaytiepnhan"
    assert header_key(" ngay tiep nhan ") == "ngaytiepnhan"
    assert header_key("Đồng bộ DVCQG") == "dongbodvcqg"


def test_alias_headers_excel_and_dvcqg(tmp_path):
    hoso = ("Mã hồ sơ,MÃ THỦ TỤC,mã đơn vị,KenhThucHien,NGAY_TIEP_NHAN,ngày hẹn trả,NgayNopHoSo,"
            "DuocThanhToanTrucTuyen,DuongDanTepTinKetQua,TaiKhoanDuocXacThucVoiVNeID,Đồng bộ DVCQG\n"
            "A1,1.001,H44.01,2,03/04/2026 08:00,10/04/2026,02/04/2026,2,/kq/a1.pdf,1,có\n"
            "A2,1.002,H44.99,1,03/04/2026 09:00,,,0,,0,không\n")
    donvi = ("Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cha\n"
             "H44,UBND tỉnh,Tỉnh,\nH44.01,Sở Tư pháp,Sở,H44\nH44.99,Xã Một,Xã,H44\n")
    data = load_dossiers(write_folder(tmp_path / "d", hoso=hoso, donvi=donvi))
    hoso = data.hoso
    assert list(hoso.columns) == ["MaHoSo", "MaTTHC", "MaDonVi", "KenhNop", "NgayNop", "NgayTiepNhan", "NgayHenTra",
                                  "DongBoDVCQG", "DuLieuDanCu", "KetQuaDienTu", "ThanhToanTrucTuyen"]
    assert hoso["KetQuaDienTu"].tolist() == [True, False]  # a result file path means an electronic result
    assert hoso["ThanhToanTrucTuyen"].tolist() == [True, False]
    assert hoso["DongBoDVCQG"].tolist() == [True, False]
    assert data.donvi["Cap"].tolist() == ["TINH", "SO", "XA"]
    assert data.set_aside.empty


def test_two_headers_for_one_column_is_an_error(tmp_path):
    hoso = "MaHoSo,Mã hồ sơ,MaTTHC,MaDonVi,KenhNop,NgayTiepNhan\nA1,A1,1.001,H44.01,1,2026-04-03\n"
    with pytest.raises(InputError, match=r"hoso.csv: columns 'MaHoSo' and 'Mã hồ sơ' both mean MaHoSo"):
        load_dossiers(write_folder(tmp_path / "d", hoso=hoso))


def test_user_column_names_extend_the_defaults(tmp_path):
    names = tmp_path / "columns.yaml"
    names.write_text("hoso:\n  NgayTiepNhan: {excel: [Thời điểm nhận]}\n", encoding="utf-8")
    hoso = HOSO.replace("NgayTiepNhan", "Thời điểm nhận").replace("MaHoSo", "Mã hồ sơ")
    data = load_dossiers(write_folder(tmp_path / "d", hoso=hoso), column_names=names)
    assert data.hoso[["MaHoSo", "NgayTiepNhan"]].notna().all().all()


def test_user_column_name_meaning_two_columns_is_an_error(tmp_path):
    names = tmp_path / "columns.yaml"
    names.write_text("hoso:\n  NgayTiepNhan: {excel: [Mã hồ sơ]}\n", encoding="utf-8")
    with pytest.raises(ChisoError, match=r"columns.yaml: hoso: 'Mã hồ sơ' would mean both MaHoSo and NgayTiepNhan"):
        load_dossiers(write_folder(tmp_path / "d"), column_names=names)


def test_missing_required_column_message(tmp_path):
    hoso = "MaHoSo,MaTTHC,MaDonVi,KenhNop,Ngay\nA1,1.001,H44.01,1,2026-04-03\n"
    with pytest.raises(InputError) as error:
        load_dossiers(write_folder(tmp_path / "d", hoso=hoso))
    message = str(error.value)
    assert message.startswith(
        "hoso.csv: required column 'NgayTiepNhan' missing (also accepted: NgayTiepNhan, Ngày tiếp nhận")
    assert message.endswith("columns found: MaHoSo, MaTTHC, MaDonVi, KenhNop, Ngay")
    assert "\n" not in message


# --------------------------------------------------------------------------- rows set aside

def test_every_set_aside_reason(tmp_path):
    donvi = DONVI + "H44.98,Phường Lạ,PHUONG,H44\n"
    hoso = ("MaHoSo,MaTTHC,MaDonVi,KenhNop,NgayTiepNhan,SoHoa,PhiLePhi,DanhGia\n"
            "A1,1.001,H44.01,2,2026-04-03 08:00,1,0,HAI_LONG\n"     # 1 accepted
            "A2,,H44.01,1,2026-04-03 08:00,,,\n"                    # 2 required value blank
            "A3,1.001,H44.01,1,2026-04-31,,,\n"                     # 3 unparseable date
            "A4,1.001,H44.01,1,2026-04-03,có lẽ,,\n"                # 4 not a yes/no value
            "A5,1.001,H44.01,1,2026-04-03,,50.000đ,\n"              # 5 not a number
            "A6,1.001,H44.01,4,2026-04-03,,,\n"                     # 6 unknown KenhNop
            "A7,1.001,H44.01,1,2026-04-03,,,TOT\n"                  # 7 unknown DanhGia
            "A8,1.001,H44.77,1,2026-04-03,,,\n"                     # 8 unknown unit
            "A9,1.001,H44.98,1,2026-04-03,,,\n"                     # 9 unit set aside (unknown Cap)
            "A10,9.999,H44.01,1,2026-04-03,,,\n"                    # 10 unknown procedure
            "A11,1.001,H44.01,1,2026-04-03 08:00,,,\n"              # 11 duplicate MaHoSo (copies differ)
            "A11,1.001,H44.01,2,2026-04-03 08:00,,,\n"              # 12 duplicate MaHoSo
            "A12,1.001,H44.01,1,2026-04-03 08:00,,,\n"              # 13 kept
            "A12,1.001,H44.01,1,2026-04-03 08:00,,,\n"              # 14 identical copy of an earlier row
            "A13,1.001,H44.01,1,2026-04-05 08:00,,,\n")             # 15 kept (its end before reception is not its end)
    events = ("MaHoSo,ThoiDiem,SuKien\n"
              "A1,2026-04-03 08:00,TIEP_NHAN\n"       # 1 accepted
              "A1,2026-04-03 09:00,DA_XONG\n"         # 2 unknown SuKien
              "A1,,CHUYEN_BUOC\n"                     # 3 required value blank
              "ZZ,2026-04-03 09:00,TIEP_NHAN\n"       # 4 unknown dossier
              "A2,2026-04-03 09:00,TIEP_NHAN\n"       # 5 dossier set aside
              "A12,2026-04-04 10:00,TRA_KET_QUA\n"    # 6 accepted (dossier kept)
              "A13,2026-04-04 10:00,XU_LY_XONG\n")    # 7 event before reception (spec §5 R5; was: its dossier set aside)
    data = load_dossiers(write_folder(tmp_path / "d", donvi=donvi, hoso=hoso, hoso_su_kien=events))
    assert set_aside_rows(data, "donvi") == [(4, "Cap", reasons.UNKNOWN_VALUE)]
    assert set_aside_rows(data, "hoso") == [
        (2, "MaTTHC", reasons.BLANK_REQUIRED),
        (3, "NgayTiepNhan", reasons.UNPARSEABLE_DATE),
        (4, "SoHoa", reasons.NOT_YES_NO),
        (5, "PhiLePhi", reasons.NOT_A_NUMBER),
        (6, "KenhNop", reasons.UNKNOWN_VALUE),
        (7, "DanhGia", reasons.UNKNOWN_VALUE),
        (8, "MaDonVi", reasons.UNKNOWN_UNIT),
        (9, "MaDonVi", reasons.UNIT_SET_ASIDE),
        (10, "MaTTHC", reasons.UNKNOWN_PROCEDURE),
        (11, "MaHoSo", reasons.DUPLICATE_KEY),
        (12, "MaHoSo", reasons.DUPLICATE_KEY),
        (14, "MaHoSo", reasons.IDENTICAL_COPY),
    ]
    assert set_aside_rows(data, "hoso_su_kien") == [
        (2, "SuKien", reasons.UNKNOWN_VALUE),
        (3, "ThoiDiem", reasons.BLANK_REQUIRED),
        (4, "MaHoSo", reasons.UNKNOWN_DOSSIER),
        (5, "MaHoSo", reasons.DOSSIER_SET_ASIDE),
        (7, "ThoiDiem", reasons.EVENT_BEFORE_RECEPTION),
    ]
    assert data.hoso["MaHoSo"].tolist() == ["A1", "A12", "A13"]
    shown = data.set_aside.set_index(["table", "row"])["value"]
    assert shown[("hoso", 5)] == "50.000đ" and shown[("hoso_su_kien", 7)] == "2026-04-04 10:00"
    assert_balanced(data)
    assert data.quality[["table", "rows_read", "accepted", "set_aside"]].values.tolist() == [
        ["donvi", 4, 3, 1], ["tthc", 2, 2, 0], ["hoso", 15, 3, 12], ["hoso_su_kien", 7, 2, 5]]
    by_reason = quality_by_reason(data)
    assert by_reason["rows"].sum() == 18
    assert by_reason.set_index(["table", "reason"])["rows"][("hoso", reasons.DUPLICATE_KEY)] == 2


@pytest.mark.parametrize("parquet", [False, True])
def test_a_negative_or_infinite_fee_is_set_aside(tmp_path, parquet):
    """A fee is an amount: negative is impossible, and "1e400"/"inf" are no numbers (a float
    column of a Parquet file may hold ±inf too); 0 and blank are kept (R7 reads both)."""
    fees = [0.0, None, -5000.0, float("inf"), 1500.5]
    folder = write_folder(tmp_path / "d", hoso=None)
    frame = pd.DataFrame({"MaHoSo": [f"A{n}" for n in range(1, 6)], "MaTTHC": "1.001", "MaDonVi": "H44.01",
                          "KenhNop": 2, "NgayTiepNhan": "2026-04-03 08:00", "PhiLePhi": fees})
    if parquet:
        frame.to_parquet(folder / "hoso.parquet", index=False)
    else:
        text = frame.assign(PhiLePhi=["0", "", "-5000", "1e400", "1500.5"]).to_csv(index=False)
        (folder / "hoso.csv").write_text(text, encoding="utf-8")
    data = load_dossiers(folder)
    assert set_aside_rows(data, "hoso") == [(3, "PhiLePhi", reasons.NEGATIVE_AMOUNT),
                                            (4, "PhiLePhi", reasons.NOT_A_NUMBER)]
    assert data.hoso["MaHoSo"].tolist() == ["A1", "A2", "A5"]
    assert_balanced(data)


def test_first_failure_wins_one_entry_per_row(tmp_path):
    hoso = "MaHoSo,MaTTHC,MaDonVi,KenhNop,NgayTiepNhan\nA1,9.999,H44.77,7,hôm qua\nA2,1.001,H44.01,1,2026-04-03\n"
    # (events of A2 only: an events table with no rows is an error since spec §5 R11)
    events = "MaHoSo,ThoiDiem,SuKien\nA2,2026-04-03 08:00,TIEP_NHAN\n"
    data = load_dossiers(write_folder(tmp_path / "d", hoso=hoso, hoso_su_kien=events))
    assert set_aside_rows(data, "hoso") == [(1, "KenhNop", reasons.UNKNOWN_VALUE)]
    assert_balanced(data)


@pytest.mark.parametrize("kind, time, set_aside", [
    ("XU_LY_XONG", "2026-04-03 07:59", True),
    ("XU_LY_XONG", "2026-04-03 08:00", False),   # ending at the reception instant is fine
    ("TU_CHOI", "2026-04-02 10:00", True),
    ("YEU_CAU_BO_SUNG", "2026-04-02 10:00", True),
    ("RUT_HO_SO", "2026-04-02 10:00", False),    # a withdrawal before reception removes the dossier
    ("TIEP_NHAN", "2026-04-02 10:00", False),    # the reception itself
    ("XU_LY_XONG", "2026-04-03", False),         # a bare date is the whole day
    ("XU_LY_XONG", "2026-04-02", True),
])
def test_events_before_reception_are_set_aside_not_the_dossier(tmp_path, kind, time, set_aside):
    # Spec §5 R5/R11 (supersedes setting the dossier aside as "reception after end"): an
    # event before reception is neither a supplement request nor the end; it is kept out of
    # the timeline and listed, and the dossier stays.
    events = f"MaHoSo,ThoiDiem,SuKien\nA1,{time},{kind}\nA2,2026-04-03 09:00,TIEP_NHAN\n"
    data = load_dossiers(write_folder(tmp_path / "d", hoso_su_kien=events))
    assert set_aside_rows(data, "hoso") == []
    expected = [(1, "ThoiDiem", reasons.EVENT_BEFORE_RECEPTION)] if set_aside else []
    assert set_aside_rows(data, "hoso_su_kien") == expected


def test_repeated_events_count_once(tmp_path):
    events = ("MaHoSo,ThoiDiem,SuKien,MaCanBo\nA1,2026-04-03 08:00,TIEP_NHAN,C1\n"
              "A1,2026-04-04 08:00,YEU_CAU_BO_SUNG,C1\nA1,2026-04-04 08:00,YEU_CAU_BO_SUNG,C2\n"
              "A1,2026-04-04 08:01,YEU_CAU_BO_SUNG,C1\nA2,2026-04-03 09:00,TIEP_NHAN,C1\n")
    data = load_dossiers(write_folder(tmp_path / "d", hoso_su_kien=events))
    assert set_aside_rows(data, "hoso_su_kien") == [(3, "SuKien", reasons.REPEATED_EVENT)]


def test_implausible_values_are_set_aside(tmp_path):
    hoso = ("MaHoSo,MaTTHC,MaDonVi,KenhNop,NgayTiepNhan,NgayHenTra\n"
            "A1,1.001,H44.01,2,2026-04-03 08:00,2026-04-02\n"       # due before reception
            "A2,1.002,H44.99,1,2099-04-03 09:00,\n"                 # in the future
            "A3,1.002,H44.99,1,2026-04-03 09:00,2026-04-03\n")      # due that day: fine
    pakn = "MaPAKN,MaDonVi,NgayTiepNhan,NgayXuLyXong\nP1,H44.01,2026-04-03,2026-04-01\nP2,H44.01,2026-04-03,\n"
    events = "MaHoSo,ThoiDiem,SuKien\nA3,2026-04-03 09:00,TIEP_NHAN\n"
    data = load_dossiers(write_folder(tmp_path / "d", hoso=hoso, pakn=pakn, hoso_su_kien=events))
    assert set_aside_rows(data, "hoso") == [(1, "NgayHenTra", reasons.DUE_BEFORE_RECEPTION),
                                            (2, "NgayTiepNhan", reasons.IN_THE_FUTURE)]
    assert set_aside_rows(data, "pakn") == [(1, "NgayXuLyXong", reasons.HANDLED_BEFORE_RECEIVED)]
    # with an export date, a date after it is set aside
    later = load_dossiers(write_folder(tmp_path / "d", hoso=hoso.replace("2099", "2026").replace(
        "A3,1.002,H44.99,1,2026-04-03", "A3,1.002,H44.99,1,2026-04-01"), pakn=pakn, hoso_su_kien=events),
        export_date="2026-04-02")
    assert later.export_date == pd.Timestamp("2026-04-02") and later.export_date_source == "command line"
    assert set_aside_rows(later, "hoso")[1] == (2, "NgayTiepNhan", reasons.AFTER_EXPORT)


def test_export_date_from_metadata_or_column(tmp_path):
    folder = write_folder(tmp_path / "d", hoso=hoso_with("NgayXuat", "2026-06-30", "2026-07-01"),
                          hoso_su_kien=events_for(2))
    data = load_dossiers(folder)
    assert (data.export_date, data.export_date_source) == (pd.Timestamp("2026-07-01"), "hoso.NgayXuat")
    (folder / "_metadata.json").write_text('{"export_date": "2026-07-02"}', encoding="utf-8")
    assert load_dossiers(folder).export_date == pd.Timestamp("2026-07-02")


def test_units_with_unknown_parent_are_set_aside_with_their_branch(tmp_path):
    donvi = DONVI + "H44.50,Phòng X,XA,H44.404\nH44.51,Xã Y,XA,H44.50\n"
    data = load_dossiers(write_folder(tmp_path / "d", donvi=donvi))
    assert set_aside_rows(data, "donvi") == [(4, "MaDonViCha", reasons.UNKNOWN_PARENT),
                                             (5, "MaDonViCha", reasons.PARENT_SET_ASIDE)]


def test_empty_units_or_events_are_errors(tmp_path):
    with pytest.raises(InputError, match=r"^donvi.csv: no units"):
        load_dossiers(write_folder(tmp_path / "a", donvi="MaDonVi,TenDonVi,Cap\n"))
    with pytest.raises(InputError, match=r"^hoso_su_kien.csv: no events, but hoso.csv has 2 dossiers"):
        load_dossiers(write_folder(tmp_path / "b", hoso_su_kien=events_for(0)))


def test_hour_only_utc_offset(tmp_path):
    hoso = HOSO.replace("2026-04-03 08:00", "2026-04-03T01:00+00").replace("2026-04-03 09:00", "2026-04-03 09:00+07")
    data = load_dossiers(write_folder(tmp_path / "d", hoso=hoso))
    assert data.hoso["NgayTiepNhan"].tolist() == [pd.Timestamp("2026-04-03 08:00"), pd.Timestamp("2026-04-03 09:00")]


# --------------------------------------------------------------------------- unreadable input

def _corrupt_xlsx(folder):
    (folder / "hoso.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook")


def _garbage_csv(folder):
    (folder / "hoso.csv").write_bytes(np.random.default_rng(7).integers(0, 256, 4000, dtype=np.uint8).tobytes())


def _latin1_csv(folder):
    (folder / "hoso.csv").write_bytes(HOSO.replace("A2", "Nguyễn").encode("utf-8").replace(b"\xe1\xbb\x85", b"\xe5"))


def _garbage_parquet(folder):
    (folder / "hoso.parquet").write_bytes(b"PAR1 not really")


def _empty_csv(folder):
    (folder / "hoso.csv").write_bytes(b"")


@pytest.mark.parametrize("make, pattern", [
    (_corrupt_xlsx, r"^hoso.xlsx: not a readable Excel workbook"),
    (_garbage_csv, r"^hoso.csv: "),
    (_latin1_csv, r"^hoso.csv: not UTF-8 text"),
    (_garbage_parquet, r"^hoso.parquet: not a readable Parquet file"),
    (_empty_csv, r"^hoso.csv: no header row"),
])
def test_unreadable_file_message(tmp_path, make, pattern):
    folder = write_folder(tmp_path / "d", hoso=None)
    make(folder)
    with pytest.raises(InputError, match=pattern) as error:
        load_dossiers(folder)
    assert "\n" not in str(error.value)


def test_missing_required_table(tmp_path):
    with pytest.raises(InputError, match=r"required table 'hoso_su_kien' missing: expected hoso_su_kien.csv"):
        load_dossiers(write_folder(tmp_path / "d", hoso_su_kien=None))


def test_two_files_for_one_table(tmp_path):
    folder = write_folder(tmp_path / "d")
    pq.write_table(pa.table({"MaHoSo": ["A1"]}), folder / "hoso.parquet")
    with pytest.raises(InputError, match=r"hoso.csv and hoso.parquet are both table 'hoso'"):
        load_dossiers(folder)


def test_missing_folder(tmp_path):
    with pytest.raises(InputError, match="data folder not found"):
        load_dossiers(tmp_path / "nowhere")


# --------------------------------------------------------------------------- the result

def test_optional_tables_none_when_absent(tmp_path):
    data = load_dossiers(write_folder(tmp_path / "d"))
    assert data.tthc_donvi is None and data.pakn is None and data.congbo is None
    assert list(data.files) == ["donvi", "tthc", "hoso", "hoso_su_kien"]
    assert data.quality["table"].tolist() == ["donvi", "tthc", "hoso", "hoso_su_kien"]


def test_optional_tables_loaded(tmp_path):
    pakn = ("MaPAKN,MaDonVi,NgayTiepNhan,PhanLoai,KhongHaiLong\n"
            "P1,H44.01,2026-04-03,Cán bộ,x\nP2,H44.77,2026-04-03,TTHC,\n")
    congbo = "MaTTHC,MaDonVi,NgayQuyetDinh\n1.001,H44,2026-03-01\n"
    tthc_donvi = "MaTTHC,MaDonVi,MucDoDVCTT\n1.001,H44.01,Toàn trình\n1.002,H44.99,3\n"
    data = load_dossiers(write_folder(tmp_path / "d", pakn=pakn, congbo=congbo, tthc_donvi=tthc_donvi))
    assert data.pakn["PhanLoai"].tolist() == ["CAN_BO"] and data.pakn["KhongHaiLong"].tolist() == [True]
    assert set_aside_rows(data, "pakn") == [(2, "MaDonVi", reasons.UNKNOWN_UNIT)]
    assert data.tthc_donvi["MucDoDVCTT"].tolist() == ["TOAN_TRINH", "MOT_PHAN"]
    assert len(data.congbo) == 1
    assert_balanced(data)


def test_units_from_donvi(tmp_path):
    data = load_dossiers(write_folder(tmp_path / "d"))
    units = data.units
    assert units.columns.tolist() == ["unit", "name", "level", "parent"]
    assert units["level"].tolist() == ["province", "department", "commune"]
    assert units["parent"].isna().tolist() == [True, False, False]
    assert units["parent"].dtype == "string"


def test_sample_marker_and_fingerprint(tmp_path):
    folder = write_folder(tmp_path / "d")
    plain = load_dossiers(folder)
    assert plain.is_sample is False and plain.meta == {}
    assert plain.fingerprint == load_dossiers(folder).fingerprint and len(plain.fingerprint) == 64
    (folder / "_sample.json").write_text(json.dumps({"seed": 766, "year": 2026}), encoding="utf-8")
    sample = load_dossiers(folder)
    assert sample.is_sample is True and sample.meta == {"seed": 766, "year": 2026}
    (folder / "tthc.csv").write_text(TTHC.replace("Thủ tục B", "Thủ tục C"), encoding="utf-8")
    assert len({plain.fingerprint, sample.fingerprint, load_dossiers(folder).fingerprint}) == 3
