"""Benchmark: loading a full-scale province quarter from DVCQG sync payloads.

    .venv/bin/python benchmarks/sync.py [--quarter 2] [--repeat 2] [--regenerate]

1. The data: the full-scale sample province's export for one quarter (seed 766, 2026;
   ≈ 500,000 dossiers and ≈ 2.5 million events for Q2) written as sync payloads —
   ``DongBoHoSoMC.jsonl`` (one dossier record a line, with its document, fee, result and
   supplement lists) and ``CapNhatTienDoHoSoMC.jsonl`` (one progress record a line), the
   few unsynced dossiers and the other tables as CSV (``chiso sample --scale full --period
   2026-Q2 --format dvcqg-sync``). Generated once into ``data/bench/sync-full-2026-Q<q>/``
   (git-ignored) and reused; ``--regenerate`` generates it again.
2. :func:`chiso.sources.dossiers.load_dossiers` on that folder: parsing the payloads
   (orjson, streamed), mapping them to the contract tables, and every contract check of the
   loader. Target: ≤ 20 s and ≤ 4 GB peak memory on the 2-core development machine.

Each load runs in a child process that reports its own time and peak memory
(``ru_maxrss``); the best of ``--repeat`` runs is shown with the largest peak. A benchmark,
not a test: it prints figures and whether the targets are met, and never fails on them.
"""

from __future__ import annotations

import os
import resource
import time

from chiso.paths import BENCH_ROOT
from _common import load_average, period_name, print_result, quarter_parser, run_child, verdict, write_export

TARGETS = {"load_s": 20.0, "load_gb": 4.0}


def _folder(quarter: int):
    return BENCH_ROOT / f"sync-full-{period_name(quarter)}"


def _generate(quarter: int) -> dict:
    return write_export(_folder(quarter), quarter, "dvcqg-sync")


def _load(quarter: int) -> dict:
    from chiso.sources.dossiers import load_dossiers

    before = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = before.ru_utime + before.ru_stime
    started = time.perf_counter()
    data = load_dossiers(_folder(quarter))
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"load_s": seconds, "cpu_s": usage.ru_utime + usage.ru_stime - cpu_before,
            "peak_gb": usage.ru_maxrss / 2**20,
            "quality": data.quality.to_dict("records")}


TASKS = {"generate": _generate, "load": _load}


def main() -> None:
    parser = quarter_parser(__doc__, TASKS, repeat=2, repeat_help="load runs",
                            regenerate_help="generate the quarter's payloads again")
    args = parser.parse_args()
    if args.work:
        print_result(TASKS[args.work](args.quarter))
        return

    folder = _folder(args.quarter)
    print(f"load average (1, 5, 15 min) before: {load_average()} on {os.cpu_count()} CPUs", flush=True)
    if args.regenerate or not (folder / "_sample.json").is_file():
        print(f"generating the full-scale sample's {period_name(args.quarter)} export as sync payloads into {folder} ...",
              flush=True)
        generated = run_child(__file__, "--work", "generate", args.quarter)
        print(f"  {generated['summary']}\n  generated in {generated['seconds']:.1f} s", flush=True)
    sizes = {p.name: p.stat().st_size / 2**20 for p in sorted(folder.iterdir()) if p.suffix == ".jsonl"}
    print("payloads: " + ", ".join(f"{name} {size:,.0f} MB" for name, size in sizes.items()))
    runs = [run_child(__file__, "--work", "load", args.quarter) for _ in range(args.repeat)]
    for row in runs[0]["quality"]:
        print(f"  {row['table']:<13} {row['rows_read']:>10,} rows read, {row['accepted']:>10,} accepted  ({row['file']})")
    best, peak = min(run["load_s"] for run in runs), max(run["peak_gb"] for run in runs)
    times = ", ".join(f"{run['load_s']:.2f}" for run in runs)
    cpu = min(run["cpu_s"] for run in runs)
    print(f"load_dossiers (payloads parsed, mapped and checked): best {best:.2f} s wall of {times} "
          f"({cpu:.2f} s of CPU); peak memory {peak:.2f} GB")
    print(f"target ≤ {TARGETS['load_s']:g} s: {verdict(best <= TARGETS['load_s'])}; "
          f"≤ {TARGETS['load_gb']:g} GB: {verdict(peak <= TARGETS['load_gb'])}")
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
