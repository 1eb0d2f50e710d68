"""Report figures (matplotlib): points by group, trend over four quarters, bands per level.

Figures are built on :class:`matplotlib.figure.Figure` directly, not through pyplot: no
global backend or state is touched (a notebook's inline backend never shows them a
second time) and PNG output goes through Agg. Same data, same pixels: no dates, no
random layout. Text is DejaVu Sans, which covers Vietnamese. Labels are in Vietnamese;
numbers use the Vietnamese decimal comma. A figure has no title of its own: the
notebooks pass it to :func:`chiso.report.blocks.figure` with a Vietnamese caption, at :data:`DPI`.

Example
-------
>>> fig = group_chart(rd, "H44.19")            # doctest: +SKIP
>>> display(figure(fig, "Điểm theo nhóm chỉ số", dpi=DPI))  # doctest: +SKIP
"""

from __future__ import annotations

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from chiso import formatting as fmt
from chiso.report.colours import band_of, band_scale, ink_on, tint
from chiso.report.data import ReportData
from chiso.report.province_tables import band_distribution
from chiso.report.tables import NO_DATA
from chiso.report.unit_tables import trend_table

DPI = 110
WIDTH = 6.4  # inches: the text width of an A4 page at the report's margins
STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 8.5,
    "axes.edgecolor": "#8c959f",
    "axes.labelcolor": "#1f2328",
    "xtick.color": "#1f2328",
    "ytick.color": "#1f2328",
    "axes.spines.top": False,
    "axes.spines.right": False,
}
TRACK = "#e6e9ed"  # the grey bar up to a group's maximum
LINE = "#1f4e79"


def _figure(height: float, left: float) -> Figure:
    """A figure with fixed margins: a layout engine would cost a drawing pass per figure,
    and the renderer's tight bounding box trims the spare margin anyway."""
    fig = Figure(figsize=(WIDTH, height), dpi=DPI)
    fig.subplots_adjust(left=left, right=0.98, bottom=0.5 / height, top=1 - 0.3 / height)
    return fig


def group_chart(rd: ReportData, unit: str) -> Figure:
    """Horizontal bars: each group's points against its maximum, coloured by band of the share."""
    groups = rd.current("groups")
    groups = groups[groups["unit"] == unit].iloc[::-1]  # first group on top
    with matplotlib.rc_context(STYLE):
        fig = _figure(0.36 * len(groups) + 0.5, left=0.4)
        ax = fig.add_subplot()
        labels = [f"{c}. {n}" for c, n in zip(groups["group"], groups["group_name"])]
        ax.barh(labels, groups["max_points"], color=TRACK, height=0.62)
        shares = groups["points"] / groups["max_points"] * 100
        colours = [TRACK if fmt.is_missing(s) else band_of(rd, s)["color"] for s in shares]
        ax.barh(labels, groups["points"].fillna(0), color=colours, height=0.62)
        for y, (points, maximum) in enumerate(zip(groups["points"], groups["max_points"])):
            text = NO_DATA if fmt.is_missing(points) else f"{fmt.number(points)} / {fmt.number(maximum, 0)}"
            ax.text(maximum + 0.3, y, text, va="center", fontsize=8)
        ax.set_xlim(0, groups["max_points"].max() * 1.3)
        # Each bar carries its figures: no x axis (fewer texts to lay out, too).
        ax.xaxis.set_visible(False)
        ax.spines[["left", "bottom"]].set_visible(False)
        ax.tick_params(axis="y", length=0)
    return fig


def trend_chart(rd: ReportData, unit: str) -> Figure | None:
    """The unit's total over the covered quarters, over the band colours; None with fewer than two.

    Text is what makes a matplotlib figure slow (each label is laid out and drawn twice):
    the band names are in the caption (:func:`trend_caption`), not on the figure.
    """
    trend = trend_table(rd, unit).dropna(subset=["Tổng điểm"])
    if len(trend) < 2:
        return None
    with matplotlib.rc_context(STYLE):
        fig = _figure(2.2, left=0.06)
        ax = fig.add_subplot()
        upper = 100.0
        for band in rd.meta["bands"]:
            ax.axhspan(band["min"], upper, color=tint(band["color"], 0.3), zorder=0, linewidth=0)
            upper = band["min"]
        x = list(range(len(trend)))
        ax.plot(x, trend["Tổng điểm"], color=LINE, marker="o", linewidth=1.8, zorder=3)
        for xi, total in zip(x, trend["Tổng điểm"]):
            ax.annotate(fmt.number(total), (xi, total), textcoords="offset points", xytext=(0, 7),
                        ha="center", fontsize=8, color=LINE)
        ax.set_xticks(x, trend["Kỳ"])
        ax.set_xlim(-0.4, len(trend) - 0.6)
        ax.set_ylim(0, 108)  # room for the value labels above a score near 100
        ax.set_yticks([0, 50, 100])
        ax.spines["left"].set_bounds(0, 100)
    return fig


def trend_caption(rd: ReportData) -> str:
    """Caption of :func:`trend_chart`, naming the band behind each colour."""
    return f"Tổng điểm qua các kỳ có số liệu; nền màu theo thang xếp loại ({band_scale(rd)})"


def band_chart(rd: ReportData) -> Figure:
    """Stacked horizontal bars: how many units of each level fall in each band."""
    counts = band_distribution(rd).iloc[::-1]
    bands = [b for b in rd.meta["bands"] if b["name"] in counts]
    with matplotlib.rc_context(STYLE):
        fig = _figure(0.5 * len(counts) + 1.0, left=0.18)
        ax = fig.add_subplot()
        left = [0] * len(counts)
        for band in bands:
            values = counts[band["name"]].tolist()
            ax.barh(counts["Cấp"], values, left=left, color=band["color"], label=band["name"], height=0.6)
            for y, (start, value) in enumerate(zip(left, values)):
                if value:
                    ax.text(start + value / 2, y, fmt.integer(value), ha="center", va="center", fontsize=8,
                            color=ink_on(band["color"]))
            left = [a + b for a, b in zip(left, values)]
        ax.set_xlabel("Số đơn vị")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(ncols=len(bands), loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, fontsize=8)
        ax.tick_params(axis="y", length=0)
    return fig
