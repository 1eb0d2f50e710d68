"""Benchmark: what the maps add to ``make report`` for one province.

    .venv/bin/python benchmarks/maps.py [--repeat 3] [--vertices 1000] [--reports 20]

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

Then, as a check through the real path: ``--reports`` communes' whole reports (the unit
notebook on the warm-kernel engine, rendered to HTML and PDF), each run with and without its
locator map, alternating which goes first (timing two whole runs one after the other is
dominated by the machine's load and by caches warmed by the first run).

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

from chiso.paths import BENCH_ROOT
from chiso.report import choropleth, render
from chiso.report.data import build_report_data, load_report_data
from chiso.sources.geo import geometry_summary, geometry_table, load_geometry
from chiso.sources.sample_geo import sample_features, sample_geometry

MAPS_DIR = BENCH_ROOT / "maps"
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
    parser.add_argument("--reports", type=int, default=20,
                        help="communes whose whole report is timed with and without its locator map")
    args = parser.parse_args()

    run = MAPS_DIR / "run"
    if not (run / "_data" / "meta.json").is_file():
        print("building the small sample's report data (once) ...", flush=True)
        build_report_data("sample", "2026-Q2", "qd766-2022", run)
    rd = load_report_data(run / "_data")
    units = rd.units
    communes = list(rd.geometry["unit"])

    maps = {}
    seconds, geometry = best(args.repeat, lambda: sample_geometry(units))
    maps["sample map (generated)"] = (seconds, geometry)
    path = dense_file(units, MAPS_DIR / "dense.geojson", args.vertices)
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


    reports = commune_reports(run / "_data", communes[: args.reports])
    print(f"a commune's whole report (notebook + HTML + PDF), with and without its locator map, "
          f"interleaved over {args.reports} communes: {reports * 1000:+.0f} ms each (median); "
          f"all {len(communes)} communes on {WORKERS} workers: {len(communes) * reports / WORKERS:+.1f} s")


def commune_reports(data_dir: Path, units: list[str]) -> float:
    """Median extra seconds a commune's report takes with its locator map: the unit notebook
    run (warm-kernel engine, as the runner does) and rendered to HTML and PDF, once on the
    report data and once on a copy without the shapes, alternating which goes first."""
    import shutil
    import statistics

    import papermill

    import chiso.report.engines
    from chiso.report.runner import NOTEBOOKS_DIR, UNIT_NOTEBOOK

    root = MAPS_DIR / "interleaved"
    shutil.rmtree(root, ignore_errors=True)
    copies = {label: root / label / "_data" for label in ("with", "without")}
    for folder in copies.values():
        shutil.copytree(data_dir, folder)
    (copies["without"] / "geometry.parquet").chmod(0o644)
    (copies["without"] / "geometry.parquet").unlink()
    seconds = {label: [] for label in copies}
    for index, unit in enumerate(units):
        for label in (("with", "without") if index % 2 else ("without", "with")):
            out = copies[label].parent / f"{unit}.ipynb"
            started = time.perf_counter()
            papermill.execute_notebook(NOTEBOOKS_DIR / UNIT_NOTEBOOK, out, parameters={
                "unit": unit, "data_dir": str(copies[label]), "edition": "public"},
                engine_name=chiso.report.engines.ENGINE_NAME, cwd=out.parent, progress_bar=False)
            render.render_notebook(out, out.parent, unit)
            seconds[label].append(time.perf_counter() - started)
    warm = slice(2, None)  # the first reports load the data and start the kernel
    return statistics.median(w - wo for w, wo in zip(seconds["with"][warm], seconds["without"][warm]))


if __name__ == "__main__":
    main()
