"""Tables of the province summary: rankings per level, band distribution, biggest movers,
weakest sub-indicators."""

from __future__ import annotations

import pandas as pd

from chiso import status
from chiso.report.blocks import ReportBlock
from chiso.report.data import ReportData
from chiso.report.tables import NO_DATA, change, heading, previous_totals, ranked_levels, table_block
from chiso.scoring import LEVEL_NAMES_VI


def ranking_table(rd: ReportData, level: str) -> pd.DataFrame:
    """Units of one level by rank (ties share a rank, then by name; no data last).

    Columns: Hạng, Mã, Đơn vị, Tổng điểm, Xếp loại, Thay đổi so với kỳ trước.
    """
    rows = rd.current("totals")
    rows = rows[rows["level"] == level].sort_values(["rank", "name", "unit"], na_position="last", kind="stable")
    previous = previous_totals(rd)
    return pd.DataFrame(
        {
            "Hạng": rows["rank"],
            "Mã": rows["unit"].astype(object),
            "Đơn vị": rows["name"].astype(object),
            "Tổng điểm": rows["total"],
            "Xếp loại": rows["band"].astype(object),
            "Thay đổi so với kỳ trước": change(rows["total"], rows["unit"].map(previous).astype(float)),
        }
    ).reset_index(drop=True)


def band_distribution(rd: ReportData) -> pd.DataFrame:
    """Number of units in each band, one row per level: Cấp, <band names...>, Chưa có số liệu, Tổng."""
    rows = rd.current("totals")
    rows = rows[rows["level"].isin(ranked_levels(rd))]
    names = [b["name"] for b in rd.meta["bands"]]
    counts = pd.crosstab(rows["level"], rows["band"].fillna(NO_DATA)).reindex(index=ranked_levels(rd), fill_value=0)
    counts = counts.reindex(columns=names + ([NO_DATA] if NO_DATA in counts else []), fill_value=0)
    counts["Tổng"] = counts.sum(axis=1)
    counts.insert(0, "Cấp", [LEVEL_NAMES_VI[lv] for lv in counts.index])
    return counts.reset_index(drop=True).rename_axis(columns=None)


def movers(rd: ReportData, direction: str = "up", n: int = 5) -> pd.DataFrame:
    """The n units whose total rose (``up``) or fell (``down``) the most since the previous quarter.

    Units of every level but the province; ties by name. Empty when the previous
    quarter is not covered. Columns: Cấp, Mã, Đơn vị, Kỳ trước, Kỳ này, Thay đổi.
    """
    previous = previous_totals(rd)
    rows = rd.current("totals")
    rows = rows[rows["level"].isin(ranked_levels(rd))].assign(previous=lambda r: r["unit"].map(previous).astype(float))
    rows = rows.assign(change=change(rows["total"], rows["previous"])).dropna(subset=["change"])
    rows = rows[rows["change"] > 0] if direction == "up" else rows[rows["change"] < 0]
    rows = rows.sort_values(["change", "name"], ascending=[direction != "up", True], kind="stable").head(n)
    return pd.DataFrame(
        {
            "Cấp": rows["level"].map(LEVEL_NAMES_VI).astype(object),
            "Mã": rows["unit"].astype(object),
            "Đơn vị": rows["name"].astype(object),
            "Kỳ trước": rows["previous"],
            "Kỳ này": rows["total"],
            "Thay đổi": rows["change"],
        }
    ).reset_index(drop=True)


def weakest_indicators(rd: ReportData, n: int = 5) -> pd.DataFrame:
    """Sub-indicators with the lowest average share of their maximum across the province's units.

    Only units with data count (status ok or official); the province row itself is left
    out. Columns: Mã, Chỉ số thành phần, Điểm bình quân, Tối đa, Tỷ lệ đạt bình quân (%),
    Số đơn vị chưa đạt tối đa, Số đơn vị chưa có số liệu.
    """
    rows = rd.current("indicators")
    levels = rd.current("totals").set_index("unit")["level"]
    rows = rows[rows["unit"].map(levels).isin(ranked_levels(rd)) & rows["status"].isin(status.SCORED)]
    scored = rows[rows["points"].notna() & (rows["max_points"] > 0)]
    stats = scored.groupby("indicator", sort=False).agg(
        name=("name", "first"),
        points=("points", "mean"),
        max_points=("max_points", "first"),
        short=("points_lost", lambda s: int((s > 0).sum())),
    )
    stats["share"] = stats["points"] / stats["max_points"] * 100
    stats["units_without_data"] = rows[rows["status"].eq(status.NO_DATA)].groupby("indicator").size().reindex(stats.index, fill_value=0)
    stats = stats.reset_index().sort_values(["share", "indicator"], kind="stable").head(n)
    return pd.DataFrame(
        {
            "Mã": stats["indicator"].str.replace("-", "–", regex=False).astype(object),
            "Chỉ số thành phần": stats["name"].astype(object),
            "Điểm bình quân": stats["points"],
            "Tối đa": stats["max_points"],
            "Tỷ lệ đạt bình quân (%)": stats["share"],
            "Số đơn vị chưa đạt tối đa": stats["short"],
            "Số đơn vị chưa có số liệu": stats["units_without_data"],
        }
    ).reset_index(drop=True)


def ranking_blocks(rd: ReportData) -> list[ReportBlock]:
    """One heading and ranking table per level."""
    blocks = []
    for level in ranked_levels(rd):
        name = LEVEL_NAMES_VI[level]
        blocks += [heading(name), table_block(ranking_table(rd, level), f"Xếp hạng {name.lower()}")]
    return blocks


def movers_blocks(rd: ReportData, n: int = 5) -> list[ReportBlock]:
    """The biggest rises and falls since the previous quarter (or why there are none)."""
    if rd.previous_period is None:
        return [ReportBlock("Chưa có số liệu kỳ trước để so sánh.\n")]
    label = rd.period_label(rd.previous_period)
    return [
        heading("Tăng điểm nhiều nhất"),
        table_block(movers(rd, "up", n), f"Tăng điểm nhiều nhất so với {label}", empty="Không có đơn vị tăng điểm."),
        heading("Giảm điểm nhiều nhất"),
        table_block(movers(rd, "down", n), f"Giảm điểm nhiều nhất so với {label}", empty="Không có đơn vị giảm điểm."),
    ]
