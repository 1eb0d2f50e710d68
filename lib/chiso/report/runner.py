"""Batch runner (``chiso report`` / ``make report``): compute once, render every unit.

A run

1. computes the index once (:func:`chiso.report.data.build_report_data`) into
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
   engine ``chiso-warm``, :mod:`chiso.report.engines`), and renders each executed notebook to
   HTML and PDF in the same worker (:func:`chiso.report.render.render_notebook`). Workers and
   kernels start at the beginning of the run, while step 1 computes the index;
5. writes the Excel ranking (:func:`chiso.report.excel.write_excel`), the static site
   (:func:`chiso.report.site.write_site`) and ``manifest.json``, and prints a summary: one
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

import json
import os
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from chiso.errors import ChisoError
from chiso.paths import PROJECT_ROOT
from chiso.report.fingerprints import code_fingerprint, data_files, sha256_file, sha256_text, tool_versions
from chiso.report.manifest import MANIFEST_NAME, RunSummary, build_manifest
from chiso.report.pool import WarmPool, render_tasks
from chiso.report.request import ReportRequest
from chiso.report.site import EXCEL_NAME  # the site links to these names
from chiso.report.site import SUMMARY_STEM as SUMMARY_NAME
from chiso.report.tasks import DEFAULT_RENDERER, RenderTask

if TYPE_CHECKING:
    import pandas as pd
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
UNIT_NOTEBOOK = "unit_report.ipynb"
SUMMARY_NOTEBOOK = "province_summary.ipynb"
LOCK_FILE = ".chiso-lock"
SAFE_NAME = r"(?!\.{1,2}$)[\w.-]+"  # a file name: no separator, not "." or ".."
RESERVED_NAMES = (SUMMARY_NAME, "_data", "site")  # names of a run folder's other entries


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
            request.source, request.period, methodology, run_dir,
            scale=request.scale, edition=request.edition, geo=request.geo,
        )
        data_seconds = time.perf_counter() - clock
        plan = plan_tasks(request, report_data, methodology, run_dir, notebooks, renderer)
        clock = time.perf_counter()
        results = render_tasks(plan.tasks, jobs=pool.jobs, force=request.force, progress=progress, pool=pool)
        render_seconds = time.perf_counter() - clock

        extras = _write_tables_and_site(report_data, run_dir)
        finished_at = datetime.now().astimezone()
        manifest = build_manifest(
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
    from chiso.report.data import DATA_DIR_NAME
    from chiso.report.text import report_title

    data_dir = run_dir / DATA_DIR_NAME
    units = select_units(report_data.units, request.units, data_dir)
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
        work_dir = run_dir / name
        return RenderTask(
            name=name, notebook=notebooks[kind], work_dir=work_dir, out_dir=run_dir,
            parameters={"unit": unit, "data_dir": os.path.relpath(data_dir, work_dir), "edition": request.edition},
            formats=request.formats, title=report_title(report_data, unit or None), banner=banner,
            renderer=renderer,
        ).with_key({**shared, "notebook": notebook_hashes[kind]})

    # The summary first: it is the longest report, and would otherwise finish last.
    tasks = [task(SUMMARY_NAME, "summary", "")] + [task(code, "unit", code) for code in units["unit"]]
    return Plan(tasks, units, hashes, versions)


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
    from chiso.report.excel import write_excel
    from chiso.report.site import write_site

    excel = run_dir / EXCEL_NAME
    write_excel(report_data, excel)
    site = write_site(report_data, run_dir)
    return {"excel": excel, "site": Path(site)}


def run_report(args) -> int:
    """``chiso report``: build the reports, print the summary; 1 if any unit failed."""
    summary = build_reports(ReportRequest.from_args(args))
    print(summary.text())
    return 1 if summary.failed else 0
