"""The Excel workbook of a run (``bang-xep-hang.xlsx``): the ranking and both enforcement maps."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from chiso import formatting as fmt
from chiso.outputs import replacing
from chiso.report.colours import tint
from chiso.report.data import ReportData
from chiso.report.maps import enforcement_map, map_columns
from chiso.report.province_tables import ranking_table
from chiso.report.tables import POINTS, PERCENT, SIGNED, RANK, COUNT, column_kind, ranked_levels
from chiso.report.text import SAMPLE_BANNER
from chiso.scoring import LEVEL_NAMES_VI
EXCEL_FORMATS = {POINTS: "0.00", PERCENT: "0.00", SIGNED: "+0.00;-0.00;0.00", RANK: "0", COUNT: "#,##0.##"}


def write_excel(rd: ReportData, path: Path) -> Path:
    """Write the ranking and both enforcement maps to ``path`` (``<run>/bang-xep-hang.xlsx``).

    Sheets: "Xếp hạng" (all levels), "Bản đồ - nhóm", "Bản đồ - chỉ số". Each sheet
    starts with a title row (period, source; "DỮ LIỆU MẪU" for sample data), then the
    Vietnamese header row (frozen, with a filter). Points use the number format
    "0.00"; cells are coloured by band with conditional formats, so they stay right
    when a user edits a value. The workbook's creation time is the report data's build
    time (so a rebuild with a fixed build time gives the same bytes); it is written under
    a temporary name and renamed (:func:`chiso.outputs.replacing`).
    """
    path = Path(path)
    ranking = pd.concat(
        [ranking_table(rd, lv).assign(Cấp=LEVEL_NAMES_VI[lv]) for lv in ranked_levels(rd)], ignore_index=True
    )
    ranking = ranking[["Cấp", *[c for c in ranking.columns if c != "Cấp"]]]
    sheets = [("Xếp hạng", ranking, None)]
    for by, title in (("group", "Bản đồ - nhóm"), ("indicator", "Bản đồ - chỉ số")):
        maps = [enforcement_map(rd, lv, by) for lv in ranked_levels(rd)]
        points = pd.concat([p.assign(Cấp=LEVEL_NAMES_VI[lv]) for (p, _), lv in zip(maps, ranked_levels(rd))], ignore_index=True)
        points = points[["Cấp", *[c for c in points.columns if c != "Cấp"]]]
        maxima = {label: maximum for label, maximum in map_columns(rd, by).values() if label in points}
        sheets.append((title, points, {**maxima, "Tổng điểm": 100.0}))
    return _write(path, rd, sheets)


def write_sheets(rd: ReportData, path: Path, sheets: list[tuple[str, pd.DataFrame]]) -> Path:
    """A workbook of plain tables (name, frame), laid out as the ranking's sheets (title row,
    source or sample warning, frozen header with a filter, numbers formatted by header)."""
    return _write(Path(path), rd, [(name, frame, None) for name, frame in sheets])


def _write(path: Path, rd: ReportData, sheets) -> Path:
    import xlsxwriter

    created = datetime.fromisoformat(rd.meta["generated_at"]).astimezone(timezone.utc).replace(tzinfo=None)
    with replacing(path) as partial:
        workbook = xlsxwriter.Workbook(partial)
        workbook.set_properties({"created": created})
        try:
            _write_workbook(workbook, rd, sheets)
        finally:
            workbook.close()
    return path


def _write_workbook(workbook, rd: ReportData, sheets) -> None:
    bold = workbook.add_format({"bold": True})
    title_format = workbook.add_format({"bold": True, "font_size": 13})
    warning = workbook.add_format({"bold": True, "font_color": "#8a3b00", "bg_color": "#fff4e5"})
    header = workbook.add_format({"bold": True, "bg_color": "#eef1f4", "border": 1, "text_wrap": True,
                                  "valign": "top"})
    number_formats = {kind: workbook.add_format({"num_format": f}) for kind, f in EXCEL_FORMATS.items()}
    band_formats = [(b["min"], workbook.add_format({"bg_color": tint(b["color"])})) for b in rd.meta["bands"]]
    no_format = workbook.add_format()
    title = f"Bộ chỉ số phục vụ người dân, doanh nghiệp — {rd.meta['period_label']} — {rd.meta['province'] or ''}"
    note = f"Nguồn: {rd.meta['source_label']}. Phương pháp: {rd.meta['methodology_id']}."
    for name, frame, maxima in sheets:
        sheet = workbook.add_worksheet(name)
        sheet.write(0, 0, title.rstrip(" —"), title_format)
        sheet.write(1, 0, SAMPLE_BANNER if rd.is_sample else note, warning if rd.is_sample else bold)
        header_row = 2
        for col, column in enumerate(frame.columns):
            sheet.write(header_row, col, column, header)
            kind = column_kind(column, frame[column])
            values = frame[column]
            for offset, value in enumerate(values):
                row = header_row + 1 + offset
                if fmt.is_missing(value):
                    sheet.write_blank(row, col, None)
                elif kind is None:
                    sheet.write_string(row, col, str(value))
                else:
                    sheet.write_number(row, col, float(value), number_formats[kind])
            width = max([len(str(column)) * 0.8, *(len(str(v)) for v in values.head(200))], default=8)
            sheet.set_column(col, col, min(max(width + 2, 8), 60))
        last = header_row + len(frame)
        # band colours on the scores (a plain table has none)
        score_columns = maxima or ({"Tổng điểm": 100.0} if "Tổng điểm" in frame else {})
        for column, maximum in score_columns.items():
            col = list(frame.columns).index(column)
            # Excel compares an empty cell as 0: leave "no data" cells uncoloured first.
            sheet.conditional_format(header_row + 1, col, last, col,
                                     {"type": "blanks", "format": no_format, "stop_if_true": True})
            for band_min, band_format in band_formats:
                # Bands are listed from the highest; stop_if_true keeps the first match only.
                sheet.conditional_format(header_row + 1, col, last, col, {
                    "type": "cell", "criteria": ">=", "value": band_min / 100 * maximum,
                    "format": band_format, "stop_if_true": True,
                })
        sheet.freeze_panes(header_row + 1, 0 if maxima is None else 3)  # maps: level, code, name stay
        sheet.autofilter(header_row, 0, last, len(frame.columns) - 1)
        sheet.set_row(header_row, 45 if maxima else 30)
