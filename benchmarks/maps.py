"""Benchmark: what the maps add to ``make report`` for one province.

    .venv/bin/python benchmarks/maps.py [--repeat 3] [--vertices 1000]

The maps depend on the communes and the map's detail, not on the number of dossiers: the
default (small) sample province is used, its report data built once under
``data/bench/maps/``. Two maps of its 150 communes:

- the sample's generated map (what ``make report`` draws for the sample);
- a "dense" file like a province's real one: the same communes with about ``--vertices``
  vertices each (borders bent by a fine displacement field, so no vertex is redundant),
  written as GeoJSON and read back through :func:`chiso.sources.geo.load_geometry`.

For each, best of ``--repeat``:

1. data: reading the file and matching its features to units (once per run);
2. summary: building the map block (6 panels, HTML + Typst) and the time pandoc + Typst
   spend on it (the block rendered alone, less an empty document);
3. per commune: its locator map, built and rendered the same way.

Added wall time of a run on 2 workers ≈ data + (summary + communes × per commune) / 2.
Target (issue 12): ≤ 10 s on 2 cores. A benchmark, not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import shapely

from chiso.paths import PROJECT_ROOT
from chiso.report import choropleth, render
from chiso.report.data import build_report_data, load_report_data
from chiso.sources.geo import geometry_summary, geometry_table, load_geometry
from chiso.sources.sample_geo import sample_features, sample_geometry

BENCH_DIR = PROJECT_ROOT / "data" / "bench" / "maps"
WORKERS = 2
TARGET_SECONDS = 10.0


def best(repeat: int, action) -> tuple[float, object]:
    """(the fastest of ``repeat`` runs in seconds, the last result)."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return min(times), result


def dense_file(units, path: Path, vertices: int) -> Path:
    """The sample map with about ``vertices`` vertices per commune, as GeoJSON in metres."""
    attributes, shapes = sample_features(units)
    perimeter = float(np.mean(shapely.length(shapes)))
    shapes = shapely.segmentize(shapes, perimeter / vertices)
    wavelength = 10 * perimeter / vertices

    def bend(xy):
        # A smooth field (slope ≤ 0.5): shared borders move alike and stay shared.
        k = 2 * np.pi / wavelength
        amplitude = 0.5 / k / 2
        return xy + amplitude * np.column_stack([np.sin(k * xy[:, 1]), np.sin(k * xy[:, 0])])

    shapes = shapely.set_precision(shapely.transform(shapes, bend), 0.01)
    features = [{"type": "Feature", "properties": {"ma": code, "ten": name},
                 "geometry": json.loads(shapely.to_geojson(shape))}
                for code, name, shape in zip(attributes["ma"], attributes["ten"], shapes)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def render_seconds(markdown: str) -> float:
    """pandoc HTML + pandoc/Typst PDF of ``markdown``, less the same for an empty document."""
    metadata = {"title": "x", "lang": "vi"}

    def both(text):
        started = time.perf_counter()
        render._pandoc_html(text, metadata)
        render._typst_pdf(text, metadata)
        return time.perf_counter() - started

    both("")  # warm up: fonts scanned once per process, as in a worker
    return max(0.0, min(both(markdown) for _ in range(3)) - min(both("") for _ in range(3)))


def measure(rd, communes: list[str], repeat: int) -> dict:
    def summary():
        choropleth._outline.cache_clear()  # shapes projected afresh, as in a new worker
        return choropleth.choropleth_block(rd)

    summary_build, block = best(repeat, summary)
    summary_render = render_seconds(block.markdown)
    sample = communes[:: max(1, len(communes) // 10)]  # ten communes, spread over the list
    locator_build, _ = best(repeat, lambda: [choropleth.locator_block(rd, c) for c in sample])
    locator_render = float(np.median([render_seconds(choropleth.locator_block(rd, c).markdown) for c in sample[:5]]))
    per_commune = locator_build / len(sample) + locator_render
    return {
        "locator_build": locator_build / len(sample), "locator_render": locator_render,
        "summary_seconds": summary_build + summary_render,
        "summary_build": summary_build, "summary_render": summary_render,
        "summary_html_kb": len(block.html) / 1024,
        "per_commune_seconds": per_commune,
        "locator_html_kb": len(choropleth.locator_block(rd, communes[0]).html) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--vertices", type=int, default=1000, help="vertices per commune of the dense file")
    parser.add_argument("--end-to-end", action="store_true",
                        help="also run every report of the sample twice, with and without maps (~2 min)")
    args = parser.parse_args()

    run = BENCH_DIR / "run"
    if not (run / "_data" / "meta.json").is_file():
        print("building the small sample's report data (once) ...", flush=True)
        build_report_data("sample", "2026-Q2", "qd766-2022", run)
    rd = load_report_data(run / "_data")
    units = rd.units
    communes = list(rd.geometry["unit"])

    maps = {}
    seconds, geometry = best(args.repeat, lambda: sample_geometry(units))
    maps["sample map (generated)"] = (seconds, geometry)
    path = dense_file(units, BENCH_DIR / "dense.geojson", args.vertices)
    seconds, geometry = best(args.repeat, lambda: load_geometry(path, units))
    maps[f"dense GeoJSON ({path.stat().st_size / 1e6:.1f} MB)"] = (seconds, geometry)

    departments = int((rd.current("totals")["level"] == "department").sum())
    print(f"{len(communes)} communes, {departments} departments; best of {args.repeat}; {WORKERS} workers assumed")
    print(f"| map | data | summary map | per commune | added on {WORKERS} workers | summary HTML | locator HTML |")
    print("|---|---|---|---|---|---|---|")
    for name, (data_seconds, geometry) in maps.items():
        mapped = replace(rd, geometry=geometry_table(geometry), meta={**rd.meta, "map": geometry_summary(geometry)})
        m = measure(mapped, communes, args.repeat)
        added = data_seconds + (m["summary_seconds"] + len(communes) * m["per_commune_seconds"]) / WORKERS
        print(f"| {name} | {data_seconds:.2f} s | {m['summary_seconds']:.2f} s "
              f"(build {m['summary_build']:.2f} + render {m['summary_render']:.2f}) | {m['per_commune_seconds'] * 1000:.0f} ms "
              f"({m['locator_build'] * 1000:.0f} + {m['locator_render'] * 1000:.0f}) "
              f"| {added:.1f} s (target ≤ {TARGET_SECONDS:.0f} s) | {m['summary_html_kb']:.0f} KB | {m['locator_html_kb']:.0f} KB |",
              flush=True)


    if args.end_to_end:
        end_to_end()


def end_to_end() -> None:
    """Every report of the small sample, HTML + PDF, with the maps and without them (the map
    resolver made to find none), on 2 workers: the difference is what the maps add."""
    from unittest import mock

    from chiso.report import data
    from chiso.report.runner import ReportRequest, build_reports

    totals = {}
    for label, resolver in (("with maps", data.resolve_geometry), ("without maps", lambda *a, **k: None)):
        request = ReportRequest(year=2026, quarter=2, jobs=WORKERS, out=BENCH_DIR / label.replace(" ", "-"),
                                force=True)
        with mock.patch.object(data, "resolve_geometry", resolver):
            summary = build_reports(request, progress=False)
        totals[label] = summary.manifest["timings"]["total_seconds"]
        print(f"{label}: {totals[label]:.1f} s for {sum(summary.counts.values())} reports", flush=True)
    print(f"maps add {totals['with maps'] - totals['without maps']:.1f} s (target ≤ {TARGET_SECONDS:.0f} s)")


if __name__ == "__main__":
    main()
