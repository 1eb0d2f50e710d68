"""Tests for chiso.report.render and chiso.report.blocks: executed notebook -> self-contained HTML + A4 PDF."""

import base64
import importlib.util
import os
import json
import re
import shutil
import struct
import subprocess
import sys
import unicodedata

import matplotlib.pyplot as plt
import nbformat
import pandas as pd
import pypdf
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from chiso.errors import ChisoError
from chiso.paths import PROJECT_ROOT, TEMPLATES_DIR
from chiso.report.blocks import (
    PDF_TABLE_CHARACTERS,
    coloured_table,
    escape_markdown,
    escape_typst_string,
    figure,
    markdown_table,
)
from chiso.report.render import _typst_source, notebook_markdown, render_notebook, report_cells

PHRASE = "Ủy ban nhân dân xã Đồng Hỷ — Sở Tư pháp: Tỷ lệ hồ sơ đúng hạn"
BANNER = "DỮ LIỆU MẪU — không phải số liệu thật"
HOSTILE_NAME = "<script>alert(1)</script> & Co"
URL = re.compile(r"https?://")


def displayed(block, kind="display_data"):
    """The output Jupyter stores when a cell displays `block` (what IPython puts in the bundle)."""
    data = {"text/markdown": block._repr_markdown_(), "text/plain": repr(block)}
    if block._repr_html_():
        data["text/html"] = block._repr_html_()
    extra = {"execution_count": 1} if kind == "execute_result" else {}
    return new_output(kind, data=data, **extra)


def stream(text, name="stdout"):
    return new_output("stream", name=name, text=text)


def nfc(text):
    return unicodedata.normalize("NFC", text)


@pytest.fixture(scope="module")
def report_notebook(tmp_path_factory):
    """An executed-notebook look-alike with every kind of content a report shows or hides."""
    scores = pd.DataFrame({
        "Đơn vị": ["Ủy ban nhân dân xã Đồng Hỷ", HOSTILE_NAME, "Sở Tư pháp"],
        "Điểm": [92.5, 80.25, 88.0],
    })
    fills = pd.DataFrame({"Đơn vị": [None] * 3, "Điểm": ["#d1e7dd", "#f8d7da", None]})
    ranking = pd.DataFrame({"Hạng": range(1, 151), "Xã": [f"Xã Đồng Hỷ số {i}" for i in range(1, 151)]})
    enforcement = pd.DataFrame({f"Chỉ số {i}": [f"{i / 2:.1f}"] for i in range(1, 23)})
    enforcement.insert(0, "Đơn vị", ["Xã Đồng Hỷ"])
    enforcement_fills = enforcement.map(lambda _: "#fff3cd")
    fig, ax = plt.subplots(figsize=(5, 2.5))
    ax.bar(["Đồng Hỷ", "Sở Tư pháp"], [92.5, 88.0])
    ax.set_title("Tỷ lệ hồ sơ đúng hạn")
    notebook = new_notebook()
    notebook.cells = [
        new_code_cell("unit = 'mặc định'", metadata={"tags": ["parameters"]}),
        new_code_cell("unit = 'HIDDEN-PARAMETER'", metadata={"tags": ["injected-parameters"]},
                      outputs=[stream("HIDDEN-PARAMETER\n")]),
        new_markdown_cell(f"# Báo cáo chỉ số\n\n{PHRASE}"),
        new_code_cell("SOURCE_CODE_MARKER = markdown_table(scores)",
                      outputs=[displayed(markdown_table(scores, caption="Bảng 1. Điểm theo đơn vị"))]),
        new_code_cell("coloured_table(scores, fills)",
                      outputs=[displayed(coloured_table(scores, fills, caption="Bảng 2. Bản đồ thực thi"),
                                         kind="execute_result")]),
        new_code_cell("figure(fig, caption)", outputs=[displayed(figure(fig, f"Hình 1. {PHRASE}"))]),
        new_code_cell("print(...)", outputs=[
            stream("Đồng Hỷ: in ra\n"),
            stream("FutureWarning: HIDDEN-WARNING\n", name="stderr"),
            new_output("execute_result", data={"text/plain": "[<Line2D at 0x7f00>]"}, execution_count=2),
        ]),
        new_code_cell("debug()", metadata={"tags": ["remove"]}, outputs=[stream("HIDDEN-REMOVED\n")]),
        new_code_cell("coloured_table(enforcement, fills, landscape=True)", outputs=[displayed(coloured_table(
            enforcement, enforcement_fills, caption="Bảng 4. Bản đồ 22 chỉ số", landscape=True))]),
        new_code_cell("markdown_table(ranking)",
                      outputs=[displayed(markdown_table(ranking, caption="Bảng 3. Xếp hạng 150 xã"))]),
    ]
    path = tmp_path_factory.mktemp("notebook") / "report.ipynb"
    nbformat.write(notebook, path)
    return path


@pytest.fixture(scope="module")
def rendered(report_notebook, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("rendered")
    return render_notebook(report_notebook, out_dir, "xa-dong-hy", title=f"Báo cáo quý 2/2026 — {HOSTILE_NAME}",
                           banner=BANNER)


@pytest.fixture(scope="module")
def html_text(rendered):
    return rendered["html"].read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pdf_pages(rendered):
    return [nfc(page.extract_text()) for page in pypdf.PdfReader(rendered["pdf"]).pages]


# --- helpers that build report Markdown -------------------------------------------


def test_escape_markdown_makes_every_ascii_punctuation_literal():
    assert escape_markdown("<b>A|B</b> & *x* 9.5") == r"\<b\>A\|B\<\/b\> \& \*x\* 9\.5"
    assert escape_markdown("Xã Đồng Hỷ\nmới") == "Xã Đồng Hỷ mới"


def test_escape_typst_string_quotes_backslashes_and_quotes():
    assert escape_typst_string('Xã "Đồng Hỷ" \\ #1') == '"Xã \\"Đồng Hỷ\\" \\\\ #1"'


def test_markdown_table_escapes_cells_and_right_aligns_numbers():
    table = markdown_table(pd.DataFrame({"Đơn vị": ["A|B", None], "Điểm": [9.5, 10.0]}), caption="Bảng 1")
    assert table.markdown == (
        "| Đơn vị | Điểm |\n"
        "|:-----|-------:|\n"
        "| A\\|B | 9\\.5 |\n"
        "|  | 10\\.0 |\n"
        "\n"
        ": Bảng 1\n"
    )
    assert table._repr_html_() is None


def test_numbers_formatted_as_text_are_right_aligned_too():
    frame = pd.DataFrame({"Mã": ["H44.19", "D1"], "Điểm": ["1.234,50", "—"], "Thay đổi": ["−0,67", "+9,16"]})
    assert re.sub("-+", "-", markdown_table(frame).markdown.splitlines()[1]) == "|:-|-:|-:|"


def separator_widths(block):
    """Characters of each column's separator ("|:-----|---:|" -> [6, 4])."""
    return [len(segment) for segment in block.markdown.splitlines()[1].strip("|").split("|")]


def test_markdown_table_separators_are_as_wide_as_the_content():
    frame = pd.DataFrame({"Mã": ["1.2"], "Chỉ số thành phần": ["Tỷ lệ TTHC được cập nhật, công khai đúng hạn"],
                          "Điểm": ["0,13"]})
    # Each: longest cell (numbers × 1.15) or bold header (longest word × 1.3), rounded up, + 2 padding.
    # Mã: 3 × 1.15 -> 4 + 2; name: 44 + 2; Điểm: "Điểm" 4 × 1.3 -> 6 + 2.
    assert separator_widths(markdown_table(frame)) == [6, 46, 8]


def test_a_table_too_wide_for_the_pdf_narrows_text_columns_and_keeps_numbers_whole():
    frame = pd.DataFrame({
        "Mã": ["3.6", "2.1"],
        "Chỉ số thành phần": ["Tỷ lệ hồ sơ thanh toán trực tuyến", "Tỷ lệ hồ sơ xử lý trước hạn, đúng hạn"],
        "Việc cần làm": ["Không phát sinh trong kỳ (mẫu số 0): +6,00 điểm chỉ lấy lại được khi phát sinh hồ sơ",
                         "Cần thêm 1 hồ sơ xử lý đúng hạn ⇒ +5,00 điểm (đạt điểm tối đa)"],
        "Điểm": ["0,00", "15,00"],
    })
    widths = separator_widths(markdown_table(frame))
    assert widths[0] == 6 and widths[3] == 8  # as when the table fits: numbers never wrap
    # Names are 35 characters long on average, tasks 73: the 110 - 14 characters left go
    # 96 × 35 / 108 = 31 and 96 × 73 / 108 = 65 (both under their own width, 39 and 86).
    assert widths[1:3] == [31, 65] and sum(widths) == PDF_TABLE_CHARACTERS


def test_a_wide_pipe_table_gets_proportional_column_widths_in_typst(tmp_path):
    frame = pd.DataFrame({"Mã": ["1.2"], "Chỉ số thành phần": ["Tỷ lệ TTHC được cập nhật, công khai đúng hạn " * 3],
                          "Điểm": ["0,13"]})
    source = _typst_source(markdown_table(frame).markdown, {"lang": "vi"}, tmp_path).decode("utf-8")
    widths = [float(w) for w in re.search(r"columns: \(([\d.]+)%, ([\d.]+)%, ([\d.]+)%\)", source).groups()]
    assert widths[1] > 80 and widths[0] < 8 and widths[2] < 8
    narrow = _typst_source(markdown_table(pd.DataFrame({"Xã": ["Đồng Hỷ"]})).markdown, {"lang": "vi"}, tmp_path)
    assert b"columns: 1," in narrow  # a table that fits keeps Typst's natural widths


def test_coloured_table_carries_the_same_cells_to_html_and_typst():
    table = coloured_table(pd.DataFrame({"Xã": [HOSTILE_NAME]}), pd.DataFrame({"Xã": ["#f8d7da"]}))
    assert "```{=html}" in table.markdown and "```{=typst}" in table.markdown
    assert '<td style="background-color:#f8d7da">&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co</td>' in table.markdown
    assert 'table.cell(fill: rgb("#f8d7da"), "<script>alert(1)</script> & Co")' in table.markdown
    assert table.html in table.markdown  # JupyterLab's preview is the report's own table


def test_coloured_table_name_column_takes_its_natural_width_and_numbers_a_fixed_one():
    frame = pd.DataFrame({"Đơn vị": ["Phường Quang Thành"], "1. Công khai, minh bạch (18)": ["16,78"]})
    table = coloured_table(frame, frame.map(lambda _: "#fff3cd"))
    # Number column: bold header "1. Công khai, minh bạch (18)" on 3 lines, 28 / 3 × 1.15 -> 11 characters
    # of 0.55 em, plus the 4 pt cell padding either side.
    assert "columns: (auto, 6.05em + 8pt,)" in table.markdown
    assert "<col" not in table.html  # the HTML table keeps the browser's natural widths


def test_coloured_table_rejects_fills_that_are_not_hex_colours_or_the_wrong_shape():
    frame = pd.DataFrame({"Xã": ["Đồng Hỷ"]})
    with pytest.raises(ChisoError, match="not a '#rrggbb' colour"):
        coloured_table(frame, pd.DataFrame({"Xã": ['red"); evil(']}))
    with pytest.raises(ChisoError, match="shape"):
        coloured_table(frame, pd.DataFrame({"Xã": ["#ffffff", "#ffffff"]}))


def test_figure_is_a_captioned_png_image_and_closes_the_figure():
    fig, _ = plt.subplots()
    block = figure(fig, "Hình 1. Tỷ lệ")
    assert block.markdown.startswith("![Hình 1\\. Tỷ lệ](data:image/png;base64,iVBOR")
    assert not plt.fignum_exists(fig.number)


def png_size(block):
    """Width and height in pixels of the PNG in a figure block (from its IHDR chunk)."""
    png = base64.b64decode(re.search(r"base64,([A-Za-z0-9+/=]+)\)", block.markdown).group(1))
    return struct.unpack(">II", png[16:24])


def test_figure_crops_to_the_drawing_unless_told_its_margins_are_fixed():
    def small_plot():
        fig = plt.figure(figsize=(4, 2))
        fig.subplots_adjust(left=0.3, right=0.7)  # wide empty margins
        fig.add_subplot().plot([0, 1])
        return fig

    assert png_size(figure(small_plot(), "Hình 1", dpi=50, tight=False)) == (200, 100)
    width, _ = png_size(figure(small_plot(), "Hình 1", dpi=50))
    assert width < 150


# --- which cells and outputs a report shows ------------------------------------------


def test_report_cells_drop_parameters_removed_cells_stderr_and_bare_values(report_notebook):
    cells = report_cells(nbformat.read(report_notebook, as_version=4))
    assert len(cells) == 7
    shown = [output for cell in cells if cell["cell_type"] == "code" for output in cell["outputs"]]
    assert [o.get("name") for o in shown if o["output_type"] == "stream"] == ["stdout"]
    assert all(o["data"].keys() != {"text/plain"} for o in shown if o["output_type"] == "execute_result")


def test_notebook_markdown_shows_outputs_never_code():
    notebook = {"cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Tiêu đề\n", "Đoạn văn"]},
        {"cell_type": "code", "metadata": {}, "source": "print('x')",
         "outputs": [{"output_type": "stream", "name": "stdout", "text": ["a ~~~ b\n"]}]},
    ]}
    assert notebook_markdown(notebook) == "# Tiêu đề\nĐoạn văn\n\n~~~~\na ~~~ b\n~~~~\n"


def test_a_cell_that_ended_in_an_error_stops_the_rendering():
    notebook = {"cells": [{"cell_type": "code", "metadata": {}, "source": "1/0", "outputs": [
        {"output_type": "error", "ename": "ZeroDivisionError", "evalue": "division by zero", "traceback": []}]}]}
    with pytest.raises(ChisoError, match="cell 1 ended with ZeroDivisionError"):
        notebook_markdown(notebook, source="xa.ipynb")


def test_unknown_format_or_engine_is_refused(report_notebook, tmp_path):
    with pytest.raises(ChisoError, match="unknown format 'docx'"):
        render_notebook(report_notebook, tmp_path, "x", formats=("docx",))
    with pytest.raises(ChisoError, match="unknown engine"):
        render_notebook(report_notebook, tmp_path, "x", engine="latex")


# --- the rendered report -------------------------------------------------------------


def test_render_writes_html_and_pdf_named_by_stem(rendered):
    assert rendered["html"].name == "xa-dong-hy.html" and rendered["pdf"].name == "xa-dong-hy.pdf"
    assert rendered["pdf"].read_bytes().startswith(b"%PDF-")


def test_html_has_the_vietnamese_text_tables_and_captioned_figure(html_text):
    text = nfc(html_text)
    assert PHRASE in text
    assert "Ủy ban nhân dân xã Đồng Hỷ" in text and "Xã Đồng Hỷ số 150" in text
    assert text.count("<table") == 4
    assert re.search(r'<figure>\s*<img [^>]*src="data:image/png;base64,', text)
    assert re.search(f"<figcaption[^>]*>Hình 1. {PHRASE}</figcaption>", text)


def test_html_is_self_contained_with_no_urls(html_text):
    assert URL.findall(html_text) == []
    assert "<link" not in html_text and "<script" not in html_text
    assert re.search(r"<style>\s*/\* chiso report stylesheet", html_text)  # inlined, not linked


def test_html_inlines_the_base_stylesheet_then_the_reports_own(html_text):
    """base.css (shared with the site page) first, so that report.css, print rules included, overrides it."""
    base, own = ((TEMPLATES_DIR / name).read_text(encoding="utf-8").strip() for name in ("base.css", "report.css"))
    assert -1 < html_text.find(base) < html_text.find(own)


def test_html_escapes_names(html_text):
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html_text


def test_html_hides_code_parameters_removed_cells_and_warnings(html_text):
    for hidden in ("SOURCE_CODE_MARKER", "HIDDEN-PARAMETER", "HIDDEN-REMOVED", "HIDDEN-WARNING", "Line2D"):
        assert hidden not in html_text
    assert "Đồng Hỷ: in ra" in html_text


def test_html_banner_opens_the_page(html_text):
    body = html_text.split("<body>", 1)[1].lstrip()
    assert body.startswith(f'<div class="banner" role="note">{BANNER}</div>')


def test_pdf_has_the_exact_vietnamese_text(pdf_pages):
    first = pdf_pages[0]
    assert PHRASE in first
    assert "Ủy ban nhân dân xã Đồng Hỷ" in first
    assert f"Hình 1. {PHRASE}" in first


def test_pdf_has_every_table_of_the_html(pdf_pages):
    text = "\n".join(pdf_pages)
    for caption in ("Bảng 1. Điểm theo đơn vị", "Bảng 2. Bản đồ thực thi", "Bảng 3. Xếp hạng 150 xã",
                    "Bảng 4. Bản đồ 22 chỉ số"):
        assert caption in text
    assert text.count(f"{HOSTILE_NAME} 80.25") == 2  # the row, in Bảng 1 and in Bảng 2
    assert "Xã Đồng Hỷ số 150" in text


def test_pdf_banner_is_on_every_page(pdf_pages):
    assert len(pdf_pages) >= 2  # the 150-row table runs over
    assert all(BANNER in page for page in pdf_pages)


def test_pdf_has_the_figure_and_page_numbers(rendered, pdf_pages):
    reader = pypdf.PdfReader(rendered["pdf"])
    assert len(reader.pages[0].images) == 1
    assert all(f"{number} / {len(pdf_pages)}" in page for number, page in enumerate(pdf_pages, start=1))


def test_pdf_puts_a_landscape_table_on_a_landscape_page(rendered, pdf_pages):
    pages = pypdf.PdfReader(rendered["pdf"]).pages
    landscape = [number for number, page in enumerate(pages) if page.mediabox.width > page.mediabox.height]
    assert len(landscape) == 1
    assert "Bảng 4. Bản đồ 22 chỉ số" in pdf_pages[landscape[0]]
    assert "10.5 11.0" in pdf_pages[landscape[0]]  # the last columns made it onto the page


def test_pdf_hides_code_and_hidden_cells(pdf_pages):
    text = "\n".join(pdf_pages)
    for hidden in ("SOURCE_CODE_MARKER", "HIDDEN-PARAMETER", "HIDDEN-REMOVED", "HIDDEN-WARNING", "Line2D"):
        assert hidden not in text


def test_rendering_is_reproducible(report_notebook, rendered, tmp_path):
    again = render_notebook(report_notebook, tmp_path, "xa-dong-hy", title=f"Báo cáo quý 2/2026 — {HOSTILE_NAME}",
                            banner=BANNER)
    assert again["html"].read_bytes() == rendered["html"].read_bytes()
    assert again["pdf"].read_bytes() == rendered["pdf"].read_bytes()


def test_no_banner_no_banner_markup(report_notebook, tmp_path):
    only_html = render_notebook(report_notebook, tmp_path, "x", formats=("html",))
    assert list(only_html) == ["html"]
    assert 'class="banner"' not in only_html["html"].read_text(encoding="utf-8")
    assert not (tmp_path / "x.pdf").exists()


# --- PDF layout: figures stay whole, tables use the page width well -------------------

# Space before a 2-inch figure, in cm: somewhere in this range the figure still fits at the
# foot of the page and its caption does not.
SPACES_BEFORE_FIGURE = [18.5 + 0.25 * step for step in range(9)]


@pytest.fixture(scope="module")
def layout_pdf(tmp_path_factory):
    cells = []
    for number, space in enumerate(SPACES_BEFORE_FIGURE, start=1):
        fig = plt.figure(figsize=(4, 2))
        fig.add_subplot().plot([0, 1])
        cells.append(new_markdown_cell(f"```{{=typst}}\n#pagebreak(weak: true)\n#v({space}cm)\n```"))
        cells.append(new_code_cell("figure(...)", outputs=[displayed(figure(fig, f"Hình {number}. Đồng Hỷ", dpi=72))]))
    weakest = pd.DataFrame({
        "Mã": ["1.2", "4.4"],
        "Chỉ số thành phần": ["Tỷ lệ TTHC được cập nhật, công khai đúng hạn",
                              "Tỷ lệ hồ sơ số hóa có kết nối, chia sẻ dữ liệu (kho dữ liệu cá nhân)"],
        "Điểm bình quân": ["0,13", "0,15"], "Tối đa": ["4,00", "4,00"], "Tỷ lệ đạt bình quân (%)": ["3,15", "3,72"],
        "Số đơn vị chưa đạt tối đa": ["162", "165"], "Số đơn vị chưa có số liệu": ["0", "0"],
    })
    group_map = pd.DataFrame({"Đơn vị": ["Phường Quang Thành Mới"]} | {
        f"{code}. {name} (20)": ["6,00"] for code, name in enumerate(
            ["Công khai, minh bạch", "Tiến độ, kết quả giải quyết", "Cung cấp dịch vụ công trực tuyến",
             "Số hóa hồ sơ", "Mức độ hài lòng"], start=1)})
    cells.append(new_code_cell("tables", outputs=[
        displayed(markdown_table(weakest, caption="Bảng 1. Chỉ số yếu nhất")),
        displayed(coloured_table(group_map, group_map.map(lambda _: "#fff3cd"), caption="Bảng 2. Bản đồ")),
    ]))
    notebook = new_notebook()
    notebook.cells = cells
    path = tmp_path_factory.mktemp("layout") / "layout.ipynb"
    nbformat.write(notebook, path)
    files = render_notebook(path, path.parent, "layout", formats=("pdf",))
    return pypdf.PdfReader(files["pdf"])


def test_pdf_never_parts_a_figure_from_its_caption(layout_pdf):
    for page in layout_pdf.pages:
        assert len(page.images) == len(re.findall(r"Hình \d+\. Đồng Hỷ", nfc(page.extract_text())))


def test_pdf_tables_keep_names_on_one_line_and_numbers_narrow(layout_pdf):
    text = "\n".join(nfc(page.extract_text()) for page in layout_pdf.pages)
    # With equal column widths each name wrapped over three or four lines.
    assert "1.2 Tỷ lệ TTHC được cập nhật, công khai đúng hạn 0,13 4,00 3,15 162 0" in text
    assert "Phường Quang Thành Mới 6,00 6,00 6,00 6,00 6,00" in text


@pytest.mark.skipif(shutil.which("quarto") is None, reason="quarto is not on PATH (the pandoc engine is the default)")
def test_quarto_engine_renders_the_same_text(report_notebook, tmp_path):
    files = render_notebook(report_notebook, tmp_path, "q", title="Báo cáo", banner=BANNER, engine="quarto")
    assert PHRASE in nfc(files["html"].read_text(encoding="utf-8"))
    pages = [nfc(page.extract_text()) for page in pypdf.PdfReader(files["pdf"]).pages]
    assert PHRASE in pages[0] and all(BANNER in page for page in pages)


FAKE_QUARTO = """#!{python}
# Stands in for `quarto render DOC --to FORMAT --no-execute`: records what it was given and
# writes the output file Quarto would (report.html, or report.pdf for typst).
import json, pathlib, sys
args = sys.argv[1:]
log = pathlib.Path({log!r})
with log.open("a", encoding="utf-8") as out:
    out.write(json.dumps({{"args": args, "cwd": str(pathlib.Path.cwd()),
                          "files": sorted(p.name for p in pathlib.Path.cwd().iterdir()),
                          "notebook": json.loads(pathlib.Path(args[1]).read_text(encoding="utf-8"))}}) + "\\n")
suffix = "html" if args[args.index("--to") + 1] == "html" else "pdf"
pathlib.Path(args[1]).with_suffix("." + suffix).write_text("rendered by fake quarto", encoding="utf-8")
"""


def test_quarto_engine_hands_quarto_the_cleaned_notebook(report_notebook, tmp_path, monkeypatch):
    """The Quarto path's plumbing, with a stand-in `quarto` (the real one is not installable here)."""
    bin_dir, log = tmp_path / "bin", tmp_path / "quarto-calls.jsonl"
    bin_dir.mkdir()
    fake = bin_dir / "quarto"
    fake.write_text(FAKE_QUARTO.format(python=sys.executable, log=str(log)), encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.delenv("CHISO_RENDER_ENGINE", raising=False)
    files = render_notebook(report_notebook, tmp_path / "out", "q", title="Báo cáo", banner=BANNER)  # engine auto
    assert files["html"].read_text(encoding="utf-8") == "rendered by fake quarto" and files["pdf"].is_file()
    calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [c["args"] for c in calls] == [["render", "report.ipynb", "--to", "html", "--no-execute"],
                                          ["render", "report.ipynb", "--to", "typst", "--no-execute"]]
    assert {"report.css", "banner.html", "banner.typ"} <= set(calls[0]["files"])
    cells = calls[0]["notebook"]["cells"]
    front = yaml.safe_load(cells[0]["source"].strip().strip("-"))
    assert front["echo"] is False and front["format"]["typst"]["mainfont"] == "DejaVu Sans"
    assert front["format"]["typst"]["codefont"] == "DejaVu Sans Mono"
    # only what the report shows: no parameters cell, no code
    assert all("parameters" not in c.get("metadata", {}).get("tags", []) for c in cells)


# --- site check: the HTML in a real browser ------------------------------------------


def load_screenshot_script():
    spec = importlib.util.spec_from_file_location("screenshot", PROJECT_ROOT / "scripts" / "screenshot.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_screenshot_of_the_report_in_headless_chromium(rendered, tmp_path):
    if load_screenshot_script().find_chromium() is None:
        pytest.skip("chromium is not installed: run scripts/install-chromium.sh (as root) for the site check")
    png = tmp_path / "report.png"
    result = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "scripts" / "screenshot.py"), str(rendered["html"]), str(png),
         "--size", "1000x1400"],
        capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 0, result.stderr
    pixels = plt.imread(png)
    assert pixels.shape[:2] == (1400, 1000)
    assert pixels[..., :3].std() > 0.05  # not a blank page


def test_auto_engine_prefers_quarto_on_path(tmp_path, monkeypatch):
    from chiso.report.render import resolve_engine

    fake = tmp_path / "quarto"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.delenv("CHISO_RENDER_ENGINE", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert resolve_engine() == "quarto"
    monkeypatch.setenv("CHISO_RENDER_ENGINE", "pandoc")
    assert resolve_engine() == "pandoc"
    monkeypatch.setenv("CHISO_RENDER_ENGINE", "auto")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert resolve_engine() == "pandoc"



def test_rendering_the_same_notebook_again_gives_the_same_bytes(report_notebook, tmp_path, monkeypatch):
    """Rebuilds are byte-identical (--force with --generated-at): the HTML and the PDF hold
    no time of their own (the report's build time is in its text, from the report data)."""
    monkeypatch.setenv("CHISO_RENDER_ENGINE", "pandoc")
    first = render_notebook(report_notebook, tmp_path / "a", "x", title="T")
    second = render_notebook(report_notebook, tmp_path / "b", "x", title="T")
    assert first["pdf"].read_bytes() == second["pdf"].read_bytes()
    assert first["html"].read_bytes() == second["html"].read_bytes()
