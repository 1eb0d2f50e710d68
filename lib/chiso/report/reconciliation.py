"""Both sources in one report: the portal's figures (which give the official points) beside
the province's own, and why they differ (:mod:`chiso.reconcile`).

- Unit report, every edition: under the sub-indicator table, DVCQG's numerator and
  denominator beside the province's, the difference and its explanation classes with their
  counts ("hồ sơ chưa đồng bộ lên DVCQG: mẫu số +2"), or "chưa giải thích được".
- Unit report, internal edition: the dossiers behind the differences (not synced, status
  synced late, procedure missing from the catalogue).
- Province summary, internal edition: the reconciliation page — units sorted by the size
  of their unexplained difference, the units matched across the two sides and those left
  unmatched — and the workbook of unsynced dossiers per unit for Sở KH&CN (which runs the
  sync), :data:`UNSYNCED_EXCEL_NAME`.

Nothing here shows when the run had only one source.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from chiso import formatting as fmt
from chiso.reconcile import CLASSES
from chiso.report.blocks import ReportBlock, escape_markdown
from chiso.report.data import ReportData
from chiso.report.internal_tables import capped
from chiso.report.tables import heading, table_block

UNSYNCED_EXCEL_NAME = "ho-so-chua-dong-bo.xlsx"


def has_both_sources(rd: ReportData) -> bool:
    return rd.reconciliation is not None


def _signed_count(value) -> str:
    return ("+" if value > 0 else fmt.MINUS) + fmt.integer(abs(value)) if value else "0"


def _explanation(row) -> str:
    """The classes of a row's difference with their share: "hồ sơ chưa đồng bộ lên DVCQG (mẫu số +2)"."""
    if row["matches"]:
        return "Khớp"
    parts = []
    for key in CLASSES:
        shares = [f"{label} {_signed_count(row[f'{key}_{part}'])}"
                  for part, label in (("numerator", "tử số"), ("denominator", "mẫu số"))
                  if abs(row[f"{key}_{part}"]) > 1e-9]
        if shares:
            parts.append(f"{CLASSES[key]} ({', '.join(shares)})")
    return "; ".join(parts) or CLASSES["unexplained"]


def comparison_table(rd: ReportData, unit: str) -> pd.DataFrame:
    """One row per sub-indicator both sources have: Mã, Chỉ số thành phần, DVCQG tử số /
    mẫu số, tỉnh tử số / mẫu số, Chênh lệch điểm (tỉnh − DVCQG), Giải thích (classes with
    their counts, "Khớp" when the figures agree, "chưa giải thích được" for what is left)."""
    rows = rd.reconciliation[rd.reconciliation["unit"] == unit]
    names = rd.current("indicators").drop_duplicates("indicator").set_index("indicator")["name"]
    return pd.DataFrame({
        "Mã": rows["indicator"].astype(object),
        "Chỉ số thành phần": rows["indicator"].map(names).astype(object),
        "Tử số DVCQG": rows["numerator_official"],
        "Mẫu số DVCQG": rows["denominator_official"],
        "Tử số tỉnh": rows["numerator_computed"],
        "Mẫu số tỉnh": rows["denominator_computed"],
        "Chênh lệch điểm": rows["points_difference"],
        "Giải thích": [_explanation(r) for _, r in rows.iterrows()],
    }).reset_index(drop=True)


def difference_dossiers(rd: ReportData, unit: str) -> pd.DataFrame:
    """Internal edition: the dossiers of the unit behind its differences (every unit's for the
    province), by class then reception date."""
    rows = rd.reconciliation_dossiers
    if rows is None:
        raise ValueError("reconciliation_dossiers is only in the internal edition's report data")
    level = rd.units.set_index("unit")["level"].get(unit)
    if level != "province":
        rows = rows[rows["unit"] == unit]
    order = {k: n for n, k in enumerate(CLASSES)}
    rows = rows.assign(_order=rows["class"].map(order)).sort_values(["_order", "NgayTiepNhan", "MaHoSo"])
    return pd.DataFrame({
        "Mã đơn vị": rows["unit"].astype(object),
        "Mã hồ sơ": rows["MaHoSo"].astype(object),
        "Mã TTHC": rows["MaTTHC"].astype(object),
        "Ngày tiếp nhận": rows["NgayTiepNhan"].map(fmt.date).astype(object),
        "Nguyên nhân": rows["class"].map(CLASSES).astype(object),
        "Chi tiết": rows["detail"].astype(object),
    }).reset_index(drop=True)


def comparison_blocks(rd: ReportData, unit: str, internal: bool) -> list[ReportBlock]:
    """The unit report's section "Đối chiếu với Cổng DVCQG" (none when the run had one source)."""
    notes = [ReportBlock("".join(f"- {escape_markdown(n)}\n" for n in rd.meta.get("source_notes") or []))]
    if not has_both_sources(rd):
        return [heading("Đối chiếu số liệu của tỉnh với Cổng DVCQG", 2), *notes] if notes[0].markdown else []
    blocks = [heading("Đối chiếu số liệu của tỉnh với Cổng DVCQG", 2),
              ReportBlock("Điểm và hạng là điểm chính thức tính từ số liệu Cổng DVCQG; cột *tỉnh* là số liệu "
                          "tính từ dữ liệu hồ sơ của hệ thống giải quyết TTHC của tỉnh. Chênh lệch được giải thích "
                          "theo nguyên nhân (số hồ sơ, thủ tục của từng nguyên nhân), phần còn lại ghi "
                          f"“{CLASSES['unexplained']}”.\n")]
    matched = rd.reconciliation_units.dropna(subset=["unit", "official_unit"])
    if unit not in set(matched["official_unit"]):
        return blocks + [ReportBlock("Đơn vị không có trong dữ liệu hồ sơ của tỉnh (không khớp được mã hoặc "
                                     "tên): không có số liệu để đối chiếu.\n")]
    blocks.append(table_block(comparison_table(rd, unit), "Tử số, mẫu số của DVCQG và của tỉnh, chênh lệch "
                              "và giải thích", empty="Không có chỉ số nào có ở cả hai nguồn."))
    if internal:
        blocks += [heading("Hồ sơ đứng sau chênh lệch (nội bộ)"),
                   *capped(difference_dossiers(rd, unit), "Không có hồ sơ nào.")]
    return blocks


def units_by_unexplained(rd: ReportData) -> pd.DataFrame:
    """Units sorted by the size of their unexplained difference (|numerator| + |denominator|
    left unexplained, summed over sub-indicators), then by differing sub-indicators."""
    rows = rd.reconciliation_units.dropna(subset=["unit", "official_unit"])
    rows = rows.sort_values(["unexplained", "differing", "official_unit"], ascending=[False, False, True],
                            kind="stable")
    return pd.DataFrame({
        "Mã": rows["official_unit"].astype(object),
        "Đơn vị": rows["official_name"].astype(object),
        "Chênh lệch chưa giải thích được": rows["unexplained"],
        "Số chỉ số chênh lệch": rows["differing"],
        "Hồ sơ chưa đồng bộ": rows["dossiers_not_synced"],
        "Hồ sơ đồng bộ trạng thái muộn": rows["dossiers_late_status"],
        "Hồ sơ thủ tục ngoài danh mục": rows["dossiers_missing_procedure"],
    }).reset_index(drop=True)


def unmatched_units(rd: ReportData) -> pd.DataFrame:
    """Units found on one side only: Bên có đơn vị, Mã, Tên."""
    rows = rd.reconciliation_units
    only_own = rows[rows["official_unit"].isna()]
    only_official = rows[rows["unit"].isna()]
    return pd.DataFrame({
        "Chỉ có ở": ["dữ liệu hồ sơ của tỉnh"] * len(only_own) + ["Cổng DVCQG"] * len(only_official),
        "Mã": [*only_own["unit"], *only_official["official_unit"]],
        "Tên": [*only_own["name"], *only_official["official_name"]],
    }).astype(object)


def province_blocks(rd: ReportData, internal: bool) -> list[ReportBlock]:
    """The province summary's reconciliation page (internal edition; none with one source)."""
    if not (internal and has_both_sources(rd)):
        return []
    notes = rd.meta.get("source_notes") or []
    blocks = [heading("Đối chiếu với Cổng DVCQG (nội bộ)", 2),
              ReportBlock("Các đơn vị xếp theo độ lớn của phần chênh lệch chưa giải thích được giữa số liệu hồ sơ "
                          f"của tỉnh và số liệu Cổng DVCQG. Danh sách hồ sơ chưa đồng bộ theo từng đơn vị: "
                          f"tệp {UNSYNCED_EXCEL_NAME} (gửi Sở Khoa học và Công nghệ).\n")]
    if notes:
        blocks.append(ReportBlock("".join(f"- {escape_markdown(n)}\n" for n in notes)))
    blocks += [table_block(units_by_unexplained(rd), "Đơn vị theo chênh lệch chưa giải thích được"),
               heading("Đơn vị không khớp giữa hai nguồn"),
               table_block(unmatched_units(rd), empty="Mọi đơn vị đều khớp giữa hai nguồn.")]
    return blocks


def unsynced_dossiers(rd: ReportData) -> pd.DataFrame:
    """Every unsynced dossier, by unit: Mã đơn vị, Tên đơn vị, Mã hồ sơ, Mã TTHC, Ngày tiếp nhận."""
    rows = rd.reconciliation_dossiers
    rows = rows[rows["class"] == "not_synced"].sort_values(["unit", "NgayTiepNhan", "MaHoSo"])
    names = rd.units.set_index("unit")["name"]
    return pd.DataFrame({
        "Mã đơn vị": rows["unit"].astype(object),
        "Tên đơn vị": rows["unit"].map(names).astype(object),
        "Mã hồ sơ": rows["MaHoSo"].astype(object),
        "Mã TTHC": rows["MaTTHC"].astype(object),
        "Ngày tiếp nhận": rows["NgayTiepNhan"].map(fmt.date).astype(object),
    }).reset_index(drop=True)


def write_unsynced_excel(rd: ReportData, path: Path) -> Path | None:
    """Internal edition with both sources: the unsynced dossiers, one sheet listing them by unit
    and one counting them per unit, for Sở KH&CN. None when there is nothing to write (an
    earlier run's workbook is then removed: it would not match this run's figures)."""
    if not (rd.internal and has_both_sources(rd)):
        Path(path).unlink(missing_ok=True)
        return None
    from chiso.report.excel import write_sheets

    listing = unsynced_dossiers(rd)
    counts = listing.groupby(["Mã đơn vị", "Tên đơn vị"], sort=False).size().rename("Số hồ sơ").reset_index()
    return write_sheets(rd, Path(path), [("Theo đơn vị", counts.sort_values("Số hồ sơ", ascending=False)),
                                         ("Hồ sơ chưa đồng bộ", listing)])
