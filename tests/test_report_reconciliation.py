"""Both sources in one report: official points, the province's figures beside DVCQG's, the
differences explained (chiso.report.reconciliation), on the hand-built pair and the sample."""

import shutil

import openpyxl
import pandas as pd
import pytest

from chiso.cli import main
from chiso.report import reconciliation as rec
from chiso.paths import RunFolder
from chiso.report.data import build_report_data
from reconcile_pair import build_pair


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    return build_pair(tmp_path_factory.mktemp("pair"))


def report_data(pair, tmp_path, edition, period="2026-Q2"):
    data, official_dir, _, _ = pair
    return build_report_data(f"official:{official_dir.parent}", period, "qd766-2022", tmp_path / edition,
                             edition=edition, dossiers=data.files["hoso"].parent)


@pytest.fixture(scope="module")
def internal(pair, tmp_path_factory):
    return report_data(pair, tmp_path_factory.mktemp("run"), "internal")


@pytest.fixture(scope="module")
def public(pair, tmp_path_factory):
    return report_data(pair, tmp_path_factory.mktemp("run"), "public")


def test_points_and_ranks_are_the_official_ones(public):
    totals = public.current("totals").set_index("unit")
    assert {"H99.1", "H99.5", "H99", "H99.9"} == set(totals.index)  # the portal's codes
    assert public.meta["source_label"].endswith("đối chiếu với dữ liệu hồ sơ của tỉnh")
    # 2.1 of the department: DVCQG's 6/8, not the province's 8/10.
    row = public.current("indicators").set_index(["unit", "indicator"]).loc[("H99.1", "2.1")]
    assert (row["numerator"], row["denominator"]) == (6, 8)


def test_both_columns_under_each_sub_indicator(public):
    table = rec.comparison_table(public, "H99.1").set_index("Mã")
    row = table.loc["2.1"]
    assert (row["Tử số DVCQG"], row["Mẫu số DVCQG"], row["Tử số tỉnh"], row["Mẫu số tỉnh"]) == (6, 8, 8, 10)
    assert row["Giải thích"] == "hồ sơ chưa đồng bộ lên DVCQG (tử số +2, mẫu số +2)"
    assert table.loc["5.1", "Giải thích"] == "Khớp"
    commune = rec.comparison_table(public, "H99.5").set_index("Mã")
    assert commune.loc["5.1", "Giải thích"] == "chưa giải thích được (tử số +1)"
    assert commune.loc["2.1", "Giải thích"] == ("hồ sơ chưa đồng bộ lên DVCQG (mẫu số +1); trạng thái đồng bộ muộn "
                                                "(tử số +1); thủ tục không có trong danh mục (mẫu số −1)")


def test_public_edition_shows_only_counts_and_classes(public, tmp_path):
    assert public.reconciliation_dossiers is None
    text = "".join(b.markdown for b in rec.comparison_blocks(public, "H99.5", internal=False))
    assert "Tử số DVCQG" in text and "chưa giải thích được" in text
    assert not {"A3", "B2", "B3", "C1"} & set(text.replace("|", " ").split())
    assert rec.province_blocks(public, internal=False) == []
    assert rec.write_unsynced_excel(public, tmp_path / "x.xlsx") is None
    for table in (public.reconciliation, public.reconciliation_units):
        assert "MaHoSo" not in table.columns


def test_internal_edition_lists_the_dossiers_behind_the_difference(internal):
    dossiers = rec.difference_dossiers(internal, "H99.5")
    assert list(dossiers["Mã hồ sơ"]) == ["B3", "B2", "C1"]  # not synced, late status, missing procedure
    assert list(dossiers["Nguyên nhân"]) == ["hồ sơ chưa đồng bộ lên DVCQG", "trạng thái đồng bộ muộn",
                                             "thủ tục không có trong danh mục"]
    text = "".join(b.markdown for b in rec.comparison_blocks(internal, "H99.1", internal=True))
    assert "A3" in text and "A8" in text
    # the province sees every unit's dossiers
    assert set(rec.difference_dossiers(internal, "H99")["Mã hồ sơ"]) == {"A3", "A8", "B2", "B3", "C1"}


def test_unmatched_units_say_so(internal):
    text = "".join(b.markdown for b in rec.comparison_blocks(internal, "H99.9", internal=True))
    assert "không có trong dữ liệu hồ sơ" in text
    unmatched = rec.unmatched_units(internal).set_index("Mã")
    assert unmatched.loc["T00.102", "Tên"] == "Phường Hà Tĩnh"
    assert unmatched.loc["H99.9", "Chỉ có ở"] == "Cổng DVCQG"
    assert any("Sở Ngoại vụ" in n for n in internal.meta["source_notes"])


def test_reconciliation_page_and_workbook_for_the_sync_team(internal, tmp_path):
    ranked = rec.units_by_unexplained(internal)
    assert ranked.iloc[0]["Mã"] == "H99.5"  # the only unexplained difference
    text = "".join(b.markdown for b in rec.province_blocks(internal, internal=True))
    assert "Đối chiếu với Cổng DVCQG" in text and rec.UNSYNCED_EXCEL_NAME in text
    path = rec.write_unsynced_excel(internal, tmp_path / rec.UNSYNCED_EXCEL_NAME)
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == ["Theo đơn vị", "Hồ sơ chưa đồng bộ"]
    rows = [r for r in book["Hồ sơ chưa đồng bộ"].iter_rows(values_only=True)]
    header = rows.index(next(r for r in rows if r and r[0] == "Mã đơn vị"))
    listed = pd.DataFrame(rows[header + 1:], columns=rows[header])
    assert sorted(listed["Mã hồ sơ"]) == ["A3", "A8", "B3"]
    assert set(listed["Mã đơn vị"]) == {"H99.1", "H99.5"}


def test_official_side_lacks_the_quarter(pair, tmp_path):
    rd = report_data(pair, tmp_path, "public", period="2026-Q3")
    assert rd.meta["source_kind"] == "dossiers" and rd.reconciliation is None
    assert any("2026-Q3" in n and "tính từ dữ liệu hồ sơ" in n for n in rd.meta["source_notes"])
    text = "".join(b.markdown for b in rec.comparison_blocks(rd, "T00.01", internal=False))
    assert "tính từ dữ liệu hồ sơ" in text


def test_dossier_side_lacks_the_quarter(pair, tmp_path):
    data, official_dir, _, _ = pair
    official = tmp_path / "dvcqg"
    shutil.copytree(official_dir, official / "2025-Q2")
    rd = build_report_data(f"official:{official}", "2025-Q2", "qd766-2022", tmp_path / "run",
                           dossiers=data.files["hoso"].parent)
    assert rd.reconciliation is None and rd.meta["source_kind"] == "official"
    assert any("không có hồ sơ nào tiếp nhận" in n for n in rd.meta["source_notes"])


def test_dossiers_need_official_results(pair, tmp_path):
    data = pair[0]
    with pytest.raises(Exception, match="--dossiers goes with official results"):
        build_report_data(f"dossiers:{data.files['hoso'].parent}", "2026-Q2", "qd766-2022", tmp_path / "run",
                          dossiers=data.files["hoso"].parent)


def test_make_report_on_the_sample_shows_both_columns(monkeypatch, tmp_path):
    """`make report QUARTER=2` (sample): official points from the sample's own results, both columns."""
    import chiso.paths
    import chiso.report.data

    monkeypatch.setattr(chiso.paths, "SAMPLE_ROOT", tmp_path / "sample")
    out = tmp_path / "reports"
    assert main(["report", "--quarter", "2", "--scale", "0.005", "--unit", "S99.02", "--no-pdf",
                 "--out", str(out), "--jobs", "1"]) == 0
    html = RunFolder(out / "2026-Q2").report("S99.02", "html").read_text(encoding="utf-8")
    assert "Tử số DVCQG" in html and "Tử số tỉnh" in html and "DỮ LIỆU MẪU" in html
    rd = chiso.report.data.load_report_data(out / "2026-Q2" / "_data")
    assert rd.meta["source_label"].startswith("Dữ liệu mẫu") and rd.reconciliation is not None
    # 1.4 differs wherever a dossier was not synced: the portal's denominator is provisional
    sync = rd.reconciliation[(rd.reconciliation["indicator"] == "1.4") & ~rd.reconciliation["matches"]]
    assert len(sync) and sync["explained"].all()
