"""The enforcement map drawn as a map: communes coloured by score, and a locator map.

The province's communes (their shapes: :mod:`chiso.sources.geo`, stored in the run's
report data) are drawn as inline SVG, coloured exactly like the cells of the
enforcement-map tables (:func:`chiso.report.maps.map_fills`: the light tint of the band
that the share of the maximum falls in), one panel for the total and one per group.
Departments have no territory: beside each panel they are a coloured list. Under the
map: the legend (the band scale), the map's source ("fictional" for the sample), the units
with no shape and the map's features that match no unit — nothing is left out silently.

- HTML (:func:`choropleth_html`, the province summary and the site): one tab per panel,
  switched by radio buttons and CSS (no script); each commune's shape links to its report
  and shows its name and score on hover (SVG ``<title>``). The shapes are written once, in
  an SVG ``<defs>``, and each panel ``<use>``-s them. Printed, every panel shows.
- PDF (Typst): one figure per panel, the SVG embedded as an image (Typst draws it as vectors).
- :func:`locator_block`: on a commune's own report, a small map of the province with the
  commune highlighted.

Everything is self-contained: no script, tile server, font or stylesheet from elsewhere.
Every name is escaped (``html.escape`` in HTML and SVG, Typst string literals in Typst).

Example
-------
>>> display(choropleth_block(rd))            # province summary            # doctest: +SKIP
>>> display(locator_block(rd, "S99.101"))    # a commune's report          # doctest: +SKIP
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

import numpy as np
import pandas as pd
import shapely

from chiso import formatting as fmt
from chiso.paths import UNITS_DIR_NAME
from chiso.report.blocks import ReportBlock, escape_markdown, escape_typst_string, raw_blocks
from chiso.report.colours import band_of, band_scale, tint
from chiso.report.data import ReportData
from chiso.report.maps import enforcement_map, map_columns, map_fills
from chiso.report.tables import NO_DATA
from chiso.sources.geo import TERRITORIAL_LEVELS

MAP_WIDTH = 600.0  # SVG user units across the province map
LOCATOR_DETAIL = 200  # the locator map (240 px wide) keeps shapes to 1/200 of its width, whole units
BORDER = "#4a5560"
NO_DATA_FILL = "#eceef0"
HIGHLIGHT = "#1f4e79"
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
TOTAL = "Tổng điểm"
PDF_MAP_HEIGHT_CM = 10.5  # two panels a page
PDF_MAP_WIDTH_CM = 10.0
LOCATOR_WIDTH_PX = 240
LOCATOR_STROKE = 1.2  # map units: borders ~0.5 px wide at the locator's size
LOCATOR_WIDTH_CM = 5.5
FICTIONAL_NOTE = "Bản đồ hư cấu của tỉnh mẫu — không phải ranh giới thật của bất kỳ địa phương nào."
NO_MAP = ("Chưa có bản đồ ranh giới các xã, phường: đặt tệp GeoJSON (hoặc GeoPackage, Shapefile) của tỉnh tại "
          "params/geo/<mã tỉnh>.geojson, hoặc chạy make report GEO=đường-dẫn-tệp.")


# --------------------------------------------------------------------------- shapes


@dataclass(frozen=True)
class Outline:
    """The communes' shapes as SVG path data, in a viewBox ``MAP_WIDTH`` × ``height``."""

    paths: dict[str, str]  # unit code -> path data
    anchors: dict[str, tuple[float, float]]  # unit code -> a point inside its shape
    height: float

    @property
    def view_box(self) -> str:
        return f"0 0 {MAP_WIDTH:g} {self.height:.1f}"


def has_map(rd: ReportData) -> bool:
    """Whether the run has a map with at least one shape."""
    return rd.geometry is not None and len(rd.geometry) > 0


def outline(rd: ReportData, detail: int | None = None) -> Outline:
    """The run's shapes in SVG coordinates (y down, ``MAP_WIDTH`` across), optionally
    coarsened to 1/``detail`` of the width. Cached: every report of a worker draws the same shapes."""
    return _outline(tuple(rd.geometry["unit"]), tuple(rd.geometry["wkb"]), detail)


@lru_cache(maxsize=8)
def _outline(units: tuple, wkbs: tuple, detail: int | None) -> Outline:
    shapes = shapely.from_wkb(np.array(wkbs, dtype=object))
    xmin, ymin, xmax, ymax = shapely.total_bounds(shapes)
    scale = MAP_WIDTH / max(xmax - xmin, 1e-9)
    shapes = shapely.transform(shapes, lambda xy: (xy - [xmin, ymax]) * [scale, -scale])
    if detail:
        tolerance = MAP_WIDTH / detail
        shapes = (shapely.coverage_simplify(shapes, tolerance) if shapely.coverage_is_valid(shapes)
                  else shapely.simplify(shapes, tolerance, preserve_topology=True))
    anchors = shapely.get_coordinates(shapely.point_on_surface(shapes))
    decimals = 0 if detail else 1
    return Outline(paths={u: _path_data(s, decimals) for u, s in zip(units, shapes)},
                   anchors={u: (float(x), float(y)) for u, (x, y) in zip(units, anchors)},
                   height=float((ymax - ymin) * scale))


def _path_data(shape, decimals: int = 1) -> str:
    """SVG path data of a (multi)polygon: one closed subpath per ring (fill-rule evenodd
    makes holes), coordinates rounded to ``decimals`` (a vertex that rounds onto the one
    before it is left out)."""
    parts = []
    for polygon in shapely.get_parts(shape):
        for ring in (polygon.exterior, *polygon.interiors):
            xy = np.round(np.asarray(ring.coords)[:-1], decimals)
            keep = np.r_[True, np.any(xy[1:] != xy[:-1], axis=1)]
            parts.append("M" + "L".join(f"{x:g} {y:g}" for x, y in xy[keep]) + "Z")
    return "".join(parts)


# --------------------------------------------------------------------------- what each panel shows


@dataclass(frozen=True)
class Panel:
    """One measure (the total or a group): its title and, per unit, fill colour and hover text."""

    key: str
    title: str
    fills: dict[str, str]
    labels: dict[str, str]  # unit -> "85,20/100 (Tốt)"


def panels(rd: ReportData) -> list[Panel]:
    """The total first, then each group: colours of the enforcement-map tables, one label per unit."""
    frames = [enforcement_map(rd, level, "group") for level in _levels(rd)]
    points = pd.concat([p for p, _ in frames], ignore_index=True)
    share = pd.concat([s for _, s in frames], ignore_index=True)
    fills = map_fills(rd, share)
    maxima = dict(map_columns(rd, "group").values())  # column header -> maximum points
    columns = [TOTAL] + [c for c in points.columns if c in maxima]
    result = []
    for index, column in enumerate(columns):
        maximum = 100.0 if column == TOTAL else maxima[column]
        labels, colours = {}, {}
        for unit, value, ratio, fill in zip(points["Mã"], points[column], share[column], fills[column]):
            colours[unit] = NO_DATA_FILL if fmt.is_missing(fill) else fill
            labels[unit] = NO_DATA if fmt.is_missing(value) else (
                f"{fmt.number(value)}/{fmt.number(maximum, 0)} ({band_of(rd, ratio * 100)['name']})")
        result.append(Panel(key=f"p{index}", title=column, fills=colours, labels=labels))
    return result


def _levels(rd: ReportData) -> list[str]:
    present = set(rd.current("totals")["level"])
    return [level for level in ("department", *TERRITORIAL_LEVELS) if level in present]


def _names(rd: ReportData) -> dict[str, str]:
    rows = rd.current("totals")
    return dict(zip(rows["unit"], rows["name"]))


def _departments(rd: ReportData) -> list[str]:
    """Departments by rank (the order of the ranking table)."""
    rows = rd.current("totals")
    rows = rows[rows["level"] == "department"].sort_values(["rank", "name"], na_position="last", kind="stable")
    return list(rows["unit"])


def _legend_items(rd: ReportData) -> list[tuple[str, str]]:
    """(fill, text) of the legend: each band's tint with its range, then "no data"."""
    ranges = band_scale(rd).split("; ")
    return [(tint(b["color"]), text) for b, text in zip(rd.meta["bands"], ranges)] + [(NO_DATA_FILL, NO_DATA)]


def _notes(rd: ReportData) -> list[str]:
    """Plain-text notes under the map: source, fictional, units without a shape, features without a unit."""
    info = rd.meta.get("map") or {}
    notes = [f"Nguồn ranh giới: {info.get('source')}."]
    if info.get("fictional"):
        notes.append(FICTIONAL_NOTE)
    missing = info.get("missing_units") or []
    if missing:
        notes.append(f"Đơn vị không có trên bản đồ (tệp bản đồ không có ranh giới của đơn vị, {len(missing)}): "
                     + "; ".join(f"{m['name']} ({m['unit']})" for m in missing) + ".")
    unmatched = info.get("unmatched_features") or []
    if unmatched:
        notes.append(f"Vùng trong tệp bản đồ không khớp đơn vị nào ({len(unmatched)}): "
                     + "; ".join(f"vùng số {f['feature']}" + (f" “{f['label']}”" if f["label"] else "")
                                 + f" — {f['reason']}" for f in unmatched) + ".")
    return notes


# --------------------------------------------------------------------------- SVG


def _svg(shape: Outline, fills: dict[str, str], *, width: str, titles: dict[str, str] | None = None,
         links: dict[str, str] | None = None, use_prefix: str | None = None, highlight: str | None = None,
         label: str = "", standalone: bool = False, stroke: float = 0.5) -> str:
    """An SVG of the communes. ``use_prefix``: refer to shapes defined once on the page
    (:func:`_defs_svg`) instead of writing them; ``titles``/``links``: hover text and
    report link per unit (HTML); ``highlight``: one unit drawn on top with a thick border
    and ringed (a small commune stays easy to find);
    ``standalone``: an SVG file of its own (for Typst) declares its namespace — inline in
    HTML it needs none, and the page keeps no URL at all. ``stroke``: border width in
    map units (MAP_WIDTH across)."""
    numbers = {unit: number for number, unit in enumerate(shape.paths)}
    items = []
    order = [u for u in shape.paths if u != highlight] + ([highlight] if highlight in shape.paths else [])
    for unit in order:
        fill = html.escape(fills.get(unit, NO_DATA_FILL))  # band colours come from the methodology file
        extra = f' stroke="{HIGHLIGHT}" stroke-width="{4 * stroke:g}"' if unit == highlight else ""
        title = f"<title>{html.escape(titles[unit])}</title>" if titles and unit in titles else ""
        if use_prefix:
            item = f'<use href="#{use_prefix}-{numbers[unit]}" fill="{fill}"{extra}>{title}</use>'
        else:
            item = f'<path d="{shape.paths[unit]}" fill="{fill}"{extra}>{title}</path>'
        if links and unit in links:
            item = f'<a href="{html.escape(links[unit])}">{item}</a>'
        items.append(item)
    if highlight in shape.anchors:
        x, y = shape.anchors[highlight]
        items.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{0.05 * MAP_WIDTH:g}" fill="none" '
                     f'stroke="{HIGHLIGHT}" stroke-width="{4 * stroke:g}"/>')
    namespace = f'xmlns="{SVG_NAMESPACE}" ' if standalone else ""
    return (f'<svg {namespace}viewBox="{shape.view_box}" width="{width}" '
            f'role="img" aria-label="{html.escape(label)}" stroke="{BORDER}" stroke-width="{stroke:g}" '
            f'stroke-linejoin="round" fill-rule="evenodd">' + "".join(items) + "</svg>")


def _defs_svg(shape: Outline, prefix: str) -> str:
    """The shapes once, as an invisible SVG whose paths the panels ``<use>``."""
    paths = "".join(f'<path id="{prefix}-{i}" d="{d}"/>' for i, d in enumerate(shape.paths.values()))
    return f'<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>{paths}</defs></svg>'


# --------------------------------------------------------------------------- HTML


_CSS = """
.chiso-map { margin: 1em 0; }
.chiso-map > input { position: absolute; opacity: 0; pointer-events: none; }
.chiso-map .tabs { display: flex; flex-wrap: wrap; gap: .3rem; border-bottom: 2px solid #d0d7de; }
.chiso-map .tabs label { padding: .3rem .7rem; border: 1px solid #d0d7de; border-bottom: none;
  border-radius: 5px 5px 0 0; cursor: pointer; background: #f6f8fa; font-size: .88rem; }
.chiso-map .panel { display: none; flex-wrap: wrap; gap: 1rem; align-items: flex-start; padding-top: .6rem; }
.chiso-map .panel h4 { flex-basis: 100%; margin: 0; font-size: .95rem; }
.chiso-map .panel svg { flex: 1 1 22rem; max-width: 36rem; height: auto; }
.chiso-map .panel svg a:hover > *, .chiso-map .panel svg a:focus > * { stroke: #1f4e79; stroke-width: 2.5; }
.chiso-map .departments { flex: 1 1 15rem; margin: 0; padding: 0; list-style: none; font-size: .85rem; }
.chiso-map .departments li { display: flex; gap: .4rem; align-items: baseline; padding: .1rem 0; }
.chiso-map .swatch { display: inline-block; width: .9em; height: .9em; flex: none; border: 1px solid #8c959f;
  vertical-align: -.1em; }
.chiso-map .score { margin-left: auto; white-space: nowrap; font-variant-numeric: tabular-nums; }
.chiso-map .legend { display: flex; flex-wrap: wrap; gap: .3rem 1rem; font-size: .85rem; margin: .6rem 0; }
.chiso-map .notes { font-size: .85rem; color: #59636e; }
@media print {
  .chiso-map .tabs { display: none; }
  .chiso-map .panel { display: flex !important; break-inside: avoid; }
}
"""


def choropleth_html(rd: ReportData, link_prefix: str = "", linked: set[str] | None = None,
                    id_prefix: str = "chiso-map") -> str:
    """The map as an HTML fragment: tabs (CSS only), one panel per measure, legend and notes.

    Units link to ``<link_prefix><code>.html`` (``don-vi/`` from the site and the summary), only those in
    ``linked`` when given (the reports that exist). Empty when the run has no map
    (:func:`choropleth_block` says so instead)."""
    if not has_map(rd):
        return ""
    shape = outline(rd)
    names = _names(rd)
    departments = _departments(rd)
    links = {unit: f"{link_prefix}{quote(unit)}.html" for unit in names if linked is None or unit in linked}
    tabs, inputs, bodies, css = [], [], [], [_CSS]
    for index, panel in enumerate(panels(rd)):
        tab_id = f"{id_prefix}-{panel.key}"
        inputs.append(f'<input type="radio" name="{id_prefix}" id="{tab_id}"{" checked" if index == 0 else ""}>')
        tabs.append(f'<label for="{tab_id}">{html.escape(panel.title)}</label>')
        css.append(f"#{tab_id}:checked ~ .panels .{panel.key} {{ display: flex; }}\n"
                   f"#{tab_id}:checked ~ .tabs label[for={tab_id}] {{ background: #fff; font-weight: bold; "
                   "border-color: #1f4e79; }}")
        titles = {unit: f"{names.get(unit, unit)} — {panel.title}: {panel.labels.get(unit, NO_DATA)}"
                  for unit in shape.paths}
        svg = _svg(shape, panel.fills, width="100%", titles=titles, links=links, use_prefix=f"{id_prefix}-shape",
                   label=f"Bản đồ {panel.title}")
        items = "".join(
            f'<li><span class="swatch" style="background:{panel.fills.get(u, NO_DATA_FILL)}"></span>'
            + (f'<a href="{html.escape(links[u])}">{html.escape(names[u])}</a>' if u in links
               else f"<span>{html.escape(names[u])}</span>")
            + f'<span class="score">{html.escape(panel.labels.get(u, NO_DATA))}</span></li>' for u in departments)
        listing = (f'<ul class="departments" aria-label="Sở, ban, ngành">{items}</ul>' if departments else "")
        bodies.append(f'<div class="panel {panel.key}"><h4>{html.escape(panel.title)}</h4>{svg}{listing}</div>')
    legend = "".join(f'<span><span class="swatch" style="background:{fill}"></span> {html.escape(text)}</span>'
                     for fill, text in _legend_items(rd))
    notes = "".join(f"<p>{html.escape(note)}</p>" for note in _notes(rd))
    return (f'<div class="chiso-map"><style>{"".join(css)}</style>{_defs_svg(shape, f"{id_prefix}-shape")}'
            + "".join(inputs) + f'<div class="tabs" role="tablist">{"".join(tabs)}</div>'
            + f'<div class="panels">{"".join(bodies)}</div>'
            + f'<div class="legend">{legend}</div><div class="notes">{notes}</div></div>')


# --------------------------------------------------------------------------- Typst (PDF)


def _typst_svg(svg: str, width_cm: float) -> str:
    return f'image(bytes({escape_typst_string(svg)}), format: "svg", width: {width_cm:.2f}cm)'


def _typst_swatch(fill: str) -> str:
    return f'box(width: 0.8em, height: 0.8em, fill: rgb("{fill}"), stroke: 0.4pt + rgb("#8c959f"))'


def choropleth_typst(rd: ReportData) -> str:
    """The map for the PDF: one figure per measure (map, then the departments' list beside
    it), the legend and the notes."""
    shape = outline(rd)
    names = _names(rd)
    departments = _departments(rd)
    width = min(PDF_MAP_WIDTH_CM, PDF_MAP_HEIGHT_CM * MAP_WIDTH / shape.height)
    figures = []
    for panel in panels(rd):
        svg = _svg(shape, panel.fills, width="100%", label=panel.title, standalone=True)
        rows = ", ".join(f"{_typst_swatch(panel.fills.get(u, NO_DATA_FILL))}, {escape_typst_string(names[u])}, "
                         f"{escape_typst_string(panel.labels.get(u, NO_DATA))}" for u in departments)
        # A grid, not a table: the template styles tables (bold first row, rules).
        listing = (f"text(size: 7pt, grid(columns: (auto, 1fr, auto), column-gutter: 3pt, row-gutter: 3pt, "
                   f"align: (center, left, right), {rows}))" if departments else "[]")
        figures.append(
            f"#figure(kind: image, caption: [#{escape_typst_string('Bản đồ thực thi — ' + panel.title)}],\n"
            f"  grid(columns: ({width:.2f}cm, 1fr), gutter: 10pt, align: (top, top), {_typst_svg(svg, width)}, {listing}))"
        )
    legend = " #h(1em) ".join(f"#box[#{_typst_swatch(fill)} #{escape_typst_string(text)}]"
                              for fill, text in _legend_items(rd))
    # Blocks, not bare text: the Markdown paragraph after the raw block must not run on.
    notes = "\n".join(f"#block(text(size: 8pt)[#{escape_typst_string(note)}])" for note in _notes(rd))
    return "\n".join(figures) + f"\n#block(text(size: 8pt)[{legend}])\n{notes}"


# --------------------------------------------------------------------------- blocks


def choropleth_block(rd: ReportData) -> ReportBlock:
    """The map of the province summary (HTML tabs, PDF panels); a sentence when there is no
    map (with what the map file held, when none of its features matched a unit)."""
    if not has_map(rd):
        notes = _notes(rd) if rd.meta.get("map") else []
        return ReportBlock("\n\n".join(escape_markdown(text) for text in [NO_MAP, *notes]) + "\n")
    page = choropleth_html(rd, link_prefix=f"{UNITS_DIR_NAME}/")  # the summary sits above the units' folder
    return ReportBlock(raw_blocks(page, choropleth_typst(rd)), html=page)


def locator_block(rd: ReportData, unit: str) -> ReportBlock | None:
    """A small map of the province with ``unit`` highlighted (in its band's colour); a
    sentence for a commune missing from the map; None for a unit without territory
    (department, province) or a run without a map."""
    row = rd.unit_total(unit)
    if row["level"] not in TERRITORIAL_LEVELS or not has_map(rd):
        return None
    shape = outline(rd, LOCATOR_DETAIL)
    if unit not in shape.paths:
        return ReportBlock(escape_markdown(f"Tệp bản đồ của tỉnh không có ranh giới của {row['name']}: "
                                           "đơn vị không được vẽ trên bản đồ.") + "\n")
    band = band_of(rd, row["total"])
    fills = {u: "#ffffff" for u in shape.paths} | {unit: band["color"] if band else NO_DATA_FILL}
    caption = f"Vị trí của {row['name']} trong tỉnh (tô màu theo xếp loại tổng điểm)"
    if (rd.meta.get("map") or {}).get("fictional"):
        caption += f". {FICTIONAL_NOTE}"
    svg = _svg(shape, fills, width=f"{LOCATOR_WIDTH_PX}", highlight=unit, label=caption, stroke=LOCATOR_STROKE)
    page = f'<figure class="chiso-locator">{svg}<figcaption>{html.escape(caption)}</figcaption></figure>'
    standalone = _svg(shape, fills, width="100%", highlight=unit, label=caption, standalone=True,
                      stroke=LOCATOR_STROKE)
    typst = f"#figure({_typst_svg(standalone, LOCATOR_WIDTH_CM)}, caption: [#{escape_typst_string(caption)}])"
    return ReportBlock(raw_blocks(page, typst), html=page)
