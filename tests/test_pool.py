"""Worker pool: a crashed worker is replaced and its report retried once; stopping or killing
the run leaves no worker, kernel or resource tracker behind."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from chiso.report.pool import WarmPool
from chiso.report.tasks import RenderTask

TESTS = Path(__file__).parent
RENDERER = "test_pipeline:fake_render"  # resolved by name in the worker processes
CODE = """\
import json, os, pathlib, signal, time
if unit == "CRASH_ONCE" and not pathlib.Path("crashed-before").exists():
    pathlib.Path("crashed-before").write_text("yes")
    os.kill(os.getppid(), signal.SIGKILL)      # the kernel's parent is the worker
if unit == "CRASH_ALWAYS":
    os.kill(os.getppid(), signal.SIGKILL)
if unit.startswith("SLOW"):
    time.sleep(120)
print(json.dumps({"unit": unit}))
"""


def notebook(folder: Path) -> Path:
    parameters = new_code_cell('unit = ""\ndata_dir = ""\nedition = "public"', metadata={"tags": ["parameters"]})
    nb = new_notebook(cells=[parameters, new_code_cell(CODE)],
                      metadata={"kernelspec": {"name": "chiso", "language": "python", "display_name": "chiso"}})
    path = folder / "unit.ipynb"
    nbformat.write(nb, path)
    return path


def tasks(folder: Path, names) -> list[RenderTask]:
    book = notebook(folder)
    return [RenderTask(name=name, notebook=book, work_dir=folder / "_work" / name, out_dir=folder / "don-vi",
                       parameters={"unit": name, "data_dir": "", "edition": "public"}, renderer=RENDERER)
            .with_key({}) for name in names]


def test_a_crashed_worker_is_replaced_and_its_report_retried_once(tmp_path):
    """One worker: the reports queued behind a crash still run; CRASH_ONCE succeeds on its
    retry; CRASH_ALWAYS fails alone, saying its worker died twice."""
    names = ["A", "CRASH_ONCE", "B", "CRASH_ALWAYS", "C"]
    with WarmPool(1, preload=(), renderers=[RENDERER]) as pool:
        results = pool.run(tasks(tmp_path, names), reasons={}, progress=False)
    status = {name: results[name].status for name in names}
    assert status == {"A": "rendered", "CRASH_ONCE": "rendered", "B": "rendered", "CRASH_ALWAYS": "failed",
                      "C": "rendered"}
    assert "died 2 times" in results["CRASH_ALWAYS"].error
    assert (tmp_path / "_work" / "CRASH_ONCE" / "crashed-before").is_file()


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (from /proc; zombies count as gone)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if fields[0] != "Z":
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, stack = set(), [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    living = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            living.add(pid)
    return living


RUNNER = """\
import signal, sys
sys.path.insert(0, {tests!r})
from pathlib import Path
from test_pool import tasks, RENDERER
from chiso.report.pool import RunInterrupted, WarmPool

signal.signal(signal.SIGTERM, signal.default_int_handler)   # as chiso report does
# Ctrl-C as in a terminal (a background job, e.g. under a CI runner, starts with it ignored)
signal.signal(signal.SIGINT, signal.default_int_handler)
folder = Path({folder!r})
try:
    with WarmPool(2, preload=(), renderers=[RENDERER]) as pool:
        pool.run(tasks(folder, ["A", "SLOW1", "SLOW2"]), reasons={{}}, progress=False)
except RunInterrupted as stop:
    print("interrupted:", stop, flush=True)
    sys.exit(130)
"""


def start_run(tmp_path: Path) -> tuple[subprocess.Popen, set[int]]:
    """A run whose two workers are busy with notebooks that sleep; returns it and its
    processes once both kernels are running the slow notebooks."""
    if not Path("/proc/self/stat").exists():
        pytest.skip("needs /proc (Linux)")
    script = RUNNER.format(tests=str(TESTS), folder=str(tmp_path))
    run = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if (tmp_path / "don-vi" / "A.html").exists() and all(
                (tmp_path / "_work" / n / ".chiso-running").exists() for n in ("SLOW1", "SLOW2")):
            time.sleep(1.0)  # the kernels are in the sleeping cell
            break
        assert run.poll() is None, run.communicate()
        time.sleep(0.2)
    else:
        run.kill()
        pytest.fail("the slow notebooks did not start")
    processes = descendants(run.pid)
    assert len(processes) >= 4, processes  # two workers, two kernels (and the resource tracker)
    return run, processes


def wait_gone(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    return alive(pids)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_or_ctrl_c_stops_workers_and_kernels_and_says_what_finished(tmp_path, stop):
    run, processes = start_run(tmp_path)
    run.send_signal(stop)
    out, err = run.communicate(timeout=30)
    assert run.returncode == 130, err
    assert "interrupted: 1 of 3 reports finished before the stop (A)" in out
    assert wait_gone(processes, 10) == set()
    assert not (tmp_path / "don-vi" / "SLOW1.html").exists()


def test_killing_the_parent_leaves_no_orphan(tmp_path):
    run, processes = start_run(tmp_path)
    run.kill()                                        # SIGKILL: the parent cannot stop anything
    run.communicate(timeout=30)
    assert wait_gone(processes, 10) == set(), [Path(f"/proc/{p}/cmdline").read_text() for p in alive(processes)]
