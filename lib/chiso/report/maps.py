"""The enforcement map (bản đồ thực thi): units × groups or sub-indicators, cells coloured by band."""

from __future__ import annotations

import numpy as np
import pandas as pd

from chiso import formatting as fmt
from chiso import status
from chiso.report.blocks import ReportBlock, coloured_table, escape_markdown
from chiso.report.colours import band_of, band_scale, tint
from chiso.report.data import ReportData
from chiso.report.province_tables import ranking_table
from chiso.report.tables import formatted, heading, ranked_levels
from chiso.scoring import LEVEL_NAMES_VI


def enforcement_map(rd: ReportData, level: str, by: str = "group") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Bản đồ thực thi: units of one level (by rank) × groups (``by="group"``) or
    sub-indicators (``by="indicator"``), then the total.

    Returns ``(points, share)``: ``points`` has Mã, Đơn vị, then one numeric column per group /
    sub-indicator (header "1. Công khai, minh bạch (18)" / "2.1 (20)") and Tổng điểm;
    ``share`` has the same shape with each cell's points / max (total: / 100), NaN for
    the code and name columns and for no data. Colours follow from ``share`` (:func:`map_fills`).
    """
    order = ranking_table(rd, level)[["Mã", "Đơn vị", "Tổng điểm"]]
    key = "group" if by == "group" else "indicator"
    rows = rd.current("groups" if by == "group" else "indicators")
    rows = rows[rows["unit"].isin(order["Mã"])]
    labels = {code: label for code, (label, _) in map_columns(rd, by).items()}
    columns = [c for c in labels if c in set(rows[key])]
    points = rows.pivot(index="unit", columns=key, values="points").reindex(index=order["Mã"], columns=columns)
    maxima = rows.pivot(index="unit", columns=key, values="max_points").reindex(index=order["Mã"], columns=columns)
    share = points / maxima
    points.columns = share.columns = [labels[c] for c in columns]
    points.insert(0, "Mã", order["Mã"].to_numpy())
    points.insert(1, "Đơn vị", order["Đơn vị"].to_numpy())
    share.insert(0, "Mã", np.nan)
    share.insert(1, "Đơn vị", np.nan)
    points["Tổng điểm"] = order["Tổng điểm"].to_numpy()
    share["Tổng điểm"] = points["Tổng điểm"] / 100
    return points.reset_index(drop=True), share.reset_index(drop=True).astype({"Mã": float, "Đơn vị": float})


def map_columns(rd: ReportData, by: str) -> dict[str, tuple[str, float]]:
    """Code → (column header, maximum points) of the map's columns, in methodology order:
    "1. Công khai, minh bạch (18)" for a group, "2.1 (20)" for a scored sub-indicator."""
    if by == "group":
        return {g["code"]: (f"{g['code']}. {g['name']} ({fmt.number(g['max_points'], 0)})", g["max_points"])
                for g in rd.meta["groups"]}
    rows = rd.current("indicators")
    rows = rows[~rows["status"].eq(status.NOT_SCORED) & rows["max_points"].notna()].drop_duplicates("indicator")
    return {c: (f"{c.replace('-', '–')} ({fmt.number(m, 0)})", m) for c, m in zip(rows["indicator"], rows["max_points"])}


def map_fills(rd: ReportData, share: pd.DataFrame) -> pd.DataFrame:
    """Cell colours of a map: the light tint of the band a share (× 100) falls in; none when missing."""
    return share.map(lambda value: np.nan if fmt.is_missing(value) else tint(band_of(rd, value * 100)["color"]))


def map_block(rd: ReportData, level: str, by: str, caption: str) -> ReportBlock:
    """The enforcement map of one level as a coloured table (landscape pages in the PDF)."""
    points, share = enforcement_map(rd, level, by)
    if points.empty:
        return ReportBlock("Không có đơn vị.\n")
    # The report shows names only (codes make the wide map wider); the Excel sheet keeps both.
    points, share = points.drop(columns="Mã"), share.drop(columns="Mã")
    return coloured_table(formatted(points), map_fills(rd, share), caption=caption, landscape=by == "indicator")


def band_legend(rd: ReportData) -> ReportBlock:
    """The band scale as a sentence: each map cell is coloured by its share of the cell's maximum."""
    return ReportBlock("Màu của mỗi ô theo tỷ lệ điểm đạt so với điểm tối đa của ô (%), cùng thang xếp loại: "
                       + escape_markdown(band_scale(rd)) + ".\n")


def map_blocks(rd: ReportData) -> list[ReportBlock]:
    """The enforcement map of each level: units × groups, then units × sub-indicators."""
    blocks = [band_legend(rd)]
    for level in ranked_levels(rd):
        name = LEVEL_NAMES_VI[level]
        blocks += [
            heading(name),
            map_block(rd, level, "group", f"Bản đồ thực thi theo nhóm chỉ số — {name.lower()} (điểm)"),
            map_block(rd, level, "indicator", f"Bản đồ thực thi theo chỉ số thành phần — {name.lower()} (điểm)"),
        ]
    return blocks
