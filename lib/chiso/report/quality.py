"""The "Chất lượng dữ liệu đầu vào" section: rows read, accepted and set aside, and why, in Vietnamese."""

from __future__ import annotations

import pandas as pd

from chiso.reasons import with_text
from chiso.report.blocks import ReportBlock, escape_markdown
from chiso.report.data import ReportData
from chiso.report.internal_tables import capped
from chiso.report.tables import heading, table_block
from chiso.report.text import export_date_text

_TABLE_NAMES = {"donvi": "Đơn vị", "tthc": "Thủ tục hành chính", "tthc_donvi": "Thủ tục theo đơn vị",
                "hoso": "Hồ sơ", "hoso_su_kien": "Quá trình xử lý hồ sơ", "pakn": "Phản ánh, kiến nghị",
                "congbo": "Công bố, công khai thủ tục"}


def official_check_blocks(rd: ReportData) -> list[ReportBlock]:
    """Official sources: what the checks of the responses (chiso.sources.official) made "no
    data" — how many units, which sub-indicators, and why (a missing response: every unit)."""
    intro = ReportBlock("Nguồn là kết quả chính thức của Cổng DVCQG: không có dữ liệu hồ sơ; mọi phản hồi của "
                        "Cổng được kiểm tra trước khi tính điểm.\n")
    defects = rd.official_defects
    if defects is None or defects.empty:
        return [intro, ReportBlock("Không có số liệu chính thức nào bị loại.\n")]
    names = rd.units.set_index("unit")["name"]
    every_unit = defects.groupby("defect")["unit"].transform("nunique").eq(rd.units["unit"].nunique())
    affected = defects.loc[~every_unit, "unit"].nunique()
    lines = [f"{affected} đơn vị có chỉ số thành phần bị loại (chưa có số liệu) vì số liệu chính thức "
             "không dùng được."] * bool(affected)
    for reason, rows in defects[every_unit].groupby("defect", sort=False):
        lines.append(f"Mọi đơn vị: {', '.join(rows['indicator'].drop_duplicates())} chưa có số liệu — {reason}.")
    table = defects[~every_unit].assign(name=defects["unit"].map(names)).rename(
        columns={"unit": "Mã đơn vị", "name": "Đơn vị", "indicator": "Chỉ số", "defect": "Lý do"})
    return [intro, ReportBlock("\n\n".join(escape_markdown(line) for line in lines) + "\n"),
            *capped(table[["Mã đơn vị", "Đơn vị", "Chỉ số", "Lý do"]], "Không có.")]


def _export_and_rule_blocks(rd: ReportData) -> list[ReportBlock]:
    """The export date beside the period (with a warning when before its end, docs/methodology.md §5 R9) and
    what the rules counted but kept (docs/methodology.md §5: later terminal events, blank fees...)."""
    blocks = []
    exported = export_date_text(rd)
    if exported:
        blocks.append(ReportBlock(f"Ngày xuất dữ liệu: {exported}.\n"))
    checks = rd.rule_checks
    if checks is not None and len(checks):
        shown = _said(checks.assign(table=checks["table"].map(lambda t: f"{_TABLE_NAMES.get(t, t)} ({t})")))
        blocks.append(table_block(shown.rename(columns={"table": "Bảng", "reason": "Điều ghi nhận", "rows": "Số dòng"}),
                                  "Các quy tắc tính đã ghi nhận (dòng vẫn được dùng)"))
    return blocks


def _said(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each reason (a code of :mod:`chiso.reasons`, with its column and detail)
    replaced by its Vietnamese text; the detail is in the text."""
    return (with_text(frame, "vi").drop(columns=["reason", "detail"], errors="ignore")
            .rename(columns={"reason_text": "reason"}))


def input_quality_blocks(rd: ReportData) -> list[ReportBlock]:
    """The "Chất lượng dữ liệu đầu vào" section (dossier sources): per input table the rows
    read, accepted and set aside (read = accepted + set aside), the reasons rows were set
    aside, and — internal edition only — the rows themselves (file, row, column, value).
    Official results have no such check: the section says so.
    """
    blocks = [heading("Chất lượng dữ liệu đầu vào", 2)]
    if rd.input_quality is None:
        return blocks + official_check_blocks(rd)
    counts = rd.input_quality.rename(columns={"table": "Bảng", "file": "Tệp", "rows_read": "Số dòng đọc",
                                              "accepted": "Được dùng", "set_aside": "Bị loại"})
    counts["Bảng"] = counts["Bảng"].map(lambda t: f"{_TABLE_NAMES.get(t, t)} ({t})")
    blocks.append(table_block(counts, "Số dòng đọc = được dùng + bị loại, theo từng bảng dữ liệu"))
    blocks += _export_and_rule_blocks(rd)
    reasons = rd.set_aside_reasons
    if reasons is None or reasons.empty:
        return blocks + [ReportBlock("Không có dòng nào bị loại.\n")]
    blocks.append(table_block(_said(reasons).rename(columns={"table": "Bảng", "column": "Cột", "reason": "Lý do",
                                                             "rows": "Số dòng"}),
                              "Các dòng bị loại, theo lý do"))
    if rd.internal and rd.set_aside is not None:
        rows = _said(rd.set_aside).rename(columns={"table": "Bảng", "file": "Tệp", "row": "Dòng", "column": "Cột",
                                                   "value": "Giá trị", "reason": "Lý do"})
        blocks += [heading("Các dòng bị loại (nội bộ)"), *capped(rows, "Không có.")]
    return blocks
