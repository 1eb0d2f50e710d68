"""The internal edition's drill-down of a unit report (overdue dossiers by procedure, step
and official; repeated supplement requests; pauses; late PAKN): never in a public report."""

from __future__ import annotations

import pandas as pd

from chiso import formatting as fmt
from chiso.report.appraisal_books import head_of_unit_blocks
from chiso.report.blocks import ReportBlock
from chiso.report.data import ReportData
from chiso.report.tables import heading, table_block
DRILLDOWN_KEYS = {
    "procedure": {"MaTTHC": "Mã TTHC", "TenTTHC": "Tên thủ tục"},
    "step": {"BuocXuLy": "Bước xử lý"},
    "official": {"responsible_official": "Mã cán bộ"},
}
UNKNOWN = "(không rõ)"


def _internal(rd: ReportData, name: str, unit: str) -> pd.DataFrame:
    frame = getattr(rd, name)
    if frame is None:
        raise ValueError(f"{name} is only in the internal edition's report data")
    return frame[frame["unit"] == unit]


def overdue_by(rd: ReportData, unit: str, by: str) -> pd.DataFrame:
    """Overdue dossiers of the unit counted by procedure, processing step or official.

    The official is the one who held the dossier when it went past its step's or its
    total deadline (internal edition only). Most overdue first.
    """
    keys = DRILLDOWN_KEYS[by]
    rows = _internal(rd, "overdue", unit)
    present = [k for k in keys if k in rows]
    counts = (
        rows[present].astype(object).fillna(UNKNOWN)
        .value_counts(sort=False).rename("Số hồ sơ quá hạn").reset_index()
        .sort_values(["Số hồ sơ quá hạn", *present], ascending=[False, *[True] * len(present)], kind="stable")
    )
    return counts.rename(columns=keys).reset_index(drop=True)


def supplements_table(rd: ReportData, unit: str) -> pd.DataFrame:
    """Dossiers with more than one supplement request (each is overdue by rule 1 of 2.1)."""
    rows = _internal(rd, "supplements", unit).sort_values(["requests", "MaHoSo"], ascending=[False, True])
    return pd.DataFrame(
        {
            "Mã hồ sơ": rows["MaHoSo"].astype(object),
            "Mã TTHC": rows["MaTTHC"].astype(object),
            "Số lần yêu cầu bổ sung": rows["requests"],
        }
    ).reset_index(drop=True)


def pauses_table(rd: ReportData, unit: str) -> pd.DataFrame:
    """Dossiers paused (tạm dừng) before their end, longest pause first.

    Whether paused time counts against the deadline is the methodology's
    ``subtract_pauses`` setting (no rule in any source).
    """
    rows = _internal(rd, "pauses", unit).sort_values(["paused_days", "MaHoSo"], ascending=[False, True])
    return pd.DataFrame(
        {
            "Mã hồ sơ": rows["MaHoSo"].astype(object),
            "Mã TTHC": rows["MaTTHC"].astype(object),
            "Số ngày tạm dừng": rows["paused_days"],
            "Đúng hạn": rows["on_time"].map({True: "Có", False: "Không"}).astype(object),
        }
    ).reset_index(drop=True)


def late_pakn_table(rd: ReportData, unit: str) -> pd.DataFrame:
    """PAKN handled after the deadline, or still open past it at the end of the quarter."""
    rows = _internal(rd, "late_pakn", unit).sort_values(["NgayTiepNhan", "MaPAKN"])
    return pd.DataFrame(
        {
            "Mã PAKN": rows["MaPAKN"].astype(object),
            "Ngày tiếp nhận": rows["NgayTiepNhan"].map(fmt.date).astype(object),
            "Hạn xử lý": rows["deadline"].map(fmt.date).astype(object),
            "Ngày xử lý xong": rows["NgayXuLyXong"].map(
                lambda d: "Chưa xử lý xong" if fmt.is_missing(d) else fmt.date(d)).astype(object),
            "Số ngày làm việc": rows["working_days"],
        }
    ).reset_index(drop=True)


INTERNAL_LIST_LIMIT = 50


def capped(frame: pd.DataFrame, empty: str) -> list[ReportBlock]:
    """A long list cut at INTERNAL_LIST_LIMIT rows, saying how many were left out (the
    heading above names the table: no caption)."""
    blocks = [table_block(frame.head(INTERNAL_LIST_LIMIT), empty=empty)]
    if len(frame) > INTERNAL_LIST_LIMIT:
        blocks.append(ReportBlock(f"… và {fmt.integer(len(frame) - INTERNAL_LIST_LIMIT)} dòng khác.\n"))
    return blocks


def internal_blocks(rd: ReportData, unit: str) -> list[ReportBlock]:
    """The internal-edition sections of a unit report (headings included: none shows publicly)."""
    none = "Không có trong kỳ."
    blocks = [
        heading("Phần nội bộ: chi tiết hồ sơ, cán bộ xử lý", 2),
        ReportBlock("> **Tài liệu nội bộ** phục vụ công tác đánh giá cán bộ của Sở Nội vụ, có mã cán bộ xử lý: "
                    "không công bố, không đăng tải.\n"),
    ]
    for by, title in (("procedure", "Hồ sơ quá hạn theo thủ tục"), ("step", "Hồ sơ quá hạn theo bước xử lý"),
                      ("official", "Hồ sơ quá hạn theo cán bộ đang giữ hồ sơ khi quá hạn")):
        blocks += [heading(title), *capped(overdue_by(rd, unit, by), none)]
    for title, table in (
        ("Hồ sơ yêu cầu bổ sung nhiều hơn một lần", supplements_table(rd, unit)),
        ("Hồ sơ tạm dừng", pauses_table(rd, unit)),
        ("PAKN xử lý quá hạn", late_pakn_table(rd, unit)),
    ):
        blocks += [heading(title), *capped(table, none)]
    return blocks + head_of_unit_blocks(rd, unit)
