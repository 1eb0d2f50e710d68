"""What ``chiso report`` is asked for: period, source, edition, units, workers, ...

The period is a year, a month or a quarter, possibly cut at an as-of date
(:meth:`chiso.period.Period.from_options`); its key names the run folder:
``reports/2026``, ``reports/2026-11``, ``reports/2026-Q4-den-2026-12-15`` (+ ``-noibo`` for
the internal edition).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from chiso.errors import ChisoError
from chiso.methodology import DEFAULT_METHODOLOGY
from chiso.period import Period

INTERNAL_SUFFIX = "-noibo"
OUTPUT_FORMATS = ("html", "pdf")


@dataclass(frozen=True)
class ReportRequest:
    """What ``chiso report`` was asked for (see ``chiso report --help``)."""

    year: int
    quarter: int | None = None
    month: int | None = None
    as_of: str | None = None
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
        """From the ``chiso report`` argparse namespace (``--period`` or ``--year/--quarter/--month``)."""
        text, as_of = getattr(args, "period", None), getattr(args, "as_of", None)
        quarter, month = args.quarter, getattr(args, "month", None)
        if text:
            if quarter or month:
                raise ChisoError("give --period, or --year with --quarter / --month, not both")
            period = Period.parse(text, as_of=as_of)
            number = period.number if period.kind != "year" else None
            year, quarter, month = period.year, *((number, None) if period.kind == "quarter" else (None, number))
        else:
            year = args.year
        return cls(
            year=year, quarter=quarter, month=month, as_of=as_of, source=args.source, edition=args.edition,
            units=tuple(args.unit) if args.unit else None, jobs=args.jobs, scale=args.scale,
            out=Path(args.out), methodology=args.methodology, force=args.force,
            formats=("html",) if args.no_pdf else OUTPUT_FORMATS, geo=args.geo,
        )

    @property
    def period(self) -> Period:
        """The reported period (ChisoError for a quarter and a month together, a bad as-of date)."""
        return Period.from_options(self.year, quarter=self.quarter, month=self.month, as_of=self.as_of)

    @property
    def run_dir(self) -> Path:
        """``reports/<period key>``, e.g. ``reports/2026-Q2`` (public) or ``reports/2026-Q2-noibo``
        (internal), ``reports/2026``, ``reports/2026-Q4-den-2026-12-15``."""
        suffix = INTERNAL_SUFFIX if self.edition == "internal" else ""
        return self.out / f"{self.period.key}{suffix}"

    @property
    def workers(self) -> int:
        return max(1, self.jobs or os.cpu_count() or 1)
