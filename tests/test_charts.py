"""Report figures: right data on the axes, Vietnamese labels, identical bytes on every run."""

import io

import pytest
from matplotlib.figure import Figure

from chiso.report import charts
from chiso.report.blocks import figure
from tiny_report import tiny_report_data


@pytest.fixture(scope="module")
def rd():
    return tiny_report_data()


def png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=charts.DPI)
    return buffer.getvalue()


def texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(match=lambda a: hasattr(a, "get_text")) if t.get_text()]


def test_group_chart_bars_and_labels(rd):
    fig = charts.group_chart(rd, "D4")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    widths = [p.get_width() for p in ax.patches]
    # grey track to each group's maximum (first group on top, so drawn last), then the points
    assert widths == [18.0, 22.0, 22.0, 20.0, 18.0, 6.0, 22.0, 22.0, 20.0, 18.0]
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "5. Mức độ hài lòng"
    assert "6,00 / 18" in texts(fig)
    # 6/18 of group 5 is in the lowest band: drawn in that band's colour
    assert ax.patches[5].get_facecolor()[:3] == pytest.approx((0xd6 / 255, 0x45 / 255, 0x41 / 255))


def test_trend_chart(rd):
    fig = charts.trend_chart(rd, "D1")
    line = fig.axes[0].lines[0]
    assert list(line.get_ydata()) == [90.0, 99.16]
    assert {"Quý 1/2026", "Quý 2/2026", "90,00", "99,16"} <= set(texts(fig))
    assert charts.trend_chart(rd, "D4") is None  # one quarter only: no trend to draw
    assert "Xuất sắc ≥ 90" in charts.trend_caption(rd) and "Yếu < 50" in charts.trend_caption(rd)


def test_band_chart_counts(rd):
    fig = charts.band_chart(rd)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Xã, phường", "Sở, ban, ngành"]
    assert sorted(p.get_width() for p in ax.patches if p.get_width()) == [1, 2, 3]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Xuất sắc", "Tốt", "Khá", "Trung bình", "Yếu"]


@pytest.mark.parametrize("make", [lambda rd: charts.group_chart(rd, "D1"), lambda rd: charts.trend_chart(rd, "D1"),
                                  charts.band_chart])
def test_same_data_same_png(rd, make):
    assert png(make(rd)) == png(make(rd))


def test_figure_block_for_the_report(rd):
    block = figure(charts.group_chart(rd, "D1"), "Điểm theo nhóm", dpi=charts.DPI)
    assert block.markdown.startswith("![Điểm theo nhóm](data:image/png;base64,")
