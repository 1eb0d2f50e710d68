"""What the quarter benchmarks (compute.py, sync.py) share: the full-scale sample's quarter
export, their options, and running one of their tasks in a child process."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from chiso.paths import SAMPLE_SEED

YEAR = 2026


def period_name(quarter: int) -> str:
    """The name of the benchmarked year's quarter, as chiso's --period takes it ("2026-Q2")."""
    return f"{YEAR}-Q{quarter}"


def write_export(folder, quarter: int, fmt: str) -> dict:
    """Write the full-scale sample's quarter export into ``folder`` (via a partial folder, so
    that an interrupted run leaves nothing half-written); its summary and the time taken."""
    from chiso.sources.sample import write_sample_folder

    started = time.perf_counter()
    summary = write_sample_folder(folder, year=YEAR, scale="full", seed=SAMPLE_SEED, fmt=fmt, period=period_name(quarter))
    return {"seconds": time.perf_counter() - started, "summary": summary}


def quarter_parser(doc: str, tasks, repeat: int, repeat_help: str, regenerate_help: str) -> argparse.ArgumentParser:
    """The options of a quarter benchmark; the hidden ``--work TASK`` is how it runs a task in a child."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quarter", type=int, default=2, choices=[1, 2, 3, 4])
    parser.add_argument("--repeat", type=int, default=repeat, help=f"{repeat_help}; the best counts (default {repeat})")
    parser.add_argument("--regenerate", action="store_true", help=regenerate_help)
    parser.add_argument("--work", choices=tasks, help=argparse.SUPPRESS)
    return parser


def print_result(result: dict) -> None:
    """A child's answer: its result as JSON on its last line of output (see ``run_child``)."""
    print(json.dumps(result, default=str))


def run_child(script: str | Path, option: str, task: str, quarter: int) -> dict:
    """Run ``script option task --quarter quarter`` in a child process; the result it printed."""
    command = [sys.executable, str(script), option, task, "--quarter", str(quarter)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{Path(script).name} {option} {task} failed:\n{done.stderr or done.stdout}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())
