"""An independent dataset in the data contract, built by hand around the rules of spec §3,
run end to end through `chiso compute` (CSV files -> loader -> indicators -> CSV).

Every expected numerator and denominator below was worked out by hand from
tests/data/handmade/*.csv; the comments give the reasoning (dossiers A* belong to the
department T00.01, B* to the commune T00.101; the commune T00.102 has nothing).
Vietnam's 2026 holidays inside Q2: Mon 27/4 (Giỗ Tổ, observed), Thu 30/4, Fri 1/5.
"""

from pathlib import Path

import pandas as pd
import pytest

from chiso import reasons
from chiso.cli import main

DATA = Path(__file__).parent / "data" / "handmade"


def compute(tmp_path, period, as_of=None):
    out = tmp_path / f"{period}-{as_of}.csv"
    argv = ["compute", "--data", str(DATA), "--period", period, "--out", str(out)]
    if as_of:
        argv += ["--as-of", as_of]
    assert main(argv) == 0
    table = pd.read_csv(out, dtype={"unit": str, "indicator": str})
    return table.set_index(["unit", "indicator"])


def fraction(table, unit, indicator):
    row = table.loc[(unit, indicator)]
    return (row["numerator"], row["denominator"])


@pytest.fixture(scope="module")
def q2(tmp_path_factory):
    return compute(tmp_path_factory.mktemp("q2"), "2026-Q2")


def test_on_time_quarter(q2):
    # In scope (D1): A1 on time; A2 two supplement requests => overdue; A3 one pending
    # request => end = request, on time; A4 citizen's 2 days subtracted => on time; A5 no due
    # date, 5 working days skip 27/4, 30/4, 1/5 => due 6/5, done 5/5 => on time; A6 carried
    # over from Q1 => on time; A8 in progress within due; A9 in progress past due => overdue;
    # A11 rejected before due; A12 withdrawn after acceptance. Out: A7 (finished in Q1),
    # A10 (withdrawn before acceptance).
    assert fraction(q2, "T00.01", "2.1") == (8, 10)
    # B1 on time, B2 due 4/5 (1 working day after 29/4 across the holidays), done 4/5 16:00;
    # B3 finished after due.
    assert fraction(q2, "T00.101", "2.1") == (2, 3)
    assert fraction(q2, "T00.102", "2.1") == (0, 0)
    assert fraction(q2, "T00", "2.1") == (10, 13)  # the province rolls up its units


def test_on_time_as_of(tmp_path):
    # As of 10/4: A1 on time, A2 overdue, A3 pending, A4 in progress with 2 citizen days,
    # A6 carried over.
    table = compute(tmp_path, "2026-Q2", as_of="2026-04-10")
    assert fraction(table, "T00.01", "2.1") == (4, 5)
    assert fraction(table, "T00.101", "2.1") == (0, 0)


def test_on_time_month(tmp_path):
    # April: A5 still in progress on 30/4, due 6/5 => on time; B2 in progress, due 4/5.
    table = compute(tmp_path, "2026-04")
    assert fraction(table, "T00.01", "2.1") == (5, 6)
    assert fraction(table, "T00.101", "2.1") == (2, 2)


def test_synced(q2):
    # Received in Q2 and accepted: A1 A2 A3 A4 A5 A8 A9 A11 A12 (A12 blank = not synced).
    assert fraction(q2, "T00.01", "1.4") == (6, 9)
    # Booleans spelled x / có / không.
    assert fraction(q2, "T00.101", "1.4") == (2, 3)


def test_feedback(q2):
    # P1 handled in 13 working days (unsatisfied); P2 handled after 15; P3 open, not yet
    # past 15; P4 open past 15; P5 received in Q1.
    assert fraction(q2, "T00.101", "5.1") == (2, 4)
    assert fraction(q2, "T00.101", "5.2") == (1, 4)
    assert fraction(q2, "T00.01", "5.1") == (1, 1)
    # No feedback at all: zero denominator, full points.
    row = q2.loc[("T00.102", "5.1")]
    assert (row["denominator"], row["points"]) == (0, 6)
    assert fraction(q2, "T00", "5.1") == (3, 5)


def test_dossier_satisfaction(q2):
    # D1: 10 in scope minus A2, A9 (overdue), A4 (rated unsatisfied), A11 (a PAKN about it).
    assert fraction(q2, "T00.01", "5.3") == (6, 10)
    assert fraction(q2, "T00.101", "5.3") == (2, 3)


def test_missing_columns_are_no_data_not_zero(q2):
    # hoso has no KetQuaDienTu / SoHoa / TaiSuDung columns.
    for code in ("4.1", "4.2", "4.3"):
        row = q2.loc[("T00.01", code)]
        assert pd.isna(row["numerator"]) and pd.isna(row["points"])


def test_certified_copy_communes(q2):
    # No tthc_donvi: a commune offers the service when it received a dossier of it in P
    # (B2 at T00.101) -> the province 1 / 2. Spec §5 R13 (supersedes each unit's own figure):
    # every unit shows the province's 1 / 2, the department too (it used to be not
    # applicable, scored in full); each unit's own figure stays as own_numerator/denominator.
    assert fraction(q2, "T00", "4.5") == (1, 2)
    for unit in ("T00.01", "T00.101", "T00.102"):
        assert fraction(q2, unit, "4.5") == (1, 2)
    assert q2.loc[("T00.01", "4.5"), "points"] == 1.0


def own_figures_methodology(folder):
    """qd766-2022 without province-level codes (spec §5 R13): each unit's own 1.1–1.3, 4.5."""
    from chiso.paths import params_dir

    text = (params_dir() / "methodology" / "qd766-2022.yaml").read_text(encoding="utf-8")
    path = folder / "own.yaml"
    path.write_text(text.replace('province_level_codes: ["1.1", "1.2", "1.3", "4.5"]', "province_level_codes: []"),
                    encoding="utf-8")
    return str(path)


def test_report_data_keeps_the_not_applicable_status(tmp_path):
    from chiso.report.data import build_report_data

    # with each unit's own 4.5 (no province-level codes): the department has no commune
    rd = build_report_data(f"dossiers:{DATA}", "2026-Q2", own_figures_methodology(tmp_path), tmp_path / "run")
    row = rd.current("indicators").set_index(["unit", "indicator"]).loc[("T00.01", "4.5")]
    assert (row["status"], row["points"]) == ("not_applicable", 2.0)


def test_report_says_when_the_total_lacks_data(tmp_path):
    from chiso.report import text
    from chiso.report.data import build_report_data

    rd = build_report_data(f"dossiers:{DATA}", "2026-Q2", "qd766-2022", tmp_path / "run")
    summary = text.unit_summary(rd, "T00.01").markdown
    assert "15 chỉ số thành phần (54 điểm) chưa có số liệu" in summary


@pytest.fixture
def broken_export(tmp_path):
    """The hand-made export with a bad date (A3) and an unknown unit (B3)."""
    import shutil

    folder = tmp_path / "broken"
    shutil.copytree(DATA, folder)
    hoso = (folder / "hoso.csv").read_text(encoding="utf-8")
    hoso = hoso.replace("A3,1.000001,T00.01,2,2026-04-06 08:00", "A3,1.000001,T00.01,2,2026-13-06 08:00")
    hoso = hoso.replace("B3,1.000002,T00.101", "B3,1.000002,T99.999")
    (folder / "hoso.csv").write_text(hoso, encoding="utf-8")
    return folder


def test_reports_show_the_input_quality(broken_export, tmp_path):
    from chiso.report import quality
    from chiso.report.data import build_report_data, load_report_data

    build_report_data(f"dossiers:{broken_export}", "2026-Q2", "qd766-2022", tmp_path / "public")
    public = "".join(b.markdown for b in quality.input_quality_blocks(load_report_data(tmp_path / "public" / "_data")))
    assert "| Hồ sơ \\(hoso\\) | hoso\\.csv | 15 | 13 | 2 |" in public
    assert "ngày giờ không đọc được" in public and "đơn vị không có trong danh mục" in public
    assert "T99" not in public and "2026\\-13" not in public  # no cell value in the public edition
    # spec §5: what the rules counted but kept, and the export date (unknown here, R9)
    assert "Các quy tắc tính đã ghi nhận" in public and "lệ phí để trống" in public
    assert "Ngày xuất dữ liệu: không rõ" in public
    # and in the header of every report, beside the period (R9)
    from chiso.report.text import province_header, unit_header

    rd = load_report_data(tmp_path / "public" / "_data")
    assert "**Ngày xuất dữ liệu:** không rõ" in province_header(rd).markdown
    assert "**Ngày xuất dữ liệu:** không rõ" in unit_header(rd, "T00.01").markdown

    build_report_data(f"dossiers:{broken_export}", "2026-Q2", "qd766-2022", tmp_path / "internal", edition="internal")
    internal = "".join(b.markdown for b in quality.input_quality_blocks(load_report_data(tmp_path / "internal" / "_data")))
    assert "T99\\.999" in internal and "2026\\-13\\-06 08\\:00" in internal


def test_every_report_header_shows_an_export_date_before_the_period_end(tmp_path):
    """R9: the export date is printed beside the period, with a warning when the export was
    made before the period ended (what happened after it is missing)."""
    import shutil

    from chiso.report.data import build_report_data
    from chiso.report.text import province_header, unit_header

    folder = tmp_path / "early-export"
    shutil.copytree(DATA, folder)
    (folder / "_metadata.json").write_text('{"export_date": "2026-06-20"}', encoding="utf-8")
    rd = build_report_data(f"dossiers:{folder}", "2026-Q2", "qd766-2022", tmp_path / "out")
    for header in (province_header(rd).markdown, unit_header(rd, "T00.01").markdown):
        assert "**Ngày xuất dữ liệu:** 20/06/2026 (\\_metadata\\.json) **— lưu ý: dữ liệu xuất trước khi kỳ " \
               "báo cáo kết thúc" in header


def test_an_empty_feedback_export_means_no_feedback_not_no_data(tmp_path):
    import shutil

    folder = tmp_path / "empty-pakn"
    shutil.copytree(DATA, folder)
    header = (folder / "pakn.csv").read_text(encoding="utf-8").splitlines()[0]
    (folder / "pakn.csv").write_text(header + "\n", encoding="utf-8")
    out = tmp_path / "scores.csv"
    assert main(["compute", "--data", str(folder), "--period", "2026-Q2", "--out", str(out)]) == 0
    table = pd.read_csv(out, dtype={"unit": str, "indicator": str}).set_index(["unit", "indicator"])
    for code in ("5.1", "5.2"):
        row = table.loc[("T00.101", code)]
        assert (row["denominator"], row["points"]) == (0, 6.0)
    # 5.3 still counts dossiers: nobody's feedback lowers it now
    assert fraction(table, "T00.01", "5.3") == (7, 10)


def test_compute_lists_the_rows_set_aside(broken_export, tmp_path):
    out, quality, set_aside = tmp_path / "s.csv", tmp_path / "q.csv", tmp_path / "a.csv"
    assert main(["compute", "--data", str(broken_export), "--period", "2026-Q2", "--out", str(out),
                 "--quality", str(quality), "--set-aside", str(set_aside)]) == 0
    counts = pd.read_csv(quality).set_index(["table", "reason"])
    assert counts.loc[("hoso", reasons.UNPARSEABLE_DATE), "set_aside"] == 2  # the table's total
    assert counts.loc[("hoso", reasons.UNPARSEABLE_DATE), "rows"] == 1  # this reason's
    # each reason as its code and, beside it, its text (in English, like the command line)
    assert counts.loc[("hoso", reasons.UNPARSEABLE_DATE), ["column", "reason_text"]].tolist() == [
        "NgayTiepNhan", "unparseable date"]
    assert counts.loc[("hoso", reasons.BLANK_FEE), "reason_text"] == "blank fee counted in 3.6"
    rows = pd.read_csv(set_aside)
    assert len(rows) == 6 and {"file", "row", "column", "value", "reason", "reason_text", "detail"} <= set(rows.columns)
    unknown = rows[rows["reason"] == reasons.UNKNOWN_UNIT].iloc[0]
    assert (unknown["column"], unknown["value"], unknown["reason_text"]) == ("MaDonVi", "T99.999", "unknown unit")
    assert "note" in pd.read_csv(out).columns


def test_summary_and_site_say_which_indicators_lack_data(tmp_path):
    from chiso.paths import RunFolder
    from chiso.report import site, text
    from chiso.report.data import build_report_data

    rd = build_report_data(f"dossiers:{DATA}", "2026-Q2", "qd766-2022", tmp_path / "run")
    coverage = text.data_coverage(rd)
    assert coverage.startswith("chưa có số liệu: 1.1, 1.2, 1.3, 3.1")
    assert "(mọi đơn vị)" in coverage
    assert "Lưu ý về số liệu" in text.province_header(rd).markdown
    page = site.write_site(rd, RunFolder(tmp_path / "run"), {}).read_text(encoding="utf-8")
    assert "Lưu ý về số liệu" in page and "1.1, 1.2, 1.3" in page


def test_reports_keep_each_units_own_province_level_figure_as_analysis(tmp_path):
    # spec §5 R13: every unit shows the province's 4.5 (1/2); the note beside it gives the
    # unit's own figure (commune T00.101 1/1, the department: not applicable)
    from chiso.report.data import build_report_data

    rd = build_report_data(f"dossiers:{DATA}", "2026-Q2", "qd766-2022", tmp_path / "run")
    notes = rd.current("indicators").set_index(["unit", "indicator"])["source_note"]
    assert notes[("T00.101", "4.5")].endswith("riêng đơn vị: 1/1")
    assert notes[("T00.01", "4.5")].endswith("riêng đơn vị: không áp dụng")
    assert notes[("T00", "4.5")] == ""


def test_reports_show_processing_time_per_procedure(tmp_path):
    # spec §5 R8: T00.01's dossiers finished in Q2 by procedure: 1.000001 (A1, A2, A4, A5, A6)
    # and 1.000002 (A11 rejected, A12 withdrawn), in working days
    from chiso.report import unit_tables
    from chiso.report.data import build_report_data

    rd = build_report_data(f"dossiers:{DATA}", "2026-Q2", "qd766-2022", tmp_path / "run")
    block = unit_tables.processing_time_block(rd, "T00.01").markdown
    assert "Cấp phiếu lý lịch tư pháp" in block and "ngày làm việc" in block
    rows = rd.processing_times.set_index(["unit", "MaTTHC"])
    assert rows.loc[("T00.01", "1.000001"), "dossiers"] == 5 and rows.loc[("T00.01", "1.000002"), "dossiers"] == 2
