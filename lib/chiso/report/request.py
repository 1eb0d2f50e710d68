"""What ``chiso report`` is asked for: period, source, edition, units, workers, ...

The period is a year, a month or a quarter, possibly cut at an as-of date
(:meth:`chiso.period.Period.from_options`); its key names the run folder:
``reports/2026``, ``reports/2026-11``, ``reports/2026-Q4-den-2026-12-15`` (+ ``-noibo`` for
the internal edition).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from chiso.errors import ChisoError
from chiso.methodology import DEFAULT_METHODOLOGY
from chiso.paths import REPORTS_ROOT, RunFolder, run_folder
from chiso.period import Period

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
    out: Path = REPORTS_ROOT
    methodology: str = DEFAULT_METHODOLOGY
    force: bool = False
    formats: tuple[str, ...] = OUTPUT_FORMATS
    geo: Path | None = None
    # The build time the outputs show; None: now. Fixed, rebuilding the same inputs gives
    # byte-identical outputs (see build_time).
    generated_at: datetime | None = None
    dossiers: Path | None = None  # dossier folder set beside official results

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
            generated_at=build_time(args.generated_at, os.environ.get("SOURCE_DATE_EPOCH")),
            dossiers=getattr(args, "dossiers", None),
        )

    @property
    def period(self) -> Period:
        """The reported period (ChisoError for a quarter and a month together, a bad as-of date)."""
        return Period.from_options(self.year, quarter=self.quarter, month=self.month, as_of=self.as_of)

    @property
    def run_dir(self) -> Path:
        """``reports/<period key>``, e.g. ``reports/2026-Q2`` (public) or ``reports/2026-Q2-noibo``
        (internal), ``reports/2026``, ``reports/2026-Q4-den-2026-12-15``."""
        return run_folder(self.out, self.period.key, self.edition)

    @property
    def folder(self) -> RunFolder:
        """The run folder's layout (:class:`chiso.paths.RunFolder`), as an absolute path."""
        return RunFolder(self.run_dir.resolve())

    @property
    def workers(self) -> int:
        return max(1, self.jobs or os.cpu_count() or 1)


def build_time(generated_at: str | None, source_date_epoch: str | None) -> datetime | None:
    """The fixed build time of a run: ``--generated-at`` (ISO 8601; without a zone, Vietnam
    time), else SOURCE_DATE_EPOCH (seconds since 1970, the reproducible-builds convention),
    else None (now). ChisoError for a value that is neither.

    >>> build_time("2026-07-05T08:00", None).isoformat()
    '2026-07-05T08:00:00+07:00'
    >>> build_time(None, "1783213200").isoformat()
    '2026-07-05T01:00:00+00:00'
    >>> build_time(None, None) is None
    True
    """
    from chiso.report.data import LOCAL_TIME

    if generated_at:
        try:
            moment = datetime.fromisoformat(generated_at.strip())
        except ValueError:
            raise ChisoError(f"--generated-at {generated_at[:40]!r}: expected a date and time such as "
                             "2026-07-05T08:00 (ISO 8601)") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TIME)
    if source_date_epoch:
        try:
            return datetime.fromtimestamp(int(source_date_epoch), tz=timezone.utc)
        except (ValueError, OverflowError, OSError):
            raise ChisoError(f"SOURCE_DATE_EPOCH={source_date_epoch[:40]!r}: expected whole seconds since "
                             "1970-01-01 UTC") from None
    return None
