"""Report tables, the shared layer: how a builder's table becomes a report table.

The reporting side builds its tables in two layers:

- *builders* take a :class:`~chiso.report.data.ReportData` and return a DataFrame with
  Vietnamese column headers and **numeric** values (:mod:`chiso.report.unit_tables`,
  :mod:`chiso.report.province_tables`, :mod:`chiso.report.maps`,
  :mod:`chiso.report.internal_tables`): tests and the Excel writer
  (:mod:`chiso.report.excel`) use the numbers as they are;
- *blocks* turn them into report Markdown through :mod:`chiso.report.blocks` (numbers
  formatted the Vietnamese way by :mod:`chiso.formatting`, every name escaped):
  :func:`table_block` here, ``map_block``, ``unit_header``, ``unit_summary``, ...

How a numeric column is formatted (in Markdown and in Excel) depends on its header,
listed in :data:`COLUMN_KINDS`: points with 2 decimals, counts as integers, changes
with their sign.

A missing value is "no data" and shows as "—" (or "Chưa có số liệu"), never as 0.

Example
-------
>>> rd = load_report_data("reports/2026-Q2/_data")                  # doctest: +SKIP
>>> table_block(unit_tables.group_table(rd, "H44.19"), "Điểm theo nhóm")   # doctest: +SKIP
<ReportBlock: 412 characters of Markdown>
"""

from __future__ import annotations

import pandas as pd

from chiso import formatting as fmt
from chiso import status
from chiso.report.blocks import ReportBlock, escape_markdown, markdown_table
from chiso.report.data import ReportData
from chiso.report.status import NOTES
from chiso.scoring import LEVELS, round_half_up

NO_DATA = NOTES[status.NO_DATA]  # "Chưa có số liệu"
POINTS, COUNT, PERCENT, SIGNED, RANK = "points", "count", "percent", "signed", "rank"
COLUMN_KINDS = {
    "Điểm": POINTS,
    "Tối đa": POINTS,
    "Điểm bị mất": POINTS,
    "Tổng điểm": POINTS,
    "Kỳ trước": POINTS,
    "Kỳ này": POINTS,
    "Điểm bình quân": POINTS,
    "Tổng điểm bị mất": POINTS,
    "Tử số": COUNT,
    "Mẫu số": COUNT,
    "Cần thêm": COUNT,
    "Số đơn vị": COUNT,
    "Số đơn vị chưa đạt tối đa": COUNT,
    "Số đơn vị chưa có số liệu": COUNT,
    "Số hồ sơ quá hạn": COUNT,
    "Số lần yêu cầu bổ sung": COUNT,
    "Số ngày làm việc": COUNT,
    "Tổng": COUNT,
    "Tỷ lệ (%)": PERCENT,
    "Tỷ lệ đạt (%)": PERCENT,
    "Tỷ lệ đạt bình quân (%)": PERCENT,
    "Ngưỡng (%)": PERCENT,
    "Thay đổi": SIGNED,
    "Thay đổi so với kỳ trước": SIGNED,
    "Hạng": RANK,
    "Hạng kỳ trước": RANK,
}
_FORMATTERS = {
    POINTS: fmt.number,
    PERCENT: fmt.number,
    SIGNED: fmt.signed,
    RANK: fmt.integer,
    COUNT: lambda v: fmt.integer(v) if fmt.is_missing(v) or float(v).is_integer() else fmt.number(v),
}


def column_kind(header: str, values: pd.Series) -> str | None:
    """How a numeric column is formatted: by its header (COLUMN_KINDS), else as a count
    (integers) or points (other numbers). None for a text column (shown as it is)."""
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return None
    return COLUMN_KINDS.get(header, COUNT if pd.api.types.is_integer_dtype(values) else POINTS)


def formatted(frame: pd.DataFrame) -> pd.DataFrame:
    """Every numeric cell as Vietnamese text ("1.234,50", "+2,35", "—"); text unchanged."""
    out = frame.copy()
    for column in frame.columns:
        kind = column_kind(column, frame[column])
        if kind is not None:
            out[column] = frame[column].map(_FORMATTERS[kind]).astype(object)
        else:
            out[column] = frame[column].astype(object).where(frame[column].notna(), fmt.MISSING)
    return out


def table_block(frame: pd.DataFrame, caption: str | None = None, empty: str = "Không có.") -> ReportBlock:
    """A builder's table as a report table (or a sentence when it has no rows)."""
    if frame.empty:
        return ReportBlock(escape_markdown(empty) + "\n")
    return markdown_table(formatted(frame), caption=caption)


def heading(text: str, level: int = 3) -> ReportBlock:
    """A Markdown heading whose text is escaped (for headings that name data)."""
    return ReportBlock(f"{'#' * level} {escape_markdown(text)}\n")


def ranked_levels(rd: ReportData) -> list[str]:
    """Levels ranked in the summary (every level but the province itself), in order."""
    present = set(rd.current("totals")["level"])
    return [lv for lv in LEVELS if lv in present and lv != "province"]


def change(current: pd.Series, previous: pd.Series) -> pd.Series:
    """Change of a 2-decimal score, rounded back to 2 decimals (99.33 − 100 = −0.67 exactly)."""
    return pd.Series(round_half_up(current - previous, 2), index=current.index)


def previous_totals(rd: ReportData) -> pd.Series:
    """Total of each unit in the previous quarter (empty when not covered)."""
    prev = rd.previous_period
    if prev is None:
        return pd.Series(dtype=float)
    rows = rd.totals[rd.totals["period"] == prev]
    return rows.set_index("unit")["total"]
