"""The two report notebooks run with papermill on a tiny ReportData and show what they should."""

from pathlib import Path

import nbformat
import papermill
import pytest
from papermill.exceptions import PapermillExecutionError

import chiso.report.engines  # registers the warm-kernel papermill engine the batch runner uses
from chiso.paths import PROJECT_ROOT
from chiso.report.blocks import escape_markdown
from chiso.report.render import render_notebook
from chiso.report.data import write_report_data
from tiny_report import EVIL_NAME, tiny_report_data

NOTEBOOKS = PROJECT_ROOT / "notebooks"
UNIT, SUMMARY = NOTEBOOKS / "unit_report.ipynb", NOTEBOOKS / "province_summary.ipynb"


@pytest.fixture(scope="module")
def data_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("reportdata")
    dirs = {}
    for edition in ("public", "internal"):
        dirs[edition] = root / edition / "_data"
        write_report_data(tiny_report_data(edition), dirs[edition])
    return dirs


def execute(notebook: Path, out: Path, unit: str, data_dir: Path, edition: str) -> nbformat.NotebookNode:
    papermill.execute_notebook(
        notebook, out, parameters={"unit": unit, "data_dir": str(data_dir), "edition": edition},
        engine_name=chiso.report.engines.ENGINE_NAME, cwd=out.parent, progress_bar=False,
    )
    return nbformat.read(out, as_version=4)


def shown(nb) -> str:
    """Everything the report shows: Markdown cells and the Markdown / image outputs."""
    parts = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
        for output in cell.get("outputs", []):
            assert output.output_type != "error", output
            data = output.get("data", {})
            parts.append(data.get("text/markdown", ""))
            if output.output_type == "stream" and output.name == "stdout":
                parts.append(output.text)
    return "\n".join(parts)


@pytest.mark.parametrize("path", [UNIT, SUMMARY])
def test_notebooks_are_thin_with_one_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert [line.split("=")[0].strip() for line in tagged[0].source.splitlines() if "=" in line] == [
        "unit", "data_dir", "edition"]
    assert nb.metadata.kernelspec.name == "chiso"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") for c in code)  # stored without outputs
    assert sum(len(c.source.splitlines()) for c in code) < 40  # all logic lives in the library


@pytest.mark.parametrize("path", [UNIT, SUMMARY])
def test_papermill_reads_the_parameters(path):
    # papermill must parse the parameters cell, or it warns "Passed unknown parameter" on every run
    import papermill

    assert set(papermill.inspect_notebook(str(path))) == {"unit", "data_dir", "edition"}


def test_unit_report_public(data_dirs, tmp_path):
    nb = execute(UNIT, tmp_path / "D3.ipynb", "D3", data_dirs["public"], "public")
    text = shown(nb)
    assert escape_markdown(EVIL_NAME) in text and "<script>" not in text
    assert "99,33/100" in text and "1/4 trong" in text
    assert "Cần thêm 10 hồ sơ được đánh giá hài lòng" in text
    assert "dữ liệu mẫu" in text
    assert text.count("data:image/png;base64,") == 2  # groups and trend
    assert "Phần nội bộ" not in text and "CB01" not in text


def test_unit_report_without_trend_or_lost_points(data_dirs, tmp_path):
    text = shown(execute(UNIT, tmp_path / "D4.ipynb", "D4", data_dirs["public"], "public"))
    assert text.count("data:image/png;base64,") == 1  # one quarter only: no trend figure
    assert "Chưa có số liệu" in text  # 5.1 and 5.2 have no data: said, not 0


def test_unit_report_internal_edition(data_dirs, tmp_path):
    text = shown(execute(UNIT, tmp_path / "D1.ipynb", "D1", data_dirs["internal"], "internal"))
    assert "Phần nội bộ" in text
    assert "CB01" in text and escape_markdown("Cấp phép <b>") in text


def test_internal_edition_needs_internal_data(data_dirs, tmp_path):
    with pytest.raises(PapermillExecutionError, match="public edition"):
        execute(UNIT, tmp_path / "D1.ipynb", "D1", data_dirs["public"], "internal")


def test_province_summary(data_dirs, tmp_path):
    nb = execute(SUMMARY, tmp_path / "tong-hop.ipynb", "", data_dirs["public"], "public")
    text = shown(nb)
    assert "## Xếp hạng các đơn vị" in text and "## Bản đồ thực thi" in text
    assert text.count("```{=html}") == 4 and text.count("```{=typst}") == 4  # 2 levels × 2 maps
    assert "Tăng điểm nhiều nhất" in text and "Giảm điểm nhiều nhất" in text
    assert escape_markdown(EVIL_NAME) in text
    assert "data:image/png;base64," in text


def test_rendered_unit_report_shows_names_as_text(data_dirs, tmp_path):
    execute(UNIT, tmp_path / "D3.ipynb", "D3", data_dirs["public"], "public")
    out = render_notebook(tmp_path / "D3.ipynb", tmp_path, "D3", formats=("html",), title="D3", banner="DỮ LIỆU MẪU")
    page = out["html"].read_text(encoding="utf-8")
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; | *x*" in page
    assert "Cần thêm 10 hồ sơ được đánh giá hài lòng" in page
