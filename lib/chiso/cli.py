"""Command line: ``chiso <command>`` (also ``python -m chiso``).

Commands
--------
fetch-official  fetch one province's official results of a period from the DVCQG portal
score-official  points from official DVCQG responses (recomputed, never copied)
compute         every sub-indicator from a province's dossier exports
reconcile       dossier-computed figures beside the official results
sample          write a fictional sample province in the data-contract format
report          build the reports (HTML, PDF, Excel, site) for a period

Errors print one line and exit with status 2 (``--debug`` shows the traceback).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chiso import __version__
from chiso.errors import ChisoError
from chiso.methodology import DEFAULT_METHODOLOGY
from chiso.outputs import write_csv
from chiso.paths import REPORTS_ROOT

SCORE_COLUMNS = ["unit", "indicator", "numerator", "denominator", "points", "max_points"]


def _add_output_options(p: argparse.ArgumentParser) -> None:
    """--out and --methodology, shared by the commands that write a scores table."""
    p.add_argument("--out", type=Path, required=True, metavar="FILE.csv", help="CSV file to write")
    p.add_argument("--methodology", default=DEFAULT_METHODOLOGY, help="methodology id or YAML file (default: %(default)s)")


def _add_portal_options(p: argparse.ArgumentParser) -> None:
    """How to talk to the DVCQG portal, shared by fetch-official and report (SOURCE=dvcqg:)."""
    from chiso.sources.fetch import BASE_URL, DEFAULT_DELAY, DEFAULT_RETRIES, DEFAULT_TIMEOUT

    p.add_argument("--base-url", default=BASE_URL, metavar="URL", help="portal address (default: %(default)s)")
    p.add_argument("--delay", type=float, default=DEFAULT_DELAY, metavar="S",
                   help="seconds between requests (default: %(default)s)")
    p.add_argument("--retries", type=int, default=DEFAULT_RETRIES, metavar="N",
                   help="retries of a failing call, with exponential backoff (default: %(default)s)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
                   help="seconds to wait for an answer (default: %(default)s)")


def _portal_client(args):
    from chiso.sources.fetch import PortalClient

    return PortalClient(args.base_url, delay=args.delay, retries=args.retries, timeout=args.timeout)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chiso",
        description="Bộ chỉ số phục vụ người dân, doanh nghiệp (QĐ 766/QĐ-TTg): "
        "scores, ranks and reports from official DVCQG results or dossier exports.",
    )
    parser.add_argument("--version", action="version", version=f"chiso {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "fetch-official",
        help="fetch a province's official results from the DVCQG portal",
        description="Fetch the six 'Đánh giá chất lượng phục vụ' group responses (every page, raw bytes) and "
        "the national table of one province and period from the DVCQG portal into DIR/<period>/, with "
        "fetch-manifest.json (URL, body, status, time, size, SHA-256 per file). One request at a time, "
        "retries with backoff; a re-run resumes. The folder is what score-official and "
        "'make report SOURCE=official:DIR' read.",
    )
    p.add_argument("--province", required=True, metavar="NAME|CODE|ID",
                   help="province name (case and diacritics ignored: 'phu tho'), code (H44) or departmentId")
    p.add_argument("--period", required=True, help="2026-Q3, 2026-08 or 2026")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="folder to write DIR/<period>/ in (default: data/official/<province>)")
    _add_portal_options(p)
    p.set_defaults(handler=_fetch_official)

    p = sub.add_parser(
        "score-official",
        help="recompute points from official DVCQG responses",
        description="Read DVCQG 'Đánh giá chất lượng phục vụ' responses (files or folders; the endpoint "
        "is recognised from the content) and write one row per unit and computable sub-indicator "
        "with points computed by chiso from numerator and denominator (never copied from the "
        "published score). Columns: unit,indicator,numerator,denominator,points,max_points, then "
        "unit_name, level, ratio, published_points, data_quality, data_quality_message, defect (why a "
        "row is no data: a figure in the responses that failed a check).",
    )
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="response files or folders")
    _add_output_options(p)
    p.set_defaults(handler=_score_official)

    p = sub.add_parser(
        "compute",
        help="compute every sub-indicator from dossier exports",
        description="Load a data folder in the chiso data contract (donvi, tthc, hoso, hoso_su_kien, "
        "and optionally tthc_donvi, pakn, congbo as CSV/XLSX/Parquet; dossiers and events may instead be "
        "DVCQG sync payloads, JSON or JSON Lines, gzip accepted), compute every sub-indicator "
        "for every unit and its parents, and write unit,indicator,numerator,denominator,points,max_points.",
    )
    p.add_argument("--data", type=Path, required=True, metavar="DIR", help="data folder")
    p.add_argument("--period", required=True, help="2026-Q2, 2026-08 or 2026")
    p.add_argument("--as-of", metavar="DATE", help="self-assessment as of this date inside the period")
    _add_output_options(p)
    p.add_argument("--quality", type=Path, metavar="FILE.csv",
                   help="also write the data-quality table here: rows read, accepted and set aside per table, "
                        "column and reason (its code and its text)")
    p.add_argument("--set-aside", type=Path, metavar="FILE.csv",
                   help="also list every row set aside here (file, row, column, value, reason code, its text, "
                        "detail; holds raw input values: keep it internal)")
    p.add_argument("--processing-times", type=Path, metavar="FILE.csv",
                   help="also write 2.2 per unit and procedure, in each procedure's own unit (hours or days)")
    p.add_argument("--export-date", metavar="DATE",
                   help="when the export was made, if the data folder does not say (_metadata.json, hoso.NgayXuat)")
    p.set_defaults(handler=_compute)

    p = sub.add_parser(
        "reconcile",
        help="compare dossier-computed figures with the official DVCQG results",
        description="Compute every sub-indicator from a dossier data folder and set it beside the official "
        "DVCQG responses of the same period: numerators, denominators and points of both, and their "
        "differences, one row per unit and sub-indicator both sources have, each difference split into its "
        "causes (not synced, status synced late, procedure missing from the catalogue, another dossier base) "
        "or 'chưa giải thích được'. Units are matched on donvi.MaDVCQG, their code, or their name.",
    )
    p.add_argument("--data", type=Path, required=True, metavar="DIR", help="dossier data folder")
    p.add_argument("--official", type=Path, required=True, nargs="+", metavar="PATH",
                   help="DVCQG response files or folder of the same period")
    p.add_argument("--period", required=True, help="2026-Q2, 2026-08 or 2026")
    _add_output_options(p)
    p.add_argument("--dossiers", type=Path, metavar="FILE.csv",
                   help="also list the dossiers behind the differences here (dossier ids: keep it internal)")
    p.set_defaults(handler=_reconcile)

    p = sub.add_parser(
        "sample",
        help="write a fictional sample province (data contract format)",
        description="Generate a deterministic fictional province: units, procedure catalogue, dossiers "
        "with full event histories, feedback (PAKN) and announcements, for one year.",
    )
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write")
    p.add_argument("--year", type=int, default=2026)
    p.add_argument("--scale", default="small", help="small (default, quick), full (~450,000 dossiers a quarter) or a number")
    p.add_argument("--seed", type=int, default=766)
    p.add_argument("--format", choices=["csv", "parquet", "dvcqg-sync"], default="parquet",
                   help="table files, or dvcqg-sync: dossiers and events as DVCQG sync payloads (JSON Lines)")
    p.add_argument("--period", help="write only this period's export (e.g. 2026-Q2, inside --year): the dossiers "
                   "received in it or still open at its start, their events up to its end, its PAKN and announcements")
    p.set_defaults(handler=_sample)

    p = sub.add_parser(
        "report",
        help="build the reports for a period",
        description="Compute the index once, then render one report per unit (papermill, parallel warm "
        "kernels), the province summary, the Excel ranking and the static site under reports/<period>/ "
        "(reports/2026/, reports/2026-11/, reports/2026-Q4/, reports/2026-Q4-den-2026-12-15/ for a "
        "self-assessment; -noibo for the internal edition).",
    )
    p.add_argument("--period", help="2026 (year), 2026-11 (month) or 2026-Q4 (quarter); or use --year with "
                   "--quarter / --month (--year alone: the year)")
    p.add_argument("--as-of", metavar="DATE", help="self-assessment: the period cut at this date (every deadline "
                   "judged at it), e.g. 2026-12-15")
    p.add_argument("--year", type=int, default=2026)
    p.add_argument("--quarter", type=int, choices=[1, 2, 3, 4])
    p.add_argument("--month", type=int, choices=range(1, 13), metavar="{1..12}")
    p.add_argument("--source", default="sample",
                   help="sample (default), official:DIR, dossiers:DIR or dvcqg:PROVINCE (fetches the quarter and "
                        "the trend's earlier quarters into data/official/<province>/ when missing)")
    p.add_argument("--edition", choices=["public", "internal"], default="public")
    p.add_argument("--unit", action="append", help="only this unit code (repeatable)")
    p.add_argument("--jobs", type=int, help="parallel workers (default: number of CPUs)")
    p.add_argument("--scale", default="small", help="sample size when SOURCE=sample")
    p.add_argument("--out", type=Path, default=REPORTS_ROOT, help="output root (default: %(default)s)")
    p.add_argument("--methodology", default=DEFAULT_METHODOLOGY, help="methodology id or YAML file (default: %(default)s)")
    p.add_argument("--force", action="store_true", help="re-render units even when nothing changed")
    p.add_argument("--no-pdf", action="store_true", help="HTML only")
    _add_portal_options(p)
    p.add_argument("--dossiers", type=Path, metavar="DIR",
                   help="with official results (official:DIR or dvcqg:PROVINCE): the province's dossier folder, "
                        "shown beside DVCQG's figures with the differences explained (SOURCE=sample pairs its own)")
    p.add_argument("--geo", type=Path, help="map of the communes (GeoJSON, GeoPackage or Shapefile; "
                   "default: params/geo/<province code or name>.geojson, or the sample's fictional map)")
    p.add_argument("--generated-at", metavar="DATETIME",
                   help="build time the outputs show (ISO 8601, e.g. 2026-07-05T08:00; default: now, or "
                        "SOURCE_DATE_EPOCH): rebuilding the same inputs then gives byte-identical files")
    p.set_defaults(handler=_report)
    return parser


def _write_scores(scored, out: Path, extra: list[str]) -> None:
    columns = SCORE_COLUMNS + [c for c in extra if c in scored.columns]
    write_csv(scored[columns], out)


def _fetch_official(args) -> int:
    from chiso.period import Period
    from chiso.paths import OFFICIAL_ROOT
    from chiso.sources.fetch import fetch_official, province_slug

    period = Period.parse(args.period)
    out = args.out or OFFICIAL_ROOT / province_slug(args.province)
    with _portal_client(args) as client:
        result = fetch_official(args.province, period, out, client, progress=sys.stderr.isatty())
    print(result.summary())
    return 0


def _score_official(args) -> int:
    from chiso.methodology import load_methodology
    from chiso.sources.official import defect_summary, load_official, score_official

    methodology = load_methodology(args.methodology)
    official = load_official(args.paths)
    scored = score_official(official, methodology)
    # Only what chiso can compute: not 2.2 (only an average is published) nor the
    # online-services block (DVCQG publishes its total, not its formula).
    from chiso.status import COMPARABLE

    scored = scored[scored["status"].isin(COMPARABLE)]
    _write_scores(scored, args.out, ["unit_name", "level", "ratio", "published_points", "data_quality",
                                     "data_quality_message", "defect"])
    defects = defect_summary(scored, official)
    print(f"{args.out}: {scored['unit'].nunique()} units, {len(scored)} rows ({official.period_hint or 'period unknown'})"
          + (f"; {defects} (see the defect column)" if defects else ""))
    return 0


def _compute(args) -> int:
    import pandas as pd

    from chiso.indicators import compute_scores
    from chiso.indicators.progress import processing_time_by_procedure
    from chiso.indicators.quality import rule_checks
    from chiso.methodology import load_methodology
    from chiso.period import Period
    from chiso.reasons import with_text
    from chiso.sources.dossiers import load_dossiers, quality_by_reason

    methodology = load_methodology(args.methodology)
    period = Period.parse(args.period, as_of=args.as_of)
    data = load_dossiers(args.data, export_date=args.export_date)
    scored = compute_scores(data, period, methodology)
    _write_scores(scored, args.out, ["unit_name", "level", "ratio", "status", "note", "own_numerator",
                                     "own_denominator"])
    # reasons as codes (chiso.reasons) and, beside them, in English like the rest of the command line
    if args.quality:
        by_reason = quality_by_reason(data)
        checks = rule_checks(data, period, methodology)  # what the rules counted but kept (docs/methodology.md §5)
        counts = pd.concat([data.quality.merge(by_reason, on="table", how="left"), checks], ignore_index=True)
        write_csv(with_text(counts, "en"), args.quality)
    if args.set_aside:
        write_csv(with_text(data.set_aside, "en"), args.set_aside)
    if args.processing_times:
        write_csv(processing_time_by_procedure(data, period, methodology), args.processing_times)
    _say_export_date(data, period)
    set_aside = int(data.quality["set_aside"].sum())
    print(f"{args.out}: {scored['unit'].nunique()} units, period {period.label}; "
          f"{set_aside} input rows set aside" + (f" (see {args.set_aside or args.quality})"
                                                  if args.set_aside or args.quality else ""))
    return 0


def _say_export_date(data, period) -> None:
    """Print the export date beside the period, with a warning when it is before the end of the
    period (facts without a date are read as of the export, docs/methodology.md §5 R9)."""
    if data.export_date is None:
        print(f"period {period.label}: export date unknown (facts without a date are read as exported)")
        return
    print(f"period {period.label}: exported {data.export_date:%Y-%m-%d} ({data.export_date_source})")
    if data.export_date < period.end.normalize():
        print(f"chiso compute: warning: exported {data.export_date:%Y-%m-%d}, before the end of {period.label}: "
              "what happened after the export is missing", file=sys.stderr)


def _reconcile(args) -> int:
    from chiso.methodology import load_methodology
    from chiso.period import Period
    from chiso.reconcile import explain
    from chiso.sources.dossiers import load_dossiers
    from chiso.sources.official import load_official

    methodology = load_methodology(args.methodology)
    result = explain(load_dossiers(args.data), load_official(args.official), Period.parse(args.period), methodology)
    table = result.table
    write_csv(table, args.out)
    if args.dossiers:
        write_csv(result.dossiers, args.dossiers)
    for note in result.notes:
        print(f"note: {note}")
    print(f"{args.out}: {table['unit'].nunique()} units compared, "
          f"{int((~table['matches']).sum())} of {len(table)} unit × sub-indicator rows differ, "
          f"{int((~table['explained']).sum())} not explained")
    return 0


def _sample(args) -> int:
    from chiso.sources.sample import write_sample

    summary = write_sample(args.out, year=args.year, scale=args.scale, seed=args.seed, fmt=args.format,
                           period=args.period)
    print(summary)
    return 0


def _report(args) -> int:
    from chiso.report.runner import run_report

    if args.source.startswith("dvcqg:"):
        from chiso.report.source_data import trend_periods
        from chiso.report.request import ReportRequest
        from chiso.sources.fetch import fetch_for_report

        periods = trend_periods(ReportRequest.from_args(args).period)
        with _portal_client(args) as client:
            folder = fetch_for_report(args.source.partition(":")[2], periods, client=client,
                                      progress=sys.stderr.isatty())
        args.source = f"official:{folder}"

    return run_report(args)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except ChisoError as exc:
        if args.debug:
            raise
        print(f"chiso {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # RunInterrupted says what had finished
        print(f"chiso {args.command}: interrupted" + (f": {exc}" if str(exc) else ""), file=sys.stderr)
        return 130
    except Exception as exc:  # an unexpected failure still gets one line, not a traceback
        if args.debug:
            raise
        print(f"chiso {args.command}: unexpected error: {type(exc).__name__}: {exc} "
              "(run with --debug for the traceback)", file=sys.stderr)
        return 1
