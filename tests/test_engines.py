"""The chiso-warm papermill engine: one kernel, many notebooks, nothing leaks between them."""

import json

import nbformat
import papermill
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from nbclient.exceptions import DeadKernelError
from papermill.exceptions import PapermillExecutionError

from chiso.report.engines import ENGINE_NAME, WarmKernel, process_kernel, shutdown_process_kernel


def write_notebook(path, *sources, parameters="unit = 'default'"):
    """A notebook with a tagged parameters cell followed by ``sources``."""
    cells = [new_code_cell(parameters, metadata={"tags": ["parameters"]})]
    cells += [new_code_cell(source) for source in sources]
    nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "chiso", "language": "python",
                                                             "display_name": "chiso"}})
    nbformat.write(nb, path)
    return path


def stdout_of(nb) -> dict:
    """The JSON the notebook's last cell printed."""
    return json.loads("".join(o["text"] for o in nb.cells[-1].outputs if o["output_type"] == "stream"))


REPORT_STATE = (
    "import json, os\n"
    "print(json.dumps({'pid': os.getpid(), 'cwd': os.getcwd(), 'unit': unit,"
    " 'leftover': 'secret' in globals()}))\n"
    "secret = unit"
)


@pytest.fixture(scope="module")
def kernel():
    with WarmKernel() as warm:
        yield warm


def run(notebook, out, kernel, **parameters):
    out.mkdir(exist_ok=True)
    return papermill.execute_notebook(
        notebook, out / "out.ipynb", parameters=parameters, engine_name=ENGINE_NAME, kernel=kernel,
        cwd=out, progress_bar=False, request_save_on_cell_execute=False,
    )


def test_notebooks_share_the_kernel_but_not_their_variables(tmp_path, kernel):
    notebook = write_notebook(tmp_path / "report.ipynb", REPORT_STATE)
    first = stdout_of(run(notebook, tmp_path / "A", kernel, unit="A"))
    second = stdout_of(run(notebook, tmp_path / "B", kernel, unit="B"))

    assert first["pid"] == second["pid"] == kernel.pid          # one kernel, reused
    assert (first["unit"], second["unit"]) == ("A", "B")        # parameters injected
    assert second["leftover"] is False                          # first notebook's `secret` is gone
    assert (first["cwd"], second["cwd"]) == (str(tmp_path / "A"), str(tmp_path / "B"))


def test_executed_notebook_counts_from_one_like_a_fresh_kernel(tmp_path, kernel):
    notebook = write_notebook(tmp_path / "report.ipynb", REPORT_STATE)
    run(notebook, tmp_path / "A", kernel, unit="A")
    nb = run(notebook, tmp_path / "B", kernel, unit="B")
    assert [c.execution_count for c in nb.cells] == [1, 2, 3]   # parameters, injected parameters, report


def test_a_failing_notebook_leaves_the_kernel_usable(tmp_path, kernel):
    failing = write_notebook(tmp_path / "failing.ipynb", "raise ValueError('no data for ' + unit)")
    with pytest.raises(PapermillExecutionError, match="no data for X"):
        run(failing, tmp_path / "X", kernel, unit="X")
    executed = nbformat.read(tmp_path / "X" / "out.ipynb", as_version=4)
    assert executed.metadata.papermill.exception is True        # traceback kept in the notebook

    ok = write_notebook(tmp_path / "report.ipynb", REPORT_STATE)
    assert stdout_of(run(ok, tmp_path / "Y", kernel, unit="Y"))["pid"] == kernel.pid


def test_a_dead_kernel_is_replaced_for_the_next_notebook(tmp_path):
    crashing = write_notebook(tmp_path / "crash.ipynb", "import os\nos._exit(1)")
    ok = write_notebook(tmp_path / "report.ipynb", REPORT_STATE)
    with WarmKernel() as warm:
        first_pid = warm.pid
        with pytest.raises(DeadKernelError):
            run(crashing, tmp_path / "C", warm, unit="C")
        after = stdout_of(run(ok, tmp_path / "D", warm, unit="D"))
    assert after["pid"] != first_pid and after["unit"] == "D"
    # Saved up to the crash, although papermill was not asked to save after every cell.
    partial = nbformat.read(tmp_path / "C" / "out.ipynb", as_version=4)
    assert partial.cells[1].metadata.tags == ["injected-parameters"]


def test_shutdown_stops_the_kernel_process():
    warm = WarmKernel().start()
    manager = warm.manager
    warm.shutdown()
    assert warm.manager is None and not manager.has_kernel
    warm.shutdown()  # idempotent


def test_without_a_kernel_argument_the_process_kernel_is_used_and_kept(tmp_path):
    notebook = write_notebook(tmp_path / "report.ipynb", REPORT_STATE)
    try:
        first = stdout_of(run(notebook, tmp_path / "A", None, unit="A"))
        second = stdout_of(run(notebook, tmp_path / "B", None, unit="B"))
        assert first["pid"] == second["pid"] == process_kernel().pid
    finally:
        shutdown_process_kernel()
