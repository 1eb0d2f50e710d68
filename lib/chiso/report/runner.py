"""Batch runner (``chiso report`` / ``make report``): compute once, render every unit.

A run

1. computes the index once (:func:`chiso.reportdata.build_report_data`) into
   ``<run>/_data/``, read-only;
2. plans one notebook run per unit (the province, every department and commune, or only
   the ``--unit`` codes) plus the province summary, each with its parameters
   (``unit``, ``data_dir``, ``edition``) and its own working folder;
3. skips a unit whose outputs exist and whose key is unchanged: the key is a sha256 over
   the notebook's bytes, the chiso package's source files, the methodology file, the
   report data (all of ``_data``: a unit's report also shows its rank among its peers,
   so any change in the data may change every report), the parameters, the output
   formats and the versions of the rendering tools (``--force`` re-renders anyway);
4. executes the remaining notebooks in parallel worker processes (default: one per
   CPU), each with ONE warm Jupyter kernel reused for all its notebooks (papermill
   engine ``chiso-warm``, :mod:`chiso.engines`), and renders each executed notebook to
   HTML and PDF in the same worker (:func:`chiso.render.render_notebook`). Workers and
   kernels start at the beginning of the run, while step 1 computes the index;
5. writes the Excel ranking (:func:`chiso.tables.write_excel`), the static site
   (:func:`chiso.site.write_site`) and ``manifest.json``, and prints a summary: one
   unit's failure never stops the others; failures are listed with the error's last
   line and the executed notebook to open; the exit status is then 1. The summary also
   says why units were rendered (``changed: data``, ``missing pdf``, ``forced``, ...).

Layout of a run folder (``reports/2026-Q2/``)::

    _data/               report data of the run (parquet + meta.json)
    <code>.html .pdf     one report per unit
    <code>/              the unit's working folder: <code>.ipynb (executed notebook),
                         .chiso-key.json (what the outputs were made from)
    tong-hop.html .pdf   province summary (working folder tong-hop/)
    bang-xep-hang.xlsx   ranking and enforcement map
    site/index.html      static site to publish
    manifest.json        parameters, input fingerprints, versions, outputs, timings

The internal edition (``--edition internal``: staff-level drill-down for the Department
of Home Affairs) goes to a separate tree, ``reports/2026-Q2-noibo/`` ("nội bộ"), so that
publishing ``reports/2026-Q2/`` can never carry it; the internal tree is never published.

Example
-------
>>> request = ReportRequest(year=2026, quarter=2, units=("S99.01",), jobs=2)
>>> summary = build_reports(request)                                    # doctest: +SKIP
>>> summary.counts                                                      # doctest: +SKIP
{'rendered': 2, 'skipped': 0, 'failed': 0}
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import json
import multiprocessing
import os
import platform
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

import chiso
from chiso import __version__
from chiso.errors import ChisoError
from chiso.methodology import DEFAULT_METHODOLOGY
from chiso.paths import PROJECT_ROOT
from chiso.site import EXCEL_NAME  # the site links to these names
from chiso.site import SUMMARY_STEM as SUMMARY_NAME

if TYPE_CHECKING:
    import pandas as pd

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
UNIT_NOTEBOOK = "unit_report.ipynb"
SUMMARY_NOTEBOOK = "province_summary.ipynb"
MANIFEST_NAME = "manifest.json"
KEY_FILE = ".chiso-key.json"
LOCK_FILE = ".chiso-lock"
INTERNAL_SUFFIX = "-noibo"
SAFE_NAME = r"(?!\.{1,2}$)[\w.-]+"  # a file name: no separator, not "." or ".."
RESERVED_NAMES = (SUMMARY_NAME, "_data", "site")  # names of a run folder's other entries
DEFAULT_RENDERER = "chiso.render:render_notebook"
OUTPUT_FORMATS = ("html", "pdf")
RENDER_ENGINE = "auto"
# Imported once into every warm kernel when it starts, so that no notebook pays for them.
KERNEL_PRELOAD = ("pandas", "matplotlib.pyplot", "chiso.reportdata", "chiso.tables", "chiso.charts", "chiso.render")
# The summary lists this many failures; manifest.json has them all.
MAX_FAILURES_LISTED = 20
# A cell running longer than this is stuck; the unit fails and the worker gets a fresh kernel.
CELL_TIMEOUT_SECONDS = 600
# Keys of meta.json that change on every build without changing any figure.
VOLATILE_META_KEYS = ("generated_at",)
# Distributions whose version goes into the manifest and into every unit's key.
VERSIONED_PACKAGES = ("pandas", "numpy", "pyarrow", "matplotlib", "papermill", "nbclient", "nbconvert",
                      "nbformat", "ipykernel", "jinja2", "typst", "pypandoc-binary", "xlsxwriter", "openpyxl")


# --------------------------------------------------------------------------- request


@dataclass(frozen=True)
class ReportRequest:
    """What ``chiso report`` was asked for (see ``chiso report --help``)."""

    year: int
    quarter: int
    source: str = "sample"
    edition: str = "public"
    units: tuple[str, ...] | None = None
    jobs: int | None = None
    scale: str = "small"
    out: Path = Path("reports")
    methodology: str = DEFAULT_METHODOLOGY
    force: bool = False
    formats: tuple[str, ...] = OUTPUT_FORMATS

    @classmethod
    def from_args(cls, args) -> "ReportRequest":
        """From the ``chiso report`` argparse namespace."""
        return cls(
            year=args.year, quarter=args.quarter, source=args.source, edition=args.edition,
            units=tuple(args.unit) if args.unit else None, jobs=args.jobs, scale=args.scale,
            out=Path(args.out), methodology=args.methodology, force=args.force,
            formats=("html",) if args.no_pdf else OUTPUT_FORMATS,
        )

    @property
    def run_dir(self) -> Path:
        """``reports/2026-Q2`` (public) or ``reports/2026-Q2-noibo`` (internal)."""
        suffix = INTERNAL_SUFFIX if self.edition == "internal" else ""
        return self.out / f"{self.year}-Q{self.quarter}{suffix}"

    @property
    def workers(self) -> int:
        return max(1, self.jobs or os.cpu_count() or 1)


# --------------------------------------------------------------------------- tasks


@dataclass(frozen=True)
class RenderTask:
    """One notebook to execute and render: a unit's report or the province summary.

    Picklable: it travels to a worker process. ``renderer`` is ``module:function``
    (resolved in the worker) with the signature of :func:`chiso.render.render_notebook`.
    """

    name: str
    notebook: Path
    parameters: dict
    work_dir: Path
    out_dir: Path
    formats: tuple[str, ...] = OUTPUT_FORMATS
    title: str | None = None
    banner: str | None = None
    render_engine: str = RENDER_ENGINE
    renderer: str = DEFAULT_RENDERER
    key: str = ""
    key_inputs: dict = field(default_factory=dict)

    @property
    def executed_notebook(self) -> Path:
        return self.work_dir / f"{self.name}.ipynb"

    @property
    def outputs(self) -> dict[str, Path]:
        return {fmt: self.out_dir / f"{self.name}.{fmt}" for fmt in self.formats}

    @property
    def key_file(self) -> Path:
        return self.work_dir / KEY_FILE

    def with_key(self, shared_inputs: dict) -> "RenderTask":
        """This task with its key: sha256 over ``shared_inputs`` (fingerprints of the
        notebook, code, methodology, data, tool versions) and the task's own settings."""
        inputs = {
            **shared_inputs,
            "name": self.name,
            "parameters": self.parameters,
            "formats": list(self.formats),
            "title": self.title,
            "banner": self.banner,
            "render_engine": self.render_engine,
            "renderer": self.renderer,
        }
        inputs = json.loads(json.dumps(inputs, sort_keys=True, default=str))
        return replace(self, key=_sha256_text(json.dumps(inputs, sort_keys=True)), key_inputs=inputs)

    def stale_reason(self) -> str | None:
        """Why the outputs must be made again, or None when they exist and were made
        from exactly this task's inputs.

        >>> task.stale_reason()                                               # doctest: +SKIP
        'changed: code, data'
        """
        missing = [fmt for fmt, path in self.outputs.items() if not path.is_file()]
        if not self.executed_notebook.is_file():
            missing.insert(0, "notebook")
        if missing:
            return f"missing {', '.join(missing)}"
        try:
            previous = json.loads(self.key_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return "no key of an earlier run"
        if previous.get("key") == self.key:
            return None
        before = previous.get("inputs", {})
        changed = sorted(k for k in before.keys() | self.key_inputs.keys() if before.get(k) != self.key_inputs.get(k))
        return f"changed: {', '.join(changed)}"


@dataclass
class TaskResult:
    """What became of one task. ``status``: rendered, skipped or failed."""

    name: str
    status: str
    notebook: Path
    outputs: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0
    execute_seconds: float = 0.0
    render_seconds: float = 0.0
    error: str | None = None
    reason: str | None = None  # why it was rendered (see RenderTask.stale_reason), None if skipped


def execute_task(task: RenderTask) -> TaskResult:
    """Execute ``task``'s notebook on this process's warm kernel, then render it.

    Runs in a worker process. Never raises for a failing notebook or renderer: the
    error's last line comes back in the result, and the executed notebook (with the
    traceback in its failing cell) stays in the unit's working folder.
    """
    import papermill

    from chiso.engines import ENGINE_NAME

    started = time.perf_counter()
    task.work_dir.mkdir(parents=True, exist_ok=True)
    # Outputs about to be replaced are no longer vouched for: if this run fails, or makes
    # HTML only, no report of an earlier run may stay behind to be published.
    stale = [task.out_dir / f"{task.name}.{fmt}" for fmt in OUTPUT_FORMATS]
    for path in (task.key_file, task.executed_notebook, *stale):
        path.unlink(missing_ok=True)
    result = TaskResult(task.name, "failed", task.executed_notebook)
    try:
        papermill.execute_notebook(
            task.notebook, task.executed_notebook, parameters=task.parameters, engine_name=ENGINE_NAME,
            cwd=task.work_dir, progress_bar=False, execution_timeout=CELL_TIMEOUT_SECONDS,
            # papermill's default rewrites (and validates) the whole notebook after every
            # cell, for watching long runs live: ~0.15 s per report for nothing here. The
            # notebook is still written once at the end, failed or not.
            request_save_on_cell_execute=False,
        )
        executed = time.perf_counter()
        result.execute_seconds = executed - started
        rendered = _resolve(task.renderer)(
            task.executed_notebook, task.work_dir, task.name, formats=task.formats, title=task.title,
            banner=task.banner, engine=task.render_engine,
        )
        result.render_seconds = time.perf_counter() - executed
        result.outputs = _publish(rendered, task)
        # The inputs too, so that "why was this unit re-rendered?" can be answered by a diff.
        task.key_file.write_text(json.dumps({"key": task.key, "inputs": task.key_inputs}, indent=1,
                                            ensure_ascii=False), encoding="utf-8")
        result.status = "rendered"
    except Exception as exc:  # noqa: BLE001 - one unit's failure must not stop the batch
        result.error = _last_line(exc)
    result.seconds = time.perf_counter() - started
    return result


def _publish(rendered: dict[str, Path], task: RenderTask) -> dict[str, Path]:
    """Move the rendered files from the working folder to ``task.out_dir``.

    A rename within one file system is atomic: readers never see a half-written report.
    """
    missing = [fmt for fmt in task.formats if fmt not in rendered]
    if missing:
        raise ChisoError(f"renderer made no {', '.join(missing)} for {task.executed_notebook}")
    outputs = {}
    for fmt, target in task.outputs.items():
        source = Path(rendered[fmt])
        if source.resolve() != target.resolve():
            os.replace(source, target)
        outputs[fmt] = target
    return outputs


def _last_line(exc: BaseException) -> str:
    """``KeyError: 'H01'`` — the last line of the error, as a traceback would end."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        text = f"{exc.ename}: {exc.evalue}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def _resolve(dotted: str) -> Callable:
    module, _, name = dotted.partition(":")
    return getattr(importlib.import_module(module), name)


# --------------------------------------------------------------------------- workers


def _start_worker(preload: tuple[str, ...], renderers: list[str]) -> None:
    """Pool initializer: start this worker's warm kernel and import the renderers once."""
    from chiso.engines import process_kernel

    # Ctrl-C goes to the whole process group: the parent handles it (no new notebook is
    # started, the running ones finish); a worker interrupted mid-notebook would only
    # leave a half-written unit behind. (Already ignored from the start when the pool was
    # created in the main thread, see _children_ignore_ctrl_c.) Kernels have their own session.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    process_kernel(preload)
    for renderer in renderers:
        _resolve(renderer)


def _worker_ready() -> None:
    """The no-op each worker runs first (see WarmPool)."""


@contextmanager
def _children_ignore_ctrl_c():
    """Processes started inside inherit an ignored SIGINT (an ignored signal stays ignored
    across exec, and Python then installs no KeyboardInterrupt handler): a Ctrl-C while a
    worker is still starting cannot kill it with a traceback. Main thread only."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class WarmPool:
    """Worker processes, each with one warm kernel, started before the work is known.

    Creating the pool starts every worker at once, so that workers import their modules
    and start their kernels while the parent computes the index; :meth:`run` executes
    tasks on them. Workers are fresh processes (spawn): the parent has run pandas and
    pyarrow threads, which a forked child must not inherit. Leaving the ``with`` block
    shuts workers and kernels down; a pool that ran nothing is not waited for.

    >>> with WarmPool(jobs=2) as pool:                                   # doctest: +SKIP
    ...     results = pool.run(tasks, reasons={"D1": "forced"})
    """

    def __init__(self, jobs: int, preload: tuple[str, ...] | None = None,
                 renderers: Iterable[str] = (DEFAULT_RENDERER,)):
        self.jobs = jobs
        self._used = False
        self._executor = ProcessPoolExecutor(
            max_workers=jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker,
            initargs=(KERNEL_PRELOAD if preload is None else tuple(preload), sorted(set(renderers))),
        )
        # The executor starts a worker for each call submitted while no worker is idle:
        # one no-op call per worker starts them all now rather than at the first task.
        with _children_ignore_ctrl_c():
            for _ in range(jobs):
                self._executor.submit(_worker_ready)

    def __enter__(self) -> "WarmPool":
        return self

    def __exit__(self, exc_type, *_) -> None:
        self._executor.shutdown(wait=self._used and exc_type is None, cancel_futures=True)

    def run(self, tasks: list[RenderTask], reasons: dict[str, str], progress: bool = True) -> dict[str, TaskResult]:
        """Execute and render ``tasks`` (see :func:`execute_task`), with a progress bar.

        ``reasons`` (task name → why it runs) goes into each result. On Ctrl-C no new
        task starts; the running ones finish, then KeyboardInterrupt propagates.
        """
        from tqdm import tqdm

        self._used = True
        results: dict[str, TaskResult] = {}
        # disable=None: no bar when stderr is not a terminal (logs, CI), only the summary.
        bar = tqdm(total=len(tasks), desc="reports", unit="report", disable=None if progress else True,
                   file=sys.stderr)
        try:
            futures = {self._executor.submit(execute_task, task): task for task in tasks}
            for future in as_completed(futures):
                task = futures[future]
                try:
                    result = future.result()
                except Exception as exc:  # noqa: BLE001 - the worker died, or its kernel did not start
                    result = TaskResult(task.name, "failed", task.executed_notebook,
                                        error=f"worker: {_last_line(exc)}")
                result.reason = reasons.get(task.name)
                results[task.name] = result
                bar.update(1)
                if result.status == "failed":
                    bar.set_postfix(failed=sum(r.status == "failed" for r in results.values()))
        except KeyboardInterrupt:
            bar.write("interrupted: letting the running reports finish, starting no new one", file=sys.stderr)
            self._executor.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            bar.close()
        return results


def pending_tasks(tasks: list[RenderTask], force: bool = False) -> dict[str, str]:
    """The tasks to run, by name, with the reason: all with ``force``, else those whose
    outputs are not current (:meth:`RenderTask.stale_reason`).

    >>> pending_tasks([unchanged, changed])                                # doctest: +SKIP
    {'D1': 'changed: parameters'}
    """
    reasons = {task.name: task.stale_reason() for task in tasks}
    return {name: reason or "forced" for name, reason in reasons.items() if force or reason}


def render_tasks(
    tasks: Iterable[RenderTask],
    jobs: int,
    force: bool = False,
    progress: bool = True,
    preload: tuple[str, ...] | None = None,
    pool: WarmPool | None = None,
) -> list[TaskResult]:
    """Skip the current tasks, execute and render the others on ``jobs`` warm workers.

    Results come back in the order of ``tasks``. ``preload``: modules every warm kernel
    imports when it starts (default :data:`KERNEL_PRELOAD`). ``pool``: workers already
    started (then ``jobs`` and ``preload`` are the pool's); else a pool is started for
    the tasks that need to run, if any.

    >>> results = render_tasks([task_a, task_b], jobs=2)                  # doctest: +SKIP
    >>> [r.status for r in results]                                      # doctest: +SKIP
    ['rendered', 'failed']
    """
    tasks = list(tasks)
    reasons = pending_tasks(tasks, force)
    todo = [task for task in tasks if task.name in reasons]
    results = {task.name: TaskResult(task.name, "skipped", task.executed_notebook, task.outputs)
               for task in tasks if task.name not in reasons}
    if todo and pool is not None:
        results.update(pool.run(todo, reasons, progress))
    elif todo:
        with WarmPool(min(jobs, len(todo)), preload, {task.renderer for task in todo}) as own_pool:
            results.update(own_pool.run(todo, reasons, progress))
    return [results[task.name] for task in tasks]


# --------------------------------------------------------------------------- fingerprints


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sha256_text(text: str) -> str:
    return _sha256_bytes(text.encode("utf-8"))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def code_fingerprint() -> str:
    """sha256 over the chiso package's files (sources, templates, fonts): the code that
    makes a report. Caches (``__pycache__``) are left out."""
    package = Path(chiso.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + bytes.fromhex(sha256_file(path)))
    return digest.hexdigest()


def data_files(data_dir: Path) -> dict[str, str]:
    """sha256 of every file of the report data; meta.json without its build time, so
    that rebuilding identical figures gives identical fingerprints.

    >>> data_files(Path("reports/2026-Q2/_data"))                        # doctest: +SKIP
    {'groups.parquet': '5f0c…', 'indicators.parquet': '9ab1…', 'meta.json': '03d4…', …}
    """
    hashes = {}
    for path in sorted(p for p in data_dir.iterdir() if p.is_file()):
        if path.name == "meta.json":
            meta = json.loads(path.read_text(encoding="utf-8"))
            stable = {k: v for k, v in meta.items() if k not in VOLATILE_META_KEYS}
            hashes[path.name] = _sha256_text(json.dumps(stable, sort_keys=True, ensure_ascii=False))
        else:
            hashes[path.name] = sha256_file(path)
    return hashes


def input_files(source: str, scale: str, year: int) -> dict[str, str]:
    """sha256 of every file in the source's folder (``dossiers:DIR``, ``official:DIR``, or
    the sample folder), by path relative to it; {} when the folder does not exist.

    >>> input_files("official:tests/data/dvcqg-phu-tho-2026", "small", 2026)   # doctest: +SKIP
    {'2026-08/dvc-progress-tree.json': '6c1f…', …}
    """
    from chiso.reportdata import sample_folder

    kind, _, location = source.partition(":")
    folder = sample_folder(scale, year) if kind == "sample" else Path(location)
    if not folder.is_dir():
        return {}
    return {str(path.relative_to(folder)): sha256_file(path)
            for path in sorted(folder.rglob("*")) if path.is_file()}


def _project_relative(path: Path) -> str:
    """A path inside the project as relative to its root (``params/methodology/…``): the
    manifest is published with the reports and should not show the machine's folders."""
    path = Path(path).resolve()
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def tool_versions() -> dict[str, str | None]:
    """Versions of Python, chiso, the libraries and the external tools that shape a report."""
    versions: dict[str, str | None] = {"python": platform.python_version(), "chiso": __version__}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    try:
        import pypandoc

        versions["pandoc"] = pypandoc.get_pandoc_version()
    except (ImportError, OSError, RuntimeError):
        versions["pandoc"] = None
    versions["quarto"] = _command_version("quarto", "--version")
    return versions


def _command_version(*command: str) -> str | None:
    if shutil.which(command[0]) is None:
        return None
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return out.strip().splitlines()[0] if out.strip() else None


# --------------------------------------------------------------------------- a run


@dataclass
class RunSummary:
    """Outcome of :func:`build_reports`; ``manifest`` is what manifest.json holds."""

    run_dir: Path
    results: list[TaskResult]
    manifest: dict
    seconds: float

    @property
    def counts(self) -> dict[str, int]:
        return {s: sum(r.status == s for r in self.results) for s in ("rendered", "skipped", "failed")}

    @property
    def failed(self) -> list[TaskResult]:
        return [r for r in self.results if r.status == "failed"]

    def text(self) -> str:
        """The lines printed at the end of ``chiso report``."""
        counts = self.counts
        ran = [r for r in self.results if r.status != "skipped"]
        render_seconds = self.manifest["timings"]["render_seconds"]
        per_report = f", {render_seconds / len(ran):.2f} s per report" if ran else ""
        lines = [
            f"{self.run_dir}: {len(self.results)} reports — {counts['rendered']} rendered, "
            f"{counts['skipped']} unchanged, {counts['failed']} failed — {self.seconds:.1f} s "
            f"(data {self.manifest['timings']['data_seconds']:.1f} s, reports {render_seconds:.1f} s"
            f"{per_report}, {self.manifest['jobs']} workers)"
        ]
        if ran:
            reasons = Counter(r.reason for r in ran)
            lines.append("rendered because: " + "; ".join(f"{reason} ({n})" for reason, n in reasons.most_common()))
        if self.failed:
            lines.append(f"{len(self.failed)} failed (open the executed notebook to see the traceback):")
            shown = self.failed[:MAX_FAILURES_LISTED]
            width = max(len(r.name) for r in shown)
            lines += [f"  {r.name:<{width}}  {r.error}\n  {'':<{width}}  {r.notebook}" for r in shown]
            if len(self.failed) > len(shown):
                lines.append(f"  ... and {len(self.failed) - len(shown)} more: see "
                             f"{self.run_dir / MANIFEST_NAME}")
        return "\n".join(lines)


def build_reports(
    request: ReportRequest,
    notebooks_dir: Path = NOTEBOOKS_DIR,
    renderer: str = DEFAULT_RENDERER,
    progress: bool = True,
    pool: WarmPool | None = None,
) -> RunSummary:
    """Run ``request`` end to end (see the module docstring) and write manifest.json.

    ``pool``: workers to use (and leave running), e.g. to build several runs in a row;
    by default the run starts its own, ``request.jobs`` of them.
    """
    from chiso.methodology import load_methodology
    from chiso.reportdata import build_report_data

    started_at = datetime.now().astimezone()
    clock = time.perf_counter()
    methodology = load_methodology(request.methodology)
    notebooks = {kind: Path(notebooks_dir) / name for kind, name in
                 (("unit", UNIT_NOTEBOOK), ("summary", SUMMARY_NOTEBOOK))}
    for path in notebooks.values():
        if not path.is_file():
            raise ChisoError(f"{path}: report notebook not found")
    run_dir = request.run_dir.resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        stack.enter_context(_run_folder_lock(run_dir))
        if pool is None:
            workers = min(request.workers, len(request.units) + 1) if request.units else request.workers
            # Workers start now, to warm up while the index is computed.
            pool = stack.enter_context(WarmPool(workers, renderers=[renderer]))
        report_data = build_report_data(
            request.source, request.year, request.quarter, methodology, run_dir,
            scale=request.scale, edition=request.edition,
        )
        data_seconds = time.perf_counter() - clock
        plan = plan_tasks(request, report_data, methodology, run_dir, notebooks, renderer)
        clock = time.perf_counter()
        results = render_tasks(plan.tasks, jobs=pool.jobs, force=request.force, progress=progress, pool=pool)
        render_seconds = time.perf_counter() - clock

        extras = _write_tables_and_site(report_data, run_dir)
        finished_at = datetime.now().astimezone()
        manifest = _manifest(
            request, report_data.meta, methodology, plan, results, extras, run_dir, pool.jobs,
            timings={"started_at": started_at.isoformat(timespec="seconds"),
                     "finished_at": finished_at.isoformat(timespec="seconds"),
                     "data_seconds": round(data_seconds, 3), "render_seconds": round(render_seconds, 3),
                     "total_seconds": round((finished_at - started_at).total_seconds(), 3)},
        )
        (run_dir / MANIFEST_NAME).write_text(json.dumps(manifest, ensure_ascii=False, indent=1, default=str),
                                             encoding="utf-8")
    return RunSummary(run_dir, results, manifest, manifest["timings"]["total_seconds"])


@contextmanager
def _run_folder_lock(run_dir: Path):
    """One run at a time per run folder: two runs writing the same reports would mix
    their outputs. The lock goes with the process, however it ends (POSIX only)."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; runs are not guarded
        yield
        return
    with open(run_dir / LOCK_FILE, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ChisoError(f"{run_dir}: another chiso report is writing this folder; "
                             "wait until it has finished") from None
        yield


@dataclass
class Plan:
    """The tasks of a run and the fingerprints their keys were made from."""

    tasks: list[RenderTask]
    units: pd.DataFrame  # unit, name, level, parent of the selected units
    data_files: dict[str, str]
    versions: dict[str, str | None]


def plan_tasks(request: ReportRequest, report_data, methodology, run_dir: Path, notebooks: dict[str, Path],
               renderer: str = DEFAULT_RENDERER) -> Plan:
    """The province summary and one task per selected unit, each with its key.

    Parameters of every notebook: ``unit`` (code; "" for the summary), ``data_dir``
    (relative to the unit's working folder, where the notebook runs, so that an
    executed notebook still works after the run folder is moved) and ``edition``.
    """
    from chiso import tables
    from chiso.reportdata import DATA_DIR_NAME

    data_dir = run_dir / DATA_DIR_NAME
    units = select_units(report_data.units, request.units, data_dir)
    hashes = data_files(data_dir)
    versions = tool_versions()
    shared = {
        "code": code_fingerprint(),
        "methodology": sha256_file(methodology.path),
        "data": _sha256_text(json.dumps(hashes, sort_keys=True)),
        "versions": versions,
    }
    notebook_hashes = {kind: sha256_file(path) for kind, path in notebooks.items()}
    banner = report_banner(report_data)

    def task(name: str, kind: str, unit: str) -> RenderTask:
        work_dir = run_dir / name
        return RenderTask(
            name=name, notebook=notebooks[kind], work_dir=work_dir, out_dir=run_dir,
            parameters={"unit": unit, "data_dir": os.path.relpath(data_dir, work_dir), "edition": request.edition},
            formats=request.formats, title=tables.report_title(report_data, unit or None), banner=banner,
            renderer=renderer,
        ).with_key({**shared, "notebook": notebook_hashes[kind]})

    # The summary first: it is the longest report, and would otherwise finish last.
    tasks = [task(SUMMARY_NAME, "summary", "")] + [task(code, "unit", code) for code in units["unit"]]
    return Plan(tasks, units, hashes, versions)


def report_banner(report_data) -> str | None:
    """The warning on every page: sample data (:func:`chiso.tables.banner`) and, for the
    internal edition, that the report must not be published.

    >>> report_banner(internal_sample_data)                              # doctest: +SKIP
    'BẢN NỘI BỘ — phục vụ đánh giá cán bộ, không công bố · DỮ LIỆU MẪU (HƯ CẤU) — …'
    """
    from chiso import tables
    from chiso.site import INTERNAL_BANNER

    parts = [INTERNAL_BANNER if report_data.meta["edition"] == "internal" else None, tables.banner(report_data)]
    return " · ".join(p for p in parts if p) or None


def select_units(units, codes: tuple[str, ...] | None, data_dir: Path):
    """All units of the report data, or the requested codes (ChisoError for an unknown code).

    A unit code names the unit's files, so it must be a plain file name (letters, digits,
    ``.``, ``-``, ``_``): a code from an input file can never write outside the run folder.
    """
    codes_in_data = units["unit"].astype(str)
    unsafe = codes_in_data[~codes_in_data.str.fullmatch(SAFE_NAME) | codes_in_data.isin(RESERVED_NAMES)]
    if len(unsafe):
        raise ChisoError(f"{data_dir / 'units.parquet'}: unit code {unsafe.iloc[0]!r} cannot name a report file "
                         f"(expected letters, digits, '.', '-' or '_', and none of {', '.join(RESERVED_NAMES)})")
    if not codes:
        return units
    unknown = sorted(set(codes) - set(units["unit"]))
    if unknown:
        raise ChisoError(f"unit {', '.join(unknown)} not in the report data "
                         f"(see {data_dir / 'units.parquet'}: {len(units)} units)")
    return units[units["unit"].isin(codes)]


def _write_tables_and_site(report_data, run_dir: Path) -> dict[str, Path]:
    """The Excel ranking and the static site, rebuilt on every run (they take seconds)."""
    from chiso.site import write_site
    from chiso.tables import write_excel

    excel = run_dir / EXCEL_NAME
    write_excel(report_data, excel)
    site = write_site(report_data, run_dir)
    return {"excel": excel, "site": Path(site)}


def _manifest(request, meta, methodology, plan: Plan, results, extras, run_dir, workers, timings) -> dict:
    def rel(path: Path) -> str:
        return os.path.relpath(path, run_dir)

    names = plan.units.set_index("unit")[["name", "level"]].to_dict("index")
    entries = []
    for task, result in zip(plan.tasks, results):
        info = names.get(task.parameters["unit"], {"name": meta.get("province"), "level": "summary"})
        entries.append({
            "name": task.name, "unit": task.parameters["unit"], "unit_name": info["name"], "level": info["level"],
            "status": result.status, "seconds": round(result.seconds, 3),
            "execute_seconds": round(result.execute_seconds, 3), "render_seconds": round(result.render_seconds, 3),
            "outputs": {fmt: rel(p) for fmt, p in result.outputs.items()},
            "notebook": rel(result.notebook), "key": task.key, "reason": result.reason, "error": result.error,
        })
    counts = {s: sum(r.status == s for r in results) for s in ("rendered", "skipped", "failed")}
    return {
        "chiso_version": __version__,
        "parameters": asdict(request),
        "jobs": workers,
        "edition": request.edition,
        "period": {"code": meta.get("period"), "label": meta.get("period_label")},
        "source": {"kind": meta.get("source_kind"), "label": meta.get("source_label"), "spec": request.source,
                   "is_sample": meta.get("is_sample"), "province": meta.get("province")},
        "methodology": {"id": methodology.id, "version": methodology.version, "title": methodology.title,
                        "file": _project_relative(methodology.path), "sha256": sha256_file(methodology.path)},
        "inputs": {"fingerprint": meta.get("input_fingerprint"),
                   "files": input_files(request.source, request.scale, request.year), "report_data": plan.data_files},
        "versions": plan.versions,
        "outputs": {name: rel(path) for name, path in extras.items()},
        "units": entries,
        "totals": {"reports": len(results), **counts},
        "timings": timings,
    }


def run_report(args) -> int:
    """``chiso report``: build the reports, print the summary; 1 if any unit failed."""
    summary = build_reports(ReportRequest.from_args(args))
    print(summary.text())
    return 1 if summary.failed else 0
