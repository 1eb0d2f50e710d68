"""chiso.sources.dossiers, file reading: a valid table file is never refused, a bad one is
refused with the line and byte where it breaks; unit codes must be usable as file names.

Each test writes a tiny data folder in tmp_path (the base tables of test_dossiers).
"""

from __future__ import annotations

import openpyxl
import pytest

from chiso import reasons
from chiso.cli import main
from chiso.errors import InputError
from chiso.sources.dossiers import load_dossiers
from test_dossiers import DONVI, set_aside_rows, write_folder

MB = 1 << 20


def test_quoted_line_breaks_in_a_csv_over_1_mb(tmp_path):
    # 40,000 units whose names hold a quoted line break: > 1 MB, so pyarrow's blocks split
    # some row in the middle of its quoted text; every row must still be read.
    names = "".join(f'H44.{i:05d},"Xã {i}\nThôn Một",XA,H44\n' for i in range(40_000))
    folder = write_folder(tmp_path / "d", donvi=DONVI + names)
    assert (folder / "donvi.csv").stat().st_size > MB
    data = load_dossiers(folder)
    assert len(data.donvi) == 3 + 40_000
    assert data.donvi.set_index("MaDonVi").loc["H44.39999", "TenDonVi"] == "Xã 39999\nThôn Một"


def test_a_cell_over_1_mb(tmp_path):
    long_name = "Sở " + "x" * (3 * MB)
    folder = write_folder(tmp_path / "d", donvi=DONVI + f'H44.02,"{long_name}",SO,H44\n')
    data = load_dossiers(folder)
    assert data.donvi.set_index("MaDonVi").loc["H44.02", "TenDonVi"] == long_name


def test_a_row_with_too_many_fields_names_line_and_byte(tmp_path):
    # UTF-8 bytes per line, newline included: header 32, "H44,UBND tỉnh,TINH," 22,
    # "H44.01,Sở Tư pháp,SO,H44" 29 (ở, ỉ take 3 bytes, ư, á 2): line 4 starts at byte 32 + 22 + 29 = 83,
    # line 5 at 83 + 24 ("H44.99,Xã Một,XA,H44") = 107.
    donvi = DONVI.replace("H44.99,Xã Một,XA,H44", "H44.99,Xã Một,XA,H44,extra")
    folder = write_folder(tmp_path / "d", donvi=donvi)
    with pytest.raises(InputError, match=r"donvi.csv: not a readable CSV file \(line 4 \(byte 83\): "
                                         r"expected 4 columns, got 5"):
        load_dossiers(folder)


def test_an_unclosed_quote_names_its_line(tmp_path):
    folder = write_folder(tmp_path / "d", donvi=DONVI + 'H44.02,"Sở Xây dựng,SO,H44\n')
    with pytest.raises(InputError, match=r"donvi.csv: not a readable CSV file \(line 5 \(byte 107\)"):
        load_dossiers(folder)


def test_invalid_utf8_names_line_and_byte(tmp_path):
    folder = write_folder(tmp_path / "d")
    text = DONVI.encode("utf-8") + b"H44.02,S\xf4 X\xe2y d\xf9ng,SO,H44\n"  # Windows-1258 bytes
    (folder / "donvi.csv").write_bytes(text)
    # the bad byte 0xf4 is the 9th byte of line 5, which starts at byte 107 (see above)
    with pytest.raises(InputError, match=r"donvi.csv: not UTF-8 text \(line 5 \(byte 115\): invalid UTF-8 "
                                         r"byte 0xf4; expected a CSV saved as UTF-8\)"):
        load_dossiers(folder)


def test_header_only_donvi_is_a_clear_error_not_unexpected(tmp_path, capsys):
    folder = write_folder(tmp_path / "d", donvi="MaDonVi,TenDonVi,Cap,MaDonViCha\n")
    with pytest.raises(InputError, match=r"donvi.csv: no units \(a header but no rows"):
        load_dossiers(folder)
    assert main(["report", "--quarter", "2", "--source", f"dossiers:{folder}",
                 "--out", str(tmp_path / "reports"), "--no-pdf"]) == 2
    error = capsys.readouterr().err
    assert "no units" in error and "unexpected error" not in error


def test_excel_formula_without_a_saved_value(tmp_path):
    folder = write_folder(tmp_path / "d", donvi=None)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["MaDonVi", "TenDonVi", "Cap", "MaDonViCha"])
    sheet.append(["H44", "UBND tỉnh", "TINH", None])
    sheet.append(["H44.01", '="Sở "&"Tư pháp"', "SO", "H44"])  # openpyxl saves no computed value
    sheet.append(["H44.99", "Xã Một", "XA", "H44"])
    workbook.save(folder / "donvi.xlsx")
    with pytest.raises(InputError, match=r"donvi.xlsx: cell B3: formula without a saved value: "
                                         r"open and save the workbook in Excel"):
        load_dossiers(folder)


def test_blank_excel_cells_are_still_blank(tmp_path):
    folder = write_folder(tmp_path / "d", donvi=None)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in (["MaDonVi", "TenDonVi", "Cap", "MaDonViCha"], ["H44", "UBND tỉnh", "TINH", None],
                ["H44.01", "Sở Tư pháp", "SO", "=A2"], ["H44.99", None, "XA", "H44"]):
        sheet.append(row)
    workbook.save(folder / "donvi.xlsx")
    with pytest.raises(InputError, match="cell D3: formula without a saved value"):
        load_dossiers(folder)  # D3 has a formula; B4 is merely blank and would be set aside


def test_unit_codes_unusable_as_file_names(tmp_path):
    donvi = DONVI + ("CON,Đơn vị A,SO,H44\n"        # row 4
                     "h44.01,Sở trùng mã,SO,H44\n"   # row 5: H44.01 (row 2) in other case
                     "NUL.7,Đơn vị B,SO,H44\n"       # row 6
                     "../x,Đơn vị C,SO,H44\n"        # row 7
                     "H44.05,Đơn vị D,SO,H44\n")     # row 8: fine
    data = load_dossiers(write_folder(tmp_path / "d", donvi=donvi))
    aside = data.set_aside[data.set_aside["table"] == "donvi"]
    assert list(zip(aside["row"], aside["column"], aside["value"], aside["reason"], aside["detail"].fillna(""))) == [
        (2, "MaDonVi", "H44.01", reasons.UNIT_CODE_CASE_CLASH, "h44.01"),  # the other unit's code
        (4, "MaDonVi", "CON", reasons.UNIT_CODE_RESERVED, ""),
        (5, "MaDonVi", "h44.01", reasons.UNIT_CODE_CASE_CLASH, "H44.01"),
        (6, "MaDonVi", "NUL.7", reasons.UNIT_CODE_RESERVED, ""),
        (7, "MaDonVi", "../x", reasons.UNIT_CODE_BAD_CHARACTER, "'/'"),
    ]
    assert sorted(data.donvi["MaDonVi"]) == ["H44", "H44.05", "H44.99"]
    # the dossier of H44.01 went with its unit: input = accepted + set aside still holds
    assert set_aside_rows(data, "hoso") == [(1, "MaDonVi", reasons.UNIT_SET_ASIDE)]



def test_a_unit_code_too_long_for_a_file_name_is_set_aside(tmp_path):
    donvi = DONVI + ("X" * 300 + ",Đơn vị dài,SO,H44\n")        # row 4
    data = load_dossiers(write_folder(tmp_path / "d", donvi=donvi))
    aside = data.set_aside.set_index(["table", "row"]).loc[("donvi", 4)]
    assert (aside["column"], aside["reason"], aside["detail"]) == ("MaDonVi", reasons.UNIT_CODE_TOO_LONG, "300")
