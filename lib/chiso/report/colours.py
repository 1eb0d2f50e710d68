"""Band colours: which band a score falls in, light tints for table cells, readable ink."""

from __future__ import annotations

from chiso import formatting as fmt
from chiso.report.data import ReportData


def band_of(rd: ReportData, score: float) -> dict | None:
    """The band (as stored in meta: code, name, min, color) of a score out of 100; None when missing.

    Also used for a share of a maximum × 100 (map cells, chart bars).
    """
    if fmt.is_missing(score):
        return None
    return next((b for b in rd.meta["bands"] if score >= b["min"]), rd.meta["bands"][-1])


def tint(colour: str, strength: float = 0.45) -> str:
    """A light version of a "#rrggbb" colour (mixed with white), for cells with black text.

    >>> tint("#000000", 0.5)
    '#808080'
    """
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(255 - (255 - c) * strength):02x}" for c in rgb)


def ink_on(colour: str) -> str:
    """Black or white text, whichever reads better on ``colour`` (WCAG relative luminance).

    >>> ink_on("#1a7f37"), ink_on("#f2c744")
    ('white', 'black')
    """
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "black" if luminance > 0.179 else "white"


def band_scale(rd: ReportData) -> str:
    """The bands as plain text: "Xuất sắc ≥ 90; Tốt 80–<90; ...; Yếu < 50"."""
    bands = rd.meta["bands"]
    uppers = [None, *[fmt.number(b["min"], 0) for b in bands[:-1]]]
    parts = []
    for band, upper in zip(bands, uppers):
        low = fmt.number(band["min"], 0)
        span = f"≥ {low}" if upper is None else f"< {upper}" if band["min"] == 0 else f"{low}–<{upper}"
        parts.append(f"{band['name']} {span}")
    return "; ".join(parts)
