"""The static site: every unit listed, names escaped, offline, links only to this run's reports."""

import html
import re
from html.parser import HTMLParser

import pytest

from chiso.paths import TEMPLATES_DIR, RunFolder
from chiso.report import site
from tiny_report import EVIL_NAME, tiny_report_data


class Collector(HTMLParser):
    """Tags, attributes and text of a page; fails on tags closed out of order."""

    def __init__(self):
        super().__init__()
        self.stack, self.links, self.scripts, self.rows, self.text = [], [], 0, 0, []

    VOID = {"meta", "input", "br", "img", "link"}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in self.VOID:
            self.stack.append(tag)
        if tag == "a":
            self.links.append(attrs["href"])
        if tag == "script":
            self.scripts += 1
            assert "src" not in attrs
        if tag == "tr" and "data-search" in attrs:
            self.rows += 1

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


# Reports built from this run's data (what the runner passes): D2 and C1 have none.
CURRENT = {"P": ["html"], "D1": ["html", "pdf"], "D3": ["html"], "tong-hop": ["html", "pdf"]}


@pytest.fixture
def run_dir(tmp_path):
    folder = RunFolder(tmp_path)
    folder.units_dir.mkdir()
    for name, formats in CURRENT.items():
        for fmt in formats:
            folder.report(name, fmt).write_text("x")
    folder.report("D2", "html").write_text("an earlier run's report")  # on disk, but not this run's
    folder.excel.write_text("x")
    return folder


def write(rd, folder, reports=CURRENT):
    return site.write_site(rd, folder, reports)


def parse(path):
    page = path.read_text(encoding="utf-8")
    collector = Collector()
    collector.feed(page)
    collector.close()
    assert collector.stack == [], "unclosed tags"
    return page, collector


def test_site_lists_units_and_links_this_runs_reports(run_dir):
    path = write(tiny_report_data(), run_dir)
    assert path == run_dir.root / "index.html"                     # at the top of the run folder
    page, doc = parse(path)
    assert doc.rows == 6  # departments and communes; the province is the headline card
    assert doc.links == ["don-vi/P.html", "tong-hop.html", "tong-hop.pdf", "bang-xep-hang.xlsx",
                         "don-vi/D3.html", "don-vi/D1.html", "don-vi/D1.pdf"]
    text = " ".join(doc.text)
    assert "Sở A" in text and "99,16" in text and "+9,16" in text and "Xuất sắc" in text
    assert 'lang="vi"' in page


def test_a_unit_without_a_report_of_this_run_says_so(run_dir):
    """D2's file on disk is an earlier run's: not linked; every unit without a report of this run says so."""
    page, doc = parse(write(tiny_report_data(), run_dir))
    assert "don-vi/D2.html" not in doc.links
    rows = re.findall(r'<tr data-search="[^"]*".*?</tr>', page, re.S)
    no_report = [row for row in rows if site.NO_REPORT in row]
    with_report = [row for row in rows if site.NO_REPORT not in row]
    assert len(no_report) == 4 and len(with_report) == 2                 # D2, D4, C1, C2 | D1, D3
    assert any('"so b d2"' in row for row in no_report) and all("don-vi/D" in row for row in with_report)
    _, nothing = parse(write(tiny_report_data(), run_dir, {}))
    assert nothing.links == ["bang-xep-hang.xlsx"]                 # no report of this run: none linked


def test_names_are_escaped(run_dir):
    page, doc = parse(write(tiny_report_data(), run_dir))
    assert "<script>alert" not in page
    assert html.escape(EVIL_NAME) in page
    assert EVIL_NAME in " ".join(doc.text)  # shown as text, literally
    assert doc.scripts == 1  # only the page's own filter script


def test_offline_no_external_urls(run_dir):
    page, _ = parse(write(tiny_report_data(), run_dir))
    assert not re.search(r"(https?:)?//|url\(|@import", page)


def test_banners(run_dir):
    sample, _ = parse(write(tiny_report_data(), run_dir))
    assert site.SAMPLE_BANNER in sample
    real, _ = parse(write(tiny_report_data(sample=False), run_dir))
    assert site.SAMPLE_BANNER not in real and site.INTERNAL_BANNER not in real
    internal, _ = parse(write(tiny_report_data("internal", sample=False), run_dir))
    assert site.INTERNAL_BANNER in internal


def test_site_is_styled_by_the_reports_base_stylesheet(run_dir):
    """One house style: the site inlines the reports' palette, fonts and banner (base.css), not a copy of them."""
    page, _ = parse(write(tiny_report_data(), run_dir))
    base = (TEMPLATES_DIR / "base.css").read_text(encoding="utf-8").strip()
    assert base in page
    assert page.count("font-family") == base.count("font-family")


def test_search_key_ignores_diacritics():
    assert site.search_key("Sở Tư pháp H44.19") == "so tu phap h44.19"
    assert site.search_key("Xã Đồng Hỷ") == "xa dong hy"


def test_site_in_headless_chromium(run_dir, tmp_path, screenshot):
    """The site check: load index.html in Debian's Chromium, offline, and screenshot it."""
    import matplotlib.pyplot as plt

    index = write(tiny_report_data(), run_dir)
    png = screenshot(index, tmp_path / "site.png", width=1280, height=900)
    pixels = plt.imread(png)
    assert pixels.shape[:2] == (900, 1280)
    assert pixels[..., :3].std() > 0.05  # something was drawn, not a blank page
