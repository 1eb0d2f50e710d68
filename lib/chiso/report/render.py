"""Render executed report notebooks to a self-contained HTML page and an A4 PDF.

A report is a Quarto-compatible document: an executed notebook whose Markdown cells
and cell *outputs* make the report (what a notebook may show: :mod:`chiso.report.blocks`);
code never appears. The default engine renders it the way Quarto renders PDF, without
Quarto: the notebook becomes one Pandoc Markdown document, pandoc (from pypandoc-binary)
writes HTML and Typst from it, and the typst wheel compiles the Typst to PDF in-process.
`engine="quarto"` hands the same cleaned notebook to `quarto render` instead; "auto"
(the default) uses Quarto whenever `quarto` is on PATH, as the design card says
(CHISO_RENDER_ENGINE=pandoc keeps a large batch fast: `quarto render` takes seconds per file).

>>> render_notebook("out/so-tu-phap.ipynb", "reports/2026-Q2", "so-tu-phap",
...                 title="Sở Tư pháp — Quý 2/2026", banner="DỮ LIỆU MẪU")      # doctest: +SKIP
{'html': PosixPath('reports/2026-Q2/so-tu-phap.html'), 'pdf': PosixPath('reports/2026-Q2/so-tu-phap.pdf')}
"""

from __future__ import annotations

import functools
import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from chiso.errors import ChisoError
from chiso.outputs import replacing, write_bytes
from chiso.paths import TEMPLATES_DIR
from chiso.report.blocks import PDF_TABLE_CHARACTERS, escape_markdown, escape_typst_string
FORMATS = ("html", "pdf")
ENGINES = ("auto", "pandoc", "quarto")
HIDDEN_CELL_TAGS = frozenset({"parameters", "injected-parameters", "remove"})
LANGUAGE = "vi"
# Pandoc Markdown with raw HTML switched off: a stray "<script>" in a value is text,
# not markup. Raw blocks (```{=html}```, ```{=typst}```) are a separate extension
# and keep working.
PANDOC_READER = "markdown-raw_html"


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

    >>> render_notebook("out/xa-dong-hy.ipynb", "reports", "xa-dong-hy", formats=("pdf",))  # doctest: +SKIP
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
            write_bytes(targets["html"], _pandoc_html(markdown, metadata))
        if "pdf" in targets:
            write_bytes(targets["pdf"], _typst_pdf(markdown, metadata))
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
    """Self-contained HTML: report.html inlines the stylesheets (template partials) and
    images are already data URIs. Not --embed-resources: pandoc would parse the whole
    page again to find resources (0.1 s for a unit report, 0.35 s for the summary)."""
    return _run_pandoc(markdown, "html5", metadata, [f"--template={TEMPLATES_DIR / 'report.html'}"], cwd=TEMPLATES_DIR)


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
    options = [f"--template={TEMPLATES_DIR / 'report.typ'}", "--extract-media=media"]
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
    echo/warning off, the same stylesheets and fonts, the banner as an HTML body
    include and as a Typst page header.
    """
    import yaml

    quarto = shutil.which("quarto")
    if quarto is None:
        raise ChisoError("render_notebook: engine 'quarto' asked for, but quarto is not on PATH")
    with tempfile.TemporaryDirectory(prefix="chiso-quarto-") as scratch_name:
        scratch = Path(scratch_name)
        stylesheets = ["base.css", "report.css"]  # in this order, as report.html inlines them
        for name in stylesheets:
            shutil.copy(TEMPLATES_DIR / name, scratch / name)
        html_format = {"embed-resources": True, "css": stylesheets}
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
            with replacing(target) as partial:
                shutil.move(scratch / f"report.{fmt}", partial)
