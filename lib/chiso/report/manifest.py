"""``manifest.json`` of a run (parameters, fingerprints, versions, outputs, timings) and the
summary printed at the end of ``chiso report``.

The manifest is published with the reports: it names files relative to the run folder or
the project, never by the absolute paths of the machine that built them
(:func:`chiso.paths.portable_path`). A run with a fixed build time (``--generated-at`` or
SOURCE_DATE_EPOCH) records that time and no durations, so that rebuilding the same inputs
gives the same bytes.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from chiso import __version__
from chiso.paths import MANIFEST_NAME, STALE_DIR_NAME, SUMMARY_NAME, portable_path
from chiso.report.fingerprints import input_files, sha256_file
from chiso.report.tasks import FAILED, NOT_BUILT, OUTDATED, RENDERED, SKIPPED, STATUSES, TaskResult

# The summary lists this many failures; manifest.json has them all.
MAX_FAILURES_LISTED = 20


@dataclass
class RunSummary:
    """Outcome of :func:`build_reports`; ``manifest`` is what manifest.json holds."""

    run_dir: Path
    results: list[TaskResult]
    manifest: dict
    seconds: float
    data_seconds: float = 0.0
    render_seconds: float = 0.0
    output_errors: list[str] = field(default_factory=list)  # outputs that could not be written

    @property
    def counts(self) -> dict[str, int]:
        return status_counts(self.results)

    @property
    def failed(self) -> list[TaskResult]:
        return [r for r in self.results if r.status == FAILED]

    def text(self) -> str:
        """The lines printed at the end of ``chiso report``."""
        counts = self.counts
        ran = [r for r in self.results if r.status in (RENDERED, FAILED)]
        render_seconds = self.render_seconds
        per_report = f", {render_seconds / len(ran):.2f} s per report" if ran else ""
        outdated = f", {counts[OUTDATED]} outdated" if counts[OUTDATED] else ""
        outdated += f", {counts[NOT_BUILT]} not built" if counts[NOT_BUILT] else ""
        lines = [
            f"{self.run_dir}: {len(self.results)} reports — {counts[RENDERED]} rendered, "
            f"{counts[SKIPPED]} unchanged, {counts[FAILED]} failed{outdated} — {self.seconds:.1f} s "
            f"(data {self.data_seconds:.1f} s, reports {render_seconds:.1f} s"
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
        lines += _map_lines(self.manifest.get("map"))
        lines += [f"not written: {error}" for error in self.output_errors]
        if counts[OUTDATED]:
            lines.append(f"{counts[OUTDATED]} reports of an earlier run were not built from this run's data: moved to "
                         f"{self.run_dir / STALE_DIR_NAME}; the site marks those units \"chưa có báo cáo kỳ này\" "
                         "(run without --unit to rebuild them)")
        if counts[NOT_BUILT]:
            lines.append(f"{counts[NOT_BUILT]} reports were not built (not named by --unit, none in this folder yet); "
                         "the site marks those units \"chưa có báo cáo kỳ này\" (run without --unit to build them)")
        return "\n".join(lines)


def status_counts(results: list[TaskResult]) -> dict[str, int]:
    """How many results have each status (every status listed, 0 included)."""
    return {s: sum(r.status == s for r in results) for s in STATUSES}


def _portable_source(source: str) -> str:
    """``dossiers:/home/an/du-lieu`` → ``dossiers:du-lieu`` (see :func:`portable_path`)."""
    kind, sep, location = source.partition(":")
    return f"{kind}{sep}{portable_path(location)}" if location else source


def _map_lines(info: dict | None) -> list[str]:
    """What the end of a run says about the communes' map (chiso.sources.geo): nothing when
    every commune has a shape and every shape a unit."""
    if info is None:
        return ["map: none (no commune map found: put the communes' GeoJSON at params/geo/<province code>.geojson "
                "or pass --geo FILE)"]
    missing, unmatched = info["missing_units"], info["unmatched_features"]
    if not missing and not unmatched:
        return []
    listed = [f"{m['name']} ({m['unit']})" for m in missing[:MAX_FAILURES_LISTED]]
    parts = [f"{len(missing)} unit(s) without a shape: {'; '.join(listed)}{' …' if len(missing) > len(listed) else ''}"
             if missing else "", f"{len(unmatched)} feature(s) of the file matching no unit" if unmatched else ""]
    return [f"map {info['source']}: " + ", ".join(filter(None, parts)) + f" — listed under the map in {SUMMARY_NAME}.html"]


def build_manifest(request, meta, methodology, plan, results, extras, run_dir, workers, output_errors,
                   timings) -> dict:
    """What manifest.json holds. ``timings``: started_at, finished_at and durations; the
    durations (and each report's) are left out when the request fixes the build time."""
    def rel(path: Path) -> str:
        return Path(os.path.relpath(path, run_dir)).as_posix()

    reproducible = request.generated_at is not None

    def seconds(value: float) -> float | None:
        return None if reproducible else round(value, 3)

    names = plan.units.set_index("unit")[["name", "level"]].to_dict("index")
    entries = []
    for task, result in zip(plan.tasks, results):
        info = names.get(task.parameters["unit"], {"name": meta.get("province"), "level": "summary"})
        entries.append({
            "name": task.name, "unit": task.parameters["unit"], "unit_name": info["name"], "level": info["level"],
            "status": result.status, "seconds": seconds(result.seconds),
            "execute_seconds": seconds(result.execute_seconds), "render_seconds": seconds(result.render_seconds),
            "outputs": {fmt: rel(p) for fmt, p in result.outputs.items()},
            "notebook": rel(result.notebook), "key": task.key, "reason": result.reason, "error": result.error,
        })
    parameters = {**asdict(request), "out": portable_path(request.out), "source": _portable_source(request.source),
                  "methodology": portable_path(request.methodology) if Path(request.methodology).suffix
                  else request.methodology}
    return {
        "chiso_version": __version__,
        "parameters": parameters,
        "jobs": workers,
        "edition": request.edition,
        "period": {"code": meta.get("period"), "label": meta.get("period_label")},
        "source": {"kind": meta.get("source_kind"), "label": meta.get("source_label"), "spec": parameters["source"],
                   "is_sample": meta.get("is_sample"), "province": meta.get("province")},
        "map": meta.get("map"),
        "methodology": {"id": methodology.id, "version": methodology.version, "title": methodology.title,
                        "file": portable_path(methodology.path), "sha256": sha256_file(methodology.path)},
        "inputs": {"fingerprint": meta.get("input_fingerprint"),
                   "files": input_files(request.source, request.scale, request.year), "report_data": plan.data_files},
        "versions": plan.versions,
        "outputs": {name: rel(path) for name, path in extras.items()},
        "output_errors": [error.replace(f"{run_dir}{os.sep}", "") for error in output_errors],
        "units": entries,
        "totals": {"reports": len(results), **status_counts(results)},
        "timings": {key: value if isinstance(value, str) or not reproducible else None
                    for key, value in timings.items()},
    }
