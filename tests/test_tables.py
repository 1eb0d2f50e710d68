"""Report tables on the hand-computed tiny report data (see tests/tiny_report.py for the figures)."""

import dataclasses

import numpy as np
import openpyxl
import pandas as pd
import pytest

from chiso.report import colours, excel, internal_tables, maps, province_tables, tables, text, unit_tables
from chiso.errors import ChisoError
from chiso.report.blocks import escape_markdown
from tiny_report import EVIL_NAME, tiny_report_data


@pytest.fixture(scope="module")
def rd():
    return tiny_report_data("internal")


@pytest.fixture(scope="module")
def public():
    return tiny_report_data("public", sample=False)


# -- unit report -------------------------------------------------------------------------------


def test_overview_rank_among_level_and_change(rd):
    o = text.unit_overview(rd, "D1")
    assert (o["total"], o["band"], o["rank"], o["rank_of"]) == (99.16, "Xuất sắc", 2, 4)
    assert o["previous_period"] == "2026-Q1" and o["previous_total"] == 90.0
    assert o["change"] == pytest.approx(9.16)
    assert np.isnan(text.unit_overview(rd, "D4")["previous_total"])  # D4 is new this quarter


def test_unit_summary_text(rd):
    summary = text.unit_summary(rd, "D1").markdown
    assert "**Tổng điểm: 99,16/100** — xếp loại **Xuất sắc**" in summary
    assert "2/4 trong " + escape_markdown("các sở, ban, ngành") in summary
    assert escape_markdown("+9,16") + " điểm (kỳ trước 90,00 điểm)" in summary
    assert "chưa có số liệu kỳ đó" in text.unit_summary(rd, "D4").markdown


def test_unknown_unit_is_a_clear_error(rd):
    with pytest.raises(ChisoError, match="'NOPE'"):
        unit_tables.group_table(rd, "NOPE")


def test_group_table_with_total_row(rd):
    g = unit_tables.group_table(rd, "D1")
    assert g["Nhóm"].tolist() == ["1", "2", "3", "4", "5", ""]
    assert g["Điểm"].tolist() == [18.0, 19.16, 22.0, 22.0, 18.0, 99.16]
    assert g["Tối đa"].tolist() == [18.0, 20.0, 22.0, 22.0, 18.0, 100.0]
    assert g.loc[1, "Tỷ lệ đạt (%)"] == pytest.approx(95.8)
    assert g.loc[5, "Điểm bị mất"] == pytest.approx(0.84)


def test_indicator_table_says_no_data_not_zero(rd):
    t = unit_tables.indicator_table(rd, "D4").set_index("Mã")
    assert len(t) == 22
    assert np.isnan(t.loc["5.1", "Điểm"]) and np.isnan(t.loc["5.1", "Tử số"])
    assert t.loc["5.1", "Tối đa"] == 6.0
    assert t.loc["5.1", "Ghi chú"] == "Chưa có số liệu"
    assert t.loc["5.3", "Ngưỡng (%)"] == 90.0 and t.loc["1.1", "Ngưỡng (%)"] == 100.0
    # 2.2 is analysis only: no points shown, its average days in the note.
    assert np.isnan(t.loc["2.2", "Điểm"])
    assert t.loc["2.2", "Ghi chú"] == "Chỉ để phân tích, không tính điểm; Bình quân 4,3 ngày"
    block = tables.table_block(unit_tables.indicator_table(rd, "D4")).markdown
    cells = ["5.1", "Tỷ lệ phản ánh, kiến nghị (PAKN) xử lý đúng hạn", "—", "—", "—", "—", "6,00", "—"]
    assert "| " + " | ".join(map(escape_markdown, cells)) + " |" in block


def test_what_it_takes(rd):
    w = unit_tables.what_it_takes(rd, "D1")
    assert w["Mã"].tolist() == ["2.1"]
    assert w.loc[0, "Cần thêm"] == 42  # 958/1000 on time: 42 more for 100 %
    assert w.loc[0, "Điểm bị mất"] == pytest.approx(0.84)
    assert w.loc[0, "Việc cần làm"] == "Cần thêm 42 hồ sơ xử lý đúng hạn ⇒ +0,84 điểm (đạt điểm tối đa)"
    d3 = unit_tables.what_it_takes(rd, "D3")  # 5.3 = 80/100, threshold 90 %: 10 more
    assert d3.loc[0, "Cần thêm"] == 10
    assert d3.loc[0, "Việc cần làm"].startswith("Cần thêm 10 hồ sơ được đánh giá hài lòng ⇒ +0,67 điểm")
    # no data is not a lost point to restore; full marks: nothing to do
    assert unit_tables.what_it_takes(rd, "D4").empty
    assert "đạt điểm tối đa ở mọi chỉ số" in unit_tables.what_it_takes_block(rd, "C1").markdown


def test_trend_table(rd):
    t = unit_tables.trend_table(rd, "D1")
    assert t["Kỳ"].tolist() == ["Quý 1/2026", "Quý 2/2026"]
    assert t["Tổng điểm"].tolist() == [90.0, 99.16]
    assert t["Hạng"].tolist() == ["3/3", "2/4"]
    assert np.isnan(t.loc[0, "Thay đổi"]) and t.loc[1, "Thay đổi"] == 9.16
    assert unit_tables.trend_table(rd, "D4")["Kỳ"].tolist() == ["Quý 2/2026"]


def test_internal_tables(rd):
    by_procedure = internal_tables.overdue_by(rd, "D1", "procedure")
    assert by_procedure.values.tolist() == [["1.001", "Cấp phép <b>", 3], ["1.002", "Đăng ký", 1]]
    by_step = internal_tables.overdue_by(rd, "D1", "step")
    assert by_step.values.tolist() == [["Thẩm định", 2], ["(không rõ)", 1], ["Phê duyệt", 1]]
    assert internal_tables.overdue_by(rd, "D1", "official").values.tolist() == [["CB01", 3], ["CB02", 1]]
    assert internal_tables.supplements_table(rd, "D1")["Mã hồ sơ"].tolist() == ["H5", "H2"]
    assert internal_tables.late_pakn_table(rd, "D1").iloc[0].tolist() == ["PA1", "02/04/2026", "23/04/2026",
                                                                  "Chưa xử lý xong", 40.0]
    blocks = "".join(b.markdown for b in internal_tables.internal_blocks(rd, "D1"))
    assert "CB01" in blocks and escape_markdown("Cấp phép <b>") in blocks
    assert internal_tables.overdue_by(rd, "D2", "procedure").empty


def test_internal_sections_need_internal_data(public):
    assert text.show_internal(public, "public") is False
    with pytest.raises(ChisoError, match="public edition"):
        text.show_internal(public, "internal")
    with pytest.raises(ValueError, match="internal edition"):
        internal_tables.overdue_by(public, "D1", "official")


# -- province summary --------------------------------------------------------------------------


def test_ranking_with_ties(rd):
    r = province_tables.ranking_table(rd, "department")
    assert r["Mã"].tolist() == ["D3", "D1", "D2", "D4"]
    assert r["Hạng"].tolist() == [1, 2, 2, 4]  # ties share a rank, the next rank skips
    assert r["Tổng điểm"].tolist() == [99.33, 99.16, 99.16, 88.0]
    assert r["Thay đổi so với kỳ trước"].tolist()[:3] == [-0.67, 9.16, 0.0]
    assert np.isnan(r["Thay đổi so với kỳ trước"].iloc[3])  # D4 had no previous quarter
    assert province_tables.ranking_table(rd, "commune")["Hạng"].tolist() == [1, 2]


def test_band_distribution(rd):
    b = province_tables.band_distribution(rd)
    assert b.columns.tolist() == ["Cấp", "Xuất sắc", "Tốt", "Khá", "Trung bình", "Yếu", "Tổng"]
    assert b.values.tolist() == [["Sở, ban, ngành", 3, 1, 0, 0, 0, 4], ["Xã, phường", 2, 0, 0, 0, 0, 2]]


def test_movers(rd):
    up = province_tables.movers(rd, "up")
    assert up[["Mã", "Kỳ trước", "Kỳ này", "Thay đổi"]].values.tolist() == [["D1", 90.0, 99.16, 9.16]]
    down = province_tables.movers(rd, "down")
    assert down["Mã"].tolist() == ["C2", "D3"]  # −1.00, then −0.67
    assert down["Thay đổi"].tolist() == [-1.0, -0.67]
    assert province_tables.movers(rd, "down", n=1)["Mã"].tolist() == ["C2"]


def test_weakest_indicators(rd):
    w = province_tables.weakest_indicators(rd, n=3)
    assert w["Mã"].tolist() == ["1.4", "5.3", "2.1"]
    assert w["Tỷ lệ đạt bình quân (%)"].round(2).tolist() == [91.67, 98.14, 98.6]
    assert w["Điểm bình quân"].round(4).tolist() == [5.5, 5.8883, 19.72]
    assert w["Số đơn vị chưa đạt tối đa"].tolist() == [1, 1, 2]
    all_rows = province_tables.weakest_indicators(rd, n=30).set_index("Mã")
    assert all_rows.loc["5.1", "Số đơn vị chưa có số liệu"] == 1  # D4
    assert "2.2" not in all_rows.index


def test_enforcement_map_by_group_and_indicator(rd):
    points, share = maps.enforcement_map(rd, "department", "group")
    assert points["Mã"].tolist() == ["D3", "D1", "D2", "D4"]
    assert points.columns[2] == "1. Công khai, minh bạch (18)"
    assert points["5. Mức độ hài lòng (18)"].tolist() == [17.33, 18.0, 18.0, 6.0]
    assert share["5. Mức độ hài lòng (18)"].iloc[3] == pytest.approx(6 / 18)
    assert share["Tổng điểm"].tolist() == pytest.approx([0.9933, 0.9916, 0.9916, 0.88])
    fills = maps.map_fills(rd, share)
    assert pd.isna(fills.loc[0, "Đơn vị"])
    assert fills.loc[3, "5. Mức độ hài lòng (18)"] == colours.tint("#d64541")  # 33 % → Yếu
    assert fills.loc[3, "Tổng điểm"] == colours.tint("#7cc36b")  # 88 → Tốt
    points, share = maps.enforcement_map(rd, "commune", "indicator")
    assert "2.2 (0)" not in points.columns and "2.1 (20)" in points.columns
    assert points.loc[1, "1.4 (6)"] == 3.0 and share.loc[1, "1.4 (6)"] == 0.5


def test_map_block_escapes_names_in_both_formats(rd):
    block = maps.map_block(rd, "department", "group", "Bản đồ")
    assert "<script>alert" not in block.markdown.split("```{=typst}")[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; | *x*" in block.markdown
    assert '"<script>alert(1)</script> | *x*"' in block.markdown  # a Typst string: never markup


def test_markdown_escapes_names(rd):
    ranking = tables.table_block(province_tables.ranking_table(rd, "department")).markdown
    assert escape_markdown(EVIL_NAME) in ranking
    assert "<script>" not in ranking
    header = text.unit_header(rd, "D3").markdown
    assert escape_markdown(EVIL_NAME) in header and "<script>" not in header
    assert "dữ liệu mẫu" in header  # the sample statement, besides the renderer's banner


def test_formatted_numbers(rd):
    shown = tables.formatted(province_tables.ranking_table(rd, "department"))
    assert shown.iloc[0].tolist() == ["1", "D3", EVIL_NAME, "99,33", "Xuất sắc", "−0,67"]
    assert shown.iloc[3, 5] == "—"
    counts = tables.formatted(province_tables.band_distribution(rd))
    assert counts.iloc[0].tolist() == ["Sở, ban, ngành", "3", "1", "0", "0", "0", "4"]


def test_title_and_banner(rd, public):
    assert text.report_title(rd, "D1") == "Sở A — Bộ chỉ số phục vụ người dân, doanh nghiệp, Quý 2/2026"
    assert text.report_title(rd).startswith("Tổng hợp toàn tỉnh — Tỉnh Mẫu — ")
    assert "DỮ LIỆU MẪU" in text.banner(rd)
    assert text.banner(public) is None


# -- Excel -------------------------------------------------------------------------------------


def test_excel_ranking_and_maps(rd, tmp_path):
    path = excel.write_excel(rd, tmp_path / "bang-xep-hang.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Xếp hạng", "Bản đồ - nhóm", "Bản đồ - chỉ số"]
    ranking = book["Xếp hạng"]
    assert "DỮ LIỆU MẪU" in ranking["A2"].value
    header = [c.value for c in ranking[3]]
    assert header == ["Cấp", "Hạng", "Mã", "Đơn vị", "Tổng điểm", "Xếp loại", "Thay đổi so với kỳ trước"]
    rows = [[c.value for c in row] for row in ranking.iter_rows(min_row=4)]
    assert rows[0] == ["Sở, ban, ngành", 1, "D3", EVIL_NAME, 99.33, "Xuất sắc", -0.67]
    assert rows[3][6] is None  # no previous quarter: blank, not 0
    assert [r[2] for r in rows] == ["D3", "D1", "D2", "D4", "C1", "C2"]
    assert ranking["E4"].number_format == "0.00"
    assert ranking.freeze_panes == "A4"
    assert ranking.auto_filter.ref == "A3:G9"
    assert len(ranking.conditional_formatting) >= 1
    groups = book["Bản đồ - nhóm"]
    assert [c.value for c in groups[3]][:3] == ["Cấp", "Mã", "Đơn vị"]
    assert groups.freeze_panes == "D4"
    assert groups["H7"].value == 6.0 and groups["H7"].number_format == "0.00"
    rules = [r for cf in groups.conditional_formatting for r in cf.rules]
    assert {r.type for r in rules} == {"containsBlanks", "cellIs"}
    indicators = book["Bản đồ - chỉ số"]
    assert [c.value for c in indicators[3]][3:5] == ["1.1 (6)", "1.2 (4)"]


def test_long_internal_lists_are_cut(rd):
    many = pd.DataFrame({"unit": "D1", "MaHoSo": [f"H{i:03d}" for i in range(60)], "MaTTHC": "1.001",
                         "TenTTHC": "Cấp phép", "requests": 2})
    blocks = internal_tables.internal_blocks(dataclasses.replace(rd, supplements=many), "D1")
    shown = "".join(b.markdown for b in blocks)
    assert "H049" in shown and "H050" not in shown
    assert "… và 10 dòng khác." in shown


def test_no_data_note_says_what_is_missing_in_vietnamese():
    from chiso.report.unit_tables import _missing_input_vi

    assert _missing_input_vi("no data: missing table pakn, column hoso.DanhGia") == "thiếu bảng pakn, cột hoso.DanhGia"
    assert _missing_input_vi("offering judged from dossiers only") == ""
    assert _missing_input_vi(None) == ""


def test_the_workbook_is_the_same_bytes_when_rebuilt_from_the_same_data(rd, tmp_path):
    """Its creation time is the report data's build time, not the moment it is written."""
    import time

    first = excel.write_excel(rd, tmp_path / "a.xlsx").read_bytes()
    time.sleep(1.1)  # the workbook's times have whole seconds
    assert excel.write_excel(rd, tmp_path / "b.xlsx").read_bytes() == first



def test_a_huge_unit_name_is_capped_in_the_report_data():
    """A 1.6 MB name (a corrupt cell) would reach titles and pandoc's command line
    ("Argument list too long"): the report data keeps its first 200 characters."""
    import tiny_report

    huge = "Sở " + "A" * 1_600_000
    units = tiny_report.UNITS.assign(name=tiny_report.UNITS["name"].where(tiny_report.UNITS["unit"] != "D1", huge))
    rd = tiny_report.assemble_report_data(
        {code: tiny_report.scored_period(code) for code in ("2026-Q1", "2026-Q2")}, units, tiny_report.METHODOLOGY,
        tiny_report.Period.quarter(2026, 2), source_kind="sample", province="Tỉnh Mẫu", fingerprint="0" * 64)
    name = rd.unit_total("D1")["name"]
    assert len(name) == 200 and name.endswith("…") and name.startswith("Sở AAA")
    assert len(text.report_title(rd, "D1")) < 300
