"""The static site of a run: ``<run>/index.html``, one page listing every unit.

For each unit: rank among its level, name, code, level, total, band and change since
the previous quarter, with links to its report (``don-vi/<code>.html`` / ``.pdf``) only
when that report was built from this run's data — otherwise the unit says "chưa có báo
cáo kỳ này" — plus the province summary and the Excel ranking. The page is the Jinja2
template ``templates/site.html``. A search
box (diacritics-insensitive: "so tu phap" finds "Sở Tư pháp") and level / band
filters run as inline JavaScript. Where the province has a map, the enforcement map
(:mod:`chiso.report.choropleth`: communes coloured by score, a tab per group, CSS only)
comes before the list.

The page is self-contained and offline: inline CSS and JS, no font, script or image
from anywhere else, no external URL. Every value is HTML-escaped (Jinja2 autoescape);
link targets are percent-encoded. Sample data gets a banner that stays in view.

Example
-------
>>> folder = RunFolder(Path("reports/2026-Q2"))
>>> write_site(load_report_data(folder.data_dir), folder, {"tong-hop": ["html", "pdf"]})  # doctest: +SKIP
PosixPath('reports/2026-Q2/index.html')
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import quote

import jinja2
import pandas as pd
from markupsafe import Markup

from chiso import formatting as fmt
from chiso.outputs import write_text
from chiso.paths import SUMMARY_NAME, TEMPLATES_DIR, UNITS_DIR_NAME, RunFolder
from chiso.report.choropleth import choropleth_html
from chiso.report.colours import ink_on
from chiso.report.data import ReportData
from chiso.report.national import display_table, national_table, province_position
from chiso.report.province_tables import ranking_table
from chiso.report.tables import ranked_levels
from chiso.report.text import SAMPLE_BANNER, cutoff_text, data_coverage
from chiso.scoring import LEVEL_NAMES_VI

NO_REPORT = "chưa có báo cáo kỳ này"
INTERNAL_BANNER = "BẢN NỘI BỘ — phục vụ đánh giá cán bộ, không công bố"


def search_key(text: str) -> str:
    """Lower case without diacritics, for the search box ("Sở Tư pháp" → "so tu phap").

    >>> search_key("Xã Đồng Hỷ")
    'xa dong hy'
    """
    return fmt.fold_diacritics(text).lower()


def _links(folder: RunFolder, name: str, reports: Mapping[str, Iterable[str]]) -> list[dict]:
    """Links to the HTML / PDF of one report of this run (relative to the page); none when
    ``reports`` (report name → formats built from this run's data) does not list it."""
    formats = set(reports.get(name, ()))
    return [
        {"label": kind.upper(), "href": quote(os.path.relpath(folder.report(name, kind), folder.root).replace(os.sep, "/"))}
        for kind in ("html", "pdf")
        if kind in formats
    ]


def site_rows(rd: ReportData, folder: RunFolder, reports: Mapping[str, Iterable[str]]) -> list[dict]:
    """One dict per unit (all levels but the province, by level then rank) for the page."""
    bands = {b["name"]: b["color"] for b in rd.meta["bands"]}
    rows = []
    for level in ranked_levels(rd):
        for r in ranking_table(rd, level).itertuples(index=False):
            code, name, total, band = r[1], r[2], r[3], r[4]
            rows.append({
                "rank": fmt.integer(r[0]),
                "code": code,
                "name": name,
                "level": level,
                "level_name": LEVEL_NAMES_VI[level],
                "total": fmt.number(total),
                "band": band if not fmt.is_missing(band) else "Chưa có số liệu",
                "band_colour": bands.get(band, "#d0d7de"),
                "band_ink": ink_on(bands.get(band, "#d0d7de")),
                "change": fmt.signed(r[5]),
                "trend": "up" if r[5] > 0 else "down" if r[5] < 0 else "",
                "search": search_key(f"{name} {code}"),
                "links": _links(folder, code, reports),
            })
    return rows


def write_site(rd: ReportData, folder: RunFolder, reports: Mapping[str, Iterable[str]]) -> Path:
    """Write the run's ``index.html`` and return its path.

    ``reports``: report name (unit code, ``tong-hop``) → formats of it built from this
    run's data; only those are linked.
    """
    province = rd.current("totals").query("level == 'province'")
    page = _template().render(
        title=" — ".join(filter(None, ["Bộ chỉ số phục vụ người dân, doanh nghiệp", rd.meta["province"],
                                       rd.meta["period_label"]])),
        meta=rd.meta,
        banner=SAMPLE_BANNER if rd.is_sample else None,
        internal=INTERNAL_BANNER if rd.internal else None,
        generated=fmt.date_time(rd.meta["generated_at"][:19]),
        province_total=fmt.number(province["total"].iloc[0]) if len(province) else None,
        province_band=province["band"].iloc[0] if len(province) else None,
        province_links=_links(folder, province["unit"].iloc[0], reports) if len(province) else [],
        summary_links=_links(folder, SUMMARY_NAME, reports),
        excel=folder.excel.name if folder.excel.is_file() else None,
        no_report=NO_REPORT,
        rows=site_rows(rd, folder, reports),
        levels=[(lv, LEVEL_NAMES_VI[lv]) for lv in ranked_levels(rd)],
        bands=[b["name"] for b in rd.meta["bands"]],
        coverage=data_coverage(rd),
        map=Markup(choropleth_html(rd, link_prefix=f"{UNITS_DIR_NAME}/",
                                   linked={name for name, formats in reports.items() if "html" in formats})),
        cutoff=cutoff_text(rd.meta),
        national=_national(rd),
    )
    return write_text(folder.site, page)


def _national(rd: ReportData) -> dict | None:
    """The national ranking for the page (None when the source has none): the province's
    rank, the sentence saying it, and the table's formatted cells."""
    table = national_table(rd)
    position = province_position(rd)
    if table is None or position is None:
        return None
    own = table[table["is_province"]].iloc[0]
    shown = display_table(rd)
    return {
        "rank": f"{int(own['rank'])}/{int(own['rank_of'])}",
        "position": position,
        "sample": rd.national is None,
        "headers": list(shown.columns),
        "rows": [{"is_province": bool(is_own), "cells": [fmt.number(v) if isinstance(v, float) else
                                                          ("" if pd.isna(v) else str(v)) for v in values]}
                 for is_own, values in zip(table["is_province"], shown.itertuples(index=False))],
    }


def _template() -> jinja2.Template:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True,
                                     trim_blocks=True, lstrip_blocks=True)
    return environment.get_template("site.html")
