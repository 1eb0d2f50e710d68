"""The enforcement map drawn as a map (chiso.report.choropleth), on the tiny hand-computed
report data: colours of the tables, tabs, hover text, links, legend, notes, escaping, PDF."""

import re
import unicodedata
from dataclasses import replace
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pypdf
import pytest
import shapely

from chiso.report import choropleth, render
from chiso.report.blocks import escape_markdown
from chiso.report.colours import tint
from chiso.sources.geo import geometry_summary, geometry_table, match_units
from geo_layout import EXTRA_NAME
from tiny_report import EVIL_NAME, METHODOLOGY, UNITS, tiny_report_data

# tiny_report: C1 "Xã Một" 100.00 (Xuất sắc), C2 "Xã Hai" 97.00 (Xuất sắc; group 1: 15/18 = 83.3 % → Tốt).
EVIL_FEATURE = "<b>Xã</b> & \"Ngoài\""


def square(x):
    return shapely.box(500_000 + x, 2_000_000, 500_001 + x, 2_000_001)


def with_map(features):
    """tiny_report_data with a map made of (name, shape) features."""
    attributes = pd.DataFrame({"ten": [name for name, _ in features]}, dtype="string")
    geometry = match_units(attributes, np.array([s for _, s in features], dtype=object), UNITS, source="xa.geojson")
    rd = tiny_report_data()
    return replace(rd, geometry=geometry_table(geometry), meta={**rd.meta, "map": geometry_summary(geometry)})


@pytest.fixture(scope="module")
def rd():
    return with_map([("Xã Một", square(0)), ("xa hai", square(1)), (EVIL_FEATURE, square(2))])


class Page(HTMLParser):
    """Elements of an HTML fragment: uses, radio inputs, links, titles; fails on bad nesting."""

    def __init__(self):
        super().__init__()
        self.stack, self.uses, self.inputs, self.links, self.titles = [], [], [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        {"use": self.uses, "input": self.inputs}.get(tag, []).append(attrs)
        if tag == "a":
            self.links.append(attrs["href"])
        if tag != "input":  # the one void element of the fragment
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()

    def handle_data(self, data):
        if self.stack and self.stack[-1] == "title":
            self.titles.append(data)


def parse(fragment):
    page = Page()
    page.feed(fragment)
    page.close()
    assert page.stack == [], "unclosed elements"
    return page


def test_panels_total_then_each_group_in_the_tables_colours(rd):
    panels = choropleth.panels(rd)
    assert [p.title for p in panels] == ["Tổng điểm"] + [f"{g.code}. {g.name} ({g.max_points:g})"
                                                        for g in METHODOLOGY.groups]
    bands = {b["name"]: tint(b["color"]) for b in rd.meta["bands"]}
    total, group1 = panels[0], panels[1]
    assert total.fills["C1"] == total.fills["C2"] == bands["Xuất sắc"]
    assert total.labels["C2"] == "97,00/100 (Xuất sắc)"
    assert group1.fills["C2"] == bands["Tốt"] and group1.labels["C2"] == "15,00/18 (Tốt)"  # 1.4 = 50 %
    assert total.fills["D3"] == bands["Xuất sắc"] and total.labels["D4"] == "88,00/100 (Tốt)"


def test_html_has_a_tab_per_panel_hover_text_links_and_legend(rd):
    fragment = choropleth.choropleth_html(rd)
    page = parse(fragment)
    assert len(page.inputs) == 6 and sum("checked" in i for i in page.inputs) == 1
    assert len(page.uses) == 6 * 2  # two communes on each of the six panels
    assert "Xã Hai — Tổng điểm: 97,00/100 (Xuất sắc)" in page.titles
    assert "C1.html" in page.links and "C2.html" in page.links and "D1.html" in page.links  # departments listed
    assert fragment.count('class="departments"') == 6
    for band in rd.meta["bands"]:
        assert band["name"] in fragment
    assert "<script" not in fragment and "//" not in fragment  # no script, no URL: offline


def test_names_from_the_data_and_the_map_file_are_escaped(rd):
    fragment = choropleth.choropleth_html(rd)
    assert EVIL_NAME not in fragment and "&lt;script&gt;alert(1)&lt;/script&gt;" in fragment
    assert EVIL_FEATURE not in fragment and "&lt;b&gt;Xã&lt;/b&gt; &amp; &quot;Ngoài&quot;" in fragment
    typst = choropleth.choropleth_typst(rd)
    assert EVIL_NAME in typst  # inside a Typst string literal, where markup means nothing


def test_unmatched_feature_and_missing_commune_are_listed_under_the_map():
    rd = with_map([("Xã Một", square(0)), ("Xã Không Có", square(1))])
    notes = " ".join(choropleth._notes(rd))
    assert "Xã Hai (C2)" in notes and "Đơn vị không có trên bản đồ" in notes
    assert "vùng số 2 “Xã Không Có”" in notes
    page = parse(choropleth.choropleth_html(rd))
    assert len(page.uses) == 6  # C1 only


def test_pdf_shows_one_panel_per_measure(rd, tmp_path):
    block = choropleth.choropleth_block(rd)
    pdf = render._typst_pdf(block.markdown, {"title": "Bản đồ", "lang": "vi"})
    (tmp_path / "map.pdf").write_bytes(pdf)
    text = unicodedata.normalize("NFC", "\n".join(p.extract_text() for p in pypdf.PdfReader(tmp_path / "map.pdf").pages))
    assert len(re.findall("Bản đồ thực thi —", text)) == 6
    assert "Sở A 99,16/100 (Xuất sắc)" in text and "Xuất sắc ≥ 90" in text  # departments beside, legend


def test_locator_map_highlights_the_commune(rd):
    block = choropleth.locator_block(rd, "C2")
    assert block is not None and "Vị trí của Xã Hai" in block.markdown
    page = parse(block.html)
    assert page.links == []  # a small picture, not a navigation
    svg = block.html
    assert svg.count("<path") == 2 and svg.index('fill="#1a7f37"') > svg.index('fill="#ffffff"')  # drawn on top
    assert choropleth.locator_block(rd, "D1") is None  # a department has no territory


def test_a_commune_missing_from_the_map_and_a_run_without_map_say_so():
    rd = with_map([("Xã Một", square(0))])
    assert "không có ranh giới của Xã Hai" in choropleth.locator_block(rd, "C2").markdown
    plain = tiny_report_data()
    assert choropleth.locator_block(plain, "C2") is None
    assert escape_markdown("params/geo/<mã tỉnh>.geojson") in choropleth.choropleth_block(plain).markdown
    assert choropleth.choropleth_html(plain) == ""
    nothing_matched = with_map([("Xã Không Có", square(0))])
    text = choropleth.choropleth_block(nothing_matched).markdown
    assert escape_markdown("Xã Một (C1)") in text and "Không Có" in text  # what the file held is still said


# --------------------------------------------------------------------------- a real layout, end to end


@pytest.fixture(scope="module")
def real_run(tmp_path_factory, reference_dir):
    """Phú Thọ's real DVCQG results with a map file laid out like a real one (tests/geo_layout.py):
    real-world codes and names, one name without diacritics, one commune missing, one extra feature."""
    from chiso.report.data import build_report_data
    from chiso.sources.official import load_official
    from geo_layout import write_layout

    root = tmp_path_factory.mktemp("real-map")
    geo = root / "phu-tho.geojson"
    expected = write_layout(geo, load_official([reference_dir / "2026-Q3"]).units)
    rd = build_report_data(f"official:{reference_dir / '2026-Q3'}", "2026-Q3", "qd766-2022", root / "run", geo=geo)
    return rd, root / "run", expected


def test_real_layout_reaches_the_report_data(real_run):
    rd, run, expected = real_run
    assert (run / "_data" / "geometry.parquet").is_file()
    assert set(rd.geometry["unit"]) == set(expected["matched"])
    assert [m["unit"] for m in rd.meta["map"]["missing_units"]] == [expected["missing"]]
    assert [f["label"] for f in rd.meta["map"]["unmatched_features"]] == [EXTRA_NAME]
    assert not rd.meta["map"]["fictional"]


def test_province_summary_shows_the_real_map(real_run, tmp_path):
    import papermill

    import chiso.report.engines
    from chiso.paths import PROJECT_ROOT

    rd, run, expected = real_run
    notebook = tmp_path / "tong-hop.ipynb"
    papermill.execute_notebook(PROJECT_ROOT / "notebooks" / "province_summary.ipynb", notebook,
                               parameters={"unit": "", "data_dir": str(run / "_data"), "edition": "public"},
                               engine_name=chiso.report.engines.ENGINE_NAME, cwd=tmp_path, progress_bar=False)
    out = render.render_notebook(notebook, tmp_path, "tong-hop", formats=("html",), title="Tổng hợp")
    page = out["html"].read_text(encoding="utf-8")
    assert page.count("<use ") == 6 * len(expected["matched"])
    missing_name = rd.unit_total(expected["missing"])["name"]
    assert f"{missing_name} ({expected['missing']})" in page  # listed under the map, not dropped
    assert EXTRA_NAME in page and "Nguồn ranh giới: phu-tho.geojson" in page


def test_site_map_in_headless_chromium_shows_coloured_communes(real_run, tmp_path, screenshot):
    """The site check with a real layout: Chromium draws the communes in the bands' colours."""
    import matplotlib.pyplot as plt

    from chiso.paths import RunFolder
    from chiso.report import site

    rd, run, expected = real_run
    index = site.write_site(rd, RunFolder(run), reports={})
    assert index.read_text(encoding="utf-8").count("<use ") == 6 * len(expected["matched"])
    pixels = plt.imread(screenshot(index, tmp_path / "site.png", width=1280, height=1800))[..., :3]
    pixels = np.round(pixels * 255).astype(int)
    colours_on_map = {}
    for band in rd.meta["bands"]:
        rgb = np.array([int(tint(band["color"])[i:i + 2], 16) for i in (1, 3, 5)])
        colours_on_map[band["name"]] = int((np.abs(pixels - rgb).sum(axis=2) <= 6).sum())
    # The communes fill tens of thousands of pixels in the bands' colours (Phú Thọ's communes
    # are all "Trung bình" in 2026-Q3, so one colour dominates).
    band = rd.unit_total(expected["matched"][0])["band"]
    assert colours_on_map[band] > 30_000, colours_on_map


def test_the_end_of_a_run_says_what_the_map_lacks(real_run):
    from chiso.report.manifest import _map_lines

    rd, _, expected = real_run
    [line] = _map_lines(rd.meta["map"])
    assert line.startswith("map phu-tho.geojson: 1 unit(s) without a shape: ")
    assert f"({expected['missing']})" in line and "1 feature(s) of the file matching no unit" in line
    assert _map_lines({**rd.meta["map"], "missing_units": [], "unmatched_features": []}) == []
    assert "params/geo" in _map_lines(None)[0]
