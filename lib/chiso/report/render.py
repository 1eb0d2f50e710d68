"""Render executed report notebooks to a self-contained HTML page and an A4 PDF.

A report is a Quarto-compatible document: an executed notebook whose Markdown cells
and cell *outputs* make the report; code never appears. The default engine renders
it the way Quarto renders PDF, without Quarto: the notebook becomes one Pandoc
Markdown document, pandoc (from pypandoc-binary) writes HTML and Typst from it, and
the typst wheel compiles the Typst to PDF in-process. `engine="quarto"` hands the
same cleaned notebook to `quarto render` instead; "auto" (the default) uses Quarto
whenever `quarto` is on PATH, as the design card says (CHISO_RENDER_ENGINE=pandoc keeps
a large batch fast: `quarto render` takes seconds per file).

What a report notebook may show, and how (each helper returns an object that the
notebook displays: `display(block)`, or leave it as the cell's last expression):

- text: Markdown cells; generated text as `display(Markdown(...))`, passing every
  data value (unit names, ...) through `escape_markdown` so it stays literal text.
- a table: `markdown_table(df, caption=...)` (a pipe table; in the PDF, columns as
  wide as their content needs: names wide, numbers narrow);
- a table with coloured cells: `coloured_table(df, fills, caption=...)` (raw HTML
  and raw Typst blocks carrying the same cells, so HTML and PDF show the same table);
- a figure with a caption: `figure(fig, caption)` (a Markdown image with a PNG data
  URI: the caption reaches both formats; a bare PNG output shows with no caption);
- hidden: cells tagged `parameters` / `injected-parameters` (papermill) or `remove`,
  standard-error streams (warnings), and every code cell's source.

>>> from chiso.render import markdown_table, render_notebook
>>> markdown_table(pd.DataFrame({"Đơn vị": ["Sở Tư pháp"], "Điểm": [90.5]}))
<ReportBlock: 65 characters of Markdown>
>>> render_notebook("out/so-tu-phap.ipynb", "reports/2026-Q2", "so-tu-phap",
...                 title="Sở Tư pháp — Quý 2/2026", banner="DỮ LIỆU MẪU")
{'html': PosixPath('reports/2026-Q2/so-tu-phap.html'), 'pdf': PosixPath('reports/2026-Q2/so-tu-phap.pdf')}
"""

from __future__ import annotations

import base64
import functools
import html
import io
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from chiso.errors import ChisoError

TEMPLATES = Path(__file__).resolve().parent / "templates"
FORMATS = ("html", "pdf")
ENGINES = ("auto", "pandoc", "quarto")
HIDDEN_CELL_TAGS = frozenset({"parameters", "injected-parameters", "remove"})
LANGUAGE = "vi"

# Pandoc Markdown with raw HTML switched off: a stray "<script>" in a value is text,
# not markup. Raw blocks (```{=html}```, ```{=typst}```) are a separate extension
# and keep working.
PANDOC_READER = "markdown-raw_html"
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_CSS_HEX_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")
_NUMBER_TEXT = r"[+\-−]?\d[\d.,\s]*%?"
NO_DATA_DASH = "—"

# Table column widths are counted in "characters" of table text: 0.55 em, an average
# DejaVu Sans character of Vietnamese text (measured: 0.49–0.59 em).
EM_PER_CHARACTER = 0.55
# Wider text, in characters per character: numbers (digits are 0.64 em), a bold header
# on a few lines (0.6 em on average, spaces included) and its longest word (bold
# letters of a short word: up to 0.7 em).
NUMBER_CHARACTER = 1.15
BOLD_CHARACTER = 1.15
BOLD_WORD_CHARACTER = 1.3
# How many characters fit across a table on the PDF page: A4 portrait text width
# (17.6 cm = 499 pt) / (8 pt × 0.55 em) ≈ 113, rounded down. Pandoc's Typst writer runs
# with --columns set to this: a pipe table with a line longer than that gets relative
# column widths from its separator's dashes (`markdown_table`); a shorter one keeps
# Typst's automatic, natural widths.
PDF_TABLE_CHARACTERS = 110
# A table cell's padding (4 pt on either side of 8 pt text), counted in characters.
CELL_PADDING_CHARACTERS = 2
# A narrow column's header may wrap onto this many lines.
HEADER_LINES = 3
# In a table too wide for the page, a text column keeps at least this many characters
# (about three words a line).
MIN_TEXT_CHARACTERS = 18


@dataclass(frozen=True)
class ReportBlock:
    """A piece of report Markdown that a notebook displays.

    Jupyter stores `markdown` as the output's text/markdown (what the report renders)
    and `html`, when given, as text/html (what JupyterLab shows: it would print raw
    blocks as code).
    """

    markdown: str
    html: str | None = None

    def _repr_markdown_(self) -> str:
        return self.markdown

    def _repr_html_(self) -> str | None:
        return self.html

    def __repr__(self) -> str:
        # Short on purpose: Jupyter stores this as the output's text/plain too.
        return f"<ReportBlock: {len(self.markdown)} characters of Markdown>"


def escape_markdown(text: object) -> str:
    r"""Make a value literal in Pandoc Markdown: backslash-escape ASCII punctuation.

    Pandoc reads any backslash-escaped punctuation as itself, so names keep
    every character while never becoming markup (HTML tags, emphasis, table pipes).
    Line breaks become spaces (a value stays on one line of a table).

    >>> print(escape_markdown("<script>alert(1)</script> & Co"))
    \<script\>alert\(1\)\<\/script\> \& Co
    """
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", " ".join(str(text).split()))


def escape_typst_string(text: object) -> str:
    r"""A Typst string literal holding `text` verbatim (Typst strings are not markup).

    >>> print(escape_typst_string('Xã "Đồng Hỷ" #1'))
    "Xã \"Đồng Hỷ\" #1"
    """
    one_line = " ".join(str(text).split())
    return '"' + one_line.replace("\\", "\\\\").replace('"', '\\"') + '"'


def raw_blocks(html_text: str, typst_text: str) -> str:
    """Markdown carrying the same content for each output format as raw blocks.

    Pandoc and Quarto pass a ```{=html}``` block into HTML output only and a
    ```{=typst}``` block into Typst (PDF) only.

    >>> print(raw_blocks("<hr>", "#line()"))
    ```{=html}
    <hr>
    ```
    <BLANKLINE>
    ```{=typst}
    #line()
    ```
    <BLANKLINE>
    """
    return f"```{{=html}}\n{html_text}\n```\n\n```{{=typst}}\n{typst_text}\n```\n"


def _cell_text(value: object) -> str:
    """How a table cell shows a value: missing values are blank."""
    return "" if pd.isna(value) else str(value)


def _right_aligned(frame: pd.DataFrame) -> list[bool]:
    """Numbers are right-aligned (digits line up); text is left-aligned.

    A column counts as numbers when its dtype is numeric, or when it holds numbers
    already formatted as text ("1.234,5", "−0,67", "+9,16", "98,2 %"), blanks or
    the no-data dash "—".
    """
    def is_numbers(column: pd.Series) -> bool:
        if pd.api.types.is_numeric_dtype(column.dtype):
            return True
        texts = column.dropna().astype("string").str.strip()
        texts = texts[(texts != "") & (texts != NO_DATA_DASH)]
        return bool(texts.str.fullmatch(_NUMBER_TEXT).all())

    return [is_numbers(frame.iloc[:, position]) for position in range(frame.shape[1])]


def _column_characters(texts: pd.DataFrame, right: list[bool]) -> list[int]:
    """How many characters wide each column wants to be: its longest cell on one line,
    its (bold) header on at most HEADER_LINES lines and never narrower than its
    longest word, plus the cell padding (numbers and bold text count wider).
    A number never wraps, so a numeric column is this wide; a text column may wrap
    (`_fitted_characters`).

    >>> _column_characters(pd.DataFrame({"Đơn vị": ["Sở Tư pháp"], "Số đơn vị chưa đạt": ["12"]}),
    ...                    right=[False, True])
    [12, 9]
    """
    longest_cells = texts.map(len).max().fillna(0).tolist()
    widths = []
    for header, longest_cell, is_number in zip(texts.columns, longest_cells, right):
        header = " ".join(str(header).split())
        longest_word = max((len(word) for word in header.split()), default=0)
        header_width = max(BOLD_WORD_CHARACTER * longest_word, BOLD_CHARACTER * len(header) / HEADER_LINES)
        cell_width = longest_cell * (NUMBER_CHARACTER if is_number else 1)
        widths.append(math.ceil(max(cell_width, header_width)) + CELL_PADDING_CHARACTERS)
    return widths


def _fitted_characters(
    texts: pd.DataFrame, widths: list[int], right: list[bool], room: int = PDF_TABLE_CHARACTERS
) -> list[int]:
    """Column widths (characters) for a table that must fit `room` characters.

    A table that fits keeps `widths`. Otherwise numeric columns keep theirs (a number
    does not wrap) and text columns share what is left in proportion to their
    average cell length (a column of long names gets more than a column with one long
    note: fewer lines overall). A text column never gets more than its own width
    (what it does not need goes to the others) nor less than MIN_TEXT_CHARACTERS
    (or its own width, if narrower). So the widths add up to `room`: long names
    wrap, numbers stay on one line.

    >>> texts = pd.DataFrame({"Mã": ["1.1"], "Tên": ["x" * 150], "Điểm": ["6,00"]})
    >>> _fitted_characters(texts, [6, 152, 8], [True, False, True])
    [6, 96, 8]
    """
    if sum(widths) <= room or all(right):
        return widths
    mean_lengths = texts.map(len).mean().fillna(0).tolist()
    fitted = list(widths)
    text_room = room - sum(width for width, is_number in zip(widths, right) if is_number)
    sharing = [position for position, is_number in enumerate(right) if not is_number]
    while sharing:
        weight = sum(mean_lengths[position] for position in sharing)
        shares = {
            position: text_room * (mean_lengths[position] / weight if weight else 1 / len(sharing))
            for position in sharing
        }
        satisfied = [position for position in sharing if shares[position] >= widths[position]]
        if not satisfied:
            for position in sharing:
                fitted[position] = max(min(widths[position], MIN_TEXT_CHARACTERS), round(shares[position]))
            break
        # These columns fit at their own width; the others share what they leave.
        text_room -= sum(widths[position] for position in satisfied)
        sharing = [position for position in sharing if position not in satisfied]
    return fitted


def markdown_table(frame: pd.DataFrame, caption: str | None = None) -> ReportBlock:
    r"""A pipe table of `frame` (format numbers beforehand: cells show `str(value)`).

    Headers and cells are escaped (`escape_markdown`); numeric columns are
    right-aligned; the caption goes above the table in both formats.

    Each column's separator has as many characters as the column wants to be wide
    (`_column_characters`; for a table too wide for the PDF page, text columns are
    narrowed, `_fitted_characters`). The HTML ignores them (the browser sizes the
    table by its content). In the PDF, a table with a line longer than
    PDF_TABLE_CHARACTERS takes the text width, divided in proportion to the
    separators (pandoc's rule for pipe tables): the name column wide, numeric
    columns just wide enough; a shorter table keeps its natural width.

    >>> print(markdown_table(pd.DataFrame({"Đơn vị": ["A|B"], "Điểm": [9]})).markdown)
    | Đơn vị | Điểm |
    |:-----|-------:|
    | A\|B | 9 |
    <BLANKLINE>
    """
    texts = frame.map(_cell_text)
    right = _right_aligned(frame)
    widths = _fitted_characters(texts, _column_characters(texts, right), right)
    header = "| " + " | ".join(escape_markdown(column) for column in frame.columns) + " |"
    rule = "|" + "|".join(
        "-" * (width - 1) + ":" if is_number else ":" + "-" * (width - 1)
        for width, is_number in zip(widths, right)
    ) + "|"
    rows = ("| " + texts.map(escape_markdown).agg(" | ".join, axis=1) + " |").tolist() if len(frame) else []
    lines = [header, rule, *rows]
    if caption:
        lines += ["", f": {escape_markdown(caption)}"]
    return ReportBlock("\n".join(lines) + "\n")


def coloured_table(
    frame: pd.DataFrame,
    fills: pd.DataFrame,
    caption: str | None = None,
    landscape: bool = False,
) -> ReportBlock:
    """A table whose cells have background colours, identical in HTML and PDF.

    `fills` has `frame`'s shape and labels; each entry is a "#rrggbb" colour or
    missing (no fill). Pick light fills: the text stays black. `landscape=True` puts
    the table on landscape pages of its own in the PDF (for very wide tables).

    >>> block = coloured_table(pd.DataFrame({"Xã": ["Đồng Hỷ"]}),
    ...                        pd.DataFrame({"Xã": ["#f8d7da"]}))
    >>> "background-color:#f8d7da" in block.markdown and 'fill: rgb("#f8d7da")' in block.markdown
    True
    """
    if fills.shape != frame.shape:
        raise ChisoError(f"coloured_table: fills has shape {fills.shape}, expected {frame.shape}")
    colours = fills.to_numpy(dtype=object)
    bad = [c for c in colours.ravel() if not pd.isna(c) and not _CSS_HEX_COLOUR.fullmatch(str(c))]
    if bad:
        raise ChisoError(f"coloured_table: fill {bad[0]!r} is not a '#rrggbb' colour")
    cell_texts = frame.map(_cell_text)
    texts = cell_texts.to_numpy(dtype=object)
    right = _right_aligned(frame)
    table_html = _coloured_table_html(frame.columns, texts, colours, right, caption)
    table_typst = _coloured_table_typst(
        frame.columns, texts, colours, right, _column_characters(cell_texts, right), caption, landscape
    )
    return ReportBlock(raw_blocks(table_html, table_typst), html=table_html)


def _coloured_table_html(columns, texts, colours, right, caption) -> str:
    def cell(tag: str, text: str, colour: object, right_aligned: bool) -> str:
        styles = ["text-align:right" if right_aligned else ""]
        styles.append("" if pd.isna(colour) else f"background-color:{colour}")
        style = ";".join(s for s in styles if s)
        attribute = f' style="{style}"' if style else ""
        return f"<{tag}{attribute}>{html.escape(text)}</{tag}>"

    head = "".join(cell("th", str(c), None, r) for c, r in zip(columns, right))
    body = "\n".join(
        "<tr>" + "".join(cell("td", t, c, r) for t, c, r in zip(row, row_colours, right)) + "</tr>"
        for row, row_colours in zip(texts, colours)
    )
    caption_html = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    # The wrapper scrolls a wide table sideways instead of widening the page.
    return (
        f'<div class="table-scroll"><table class="coloured">{caption_html}\n'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table></div>"
    )


def _coloured_table_typst(columns, texts, colours, right, widths, caption, landscape) -> str:
    """The table in Typst. Column widths: a numeric column is exactly as wide as its
    `widths` characters (its numbers on one line, its header on a few); a text column
    (the unit names) is `auto`: as wide as its longest name when there is room, and
    otherwise whatever room the numeric columns leave, its names wrapping."""
    def cell(text: str, colour: object) -> str:
        if pd.isna(colour):
            return escape_typst_string(text)
        return f'table.cell(fill: rgb("{colour}"), {escape_typst_string(text)})'

    # Many columns: smaller type and padding so the table still fits the page width
    # (a show rule, to take over from the template's own table type size).
    size, inset = ("8pt", 4) if len(columns) <= 10 else ("6.5pt", 2)
    column_sizes = ", ".join(
        f"{(width - CELL_PADDING_CHARACTERS) * EM_PER_CHARACTER:.4g}em + {2 * inset}pt" if is_number else "auto"
        for width, is_number in zip(widths, right)
    )
    align = ", ".join("right" if r else "left" for r in right)
    header = ", ".join(escape_typst_string(c) for c in columns)
    rows = "\n".join(
        "  " + ", ".join(cell(t, c) for t, c in zip(row, row_colours)) + ","
        for row, row_colours in zip(texts, colours)
    )
    caption_typst = f"[#{escape_typst_string(caption)}]" if caption else "none"
    table = (
        f"#[\n#show table: set text(size: {size})\n"
        f"#figure(kind: table, caption: {caption_typst}, table(\n"
        f"  columns: ({column_sizes},), inset: (x: {inset}pt, y: 3pt), align: ({align},),\n"
        f"  table.header({header}),\n{rows}\n))\n]"
    )
    return f"#page(flipped: true)[\n{table}\n]" if landscape else table


def figure(fig, caption: str, dpi: int = 150, tight: bool = True) -> ReportBlock:
    """A matplotlib figure as a captioned report figure (PNG), then closes `fig`.

    Closing matters: the inline backend would otherwise show the figure a second
    time, without its caption. The caption is escaped (`escape_markdown`).
    `tight=True` crops the PNG to what is drawn (bbox_inches="tight": a second
    drawing pass, 10–40 ms a chart); a figure laid out with fixed margins passes
    `tight=False` and is saved exactly as sized.

    >>> fig, ax = plt.subplots(); ax.set_title("Tỷ lệ hồ sơ đúng hạn")
    >>> display(figure(fig, "Hình 1. Tỷ lệ hồ sơ đúng hạn"))
    """
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight" if tight else None)
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return ReportBlock(f"![{escape_markdown(caption)}](data:image/png;base64,{data})\n")


# ---------------------------------------------------------------------------
# Notebook -> Markdown
# ---------------------------------------------------------------------------


def _joined(value: str | list[str]) -> str:
    """nbformat stores multi-line text either as one string or as a list of lines."""
    return value if isinstance(value, str) else "".join(value)


def _is_shown_output(output: dict) -> bool:
    """Standard output and displays are shown; not standard error (warnings), and
    not a bare value left at the end of a cell (an execute_result with only
    text/plain): that is an accidental repr such as "[<Line2D at 0x7f…>]", whose
    memory address would also change the report on every run."""
    if output["output_type"] == "stream":
        return output.get("name") == "stdout"
    if output["output_type"] == "execute_result":
        return set(output.get("data", {})) != {"text/plain"}
    return True


def report_cells(notebook: dict, source: str = "notebook") -> list[dict]:
    """The cells a report shows, code cells keeping only their shown outputs.

    Left out: raw cells, cells tagged `parameters`, `injected-parameters` or
    `remove`, and outputs that `_is_shown_output` rejects. A cell that ended in an
    error stops the rendering: the notebook did not run to the end.

    >>> report_cells({"cells": [{"cell_type": "code", "metadata": {"tags": ["remove"]}}]})
    []
    """
    cells = []
    for number, cell in enumerate(notebook["cells"], start=1):
        tags = cell.get("metadata", {}).get("tags", [])
        if cell["cell_type"] not in ("markdown", "code") or HIDDEN_CELL_TAGS.intersection(tags):
            continue
        outputs = cell.get("outputs", [])
        error = next((o for o in outputs if o["output_type"] == "error"), None)
        if error is not None:
            raise ChisoError(
                f"{source}: cell {number} ended with {error.get('ename', 'an error')}:"
                f" {error.get('evalue', '')} — the notebook did not run to the end, so it is not rendered"
            )
        if cell["cell_type"] == "code":
            cell = {**cell, "outputs": [o for o in outputs if _is_shown_output(o)]}
        cells.append(cell)
    return cells


def _fenced(text: str) -> str:
    """A fenced code block showing `text` verbatim (fence longer than any ~ run in it)."""
    longest_run = max((len(run) for run in re.findall("~+", text)), default=0)
    fence = "~" * max(3, longest_run + 1)
    return f"{fence}\n{text.rstrip()}\n{fence}"


def _output_markdown(output: dict) -> str | None:
    """One shown output as Markdown, in Quarto's order of preference for PDF.

    text/markdown, then image/png, then text/plain. text/html is never used: a
    table that exists only as HTML would be missing from the PDF.
    """
    if output["output_type"] == "stream":
        return _fenced(_joined(output["text"]))
    data = output.get("data", {})
    if "text/markdown" in data:
        return _joined(data["text/markdown"])
    if "image/png" in data:
        return f"![](data:image/png;base64,{''.join(_joined(data['image/png']).split())})"
    if "text/plain" in data:
        return _fenced(_joined(data["text/plain"]))
    return None


def notebook_markdown(notebook: dict, source: str = "notebook") -> str:
    """The report as one Pandoc Markdown document (what both formats are made from):
    Markdown cells verbatim and, of code cells, only the outputs (`report_cells`).

    >>> notebook_markdown({"cells": [{"cell_type": "markdown", "source": "# Tiêu đề"}]})
    '# Tiêu đề\\n'
    """
    blocks = []
    for cell in report_cells(notebook, source):
        if cell["cell_type"] == "markdown":
            blocks.append(_joined(cell["source"]))
        else:
            blocks.extend(filter(None, map(_output_markdown, cell["outputs"])))
    return "\n\n".join(block.strip("\n") for block in blocks) + "\n"


def _read_notebook(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ChisoError(f"{path}: cannot read the executed notebook ({error})") from error


# ---------------------------------------------------------------------------
# Engines
# ---------------------------------------------------------------------------


def render_notebook(
    ipynb_path: str | Path,
    out_dir: str | Path,
    stem: str,
    formats: tuple[str, ...] = FORMATS,
    title: str | None = None,
    banner: str | None = None,
    engine: str = "auto",
) -> dict[str, Path]:
    """Render an executed notebook to `out_dir/<stem>.html` and/or `.pdf`.

    `title` and `banner` are plain text (never markup). The banner (e.g. "DỮ LIỆU
    MẪU — không phải số liệu thật") shows at the top of the HTML page, staying in
    view, and in the header of every PDF page. `engine`: "pandoc" (pandoc + the
    typst wheel, fast, in-process PDF), "quarto" (`quarto render`, must be on PATH),
    or "auto": Quarto when `quarto` is on PATH (the design card), else pandoc. The
    environment variable CHISO_RENDER_ENGINE=pandoc|quarto overrides "auto" — e.g. to
    keep a large batch fast, since `quarto render` takes seconds per file.

    >>> render_notebook("out/xa-dong-hy.ipynb", "reports", "xa-dong-hy", formats=("pdf",))
    {'pdf': PosixPath('reports/xa-dong-hy.pdf')}
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ChisoError(f"render_notebook: unknown format {unknown[0]!r}, expected one of {FORMATS}")
    if engine not in ENGINES:
        raise ChisoError(f"render_notebook: unknown engine {engine!r}, expected one of {ENGINES}")
    ipynb_path, out_dir = Path(ipynb_path), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    notebook = _read_notebook(ipynb_path)
    targets = {fmt: out_dir / f"{stem}.{fmt}" for fmt in formats}
    if engine == "auto":
        engine = resolve_engine()
    if engine == "quarto":
        _render_with_quarto(report_cells(notebook, str(ipynb_path)), notebook, targets, title, banner)
    else:
        markdown = notebook_markdown(notebook, source=str(ipynb_path))
        metadata = {"pagetitle": title or stem, "lang": LANGUAGE}
        metadata.update({key: value for key, value in (("title", title), ("banner", banner)) if value})
        if "html" in targets:
            targets["html"].write_bytes(_pandoc_html(markdown, metadata))
        if "pdf" in targets:
            targets["pdf"].write_bytes(_typst_pdf(markdown, metadata))
    return targets


def resolve_engine() -> str:
    """The engine "auto" stands for: CHISO_RENDER_ENGINE if set, else Quarto when on PATH, else pandoc."""
    forced = os.environ.get("CHISO_RENDER_ENGINE", "").strip().lower()
    if forced and forced != "auto":
        if forced not in ENGINES:
            raise ChisoError(f"CHISO_RENDER_ENGINE={forced!r} is not one of {ENGINES}")
        return forced
    return "quarto" if shutil.which("quarto") else "pandoc"


@functools.cache
def _pandoc_path() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


def _run_pandoc(
    markdown: str, writer: str, metadata: dict[str, str], options: list[str], cwd: Path, columns: int = 100000
) -> bytes:
    """One pandoc call, Markdown on stdin, output on stdout.

    Metadata goes in with -M, which pandoc takes as plain text and escapes for the
    output format, so a title or banner can never inject markup. `columns` only
    decides which pipe tables get relative column widths (those with a longer line;
    --wrap=none keeps output lines whole): by default none, so tables keep their
    natural widths.
    """
    command = [
        _pandoc_path(), "--from", PANDOC_READER, "--to", writer, "--standalone", "--wrap=none",
        f"--columns={columns}", *options,
    ]
    for key, value in metadata.items():
        command += ["--metadata", f"{key}={value}"]
    result = subprocess.run(command, input=markdown.encode("utf-8"), capture_output=True, cwd=cwd)
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ChisoError(f"pandoc could not write {writer}: {message[-1] if message else result.returncode}")
    return result.stdout


def _pandoc_html(markdown: str, metadata: dict[str, str]) -> bytes:
    """Self-contained HTML: report.html inlines the stylesheet (a template partial) and
    images are already data URIs. Not --embed-resources: pandoc would parse the whole
    page again to find resources (0.1 s for a unit report, 0.35 s for the summary)."""
    return _run_pandoc(markdown, "html5", metadata, [f"--template={TEMPLATES / 'report.html'}"], cwd=TEMPLATES)


@functools.cache
def _font_dir() -> str:
    """DejaVu Sans and DejaVu Sans Mono, as shipped inside matplotlib (Bitstream Vera licence)."""
    import matplotlib

    return str(Path(matplotlib.get_data_path()) / "fonts" / "ttf")


@functools.cache
def _typst_compiler():
    """One compiler per process: fonts are scanned once, not once per report."""
    import typst

    return typst.Compiler(font_paths=[_font_dir()], ignore_system_fonts=True)


def _typst_source(markdown: str, metadata: dict[str, str], scratch: Path) -> bytes:
    """Markdown -> Typst source (pandoc, report.typ template). Pandoc writes each image
    to `scratch`/media (--extract-media): `scratch` is the Typst project root."""
    options = [f"--template={TEMPLATES / 'report.typ'}", "--extract-media=media"]
    return _run_pandoc(markdown, "typst", metadata, options, cwd=scratch, columns=PDF_TABLE_CHARACTERS)


def _typst_pdf(markdown: str, metadata: dict[str, str]) -> bytes:
    """Markdown -> Typst (`_typst_source`) -> PDF (typst wheel, in-process)."""
    import typst

    with tempfile.TemporaryDirectory(prefix="chiso-typst-") as scratch:
        source = _typst_source(markdown, metadata, Path(scratch))
        try:
            return _typst_compiler().compile(input=source, root=scratch)
        except typst.TypstError as error:
            raise ChisoError(f"typst could not compile the report: {error}") from error


def _render_with_quarto(
    cells: list[dict], notebook: dict, targets: dict[str, Path], title: str | None, banner: str | None
) -> None:
    """`quarto render` on the cleaned notebook, without executing it.

    The cleaned notebook keeps the shown cells and starts with a raw YAML cell:
    echo/warning off, the same stylesheet and fonts, the banner as an HTML body
    include and as a Typst page header.
    """
    import yaml

    quarto = shutil.which("quarto")
    if quarto is None:
        raise ChisoError("render_notebook: engine 'quarto' asked for, but quarto is not on PATH")
    with tempfile.TemporaryDirectory(prefix="chiso-quarto-") as scratch_name:
        scratch = Path(scratch_name)
        shutil.copy(TEMPLATES / "report.css", scratch / "report.css")
        html_format = {"embed-resources": True, "css": "report.css"}
        typst_format = {
            "papersize": "a4",
            "mainfont": "DejaVu Sans",
            "codefont": "DejaVu Sans Mono",
            "font-paths": [_font_dir()],
        }
        if banner:
            (scratch / "banner.html").write_text(
                f'<div class="banner" role="note">{html.escape(banner)}</div>\n', encoding="utf-8"
            )
            (scratch / "banner.typ").write_text(
                "#set page(header: align(center, text(weight: \"bold\", fill: rgb(\"#8a3b00\"), "
                f"{escape_typst_string(banner)})))\n",
                encoding="utf-8",
            )
            html_format["include-before-body"] = "banner.html"
            typst_format["include-in-header"] = "banner.typ"
        front_matter = {
            "lang": LANGUAGE,
            "echo": False,
            "warning": False,
            "format": {"html": html_format, "typst": typst_format},
        }
        if title:
            front_matter["title"] = escape_markdown(title)
        cleaned = dict(notebook)
        cleaned["cells"] = [
            {"cell_type": "raw", "metadata": {}, "source": f"---\n{yaml.safe_dump(front_matter, allow_unicode=True)}---"},
            *cells,
        ]
        document = scratch / "report.ipynb"
        document.write_text(json.dumps(cleaned, ensure_ascii=False), encoding="utf-8")
        for fmt, target in targets.items():
            to = "html" if fmt == "html" else "typst"
            result = subprocess.run(
                [quarto, "render", document.name, "--to", to, "--no-execute"],
                cwd=scratch, capture_output=True, text=True,
            )
            if result.returncode != 0:
                message = result.stderr.strip().splitlines()
                raise ChisoError(f"quarto render --to {to} failed: {message[-1] if message else result.returncode}")
            shutil.move(scratch / f"report.{fmt}", target)
