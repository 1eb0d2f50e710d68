"""Report data: the figures every report of a run shows, computed once, stored in ``<run>/_data/``.

The batch runner calls :func:`build_report_data` once per run; each notebook then calls
:func:`load_report_data` (cheap: a few small parquet files, cached per process) and
never computes an indicator itself. Tables (all long, one row per period and unit):

- ``units``: unit, name, level, parent;
- ``indicators``: period, unit, indicator, name, group, numerator, denominator, ratio,
  value (2.2's average days), points, max_points, points_lost, threshold, rule, status,
  source_note (shown in reports: official block, DVCQG's data-quality flags), detail (the
  computation's own note, e.g. which input is missing; not shown), numerator_to_full (how
  many more dossiers / procedures / PAKN restore full points,
  :func:`chiso.scoring.numerator_to_full`);
- ``groups``: period, unit, group, group_name, points, max_points;
- ``totals``: period, unit, name, level, total, band, band_code, rank, rank_of;
- ``input_quality``, ``set_aside_reasons`` (dossier sources): rows read, accepted and
  set aside per input table and per reason — counts only;
- ``official_defects``, ``national`` (official sources): the sub-indicators the checks
  made "no data" (unit, indicator, defect), and the national table of the period
  (:func:`chiso.report.national.national_ranking`);
- ``geometry`` (when the province has a map): unit, wkb (the commune's shape, planar, hex WKB),
  matched_by — see :mod:`chiso.sources.geo`; meta["map"] names its source and lists the
  units without a shape and the map's features without a unit;
- both sources (official results with a dossier folder: ``SOURCE=sample``, or
  ``dossiers=``): ``reconciliation`` (per unit and sub-indicator, both sides' figures and
  the classes of their difference, :func:`chiso.reconcile.explain`; counts only) and
  ``reconciliation_units`` (units matched across the sides, their unexplained difference
  and dossier counts); internal edition: ``reconciliation_dossiers`` (the dossiers behind
  the differences). Units keep the official codes;
- internal edition only: ``overdue``, ``supplements``, ``pauses``, ``late_pakn``
  (dossier drill-down, see :func:`chiso.report.source_data.drilldown_tables`) and ``set_aside`` (the rows set aside,
  with their raw values). The loader reads every column of the export, but in the public
  edition no officials' codes (MaCanBo), dossier-level rows or personal data reach
  ReportData, ``_data`` or any report (tests/test_end_to_end.py checks the outputs).

``status`` of a sub-indicator row is one of ``ok``, ``no_data`` (nothing to compute
from: shown as "chưa có số liệu", never as 0), ``not_scored`` (2.2), ``not_applicable``
(commune-level policy of the methodology) and ``official`` (the online-services block
3.1–3.3 from official results: DVCQG's points, not recomputed).

Periods: a month, a quarter or a year, possibly cut at an as-of date (self-assessment).
The reported period's rows carry its key (``2026-Q3``, ``2026``, ``2026-Q4-den-2026-12-15``);
``meta`` states the period, its start and its cut-off (``period_end``, ``cutoff``).

Period coverage (trend, change since the previous period): the period asked for and,
where data exists, the comparable periods before it (:func:`chiso.report.source_data.trend_periods`: the three
months / quarters / years before it; for a year also its quarters) — from the same dossier
data (a period is covered when at least half as many dossiers were received in it as in the
reported period, per part for a year's quarters, see :data:`chiso.report.source_data.MIN_TREND_SHARE`), or from the
official folder's per-period subfolders (``2026-08/``, ``2026-Q2/``, ``2026/``: month,
quarter and year responses are read the same way). Each covered period is computed once
and kept in the results store (:mod:`chiso.results`): the next report that shows it reads it.

Example
-------
>>> rd = build_report_data("official:tests/data/dvcqg-phu-tho-2026", "2026-Q3",
...                        "qd766-2022", Path("reports/2026-Q3"))      # doctest: +SKIP
>>> rd = load_report_data("reports/2026-Q3/_data")                      # doctest: +SKIP
>>> rd.current("totals").query("level == 'department'")[["name", "total", "rank"]].head(2)  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from chiso import __version__
from chiso import formatting as fmt
from chiso.errors import ChisoError
from chiso.methodology import Methodology, load_methodology
from chiso.outputs import replacing, write_text
from chiso.paths import DATA_DIR_NAME, META_NAME
from chiso.period import Period
from chiso import status
from chiso.report.source_data import (
    PeriodMissing,
    appraisal_tables,
    computed_periods,
    drilldown_tables,
    generated_sample,
    input_quality_tables,
    official_periods,
    paired_folder,
    parse_source,
    reconciliation_tables,
    sample_official,
    with_official_units,
)
from chiso.results import ResultsStore
from chiso.scoring import group_scores, numerator_to_full, unit_scores
from chiso.sources.geo import Geometry, geometry_summary, geometry_table, resolve_geometry
from chiso.indicators import PROVINCE_FIGURE_NOTE
from chiso.sources.official import ONLINE_BLOCK, indicator_order

PUBLIC_TABLES = ("units", "indicators", "groups", "totals")
# Counts of the loader's and the rules' checks, and 2.2 per procedure (dossier sources only):
# no cell values, so publishable.
INPUT_QUALITY_TABLES = ("input_quality", "set_aside_reasons", "rule_checks", "export_info", "processing_times")
# Official sources, every edition (unit codes, field names and scores only): the defects the
# checks turned into "no data" (unit, indicator, defect), and the national table of the
# period (every province's total and group scores, rank, change: chiso.report.national).
OFFICIAL_TABLES = ("official_defects", "national")
# Self-assessment (as-of) reports from dossiers: what can still move before the period ends
# (counts only, every edition; :mod:`chiso.outlook`).
OUTLOOK_TABLES = ("outlook",)
# Staff-level drill-down and the rows set aside with their raw values: internal edition only.
INTERNAL_TABLES = ("overdue", "supplements", "pauses", "late_pakn", "set_aside", "reconciliation_dossiers",
                   "appraisal_officials", "appraisal_units", "appraisal_evidence")
# Both sources in one run: the figures side by side and the classes of their differences (counts only).
RECONCILIATION_TABLES = ("reconciliation", "reconciliation_units")
MAP_TABLES = ("geometry",)
LOCAL_TIME = ZoneInfo("Asia/Ho_Chi_Minh")
ONLINE_BLOCK_NAME = "Cung cấp dịch vụ công trực tuyến (3.1–3.3, điểm chính thức của khối)"
SOURCE_LABELS = {
    "sample": "Dữ liệu mẫu (hư cấu), tính theo dữ liệu hồ sơ",
    "dossiers": "Tính từ dữ liệu hồ sơ của hệ thống giải quyết TTHC",
    "official": "Kết quả chính thức của Cổng Dịch vụ công quốc gia (điểm tính lại từ tử số, mẫu số)",
}
# Official points with the province's dossiers beside them.
PAIRED_LABELS = {
    "sample": "Dữ liệu mẫu (hư cấu): kết quả chính thức mẫu của Cổng DVCQG, đối chiếu với dữ liệu hồ sơ mẫu",
    "official": SOURCE_LABELS["official"] + "; đối chiếu với dữ liệu hồ sơ của tỉnh",
}
NOTE_OFFICIAL_BLOCK = "chính thức, không tính lại"
# A unit's name is shown in titles, tables and page headers: a longer one (a corrupt cell
# of megabytes) is cut, so that reports stay readable and no command line gets too long.
MAX_NAME_CHARACTERS = 200


@dataclass(frozen=True)
class ReportData:
    """Everything the reports of one run show (see the module docstring for the columns).

    Shared between notebooks of a kernel through the cache of :func:`load_report_data`:
    treat the tables as read-only.
    """

    meta: dict
    units: pd.DataFrame
    indicators: pd.DataFrame
    groups: pd.DataFrame
    totals: pd.DataFrame
    overdue: pd.DataFrame | None = None
    supplements: pd.DataFrame | None = None
    pauses: pd.DataFrame | None = None
    late_pakn: pd.DataFrame | None = None
    input_quality: pd.DataFrame | None = None
    set_aside_reasons: pd.DataFrame | None = None
    rule_checks: pd.DataFrame | None = None   # what the rules counted but kept (docs/methodology.md §5)
    export_info: pd.DataFrame | None = None   # export_date, source, period_end (docs/methodology.md §5 R9)
    processing_times: pd.DataFrame | None = None  # 2.2 per unit and procedure, own time unit (docs/methodology.md §5 R8)
    set_aside: pd.DataFrame | None = None
    geometry: pd.DataFrame | None = None
    official_defects: pd.DataFrame | None = None
    national: pd.DataFrame | None = None
    reconciliation: pd.DataFrame | None = None
    reconciliation_units: pd.DataFrame | None = None
    reconciliation_dossiers: pd.DataFrame | None = None
    outlook: pd.DataFrame | None = None
    appraisal_officials: pd.DataFrame | None = None
    appraisal_units: pd.DataFrame | None = None
    appraisal_evidence: pd.DataFrame | None = None

    @property
    def period(self) -> str:
        """Key of the reported period, e.g. ``2026-Q2``, ``2026``, ``2026-Q4-den-2026-12-15``."""
        return self.meta["period"]

    @property
    def previous_period(self) -> str | None:
        """Code of the period of the same kind before, when the data covers it."""
        code = Period.parse(self.period).previous().code
        return code if code in self.meta["periods"] else None

    @property
    def is_sample(self) -> bool:
        return bool(self.meta["is_sample"])

    @property
    def internal(self) -> bool:
        return self.meta["edition"] == "internal"

    def period_label(self, code: str) -> str:
        """Vietnamese name of a covered period: ``2026-Q2`` → ``Quý 2/2026``."""
        return self.meta["period_labels"][code]

    def current(self, table: str) -> pd.DataFrame:
        """Rows of ``indicators``, ``groups`` or ``totals`` for the reported quarter."""
        frame = getattr(self, table)
        return frame[frame["period"] == self.period]

    def unit_total(self, unit: str) -> pd.Series:
        """The unit's row of ``totals`` for the reported quarter (ChisoError if unknown)."""
        rows = self.current("totals")
        rows = rows[rows["unit"] == unit]
        if rows.empty:
            raise ChisoError(f"unit {unit!r} is not in the report data of {self.period} (see units.parquet)")
        return rows.iloc[0]


# --------------------------------------------------------------------------- build


def build_report_data(
    source: str,
    period: Period | str,
    methodology: Methodology | str | Path,
    out_dir: Path,
    scale: str = "small",
    edition: str = "public",
    geo: str | Path | None = None,
    store: ResultsStore | None = None,
    generated_at: datetime | None = None,
    dossiers: str | Path | None = None,
) -> ReportData:
    """Compute the period (and the comparable periods before it) and store it in ``out_dir/_data``.

    ``period``: a :class:`Period` or its key (``2026-Q2``, ``2026-11``, ``2026``,
    ``2026-Q4-den-2026-12-15``). ``source`` is ``sample`` (generated under
    ``data/sample/<year>-<scale>-766/`` on first use), ``dossiers:DIR`` (a data folder in the
    data contract) or ``official:DIR`` (DVCQG responses: the six files of one period, or one
    subfolder per period). ``geo``: the communes' map file (else ``params/geo/``, or the
    sample's fictional map: :func:`chiso.sources.geo.resolve_geometry`). ``store``: where
    computed periods are kept (default :meth:`ResultsStore.default`).

    Both sources in one report: ``official:DIR`` with ``dossiers`` (a data folder), or the
    sample, which pairs its own official results (``official/`` in its folder) with its
    dossiers. Points and ranks are then the official ones, and the reconciliation tables
    set the province's figures beside them (:func:`chiso.reconcile.explain`). When the
    official side lacks the period, the dossiers give the points and the report says so.
    """
    if edition not in ("public", "internal"):
        raise ChisoError(f"edition {edition!r} not understood: expected public or internal")
    if not isinstance(methodology, Methodology):
        methodology = load_methodology(methodology)
    if not isinstance(period, Period):
        period = Period.parse(period)
    store = store or ResultsStore.default()
    kind, location = parse_source(source)
    extra_tables: dict[str, pd.DataFrame] = {}  # input quality; drill-down (internal edition)
    notes: list[str] = []
    paired = paired_folder(kind, dossiers)
    if kind == "sample":
        paired = generated_sample(scale, period.year)
        if period.as_of is None:
            kind, location = "official", sample_official(paired, period.year)
        else:
            # A self-assessment is the province's own count, cut at the date: the sample's
            # official responses are of whole periods (a real fetch is as of its own day).
            kind, location, paired = "dossiers", paired, None
    data, to_official = None, None
    if kind == "official":
        try:
            scored, units, fingerprint, province, official_tables, period_folder = official_periods(
                location, period, methodology, store)
            extra_tables.update(official_tables)
        except PeriodMissing as missing:
            if paired is None:
                raise
            notes.append(f"{missing} Điểm kỳ này tính từ dữ liệu hồ sơ của tỉnh, không có đối chiếu.")
            kind, location, paired = "dossiers", paired, None
    if kind == "dossiers":
        scored, units, fingerprint, province, data = computed_periods(location, period, methodology, store)
    elif paired is not None:
        from chiso.sources.dossiers import load_dossiers

        data = load_dossiers(paired)
        tables, to_official, more_notes = reconciliation_tables(data, period_folder, period, methodology, edition)
        extra_tables.update(tables)
        notes += more_notes
        fingerprint = hashlib.sha256((fingerprint + data.fingerprint).encode()).hexdigest()
    label = None
    if data is not None:
        # A folder written by the sample generator is sample data, however it was named.
        paired_kind = "sample" if data.is_sample else kind
        label = PAIRED_LABELS[paired_kind] if to_official is not None else None
        kind = "sample" if data.is_sample else kind
        dossier_tables = input_quality_tables(data, period, methodology, edition)
        if edition == "internal":
            dossier_tables.update(drilldown_tables(data, period, methodology))
            appraisal, appraisal_meta = appraisal_tables(data, period, methodology)
            dossier_tables.update(appraisal)
        extra_tables.update({name: with_official_units(frame, to_official)
                             for name, frame in dossier_tables.items()})
        if period.as_of is not None and to_official is None:
            from chiso.outlook import still_open

            extra_tables["outlook"] = still_open(data, period, methodology, scored=scored[period.key])
    report_data = assemble_report_data(
        scored, units, methodology, period,
        source_kind=kind, province=province, fingerprint=fingerprint, edition=edition, extra_tables=extra_tables,
        geometry=resolve_geometry(geo, units, sample=kind == "sample"),
        generated_at=generated_at, source_label=label, notes=notes,
    )
    if "appraisal_units" in extra_tables:
        report_data.meta["appraisal"] = appraisal_meta  # parts and missing inputs, for the workbooks
    write_report_data(report_data, Path(out_dir) / DATA_DIR_NAME)
    return report_data


def _chronological(key: str) -> tuple:
    """Sort key of period keys: by end, a part before the whole that ends with it (2026-Q4, 2026)."""
    p = Period.parse(key)
    return (p.end, -p.start.value)


def assemble_report_data(
    scored: dict[str, pd.DataFrame],
    units: pd.DataFrame,
    methodology: Methodology,
    period: Period,
    *,
    source_kind: str,
    province: str | None,
    fingerprint: str,
    edition: str = "public",
    extra_tables: dict[str, pd.DataFrame] | None = None,
    geometry: Geometry | None = None,
    generated_at: datetime | None = None,
    source_label: str | None = None,
    notes: list[str] | None = None,
) -> ReportData:
    """ReportData from scored sub-indicator tables, one per covered period code.

    ``scored[code]`` is a long table as :func:`chiso.scoring.score_indicators` returns
    it (unit, indicator, numerator, denominator, ratio, points, max_points, and
    optionally value, status, data_quality_message); ``units`` has
    unit, name, level, parent. Groups, totals, bands and ranks are derived here.
    ``extra_tables``: the input-quality tables (kept in every edition) and the drill-down
    tables (kept only when ``edition`` is "internal"). ``geometry``: the matched communes'
    map, stored as the ``geometry`` table and described in meta["map"] (None: no map).
    ``generated_at``: the build time the reports show (default: now; fixed for byte-identical
    rebuilds, see ``chiso report --generated-at``).
    """
    units = units.assign(name=units["name"].map(
        lambda name: fmt.capped(name, MAX_NAME_CHARACTERS) if isinstance(name, str) else name))
    indicators = _indicator_table(scored, methodology)
    groups = group_scores(indicators, methodology, unit_columns=("period", "unit"))[["period", "unit", "group", "group_name", "points",
                                                            "max_points"]]
    totals = pd.concat(
        [unit_scores(g.drop(columns="period"), methodology, units[units["unit"].isin(g["unit"])]).assign(period=code)
         for code, g in groups.groupby("period", sort=False)],
        ignore_index=True,
    )[["period", "unit", "name", "level", "total", "band", "band_code", "rank", "rank_of"]]
    codes = sorted(scored, key=_chronological)
    meta = {
        "period": period.key,
        "period_kind": period.kind,
        "period_label": period.label_vi,
        "period_start": f"{period.start:%d/%m/%Y}",
        "period_end": f"{period.end:%d/%m/%Y}",
        "period_full_end": f"{period.full_end:%d/%m/%Y}",
        "as_of": None if period.as_of is None else f"{period.as_of:%d/%m/%Y}",
        "cutoff": period.cutoff_label,
        "periods": codes,
        "period_labels": {c: Period.parse(c).label_vi for c in codes},
        "source_kind": source_kind,
        "source_label": source_label or SOURCE_LABELS[source_kind],
        "source_notes": list(notes or []),
        "is_sample": source_kind == "sample",
        "province": province,
        "edition": edition,
        "methodology_id": methodology.id,
        "methodology_version": methodology.version,
        "methodology_title": methodology.title,
        "methodology_source": methodology.source,
        "commune_not_applicable": methodology.settings.get("commune_not_applicable", "full"),
        "groups": [{"code": g.code, "name": g.name, "max_points": g.max_points} for g in methodology.groups],
        "bands": [{"code": b.code, "name": b.name, "min": b.min, "color": b.color} for b in methodology.bands],
        "generated_at": (generated_at or datetime.now()).astimezone(LOCAL_TIME).isoformat(timespec="seconds"),
        "input_fingerprint": fingerprint,
        "chiso_version": __version__,
        "map": geometry_summary(geometry) if geometry is not None else None,
    }
    return ReportData(
        meta=meta,
        units=units[["unit", "name", "level", "parent"]].reset_index(drop=True),
        indicators=indicators,
        groups=groups.reset_index(drop=True),
        totals=totals,
        # drill-down tables only reach an internal edition's report data
        **{name: frame for name, frame in (extra_tables or {}).items()
           if name in INPUT_QUALITY_TABLES + OFFICIAL_TABLES + RECONCILIATION_TABLES + OUTLOOK_TABLES or edition == "internal"},
        geometry=geometry_table(geometry) if geometry is not None else None,
    )


def _indicator_table(scored: dict[str, pd.DataFrame], methodology: Methodology) -> pd.DataFrame:
    """One row per period, unit and sub-indicator of the methodology, in methodology order.

    A sub-indicator the source gave no row for is kept as ``no_data`` (never 0), except
    3.1–3.3 when the official online-services block stands for them.
    """
    ind_info = methodology.indicator_table().set_index("indicator")
    block_group = methodology.indicator("3.1").group if "3.1" in methodology.codes else None
    block_members = [c for c in ("3.1", "3.2", "3.3") if c in methodology.codes]
    frames = []
    for code, rows in scored.items():
        rows = rows.assign(period=code)
        has_block = rows["indicator"].eq(ONLINE_BLOCK)
        expected = pd.MultiIndex.from_product([rows["unit"].unique(), methodology.codes], names=["unit", "indicator"])
        present = pd.MultiIndex.from_frame(rows[["unit", "indicator"]])
        missing = expected.difference(present).to_frame(index=False)
        blocked = rows.loc[has_block, "unit"]
        missing = missing[~(missing["unit"].isin(blocked) & missing["indicator"].isin(block_members))]
        frames.append(pd.concat([rows, missing.assign(period=code)], ignore_index=True))
    table = pd.concat(frames, ignore_index=True)
    for column in ("numerator", "denominator", "ratio", "value", "points", "max_points"):
        table[column] = pd.to_numeric(table[column], errors="coerce") if column in table else np.nan
    is_block = table["indicator"].eq(ONLINE_BLOCK)
    # 2.2 (not scored): computed data carries the average as numerator / denominator
    # (total working days / finished dossiers), official data as a published value.
    # Not scored: the methodology says so (rule not_scored; 2.2 in QĐ 766).
    analysis_only = table["indicator"].isin(methodology.unscored_codes)
    table["value"] = table["value"].where(~analysis_only | table["value"].notna(), table["ratio"])
    table["name"] = table["indicator"].map(ind_info["name"]).where(~is_block, ONLINE_BLOCK_NAME)
    table["group"] = table["indicator"].map(ind_info["group"]).where(~is_block, block_group)
    table["rule"] = table["indicator"].map(ind_info["rule"]).where(~is_block, status.OFFICIAL)
    table["threshold"] = table["indicator"].map(ind_info["threshold"])
    table["max_points"] = table["max_points"].fillna(table["indicator"].map(ind_info["max_points"]))
    table["points_lost"] = table["max_points"] - table["points"]
    table["status"] = _status(table, is_block, analysis_only)
    table["source_note"] = _source_note(table, is_block)
    table["detail"] = table["note"] if "note" in table else pd.NA
    table["numerator_to_full"] = [
        numerator_to_full(methodology.indicator(code), num, den) if code in ind_info.index and lost > 0 else None
        for code, num, den, lost in zip(table["indicator"], table["numerator"], table["denominator"],
                                        table["points_lost"].fillna(0))
    ]
    table["numerator_to_full"] = table["numerator_to_full"].astype("Int64")
    table = table.assign(_order=table["indicator"].map(indicator_order(methodology))).sort_values(["period", "unit", "_order"])
    columns = ["period", "unit", "indicator", "name", "group", "numerator", "denominator", "ratio", "value",
               "points", "max_points", "points_lost", "threshold", "rule", "status", "source_note", "detail",
               "numerator_to_full"]
    out = table[columns].reset_index(drop=True)
    for column in ("period", "unit", "indicator", "name", "group", "rule", "status", "source_note", "detail"):
        out[column] = out[column].astype("string")
    return out


def _status(table: pd.DataFrame, is_block: pd.Series, analysis_only: pd.Series) -> pd.Series:
    # chiso.scoring marks rows that do not apply to their unit (methodology setting)
    not_applicable = table["status"].eq(status.NOT_APPLICABLE) if "status" in table else False
    codes = np.select(
        [is_block, analysis_only, not_applicable, table["points"].isna()],
        [status.OFFICIAL, status.NOT_SCORED, status.NOT_APPLICABLE, status.NO_DATA],
        default=status.OK,
    )
    return pd.Series(codes, index=table.index)


def _source_note(table: pd.DataFrame, is_block: pd.Series) -> pd.Series:
    """Notes shown beside a sub-indicator: official block, DVCQG's data-quality flags, and for
    the province-level sub-indicators (docs/methodology.md §5 R13) the unit's own figure, as analysis."""
    note = pd.Series("", index=table.index, dtype="object")
    if "data_quality_message" in table:
        flagged = table["data_quality_message"].notna() & ~is_block
        note[flagged] = "Cổng DVCQG lưu ý: " + table.loc[flagged, "data_quality_message"].astype(str)
    note[is_block] = NOTE_OFFICIAL_BLOCK
    if "own_denominator" in table and "note" in table:  # docs/methodology.md §5 R13: the province's figure, the unit's own beside it
        own = table["note"].astype("string").str.startswith(PROVINCE_FIGURE_NOTE).fillna(False).to_numpy(dtype=bool)
        note[own] = ["Số liệu của tỉnh, áp dụng cho mọi đơn vị như Cổng DVCQG; riêng đơn vị: "
                     + ("không áp dụng" if pd.isna(d) else f"{n:g}/{d:g}")
                     for n, d in zip(table.loc[own, "own_numerator"], table.loc[own, "own_denominator"])]
    if "defect" in table:  # official figures that failed a check (chiso.sources.official)
        bad = table["defect"].notna()
        note[bad] = "Số liệu chính thức không dùng được: " + table.loc[bad, "defect"].astype(str)
    return note


# --------------------------------------------------------------------------- store / load


def write_report_data(report_data: ReportData, data_dir: Path) -> None:
    """Replace ``data_dir`` with the tables (parquet) and meta.json, written last.

    The folder is emptied first so that a public run never keeps an earlier internal
    run's drill-down files.
    """
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    for name in (*PUBLIC_TABLES, *INPUT_QUALITY_TABLES, *OFFICIAL_TABLES, *MAP_TABLES, *RECONCILIATION_TABLES, *OUTLOOK_TABLES, *INTERNAL_TABLES):
        frame = getattr(report_data, name)
        if frame is not None:
            with replacing(data_dir / f"{name}.parquet") as partial:
                frame.to_parquet(partial, index=False)
    write_text(data_dir / META_NAME, json.dumps(report_data.meta, ensure_ascii=False, indent=1))
    for f in data_dir.iterdir():
        f.chmod(0o444)


def load_report_data(data_dir: str | Path) -> ReportData:
    """Read ``<run>/_data`` (cached per process until meta.json changes)."""
    data_dir = Path(data_dir).resolve()
    meta_file = data_dir / META_NAME
    try:
        stamp = meta_file.stat().st_mtime_ns
    except FileNotFoundError:
        raise ChisoError(f"{data_dir}: no {META_NAME}; build the report data first (chiso report)") from None
    return _load_cached(str(data_dir), stamp)


@lru_cache(maxsize=4)
def _load_cached(data_dir: str, stamp: int) -> ReportData:
    folder = Path(data_dir)
    meta = json.loads((folder / META_NAME).read_text(encoding="utf-8"))
    names = (PUBLIC_TABLES + INPUT_QUALITY_TABLES + OFFICIAL_TABLES + MAP_TABLES + RECONCILIATION_TABLES + OUTLOOK_TABLES
             + (INTERNAL_TABLES if meta["edition"] == "internal" else ()))
    tables = {n: pd.read_parquet(folder / f"{n}.parquet") for n in names if (folder / f"{n}.parquet").is_file()}
    missing = [n for n in PUBLIC_TABLES if n not in tables]
    if missing:
        raise ChisoError(f"{folder}: missing {', '.join(m + '.parquet' for m in missing)}")
    return ReportData(meta=meta, **tables)
