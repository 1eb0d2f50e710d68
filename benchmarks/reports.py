"""Benchmark: every report of a province for one quarter, chiso's runner against a naive loop.

    .venv/bin/python benchmarks/reports.py [--scale full] [--quarter 2] [--jobs N] [--naive-units 20]

1. The full sample province (``--scale full``: ~450,000 dossiers a quarter, ~165 units),
   generated once and cached under ``data/bench/sample-<scale>/``.
2. chiso's runner (:func:`chiso.report.runner.build_reports`): index computed once, then every
   unit and the province summary, HTML + PDF, ``--force`` (nothing skipped), into
   ``data/bench/reports/``.
3. Side by side, on the same report data: the naive loop — for each unit, the papermill
   command line (a new kernel per notebook), then the same renderer,
   :func:`chiso.report.render.render_notebook`, one unit after the other. It runs on the first
   ``--naive-units`` units and is extrapolated to all of them (printed as such);
   ``--naive-units 0`` runs it on every unit.

Targets (issue 4): all reports ≤ 90 s on a 2-core machine, and ≥ 4× faster per report
than the naive loop. A benchmark, not a test: it prints figures and never fails on them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from chiso.paths import BENCH_ROOT, NOTEBOOKS_DIR, SAMPLE_SEED, RunFolder
from chiso.report.request import ReportRequest
from chiso.report.runner import UNIT_NOTEBOOK, build_reports

TARGET_SECONDS = 90.0
TARGET_SPEEDUP = 4.0


def sample_folder(scale: str, year: int) -> Path:
    """The sample province of this scale, generated on first use (then reused)."""
    from chiso.sources.dossiers import SAMPLE_MARKER
    from chiso.sources.sample import write_sample_folder

    folder = BENCH_ROOT / f"sample-{scale}"
    if not (folder / SAMPLE_MARKER).is_file():
        print(f"generating the {scale} sample into {folder} (once) ...", flush=True)
        started = time.perf_counter()
        write_sample_folder(folder, year=year, scale=scale, seed=SAMPLE_SEED, fmt="parquet")
        print(f"  {time.perf_counter() - started:.1f} s", flush=True)
    return folder


def naive_loop(run_dir: Path, units: list[str], out_dir: Path) -> float:
    """papermill CLI per unit (a fresh kernel each time), then render; returns seconds."""
    from chiso.report.render import render_notebook

    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    data_dir = RunFolder(run_dir).data_dir
    started = time.perf_counter()
    for unit in units:
        executed = out_dir / f"{unit}.ipynb"
        done = subprocess.run(
            [sys.executable, "-m", "papermill", str(NOTEBOOKS_DIR / UNIT_NOTEBOOK), str(executed),
             "-p", "unit", unit, "-p", "data_dir", str(data_dir), "-p", "edition", "public",
             "--kernel", "python3", "--no-progress-bar", "--log-level", "WARNING"],
            capture_output=True, text=True, check=False,
        )
        if done.returncode != 0:
            sys.exit(f"naive loop: papermill failed on {unit}:\n{done.stderr}")
        render_notebook(executed, out_dir, unit)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="full", help="sample scale (default: %(default)s)")
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--quarter", type=int, default=2)
    parser.add_argument("--jobs", type=int, help="runner workers (default: number of CPUs)")
    parser.add_argument("--naive-units", type=int, default=20,
                        help="units for the naive loop, extrapolated to all (0: every unit; default %(default)s)")
    args = parser.parse_args()

    folder = sample_folder(args.scale, args.year)
    request = ReportRequest(year=args.year, quarter=args.quarter, source=f"dossiers:{folder}", jobs=args.jobs,
                            out=BENCH_ROOT / "reports", force=True)
    print(f"chiso runner: {request.source}, {request.year}-Q{request.quarter}, {request.workers} workers, "
          f"{os.cpu_count()} CPUs", flush=True)
    summary = build_reports(request)
    print(summary.text(), flush=True)
    timings = summary.manifest["timings"]
    reports = len(summary.results)
    runner_total = summary.seconds
    runner_per_report = timings["render_seconds"] / reports

    unit_reports = [u["unit"] for u in summary.manifest["units"] if u["level"] != "summary"]
    sample = unit_reports if args.naive_units <= 0 else unit_reports[: args.naive_units]
    print(f"naive loop: papermill CLI + render, {len(sample)} of {len(unit_reports)} unit reports ...", flush=True)
    naive_seconds = naive_loop(summary.run_dir, sample, BENCH_ROOT / "naive")
    naive_per_report = naive_seconds / len(sample)
    extrapolated = len(sample) < len(unit_reports)
    speedup = naive_per_report / runner_per_report

    rows = [
        ("reports (units + province summary)", f"{reports}"),
        ("runner: total wall time (compute + reports + Excel + site)", f"{runner_total:.1f} s"),
        ("runner: compute the index once", f"{timings['data_seconds']:.1f} s"),
        ("runner: all reports", f"{timings['render_seconds']:.1f} s"),
        ("runner: per report", f"{runner_per_report:.3f} s"),
        (f"naive loop: {len(sample)} unit reports", f"{naive_seconds:.1f} s"),
        ("naive loop: per report", f"{naive_per_report:.3f} s"),
        ("naive loop: all reports" + (" (extrapolated)" if extrapolated else ""),
         f"{naive_per_report * reports:.1f} s"),
        ("speed-up per report", f"{speedup:.1f}×"),
        (f"target: runner total ≤ {TARGET_SECONDS:.0f} s", "met" if runner_total <= TARGET_SECONDS else "NOT met"),
        (f"target: speed-up ≥ {TARGET_SPEEDUP:.0f}×", "met" if speedup >= TARGET_SPEEDUP else "NOT met"),
    ]
    width = max(len(label) for label, _ in rows)
    print()
    for label, value in rows:
        print(f"{label:<{width}}  {value:>10}")


if __name__ == "__main__":
    main()
