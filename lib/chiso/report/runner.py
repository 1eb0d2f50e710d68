"""Batch runner (``chiso report`` / ``make report``): compute once, render every unit.

A run

1. computes the index once (:func:`chiso.report.data.build_report_data`) into
   ``<run>/_data/``, read-only;
2. plans one notebook run per unit (the province, every department and commune) plus the
   province summary, each with its parameters (``unit``, ``data_dir``, ``edition``), its
   own working folder and its key: a sha256 over the notebook's bytes, the chiso
   package's source files, the methodology file, the report data (all of ``_data``: a
   unit's report also shows its rank among its peers, so any change in the data may
   change every report), the parameters, the output formats and the versions of the
   rendering tools;
3. skips a unit whose outputs exist and whose key is unchanged (``--force`` re-renders
   anyway); with ``--unit``, only the named units (and the summary) are rendered;
4. executes the remaining notebooks in parallel worker processes (default: one per
   CPU), each with ONE warm Jupyter kernel reused for all its notebooks (papermill
   engine ``chiso-warm``, :mod:`chiso.report.engines`), and renders each executed notebook to
   HTML and PDF in the same worker (:func:`chiso.report.render.render_notebook`). Workers and
   kernels start at the beginning of the run, while step 1 computes the index;
5. publishes only what this run vouches for: a report stays in the public tree only if
   it was built from this run's data (same key); any other (an earlier run's report of a
   unit not selected with ``--unit`` whose data changed, a unit no longer in the data,
   a format no longer asked for) is moved to ``_stale/`` and the site says the unit has
   "chưa có báo cáo kỳ này";
6. writes the Excel ranking (:func:`chiso.report.excel.write_excel`), the static site
   (:func:`chiso.report.site.write_site`) and ``manifest.json``, and prints a summary: one
   unit's failure never stops the others; failures are listed with the error's last
   line and the executed notebook to open; the exit status is then 1. The summary also
   says why units were rendered (``changed: data``, ``missing pdf``, ``forced``, ...).

The layout of a run folder is :class:`chiso.paths.RunFolder`. The internal edition
(``--edition internal``: staff-level drill-down for the Department of Home Affairs) goes
to a separate tree, ``reports/2026-Q2-noibo/`` ("nội bộ"), so that publishing
``reports/2026-Q2/`` can never carry it; the internal tree is never published.

Example
-------
>>> request = ReportRequest(year=2026, quarter=2, units=("S99.01",), jobs=2)
>>> summary = build_reports(request)                                    # doctest: +SKIP
>>> summary.counts                                                      # doctest: +SKIP
{'rendered': 2, 'skipped': 0, 'failed': 0, 'outdated': 165}
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from chiso.errors import ChisoError
from chiso.outputs import OutputError, output_error, write_text
from chiso.formatting import clipped
from chiso.paths import MAX_CODE_CHARACTERS, NOTEBOOKS_DIR, SUMMARY_NAME, RunFolder
from chiso.report.fingerprints import code_fingerprint, data_files, sha256_file, sha256_text, tool_versions
from chiso.report.manifest import RunSummary, build_manifest
from chiso.report.pool import WarmPool, render_tasks
from chiso.report.request import ReportRequest
from chiso.report.tasks import CURRENT, DEFAULT_RENDERER, NOT_BUILT, OUTDATED, SKIPPED, RenderTask, TaskResult

if TYPE_CHECKING:
    import pandas as pd

UNIT_NOTEBOOK = "unit_report.ipynb"
SUMMARY_NOTEBOOK = "province_summary.ipynb"
SAFE_NAME = r"(?!\.{1,2}$)[\w.-]+"  # a file name: no separator, not "." or ".."
PUBLISHED_FORMATS = ("html", "pdf")


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
    from chiso.report.data import build_report_data

    started_at = request.generated_at or datetime.now().astimezone()
    clock = started_clock = time.perf_counter()
    methodology = load_methodology(request.methodology)
    notebooks = {kind: Path(notebooks_dir) / name for kind, name in
                 (("unit", UNIT_NOTEBOOK), ("summary", SUMMARY_NOTEBOOK))}
    for path in notebooks.values():
        if not path.is_file():
            raise ChisoError(f"{path}: report notebook not found")
    folder = request.folder
    new_folder = not folder.root.exists()
    try:
        folder.root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise output_error(folder.root, error) from error
    with ExitStack() as stack:
        stack.enter_context(_run_folder_lock(folder))
        if pool is None:
            workers = min(request.workers, len(request.units) + 1) if request.units else request.workers
            # Workers start now, to warm up while the index is computed.
            pool = stack.enter_context(WarmPool(workers, renderers=[renderer]))
        try:
            report_data = build_report_data(
                request.source, request.period, methodology, folder.root,
                scale=request.scale, edition=request.edition, geo=request.geo, generated_at=request.generated_at,
                dossiers=request.dossiers,
            )
        except BaseException:
            if new_folder:  # nothing was made: leave no empty period folder behind
                shutil.rmtree(folder.root, ignore_errors=True)
            raise
        data_seconds = time.perf_counter() - clock
        plan = plan_tasks(request, report_data, methodology, folder, notebooks, renderer)
        clock = time.perf_counter()
        selected = [task for task in plan.tasks if task.name in plan.selected]
        rendered = render_tasks(selected, jobs=pool.jobs, force=request.force, progress=progress, pool=pool)
        results = _with_unselected(plan.tasks, dict(zip(plan.selected, rendered)))
        render_seconds = time.perf_counter() - clock

        withdraw_stale(folder, results)
        extras, output_errors = _write_tables_and_site(report_data, folder, results)
        finished_at = started_at if request.generated_at else datetime.now().astimezone()
        manifest = build_manifest(
            request, report_data.meta, methodology, plan, results, extras, folder.root, pool.jobs, output_errors,
            timings={"started_at": started_at.isoformat(timespec="seconds"),
                     "finished_at": finished_at.isoformat(timespec="seconds"),
                     "data_seconds": round(data_seconds, 3), "render_seconds": round(render_seconds, 3),
                     "total_seconds": round((finished_at - started_at).total_seconds(), 3)},
        )
        try:
            write_text(folder.manifest, json.dumps(manifest, ensure_ascii=False, indent=1, default=str) + "\n")
        except OutputError as error:  # the summary still says what was done
            output_errors.append(str(error))
    return RunSummary(folder.root, results, manifest, time.perf_counter() - started_clock,
                      data_seconds=data_seconds, render_seconds=render_seconds, output_errors=output_errors)


@contextmanager
def _run_folder_lock(folder: RunFolder):
    """One run at a time per run folder: two runs writing the same reports would mix
    their outputs. The lock goes with the process, however it ends (POSIX only)."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; runs are not guarded
        yield
        return
    with open(folder.lock, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ChisoError(f"{folder.root}: another chiso report is writing this folder; "
                             "wait until it has finished") from None
        yield


@dataclass
class Plan:
    """The tasks of a run and the fingerprints their keys were made from."""

    tasks: list[RenderTask]  # the summary, then every unit of the report data
    selected: list[str]  # names of the tasks this run renders (all, or the summary and --unit's)
    units: pd.DataFrame  # unit, name, level, parent of every unit
    data_files: dict[str, str]
    versions: dict[str, str | None]


def plan_tasks(request: ReportRequest, report_data, methodology, folder: RunFolder, notebooks: dict[str, Path],
               renderer: str = DEFAULT_RENDERER) -> Plan:
    """The province summary and one task per unit, each with its key; which of them this
    run renders (every one, or the summary and the ``--unit`` codes).

    Parameters of every notebook: ``unit`` (code; "" for the summary), ``data_dir``
    (relative to the unit's working folder, where the notebook runs, so that an
    executed notebook still works after the run folder is moved) and ``edition``.
    """
    from chiso.report.text import report_title

    data_dir = folder.data_dir
    units = report_data.units
    selected = select_units(units, request.units, data_dir)
    hashes = data_files(data_dir)
    versions = tool_versions()
    shared = {
        "code": code_fingerprint(),
        "methodology": sha256_file(methodology.path),
        "data": sha256_text(json.dumps(hashes, sort_keys=True)),
        "versions": versions,
    }
    notebook_hashes = {kind: sha256_file(path) for kind, path in notebooks.items()}
    banner = report_banner(report_data)

    def task(name: str, kind: str, unit: str) -> RenderTask:
        work_dir = folder.work_dir(name)
        return RenderTask(
            name=name, notebook=notebooks[kind], work_dir=work_dir, out_dir=folder.report_dir(name),
            parameters={"unit": unit, "data_dir": os.path.relpath(data_dir, work_dir), "edition": request.edition},
            formats=request.formats, title=report_title(report_data, unit or None), banner=banner,
            renderer=renderer,
        ).with_key({**shared, "notebook": notebook_hashes[kind]})

    # The summary first: it is the longest report, and would otherwise finish last.
    tasks = [task(SUMMARY_NAME, "summary", "")] + [task(code, "unit", code) for code in units["unit"]]
    return Plan(tasks, [SUMMARY_NAME, *selected["unit"]], units, hashes, versions)


def report_banner(report_data) -> str | None:
    """The warning on every page: sample data (:func:`chiso.report.text.banner`) and, for the
    internal edition, that the report must not be published.

    >>> report_banner(internal_sample_data)                              # doctest: +SKIP
    'BẢN NỘI BỘ — phục vụ đánh giá cán bộ, không công bố · DỮ LIỆU MẪU (HƯ CẤU) — …'
    """
    from chiso.report.site import INTERNAL_BANNER
    from chiso.report.text import banner

    parts = [INTERNAL_BANNER if report_data.meta["edition"] == "internal" else None, banner(report_data)]
    return " · ".join(p for p in parts if p) or None


def select_units(units, codes: tuple[str, ...] | None, data_dir: Path):
    """All units of the report data, or the requested codes (ChisoError for an unknown code).

    A unit code names the unit's files, so it must be a plain file name (letters, digits,
    ``.``, ``-``, ``_``): a code from an input file can never write outside the run folder.
    """
    codes_in_data = units["unit"].astype(str)
    unsafe = codes_in_data[~codes_in_data.str.fullmatch(SAFE_NAME) | codes_in_data.isin(RunFolder.RESERVED)
                           | (codes_in_data.str.len() > MAX_CODE_CHARACTERS)]
    if len(unsafe):
        raise ChisoError(f"{data_dir / 'units.parquet'}: unit code {clipped(unsafe.iloc[0])!r} cannot name a report "
                         f"file (expected at most {MAX_CODE_CHARACTERS} letters, digits, '.', '-' or '_', and "
                         f"none of {', '.join(RunFolder.RESERVED)})")
    if not codes:
        return units
    unknown = sorted(set(codes) - set(units["unit"]))
    if unknown:
        raise ChisoError(f"unit {', '.join(clipped(code) for code in unknown[:5])} not in the report data "
                         f"(see {data_dir / 'units.parquet'}: {len(units)} units)")
    return units[units["unit"].isin(codes)]


def _with_unselected(tasks: list[RenderTask], results: dict[str, TaskResult]) -> list[TaskResult]:
    """Results of every task, in plan order: a task this run did not render (not named by
    ``--unit``) is current when its outputs were made from this run's inputs (same key),
    outdated when an earlier run's outputs are there (they are withdrawn, :func:`withdraw_stale`),
    else not built."""
    out = []
    for task in tasks:
        if task.name not in results:
            reason = task.stale_reason()
            if reason is None:
                results[task.name] = TaskResult(task.name, SKIPPED, task.executed_notebook, task.outputs)
            else:
                earlier = any(path.is_file() for path in task.outputs.values())
                results[task.name] = TaskResult(task.name, OUTDATED if earlier else NOT_BUILT,
                                                task.executed_notebook, reason=f"{reason}; not rendered (--unit)")
        out.append(results[task.name])
    return out


def withdraw_stale(folder: RunFolder, results: list[TaskResult]) -> list[Path]:
    """Move every report in the public tree that this run does not vouch for to ``_stale/``.

    Vouched for: the outputs of a report rendered now or skipped as current (same key).
    Anything else there — an earlier run's report of an outdated or failed unit, of a unit
    no longer in the data, a format no longer asked for — goes to ``_stale/`` (same
    relative path), so that the site, the Excel file and the manifest, which show this
    run's figures, never sit beside an older report. Returns the moved files' new paths.
    """
    current = {path.resolve() for r in results if r.status in CURRENT for path in r.outputs.values()}
    published = [path for directory in (folder.root, folder.units_dir) if directory.is_dir()
                 for fmt in PUBLISHED_FORMATS for path in sorted(directory.glob(f"*.{fmt}"))]
    moved = []
    for path in published:
        if path.resolve() == folder.site.resolve() or path.resolve() in current:
            continue
        target = folder.stale_dir / path.relative_to(folder.root)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, target)
        except OSError as error:
            raise output_error(target, error) from error
        moved.append(target)
    return moved


def _write_tables_and_site(report_data, folder: RunFolder,
                           results: list[TaskResult]) -> tuple[dict[str, Path], list[str]]:
    """The Excel ranking and the static site, rebuilt on every run (they take seconds).
    The site links the reports this run vouches for, and only those.

    Returns the outputs written and, for those that could not be (disk full, ...), the
    one-line errors: the run still writes its manifest and summary.
    """
    from chiso.report.excel import write_excel
    from chiso.report.site import write_site

    from chiso.report.reconciliation import UNSYNCED_EXCEL_NAME, write_unsynced_excel

    reports = {r.name: list(r.outputs) for r in results if r.status in CURRENT}
    outputs = [("excel", lambda: write_excel(report_data, folder.excel)),
               ("site", lambda: write_site(report_data, folder, reports)),
               # internal edition with both sources: the unsynced dossiers for Sở KH&CN
               ("unsynced_excel", lambda: write_unsynced_excel(report_data, folder.root / UNSYNCED_EXCEL_NAME))]
    if report_data.internal and report_data.appraisal_units is not None:
        # Staff-appraisal evidence: only ever in the internal tree.
        from chiso.report.appraisal_books import OFFICIALS_BOOK, UNITS_BOOK, write_officials_book, write_units_book

        outputs += [("appraisal_officials", lambda: write_officials_book(report_data, folder.root / OFFICIALS_BOOK)),
                    ("appraisal_units", lambda: write_units_book(report_data, folder.root / UNITS_BOOK))]
    written, errors = {}, []
    for name, write in outputs:
        try:
            path = write()
        except OutputError as error:
            errors.append(str(error))
            continue
        if path is not None:
            written[name] = path
    return written, errors


def run_report(args) -> int:
    """``chiso report``: build the reports, print the summary; 1 if any unit failed."""
    # SIGTERM (a service manager, `kill`) stops the run as Ctrl-C does: workers and kernels
    # stopped, what finished said (chiso.report.pool.RunInterrupted).
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        summary = build_reports(ReportRequest.from_args(args))
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(summary.text())
    return 1 if summary.failed or summary.output_errors else 0
