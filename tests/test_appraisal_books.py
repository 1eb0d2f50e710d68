"""The internal appraisal workbooks (chiso.report.appraisal_books) on the hand-built year of
tests/test_appraisal.py: counts, links to the dossiers behind them, "chưa có số liệu", first sheet."""

import openpyxl
import pytest

from chiso.indicators import compute_scores
from chiso.methodology import load_methodology
from chiso.report.appraisal_books import (OFFICIALS_BOOK, UNITS_BOOK, head_of_unit_blocks, write_officials_book,
                                          write_units_book)
from chiso.report.data import assemble_report_data
from chiso.report.source_data import appraisal_tables
from test_appraisal import YEAR, dataset

METHODOLOGY = load_methodology("qd766-2022")


def report_data(data):
    scored = {p.key: compute_scores(data, p, METHODOLOGY) for p in [*YEAR.parts(), YEAR]}
    tables, meta = appraisal_tables(data, YEAR, METHODOLOGY)
    rd = assemble_report_data(scored, data.units, METHODOLOGY, YEAR, source_kind="dossiers", province="Tỉnh T",
                              fingerprint="f" * 64, edition="internal", extra_tables=tables)
    rd.meta["appraisal"] = meta
    return rd


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    folder = tmp_path_factory.mktemp("books")
    rd = report_data(dataset())
    return (rd, openpyxl.load_workbook(write_officials_book(rd, folder / OFFICIALS_BOOK)),
            openpyxl.load_workbook(write_units_book(rd, folder / UNITS_BOOK)))


def sheet_rows(sheet):
    return [[c for c in row] for row in sheet.iter_rows(values_only=True)]


def test_first_sheet_says_what_the_book_is(books):
    _, officials, units = books
    for book in (officials, units):
        assert book.sheetnames[0] == "Thông tin"
        text = "\n".join(str(c) for row in sheet_rows(book["Thông tin"]) for c in row if c)
        for expected in ("TÀI LIỆU NỘI BỘ: chứa mã cán bộ là dữ liệu cá nhân theo Nghị định 13/2023/NĐ-CP",
                         "Năm 2026", "hết ngày 31/12/2026", "f" * 64,
                         "qd766-2022", "Tính từ dữ liệu hồ sơ", "chiso report --period 2026"):
            assert expected in text, expected
    # the officials' table comes right after it, then one sheet of evidence per count, named in Vietnamese
    assert officials.sheetnames[:3] == ["Thông tin", "Cán bộ", "Bước quá hạn"]


def test_officials_counts_link_to_the_dossiers_behind_them(books):
    _, officials, _ = books
    sheet = officials["Cán bộ"]
    headers = [c.value for c in sheet[2]]
    parts = [c.value for c in sheet[3]]
    late = headers.index("Bước hoàn thành sau hạn bước")
    assert parts[late:late + 5] == ["Năm 2026", "Quý 1/2026", "Quý 2/2026", "Quý 3/2026", "Quý 4/2026"]
    rows = {(r[0].value, r[1].value): r for r in sheet.iter_rows(min_row=4)}
    binh = rows[("BINH", "T00.101")]
    assert binh[late].value == 2 and binh[late + 1].value == 2 and binh[late + 2].value == 0
    target = binh[late].hyperlink.location
    sheet_name, cell = target.rsplit("!", 1)
    evidence = officials[sheet_name.strip("'")]
    row = int(cell[1:])
    assert evidence.cell(row, 1).value == "BINH" and evidence.cell(row, 3).value in ("D1", "D6")
    listed = [r for r in sheet_rows(evidence)[3:] if r[0] == "BINH"]
    assert sorted(r[2] for r in listed) == ["D1", "D6"]  # the count's dossiers, with procedure and step
    assert all(r[3] == "P1" and r[7] for r in listed)
    handled = headers.index("Hồ sơ đã xử lý")
    assert rows[("AN", "T00.01")][handled].value == 1 and rows[("DUNG", "T00.101")][handled + 5].value == 2  # steps


def test_missing_input_says_no_data(tmp_path):
    rd = report_data(dataset(with_deadlines=False, with_pakn=False))
    book = openpyxl.load_workbook(write_officials_book(rd, tmp_path / OFFICIALS_BOOK))
    sheet = book["Cán bộ"]
    late = [c.value for c in sheet[2]].index("Bước hoàn thành sau hạn bước")
    assert {r[late].value for r in sheet.iter_rows(min_row=4)} == {"chưa có số liệu"}
    text = "\n".join(str(c) for row in sheet_rows(book["Thông tin"]) for c in row if c)
    assert "chưa có số liệu: thiếu hoso_su_kien.HanBuoc" in text


def test_units_book_and_report_section_use_the_plans_wording(books):
    rd, _, units = books
    sheet = units["Đơn vị"]
    headers = " | ".join(str(c.value) for c in sheet[2] if c.value)
    for rule in ("Không yêu cầu bổ sung hồ sơ quá 01 lần", "Hạn chế trả hồ sơ", "Không tạm dừng sai quy định",
                 "Không để quá hạn bước xử lý"):
        assert rule in headers
    commune = next(r for r in sheet.iter_rows(min_row=4, values_only=True) if r[0] == "T00.101")
    assert commune[1] == "Xã B" and isinstance(commune[3], float)
    text = "".join(block.markdown for block in head_of_unit_blocks(rd, "T00.101"))
    assert "Trách nhiệm của người đứng đầu" in text and "Không tạm dừng sai quy định" in text
    assert "Quý 2" in text and "Năm 2026" in text
