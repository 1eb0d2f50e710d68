"""What a report notebook may show, and how: each helper returns an object that the
notebook displays (`display(block)`, or leave it as the cell's last expression).

- text: Markdown cells; generated text as `display(Markdown(...))`, passing every
  data value (unit names, ...) through `escape_markdown` so it stays literal text.
- a table: `markdown_table(df, caption=...)` (a pipe table; in the PDF, columns as
  wide as their content needs: names wide, numbers narrow);
- a table with coloured cells: `coloured_table(df, fills, caption=...)` (raw HTML
  and raw Typst blocks carrying the same cells, so HTML and PDF show the same table);
- a figure with a caption: `figure(fig, caption)` (a Markdown image with a PNG data
  URI: the caption reaches both formats; a bare PNG output shows with no caption);
- hidden: cells tagged `parameters` / `injected-parameters` (papermill) or `remove`,
  standard-error streams (warnings), and every code cell's source
  (:mod:`chiso.report.render` leaves them out).

>>> markdown_table(pd.DataFrame({"Đơn vị": ["Sở Tư pháp"], "Điểm": [90.5]}))
<ReportBlock: 65 characters of Markdown>
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
from dataclasses import dataclass

import pandas as pd

from chiso.errors import ChisoError
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

    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> figure(fig, "Tỷ lệ hồ sơ đúng hạn").markdown.startswith("![Tỷ lệ hồ sơ đúng hạn](data:image/png;base64,")
    True
    """
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight" if tight else None)
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return ReportBlock(f"![{escape_markdown(caption)}](data:image/png;base64,{data})\n")
