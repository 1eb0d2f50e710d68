"""What ``chiso report`` is asked for: year, quarter, source, edition, units, workers, ..."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from chiso.methodology import DEFAULT_METHODOLOGY
INTERNAL_SUFFIX = "-noibo"
OUTPUT_FORMATS = ("html", "pdf")


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
    geo: Path | None = None

    @classmethod
    def from_args(cls, args) -> "ReportRequest":
        """From the ``chiso report`` argparse namespace."""
        return cls(
            year=args.year, quarter=args.quarter, source=args.source, edition=args.edition,
            units=tuple(args.unit) if args.unit else None, jobs=args.jobs, scale=args.scale,
            out=Path(args.out), methodology=args.methodology, force=args.force,
            formats=("html",) if args.no_pdf else OUTPUT_FORMATS, geo=args.geo,
        )

    @property
    def run_dir(self) -> Path:
        """``reports/2026-Q2`` (public) or ``reports/2026-Q2-noibo`` (internal)."""
        suffix = INTERNAL_SUFFIX if self.edition == "internal" else ""
        return self.out / f"{self.year}-Q{self.quarter}{suffix}"

    @property
    def workers(self) -> int:
        return max(1, self.jobs or os.cpu_count() or 1)
