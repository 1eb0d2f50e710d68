"""``manifest.json`` of a run (parameters, fingerprints, versions, outputs, timings) and the
summary printed at the end of ``chiso report``."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from chiso import __version__
from chiso.paths import PROJECT_ROOT
from chiso.report.fingerprints import input_files, sha256_file
from chiso.report.tasks import TaskResult
MANIFEST_NAME = "manifest.json"
# The summary lists this many failures; manifest.json has them all.
MAX_FAILURES_LISTED = 20


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


def _project_relative(path: Path) -> str:
    """A path inside the project as relative to its root (``params/methodology/…``): the
    manifest is published with the reports and should not show the machine's folders."""
    path = Path(path).resolve()
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def build_manifest(request, meta, methodology, plan, results, extras, run_dir, workers, timings) -> dict:
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
