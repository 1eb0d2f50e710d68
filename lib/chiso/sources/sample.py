"""A fictional sample province in the chiso data contract, generated from a seed.

``write_sample(out_dir)`` writes the seven contract tables (donvi, tthc, tthc_donvi, hoso,
hoso_su_kien, pakn, congbo) for one year, plus ``_sample.json`` (the marker that makes every
report say "sample data"), and the official results those dossiers imply: the six DVCQG
responses of every month, quarter and the year in ``official/<period>/``
(:mod:`chiso.sources.dvcqg_writer`). Everything is invented and reproducible: the same seed, year and
scale give identical tables.

``write_sample(out_dir, period="2026-Q2")`` writes instead what a province exports for one
period of that year (quarter, month), made at the period's end: the dossiers relevant to it
(received in it, or received earlier with no terminal event — result, rejection, stop,
withdrawal — before it started) and their events up to its end; the PAKN received in it,
plus earlier PAKN about those dossiers (5.3 reads every PAKN received by the end of P);
the announcements decided in it; every unit and procedure. What happens after the period
is not in the export (no later event, result flag, rating, processing start, PAKN
handling or publication). The rows are those of the year's sample: the same seed gives the
same dossiers, ids and histories.

What is generated, and from which data (``params/sample/``):

- **units** (``province.yaml``): the province "Tỉnh Sơn Lâm (mẫu)" (``S99``, Cap TINH), its 15
  departments (``S99.01``..., Cap SO) and 150 communes and wards (``S99.101``..., Cap XA), all
  directly under the province (two-level local government since 1/7/2025).
- **procedures** (``procedures.yaml``): ≈ 1,800 procedures built from per-field name
  templates, with legal time limits, fees, paper results, applicants; ``tthc_donvi`` gives
  each department its fields and every commune the commune-level fields, some procedures at
  both levels, with online-service levels (MucDoDVCTT) and payment integration.
- **dossiers and events** (``distributions.yaml``): monthly volumes per unit, and per-unit
  rates (on time, digitised, e-result, population data, online payment, ...) drawn from
  the quantiles of the official DVCQG results of a real province, so that units differ as
  real ones do. Each dossier gets a full history: reception, processing steps (with step
  deadlines and the official in charge), supplement requests, pauses, and its end (result,
  rejection, stop, withdrawal) — or none yet. Dossiers received in the two months before
  the year and still open on 1 January are included (carried over); events after the end
  of the year are not (the export is made on 31 December).
- **citizen feedback** (pakn) and **announcements** (congbo).
- personal data that must never be published: applicants' names (HoTenNguoiNop), ID numbers
  (SoCCCD, fake, province code 099 which no real province uses) and phone numbers
  (SoDienThoai); officials' codes (MaCanBo, ``CB0001``...).

Scale: ``"full"`` ≈ 153,000 dossiers received a month (≈ 1.8 million a year, ≈ 10 million
events), ``"small"`` = 5 % of that (every unit still present), or any positive number.
Everything per dossier is vectorised with numpy / pyarrow.

Example
-------
>>> write_sample("data/sample/2026-small-766")                       # doctest: +SKIP
'data/sample/2026-small-766: Tỉnh Sơn Lâm (mẫu), 2026, scale small (×0.05), seed 766 — 166 units, ...'
>>> tables = generate_sample(year=2026, scale=0.002, seed=1)    # doctest: +SKIP
>>> tables["hoso"].num_rows                                     # doctest: +SKIP
3519
"""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass, fields
from functools import cached_property
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import yaml

from chiso.codes import EVENTS, STATUS
from chiso.errors import ChisoError
from chiso.paths import params_dir
from chiso.period import Period
from chiso.sources.dossiers import METADATA_FILE, SAMPLE_MARKER, TABLE_SUFFIXES
from chiso.sources.dvcqg_writer import department_id
from chiso.sources.sync import DOSSIER_FILE, PROGRESS_FILE, write_payloads
from chiso.workdays import WorkingCalendar

SCALES = {"small": 0.05, "full": 1.0}
FORMATS = ("parquet", "csv", "dvcqg-sync")
TABLES = ("donvi", "tthc", "tthc_donvi", "hoso", "hoso_su_kien", "pakn", "congbo")
LEVELS = ("province", "department", "commune")
PROVINCE, DEPARTMENT, COMMUNE = range(3)
OFFICIAL_FOLDER = "official"  # the sample's own DVCQG responses, one folder per period
CARRY_OVER_MONTHS = 2  # months before the year whose still-open dossiers are included

SECOND = np.timedelta64(1, "s")
DAY_SECONDS = 86_400
OFFICE_OPENS = 7 * 3600 + 1800   # 07:30
OFFICE_CLOSES = 17 * 3600        # 17:00; promised return times (NgayHenTra) are at this hour
LAST_RECEPTION = 16 * 3600 + 2700  # 16:45
NEVER = np.datetime64("NaT", "s")

# Dossier ends (one per dossier), in the order of the distribution keys.
RESULT, REJECTED, STOPPED, WITHDRAWN, STUCK, WITHDRAWN_EARLY = range(6)
EVENT = {name: code for code, name in enumerate(EVENTS.kinds)}  # event kind -> its code: its position in the contract


def parse_scale(scale) -> float:
    """The volume multiplier of a scale name or number.

    >>> parse_scale("small"), parse_scale("full"), parse_scale("0.2")
    (0.05, 1.0, 0.2)
    """
    if isinstance(scale, str) and scale in SCALES:
        return SCALES[scale]
    try:
        factor = float(scale)
    except (TypeError, ValueError):
        raise ChisoError(f"scale {scale!r} not understood: expected small, full or a positive number") from None
    if not math.isfinite(factor) or factor <= 0:
        raise ChisoError(f"scale {scale!r} not understood: expected small, full or a positive number")
    return factor


def write_sample(out_dir, year: int = 2026, scale="small", seed: int = 766, fmt: str = "parquet",
                 period: str | Period | None = None) -> str:
    """Generate the sample province and write it to ``out_dir``; return a one-line summary.

    Writes ``<table>.parquet`` (or ``.csv``, UTF-8) for every contract table and
    ``_sample.json``; ``fmt="dvcqg-sync"`` writes the dossiers and their events as DVCQG
    sync payloads instead (:func:`chiso.sources.sync.write_payloads`: JSON Lines, with the
    dossiers never synced as hoso/hoso_su_kien CSV beside them) and the other tables as CSV; table files already in the folder under other extensions are removed
    first (the loader refuses two files for one table). ``period`` (``"2026-Q2"``, a month,
    or a :class:`~chiso.period.Period` inside ``year``) writes only that period's export
    (module docstring); ``_sample.json`` then records it as ``"period"``.

    >>> write_sample("/tmp/s", scale=0.01, fmt="csv")                # doctest: +SKIP
    '/tmp/s: Tỉnh Sơn Lâm (mẫu), 2026, scale 0.01 (×0.01), seed 766 — 166 units, 1,786 procedures, ...'
    >>> write_sample("/tmp/q", scale="full", period="2026-Q2")      # doctest: +SKIP
    '/tmp/q: Tỉnh Sơn Lâm (mẫu), 2026-Q2 export, scale full (×1), seed 766 — ..., 507,917 dossiers, 2,463,209 events, ...'
    """
    if fmt not in FORMATS:
        raise ChisoError(f"format {fmt!r} not supported: expected {' or '.join(FORMATS)}")
    factor = parse_scale(scale)
    if isinstance(period, str):
        period = Period.parse(period)
    tables = generate_sample(year=year, scale=factor, seed=seed, period=period)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        for suffix in TABLE_SUFFIXES:
            (out / f"{table}{suffix}").unlink(missing_ok=True)
    for payload in (DOSSIER_FILE, PROGRESS_FILE):
        (out / payload).unlink(missing_ok=True)
    if fmt == "dvcqg-sync":  # dossiers and events as sync payloads, the rest (and unsynced dossiers) as CSV
        local = write_payloads(out, tables["hoso"], tables["hoso_su_kien"], tables["donvi"], tables["tthc"])
        for name, table in {**tables, **local}.items():
            _write_table(table, out / f"{name}.csv", "csv")
    else:
        for name, table in tables.items():
            _write_table(table, out / f"{name}.{fmt}", fmt)
    province = _province_params()["province"]
    scale_label = scale if isinstance(scale, str) and scale in SCALES else factor
    marker = {"sample": True, "generator": "chiso.sources.sample", "seed": seed, "scale": scale_label,
              "scale_factor": factor, "year": year, "province": province["name"], "province_code": province["code"]}
    if period is not None:
        marker["period"] = period.code
    (out / SAMPLE_MARKER).write_text(json.dumps(marker, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    # the export date (docs/methodology.md §5 R9): the export is made at the end of the period (or year)
    exported_on = (period.end if period is not None else Period.parse(str(year)).end).date().isoformat()
    (out / METADATA_FILE).write_text(json.dumps({"export_date": exported_on}) + "\n", encoding="utf-8")
    official = _write_official(out, period or Period("year", year, 1))
    counts = {name: table.num_rows for name, table in tables.items()}
    exported = year if period is None else f"{period.code} export"
    return (f"{out}: {province['name']}, {exported}, scale {scale_label} (×{factor:g}), seed {seed} — "
            f"{counts['donvi']:,} units, {counts['tthc']:,} procedures, {counts['hoso']:,} dossiers, "
            f"{counts['hoso_su_kien']:,} events, {counts['pakn']:,} PAKN, {counts['congbo']:,} announcements; "
            f"DVCQG responses for {len(official)} periods in {out / OFFICIAL_FOLDER}")


def write_sample_folder(folder: Path, **options) -> str:
    """:func:`write_sample` (same ``options``) into ``<folder>.partial``, then renamed to
    ``folder``, replacing it: an interrupted generation never leaves a half-written sample
    where the next run would take it for a whole one. For folders chiso owns (``data/``),
    never a user's folder. Returns write_sample's summary.

    >>> write_sample_folder(Path("data/sample/2026-small-766"), year=2026, scale="small")  # doctest: +SKIP
    'data/sample/2026-small-766: Tỉnh Sơn Lâm (mẫu), 2026, scale small (×1), seed 766 — ...'
    """
    folder = Path(folder)
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        summary = write_sample(partial, **options)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return summary.replace(str(partial), str(folder))


def _write_official(out: Path, period: Period) -> list[Path]:
    """The sample's own official results: the six DVCQG responses its synced dossiers imply, for
    every month, quarter and year of ``period``, in ``<out>/official/<period>/`` (labelled sample)."""
    from chiso.sources.dossiers import load_dossiers
    from chiso.sources.dvcqg_writer import periods_within, write_official_from_dossiers

    return write_official_from_dossiers(load_dossiers(out), out / OFFICIAL_FOLDER, periods_within(period), sample=True)


def generate_sample(year: int = 2026, scale: float = 0.05, seed: int = 766,
                    period: Period | None = None) -> dict[str, pa.Table]:
    """The seven contract tables of the sample province, as arrow tables (deterministic in the seed);
    with ``period``, only that period's export (module docstring)."""
    generator = _Generator(year, scale, seed, period)
    hoso = generator.hoso()
    if period is not None and period.kind == "month":  # an export fault (docs/methodology.md §5 R3): a column left blank
        blank = generator.dist["export_faults"]["blank_in_monthly_exports"]
        hoso = hoso.set_column(hoso.column_names.index(blank), blank, pa.nulls(hoso.num_rows, pa.bool_()))
    return {
        "donvi": generator.donvi(),
        "tthc": generator.tthc(),
        "tthc_donvi": generator.tthc_donvi(),
        "hoso": hoso,
        "hoso_su_kien": generator.hoso_su_kien(),
        "pakn": generator.pakn(),
        "congbo": generator.congbo(),
    }


# --------------------------------------------------------------------------- parameters

def _read_yaml(name: str) -> dict:
    path = params_dir() / "sample" / name
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ChisoError(f"{path}: cannot read the sample generator's parameters ({exc})") from exc


def _province_params() -> dict:
    return _read_yaml("province.yaml")


def _level_quantiles(rates: dict, name: str, level: np.ndarray) -> np.ndarray:
    """(units × quantile points) table of rate ``name``: commune values for communes, department otherwise."""
    table = rates[name]
    return np.where((level == COMMUNE)[:, None], np.array(table["commune"], float), np.array(table["department"], float))


def _stratified(rng: np.random.Generator, scores: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Uniform draws in (0, 1) ranked like ``scores`` within each group, one per stratum.

    The k-th smallest score of a group of n gets a draw in [k/n, (k+1)/n): read through a
    quantile table, the group's values spread exactly like the table's (no unlucky cluster
    of large communes), while the order of the units follows their scores.

    >>> _stratified(np.random.default_rng(0), np.array([0.3, -1.0, 2.0]), np.zeros(3, int)).round(2)
    array([0.55, 0.09, 0.68])
    """
    draws = np.empty(len(scores))
    for group in np.unique(groups):
        members = np.flatnonzero(groups == group)
        rank = np.argsort(np.argsort(scores[members], kind="stable"), kind="stable")
        draws[members] = (rank + rng.random(len(members))) / len(members)
    return draws


def _choose_in_segments(rng: np.random.Generator, cumulative: np.ndarray, starts: np.ndarray,
                        segment: np.ndarray) -> np.ndarray:
    """For each row, an item of its segment drawn with the segment's weights (vectorised).

    ``cumulative`` holds, segment after segment, each segment's cumulative weights
    normalised to (0, 1] and shifted by the segment number, so one ``searchsorted`` serves
    every row. Returns positions into ``cumulative``.

    >>> cum = np.array([0.5, 1.0, 2.0])           # segment 0: two items, segment 1: one
    >>> _choose_in_segments(np.random.default_rng(0), cum, np.array([0, 2]), np.array([0, 1, 1]))
    array([1, 2, 2])
    """
    draws = segment + rng.random(len(segment))
    picked = np.searchsorted(cumulative, draws, side="right")
    last = np.r_[starts[1:], len(cumulative)] - 1
    return np.minimum(picked, last[segment])


def _segment_cumulative(segment: np.ndarray, weights: np.ndarray, n_segments: int) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative weights per segment (rows sorted by segment) for :func:`_choose_in_segments`, and segment starts."""
    totals = np.bincount(segment, weights=weights, minlength=n_segments)
    cumulative = np.cumsum(weights)
    starts = np.searchsorted(segment, np.arange(n_segments))
    before = np.r_[0.0, np.cumsum(totals)[:-1]]
    with np.errstate(invalid="ignore", divide="ignore"):
        within = (cumulative - before[segment]) / totals[segment]
    return np.nan_to_num(within, nan=1.0) + segment, starts


# --------------------------------------------------------------------------- the generator

@dataclass
class _Catalogue:
    """The procedure catalogue: one entry per procedure (numpy arrays) and the field table."""

    code: list[str]
    name: list[str]
    field: np.ndarray          # field position
    amount: np.ndarray         # legal time amount (NaN = not stated)
    unit: np.ndarray           # "NGAY_LAM_VIEC" | "NGAY" | "GIO"
    fee: np.ndarray            # bool
    fee_vnd: np.ndarray        # fee of one dossier (0 where none)
    paper: np.ndarray
    citizen: np.ndarray
    certified_copy: np.ndarray
    online_level: np.ndarray   # 0 TOAN_TRINH, 1 MOT_PHAN, 2 KHONG
    popularity: np.ndarray     # weight of the procedure among its unit's dossiers
    level: np.ndarray          # COMMUNE or DEPARTMENT: where the field is handled
    department: np.ndarray     # department key of the field
    shared: np.ndarray         # also handled at the other level


@dataclass
class _Dossiers:
    """Per-dossier arrays, in base time (before the citizen's and paused time is inserted).

    Waiting intervals — supplement requests (``request1`` + ``wait1``, ``request2`` + ``wait2``)
    and the pause — start at a base time; every later moment of the dossier's history is
    delayed by their lengths (:meth:`shifted`). A completed request thus delays the result by
    exactly the citizen's time, which the on-time rule subtracts again: the dossier's lateness
    is the one drawn (``late``). A pause is not subtracted by default, so it can make a dossier
    late. ``cutoff`` is where the history stops (base time); ``end_kind`` how it ends.
    """

    unit: np.ndarray
    proc: np.ndarray
    channel: np.ndarray
    received: np.ndarray
    submitted: np.ndarray
    due: np.ndarray
    late: np.ndarray
    end_kind: np.ndarray
    finish: np.ndarray
    steps: np.ndarray
    step_time: np.ndarray          # (dossiers × max steps), base time; only the first `steps` are used
    requests: np.ndarray
    pending: np.ndarray
    pending_stop: np.ndarray
    request1: np.ndarray
    wait1: np.ndarray              # seconds; 0 for a request never answered
    request2: np.ndarray
    wait2: np.ndarray
    paused: np.ndarray
    pause_start: np.ndarray
    pause_length: np.ndarray
    cutoff: np.ndarray
    pending_stop_at: np.ndarray    # DUNG_XU_LY of a dossier whose request was never answered
    withdrawn_at: np.ndarray       # RUT_HO_SO before acceptance
    pickup: np.ndarray             # working days from decision to hand-over
    handover_only: np.ndarray      # result recorded only as TRA_KET_QUA

    def __len__(self) -> int:
        return len(self.unit)

    def take(self, rows: np.ndarray) -> "_Dossiers":
        """The dossiers selected by a boolean mask or positions."""
        return _Dossiers(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})

    def shift_before(self, time: np.ndarray) -> np.ndarray:
        """Total waiting time of the intervals that start strictly before ``time`` (timedelta64[s])."""
        total = (np.where((self.requests >= 1) & (self.request1 < time), self.wait1, 0)
                 + np.where((self.requests >= 2) & (self.request2 < time), self.wait2, 0)
                 + np.where(self.paused & (self.pause_start < time), self.pause_length, 0))
        return _seconds(total)

    def shifted(self, time: np.ndarray) -> np.ndarray:
        """A base time as it happened, after the waiting intervals started before it."""
        return time + self.shift_before(time)

    @cached_property
    def end_time(self) -> np.ndarray:
        """When the dossier ended (NaT: not ended, as far as its history goes)."""
        end = self.shifted(self.cutoff)
        end = np.where(self.end_kind == STUCK, NEVER, end)
        end = np.where(self.pending, np.where(self.pending_stop, self.pending_stop_at, NEVER), end)
        return np.where(self.end_kind == WITHDRAWN_EARLY, self.withdrawn_at, end)

    def open_or_received_after(self, moment: np.datetime64) -> np.ndarray:
        """Received from ``moment`` on, or received before and still open then (carried over)."""
        carried = (np.isnat(self.end_time) | (self.end_time >= moment)) & (self.end_kind != WITHDRAWN_EARLY)
        return (self.received >= moment) | carried


@dataclass
class _Events:
    """Every event of the dossiers' histories, one entry per event (positions and codes)."""

    dossier: np.ndarray    # row in _Generator.dossiers
    time: np.ndarray
    kind: np.ndarray       # code: position in EVENTS.kinds
    official: np.ndarray   # position in official_code (-1: none)
    step: np.ndarray       # position in step_names
    deadline: np.ndarray   # the step's deadline (NaT: none)
    step_names: list[str]


class _Generator:
    """Builds the tables of one sample. Each part draws from its own random stream, spawned
    from the seed: a table does not depend on the order the tables are asked for, and a
    change in how one part draws leaves the others as they were."""

    PARTS = ("units", "catalogue", "assignments", "dossiers", "hoso", "hoso_su_kien", "pakn", "congbo", "sync")

    def __init__(self, year: int, scale: float, seed: int, period: Period | None = None):
        self.year, self.scale = int(year), float(scale)
        streams = np.random.SeedSequence(seed).spawn(len(self.PARTS))
        self.streams = {part: np.random.default_rng(s) for part, s in zip(self.PARTS, streams)}
        self.rng = self.streams["units"]
        self.calendar = WorkingCalendar.default()
        self.province = _province_params()
        self.dist = _read_yaml("distributions.yaml")
        self.proc_params = _read_yaml("procedures.yaml")
        self.year_start = np.datetime64(f"{self.year}-01-01T00:00:00", "s")
        self.year_end = np.datetime64(f"{self.year + 1}-01-01T00:00:00", "s") - SECOND
        # The export: made at the end of the year, or of the period; it holds what happened
        # by then (export_end) about what is relevant from export_start on.
        self.export_start, self.export_end = self.year_start, self.year_end
        if period is not None:
            self.export_start = np.datetime64(period.start.to_datetime64(), "s")
            self.export_end = np.datetime64(period.end.to_datetime64(), "s")  # 23:59:59.999… -> 23:59:59
            if period.year != self.year:
                raise ChisoError(f"period {period.code} is not in the sample's year {self.year}")
        self._units()
        self.rng = self.streams["catalogue"]
        self.catalogue = self._catalogue()
        self.rng = self.streams["assignments"]
        self._assignments()
        self.rng = self.streams["dossiers"]
        self._dossiers()

    # -- units ------------------------------------------------------------------------------

    def _units(self) -> None:
        p = self.province
        province = p["province"]
        departments = p["departments"]
        places = [("Phường", n) for n in p["wards"]] + [("Xã", n) for n in p["communes"]]
        self.unit_code = [province["code"]] + [d["code"] for d in departments] + [
            f"{province['code']}.{101 + i}" for i in range(len(places))]
        self.unit_name = [province["name"]] + [d["name"] for d in departments] + [f"{kind} {name}" for kind, name in places]
        if len(set(self.unit_code)) != len(self.unit_code) or len(set(self.unit_name)) != len(self.unit_name):
            raise ChisoError("params/sample/province.yaml: unit codes and names must be unique")
        self.level = np.array([PROVINCE] + [DEPARTMENT] * len(departments) + [COMMUNE] * len(places))
        self.department_of_key = {d["key"]: 1 + i for i, d in enumerate(departments)}
        n = len(self.unit_code)
        levels = np.array(self.dist["quantile_levels"], float)
        commune = self.level == COMMUNE
        monthly = np.zeros(n)
        monthly[1:1 + len(departments)] = [d["monthly_dossiers"] for d in departments]
        size_draw = _stratified(self.rng, self.rng.random(n), self.level)
        monthly[commune] = np.interp(size_draw[commune], levels, self.dist["commune_monthly_dossiers"])
        self.monthly = monthly

        # One "diligence" score per unit drives all its rates (Gaussian copula, rate_correlation),
        # each rate then spread over the units of a level like the reference's quantiles.
        rho = float(self.dist["rate_correlation"])
        diligence = self.rng.standard_normal(n)
        self.rate = {}
        for name in self.dist["rates"]:
            score = rho * diligence + math.sqrt(1 - rho * rho) * self.rng.standard_normal(n)
            # Rates where high is bad (offline procedures) use the opposite end of the scale.
            u = _stratified(self.rng, -score if name == "offline_procedures" else score, self.level)
            table = _level_quantiles(self.dist["rates"], name, self.level)
            self.rate[name] = np.array([np.interp(u[i], levels, table[i]) for i in range(n)])

        # Officials: one-stop receivers (one per ~800 dossiers a month, 1-4) and processors
        # (growing with the square root of the volume, 3-60) per unit. Each has a "slowness"
        # weight: late dossiers go more often to slow officials, as in a real drill-down.
        receivers = np.clip(np.round(monthly / 800) + 1, 1, 4).astype(int)
        processors = np.clip(np.round(np.sqrt(monthly) / 2) + 3, 3, 60).astype(int)
        receivers[self.level == PROVINCE] = processors[self.level == PROVINCE] = 0
        self.official_unit = np.repeat(np.arange(n), receivers + processors)
        self.official_receiver = np.concatenate([np.r_[np.ones(r, bool), np.zeros(q, bool)]
                                                 for r, q in zip(receivers, processors)])
        self.official_slowness = self.rng.lognormal(0.0, 0.8, len(self.official_unit))
        self.official_code = [f"CB{i + 1:04d}" for i in range(len(self.official_unit))]

    def donvi(self) -> pa.Table:
        parent = [None] + [self.unit_code[0]] * (len(self.unit_code) - 1)
        return pa.table({
            "MaDonVi": self.unit_code,
            "TenDonVi": self.unit_name,
            "Cap": [("TINH", "SO", "XA")[lv] for lv in self.level],
            "MaDonViCha": pa.array(parent, pa.string()),
            "MaDVCQG": [department_id(code) for code in self.unit_code],  # the portal's departmentId
        })

    # -- procedures -------------------------------------------------------------------------

    def _catalogue(self) -> _Catalogue:
        params = self.proc_params
        defaults = params["defaults"]
        rows = []
        for position, field in enumerate(params["fields"]):
            spec = {**defaults, **field}
            names = list(spec.get("names", [])) + [f"{a} {o}" for a in spec.get("actions", []) for o in spec.get("objects", [])]
            if spec["level"] not in ("tinh", "xa") or spec["department"] not in self.department_of_key:
                raise ChisoError(f"params/sample/procedures.yaml: field {field.get('field')!r}: level must be tinh or xa "
                                 f"and department a key of province.yaml")
            rows.append((position, spec, names))
        names = [n for _, _, field_names in rows for n in field_names]
        if len(set(names)) != len(names):
            raise ChisoError("params/sample/procedures.yaml: procedure names must be unique")
        field = np.concatenate([np.full(len(n), pos) for pos, _, n in rows])
        count = len(names)
        rng = self.rng

        def per_field(key):
            return [spec[key] for _, spec, _ in rows]

        def bernoulli(key):
            return rng.random(count) < np.array(per_field(key), float)[field]

        amount = np.empty(count)
        unit = np.empty(count, dtype=object)
        for pos, spec, _ in rows:
            here = np.flatnonzero(field == pos)
            limits = spec["limits"]
            weights = np.array([w for _, _, w in limits], float)
            pick = rng.choice(len(limits), size=len(here), p=weights / weights.sum())
            amount[here] = [limits[k][0] for k in pick]
            unit[here] = [limits[k][1] for k in pick]
        amount[rng.random(count) < params["no_legal_time"]] = np.nan
        fee = bernoulli("fee")
        low, high = (np.array([spec["fee_vnd"][i] for _, spec, _ in rows], float)[field] for i in (0, 1))
        fee_vnd = np.where(fee, np.round((low + rng.random(count) * (high - low)) / 1000) * 1000, 0.0)
        paper, citizen = bernoulli("paper"), bernoulli("citizen")
        online_shares = np.array(per_field("online"), float)[field]
        online_level = (rng.random(count)[:, None] > np.cumsum(online_shares, axis=1)).sum(axis=1)
        online_level = np.minimum(online_level, 2)
        certified_copy = np.array([n == params["certified_copy"] for n in names])
        if certified_copy.sum() != 1:
            raise ChisoError("params/sample/procedures.yaml: certified_copy must name exactly one procedure")
        online_level[certified_copy] = 0
        # Zipf popularity inside each field (a random order: which procedure leads is arbitrary).
        rank = np.empty(count)
        for pos, _, field_names in rows:
            here = np.flatnonzero(field == pos)
            rank[here] = rng.permutation(len(here)) + 1
        zipf = 1.0 / rank ** 1.1
        field_total = np.bincount(field, weights=zipf)
        popularity = np.array(per_field("popularity"), float)[field] * zipf / field_total[field]
        shared_count = np.array(per_field("shared"))[field]
        first_of_field = np.searchsorted(field, field)
        shared = (np.arange(count) - first_of_field) < shared_count

        prefixes = list(params["code_prefixes"])
        weights = np.array(list(params["code_prefixes"].values()), float)
        prefix = rng.choice(len(prefixes), size=count, p=weights / weights.sum())
        number = np.empty(count, dtype=int)
        for k in range(len(prefixes)):
            here = np.flatnonzero(prefix == k)
            number[here] = rng.choice(np.arange(100, 14_000), size=len(here), replace=False)
        codes = [f"{prefixes[k]}.{n:06d}" for k, n in zip(prefix, number)]
        return _Catalogue(
            code=codes, name=names, field=field, amount=amount, unit=unit.astype(str), fee=fee, fee_vnd=fee_vnd,
            paper=paper, citizen=citizen, certified_copy=certified_copy, online_level=online_level,
            popularity=popularity,
            level=np.where(np.array([s["level"] == "xa" for _, s, _ in rows])[field], COMMUNE, DEPARTMENT),
            department=np.array([self.department_of_key[s["department"]] for _, s, _ in rows])[field],
            shared=shared,
        )

    def tthc(self) -> pa.Table:
        c = self.catalogue
        fields = [f["field"] for f in self.proc_params["fields"]]
        return pa.table({
            "MaTTHC": c.code,
            "TenTTHC": c.name,
            "LinhVuc": [fields[f] for f in c.field],
            "ThoiHanGiaiQuyet": pa.array(c.amount, pa.float64(), mask=np.isnan(c.amount)),
            "DonViThoiHan": c.unit.tolist(),
            "CoPhiLePhi": c.fee,
            "YeuCauKetQuaGiay": c.paper,
            "ChoCongDan": c.citizen,
            "ChungThucDienTu": c.certified_copy,
        })

    # -- which unit handles which procedure --------------------------------------------------

    def _assignments(self) -> None:
        c = self.catalogue
        communes = np.flatnonzero(self.level == COMMUNE)
        commune_procs = np.flatnonzero((c.level == COMMUNE) | ((c.level == DEPARTMENT) & c.shared))
        own = (c.level == DEPARTMENT) | ((c.level == COMMUNE) & c.shared)
        dept_unit = c.department[own]
        unit = np.concatenate([dept_unit, np.repeat(communes, len(commune_procs))])
        proc = np.concatenate([np.flatnonzero(own), np.tile(commune_procs, len(communes))])
        order = np.lexsort((proc, unit))
        unit, proc = unit[order], proc[order]
        rng = self.rng
        level = c.online_level[proc].copy()
        offline = rng.random(len(proc)) < self.rate["offline_procedures"][unit]
        level[offline & ~c.certified_copy[proc]] = 2
        # A few communes do not offer the electronic certified copy yet (4.5).
        level[c.certified_copy[proc] & (rng.random(len(proc)) < self.dist["certified_copy_not_offered"])] = 2
        integrated = c.fee[proc] & (level < 2) & (rng.random(len(proc)) < self.rate["payment_integrated"][unit])
        self.pair_unit, self.pair_proc, self.pair_level, self.pair_integrated = unit, proc, level, integrated

    def tthc_donvi(self) -> pa.Table:
        levels = np.array(["TOAN_TRINH", "MOT_PHAN", "KHONG"])
        return pa.table({
            "MaTTHC": pc.take(pa.array(self.catalogue.code), pa.array(self.pair_proc)),
            "MaDonVi": pc.take(pa.array(self.unit_code), pa.array(self.pair_unit)),
            "MucDoDVCTT": levels[self.pair_level].tolist(),
            "TichHopThanhToan": self.pair_integrated,
        })


    # -- dossiers: volumes, reception, procedure, channel -----------------------------------

    def _months(self) -> np.ndarray:
        """Month starts from CARRY_OVER_MONTHS before the year to the end of the year (13 + bounds)."""
        first = np.datetime64(f"{self.year}-01", "M") - CARRY_OVER_MONTHS
        return first + np.arange(12 + CARRY_OVER_MONTHS + 1)

    def _dossiers(self) -> None:
        rng, cal, c = self.rng, self.calendar, self.catalogue
        months = self._months()
        factors = np.array(self.dist["month_factors"], float)
        month_factor = factors[months[:-1].astype(int) % 12]
        counts = rng.poisson(self.monthly[:, None] * month_factor[None, :] * self.scale)
        n_units, n_months = counts.shape
        unit = np.repeat(np.repeat(np.arange(n_units), n_months), counts.ravel())
        month = np.repeat(np.tile(np.arange(n_months), n_units), counts.ravel())
        n = len(unit)

        # Reception: a working day of the month, during office hours.
        days = np.arange(months[0].astype("datetime64[D]"), months[-1].astype("datetime64[D]"))
        working = days[cal.is_working_day(days.astype("datetime64[ns]"))]
        month_of_day = np.searchsorted(months[1:-1].astype("datetime64[D]"), working, side="right")
        first = np.searchsorted(month_of_day, np.arange(n_months))
        size = np.bincount(month_of_day, minlength=n_months)
        day = working[first[month] + (rng.random(n) * size[month]).astype(int)]
        received = day.astype("datetime64[s]") + _seconds(OFFICE_OPENS + rng.random(n) * (LAST_RECEPTION - OFFICE_OPENS))

        # Procedure: among the unit's procedures, by popularity (none for a certified-copy
        # service the commune does not offer).
        weight = c.popularity[self.pair_proc] * ~(c.certified_copy[self.pair_proc] & (self.pair_level == 2))
        cumulative, starts = _segment_cumulative(self.pair_unit, weight, n_units)
        pair = _choose_in_segments(rng, cumulative, starts, unit)
        proc = self.pair_proc[pair]

        # Channel: online where the unit offers the procedure online, at the unit's rate.
        online = (self.pair_level[pair] < 2) & (rng.random(n) < self.rate["online"][unit])
        postal = ~online & (rng.random(n) < self.dist["processing"]["postal"])
        channel = np.where(online, STATUS.online_channel, np.where(postal, 3, 1)).astype(np.int8)
        low, high = self.dist["processing"]["online_wait_hours"]
        before = np.where(online, (low + rng.random(n) * (high - low)) * 3600,
                          np.where(postal, rng.integers(1, 4, n) * DAY_SECONDS, 0))
        dossiers = self._timeline(unit, proc, channel, received, received - _seconds(before))
        # Drop what was closed before the year; then order by reception, as an export is.
        kept = dossiers.take(dossiers.open_or_received_after(self.year_start))
        self.dossiers = kept.take(np.argsort(kept.received, kind="stable"))

    def _timeline(self, unit, proc, channel, received, submitted) -> "_Dossiers":
        rng, cal, c = self.rng, self.calendar, self.catalogue
        p = self.dist["processing"]
        n = len(unit)
        amount, kind = c.amount[proc], c.unit[proc]
        day = received.astype("datetime64[D]")

        # Due date: working days, calendar days or working hours from reception. Without a
        # stated legal time the system still promises a date (10 working days).
        in_hours = (kind == "GIO") & ~np.isnan(amount)
        whole_days = np.where(np.isnan(amount), 10, amount).astype(int)
        due_day = np.where(kind == "NGAY", day + whole_days, _as_day(cal.add_working_days(_ns(received), whole_days)))
        due = due_day.astype("datetime64[s]") + OFFICE_CLOSES
        if in_hours.any():
            due[in_hours] = _as_seconds(cal.add_working_time(_ns(received[in_hours]), amount[in_hours] / 24))
            due_day[in_hours] = due[in_hours].astype("datetime64[D]")

        # How the dossier ends: one draw against cumulative shares.
        shares = np.cumsum([p["rejected"], p["stopped"], p["withdrawn"], p["stuck"]])
        end_kind = np.searchsorted(shares, rng.random(n), side="right")
        end_kind = np.where(end_kind < len(shares), end_kind + 1, RESULT)
        early_withdrawal = (channel == STATUS.online_channel) & (rng.random(n) < p["withdrawn_before_acceptance"])
        end_kind[early_withdrawal] = WITHDRAWN_EARLY

        # Finish: early within the legal time, or late, at the unit's on-time rate (less the
        # share that other rules make overdue anyway: two requests, pauses, stuck dossiers).
        late = rng.random(n) < np.clip(1 - self.rate["on_time"][unit] - p["other_overdue"], 0, 0.95)
        available = np.maximum(cal.working_days_between(_ns(received), _ns(due_day)), 0).astype(int)
        available[in_hours] = 0
        early = np.minimum(np.floor(rng.random(n) ** p["early_shape"] * (available + 1)), available).astype(int)
        overrun = rng.geometric(p["late_overrun"], n)
        finish_day = np.where(late, _as_day(cal.add_working_days(_ns(due_day), overrun)),
                              _as_day(cal.add_working_days(_ns(day), early)))
        closing = np.minimum(day.astype("datetime64[s]") + OFFICE_CLOSES, due)
        within_day = received + _seconds((closing - received).astype(float) * (0.05 + 0.9 * rng.random(n)))
        finish = np.where(finish_day == day, within_day, finish_day.astype("datetime64[s]") + self._office_time(n))

        # Processing steps between reception and finish (1..4, by level).
        weights = self.proc_params["steps"]["weights"]
        step_weights = np.where((self.level[unit] == COMMUNE)[:, None], np.array(weights["commune"], float),
                                np.array(weights["department"], float))
        steps = 1 + (rng.random(n)[:, None] > np.cumsum(step_weights, axis=1)).sum(axis=1)
        steps = np.minimum(steps, step_weights.shape[1])
        # The one-stop desk hands the dossier over within `transfer_days` working days (the
        # reception step's deadline), a slow desk later; the other steps spread until the finish.
        transfer_days = np.where(late & (rng.random(n) < p["late_transfer"]), p["transfer_days"] + 2, p["transfer_days"])
        transfer_by = _as_day(cal.add_working_days(_ns(day), transfer_days)).astype("datetime64[s]") + OFFICE_CLOSES
        first_step = self._between(received, np.minimum(finish, transfer_by), rng.random(n))
        fractions = np.sort(rng.random((n, step_weights.shape[1] - 1)), axis=1)
        step_time = np.stack([first_step] + [self._between(first_step, finish, fractions[:, j])
                                             for j in range(fractions.shape[1])], axis=1)
        step_time = np.maximum.accumulate(step_time, axis=1)
        # one second apart at least: two steps at one instant would be one event (docs/methodology.md §5 R5)
        step_time = step_time + np.arange(step_time.shape[1]) * SECOND

        # Supplement requests (none, one or two) and pauses; the citizen's and paused time in whole days.
        draw = rng.random(n)
        requests = np.where(draw < p["two_supplements"], 2, np.where(draw < p["two_supplements"] + p["one_supplement"], 1, 0))
        requests[end_kind != RESULT] = 0
        pending = (requests == 1) & (rng.random(n) < p["supplement_pending"])
        pending_stop = pending & (rng.random(n) < p["pending_then_stopped"])
        low, high = p["citizen_days"]
        wait1 = np.where(pending, 0, rng.integers(low, high + 1, n) * DAY_SECONDS)
        wait2 = rng.integers(low, high + 1, n) * DAY_SECONDS
        request1 = self._between(received, finish, rng.random(n) * 0.7)
        request2 = self._between(request1, finish, rng.random(n))
        paused = (end_kind == RESULT) & ~pending & (
            rng.random(n) < np.minimum(p["pause_max"], p["pause_per_legal_day"] * available))
        low, high = p["pause_days"]
        pause_length = rng.integers(low, high + 1, n) * DAY_SECONDS
        pause_start = self._between(received, finish, rng.random(n))

        # Where the dossier's history stops (base time): its finish, the moment it was
        # rejected / stopped / withdrawn / got stuck, or its unanswered request.
        stop_at = self._between(received, finish, rng.random(n))
        cutoff = np.where(pending, request1, np.where(end_kind == RESULT, finish, stop_at))
        dossiers = _Dossiers(
            unit=unit, proc=proc, channel=channel, received=received, submitted=submitted, due=due,
            late=late, end_kind=end_kind, finish=finish, steps=steps, step_time=step_time,
            requests=requests, pending=pending, pending_stop=pending_stop, request1=request1, wait1=wait1,
            request2=request2, wait2=wait2, paused=paused, pause_start=pause_start, pause_length=pause_length,
            cutoff=cutoff,
            pending_stop_at=request1 + _seconds(rng.integers(p["pending_stop_days"][0], p["pending_stop_days"][1] + 1, n)
                                                * DAY_SECONDS),
            withdrawn_at=submitted + _seconds((received - submitted).astype(float) * rng.random(n)),
            pickup=rng.integers(p["pickup_days"][0], p["pickup_days"][1] + 1, n),
            handover_only=rng.random(n) < p["result_only_handover"],
        )
        return dossiers

    def _office_time(self, n: int) -> np.ndarray:
        """Random times of day within office hours (seconds after midnight)."""
        return _seconds(OFFICE_OPENS + self.rng.random(n) * (OFFICE_CLOSES - OFFICE_OPENS))

    def _between(self, start: np.ndarray, stop: np.ndarray, fraction: np.ndarray) -> np.ndarray:
        """A time strictly inside (start, stop), at about ``fraction`` of the working days between
        them, during office hours when that is a later day than ``start``."""
        cal = self.calendar
        span = np.maximum(cal.working_days_between(_ns(start), _ns(stop)), 0).astype(int)
        offset = np.minimum(np.floor(fraction * (span + 1)), span).astype(int)
        day = _as_day(cal.add_working_days(_ns(start), offset))
        on_later_day = day.astype("datetime64[s]") + self._office_time(len(start))
        on_same_day = start + _seconds(np.maximum((stop - start).astype(float), 2) * (0.02 + 0.96 * fraction))
        picked = np.where(offset > 0, on_later_day, on_same_day)
        return np.clip(picked, start + SECOND, np.maximum(stop - SECOND, start + SECOND))

    # -- hoso --------------------------------------------------------------------------------

    @cached_property
    def dossier_ids(self) -> pa.Array:
        """MaHoSo: "<unit code>-<yymmdd of reception>-<number of the day at that unit>"."""
        d = self.dossiers
        day = d.received.astype("datetime64[D]")
        order = np.lexsort((d.received, day, d.unit))
        group = d.unit[order].astype(np.int64) * 100_000 + day[order].astype(np.int64)
        first = np.r_[True, group[1:] != group[:-1]]
        start = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
        number = np.empty(len(order), dtype=np.int64)
        number[order] = np.arange(len(order)) - start + 1
        years, months = day.astype("datetime64[Y]"), day.astype("datetime64[M]")
        yymmdd = ((years.astype(int) + 1970) % 100 * 10_000 + (months.astype(int) % 12 + 1) * 100
                  + (day - months.astype("datetime64[D]")).astype(int) + 1)
        return pc.binary_join_element_wise(
            pc.take(pa.array(self.unit_code), pa.array(d.unit)),
            _zero_padded(yymmdd, 6), _zero_padded(number, 4), "-")

    def hoso(self) -> pa.Table:
        exported = self.exported  # before self.rng is set: finding it builds the events, from their own stream
        self.rng = self.streams["hoso"]
        d, c, rng = self.dossiers, self.catalogue, self.rng
        p = self.dist["processing"]
        n = len(d)
        rate = {name: values[d.unit] for name, values in self.rate.items()}
        accepted = d.end_kind != WITHDRAWN_EARLY
        decided_at = d.shifted(d.finish)
        has_result = (d.end_kind == RESULT) & ~d.pending & (decided_at <= self.export_end)
        paper = c.paper[d.proc]
        e_result = has_result & (rng.random(n) < rate["electronic_result"])
        # 4.2 counts a paper-result dossier only with its e-result: digitise those more often so
        # that the unit's 4.2 matches its drawn rate.
        digitise_p = np.where(paper & e_result, np.minimum(1, rate["digitised"] / np.maximum(rate["electronic_result"], 0.05)),
                              rate["digitised"])
        digitised = accepted & (rng.random(n) < digitise_p)
        payments = self.dist["payments"]
        fee = np.where(accepted & c.fee[d.proc] & (rng.random(n) >= payments["exempt"]), c.fee_vnd[d.proc], 0.0)
        paid = (fee > 0) & (rng.random(n) < rate["paid_online"])
        gateway = rng.random(n) < payments["provincial_gateway"]
        paid_where = np.where(paid, np.where(gateway, 2, 1), 0).astype(np.int8)  # DVCQG's 1 / 2 / 0
        ratings = self.dist["ratings"]
        overdue = d.late | (d.requests == 2)
        rated = has_result & (rng.random(n) < ratings["rated"])
        unhappy = rng.random(n) < np.where(overdue, ratings["unsatisfied_late"], ratings["unsatisfied_on_time"])
        rating = np.where(rated, np.where(unhappy, STATUS.unsatisfied_rating, "HAI_LONG"), None)
        started = d.shifted(d.step_time[:, 0])
        started_known = (accepted & (d.step_time[:, 0] <= d.cutoff) & (started <= self.export_end)
                         & (rng.random(n) < p["processing_start_recorded"]))
        due_known = accepted & (rng.random(n) >= p["no_due_date"])
        person = self._people(n)
        blank_fee = (fee > 0) & (rng.random(n) < self.dist["export_faults"]["blank_fee"])  # R7
        table = pa.table({
            "MaHoSo": self.dossier_ids,
            "MaTTHC": pc.take(pa.array(c.code), pa.array(d.proc)),
            "MaDonVi": pc.take(pa.array(self.unit_code), pa.array(d.unit)),
            "KenhNop": d.channel,
            "NgayNop": _timestamps(d.submitted),
            "NgayTiepNhan": _timestamps(d.received),
            "NgayHenTra": _timestamps(np.where(due_known, d.due, NEVER)),
            "NgayBatDauXuLy": _timestamps(np.where(started_known, started, NEVER)),
            "DongBoDVCQG": (synced := accepted & (rng.random(n) < rate["synced"])),
            "SoHoa": digitised,
            "TaiSuDung": accepted & (rng.random(n) < rate["reused"]),
            "KhoDuLieuCaNhan": accepted & (rng.random(n) < rate["personal_store"]),
            "DuLieuDanCu": accepted & c.citizen[d.proc] & (rng.random(n) < rate["population_data"]),
            "KetQuaDienTu": e_result,
            # dates of the facts (docs/methodology.md §5 R9): the e-result and the rating come with the
            # decision, the payment with the reception; the export's date on every row
            "NgayCoKetQuaDienTu": _timestamps(np.where(e_result, decided_at, NEVER)),
            "NgayDanhGia": _timestamps(np.where(rated, decided_at, NEVER)),
            "NgayThanhToan": _timestamps(np.where(paid, d.received, NEVER)),
            "NgayXuat": _timestamps(np.full(n, self.export_end.astype("datetime64[D]").astype("datetime64[s]"))),
            # the sample's one-stop system gives no new due date after a supplement (R6)
            "NgayHenTraMoi": _timestamps(np.full(n, NEVER)),
            "PhiLePhi": pa.array(fee, mask=blank_fee),
            "ThanhToanTrucTuyen": paid_where,
            "DanhGia": pa.array(rating, pa.string()),
            **person,
        })
        self.synced = synced  # hoso_su_kien dates the sync of these dossiers' events
        return table if exported is None else table.filter(pa.array(exported))

    def _people(self, n: int) -> dict[str, pa.Array]:
        """Applicants' names, ID numbers (CCCD) and phones: fictional, personal data never to publish."""
        rng, people = self.rng, self.province["people"]
        family = people["family_names"]
        weights = np.array(list(family.values()), float)
        female = rng.random(n) < 0.5

        def by_sex(key):
            male_names, female_names = people[key]["male"], people[key]["female"]
            pick_m = rng.integers(0, len(male_names), n)
            pick_f = rng.integers(0, len(female_names), n)
            names = pa.array(male_names + female_names)
            return pc.take(names, pa.array(np.where(female, len(male_names) + pick_f, pick_m)))

        surname = pc.take(pa.array(list(family)), pa.array(rng.choice(len(family), n, p=weights / weights.sum())))
        middle, given = by_sex("middle_names"), by_sex("given_names")
        born = rng.integers(1950, 2008, n)
        # CCCD: province code 099 (unused), sex-and-century digit, year of birth, 6 digits.
        sex_century = (born >= 2000) * 2 + female
        cccd = pc.binary_join_element_wise(
            "099", _zero_padded(sex_century * 10**8 + born % 100 * 10**6 + rng.integers(0, 10**6, n), 9), "")
        prefixes = pa.array(people["phone_prefixes"])
        phone = pc.binary_join_element_wise(
            pc.take(prefixes, pa.array(rng.integers(0, len(prefixes), n))), _zero_padded(rng.integers(0, 10**7, n), 7), "")
        return {"HoTenNguoiNop": pc.binary_join_element_wise(surname, middle, given, " "),
                "SoCCCD": cccd, "SoDienThoai": phone}

    # -- hoso_su_kien ------------------------------------------------------------------------

    @cached_property
    def events(self) -> "_Events":
        """Every dossier's whole history (also after the export; :meth:`hoso_su_kien` cuts it)."""
        self.rng = self.streams["hoso_su_kien"]
        d, rng, cal = self.dossiers, self.rng, self.calendar
        steps_params = self.proc_params["steps"]
        n, width = len(d), d.step_time.shape[1]
        accepted = d.end_kind != WITHDRAWN_EARLY
        rows = np.arange(n)

        # Officials: a one-stop receiver, and a processor per step (slow ones more often on late dossiers).
        receiver = self._officials(d.unit, receivers=True, weighted=np.zeros(n, bool))
        processor = np.stack([self._officials(d.unit, receivers=False, weighted=d.late) for _ in range(width)], axis=1)
        step_names = [steps_params[k] for k in ("receive", "supplement", "supplement_done", "pause", "resume",
                                                "decide", "hand_over", "reject", "stop", "withdraw")]
        sequences = steps_params["sequences"]
        for sequence in sequences:
            step_names += [s for s in sequence if s not in step_names]
        step_code = {name: k for k, name in enumerate(step_names)}
        sequence_code = np.full((len(sequences), width), -1)
        for k, sequence in enumerate(sequences):
            sequence_code[k, :len(sequence)] = [step_code[s] for s in sequence]

        def holder(at):
            """The processor of the step in progress at base time ``at``."""
            j = np.clip((d.step_time <= at[:, None]).sum(axis=1) - 1, 0, d.steps - 1)
            return processor[rows, j]

        blocks = []

        def add(mask, time, kind, official, step, deadline=None):
            mask = np.asarray(mask)
            blocks.append((rows[mask], time[mask], np.full(mask.sum(), EVENT[kind], np.int8),
                           np.broadcast_to(official, (n,))[mask], np.full(mask.sum(), step_code[step], np.int16),
                           (np.full(n, NEVER) if deadline is None else deadline)[mask]))

        transfer_days = self.dist["processing"]["transfer_days"]
        hand_over_by = _as_day(cal.add_working_days(_ns(d.received), transfer_days)).astype("datetime64[s]") + OFFICE_CLOSES
        add(accepted, d.received, "TIEP_NHAN", receiver, steps_params["receive"], np.minimum(hand_over_by, d.due))
        span = (d.due - d.received).astype(float)
        for j in range(width):
            in_history = accepted & (j < d.steps) & (d.step_time[:, j] <= d.cutoff)
            share = (j + 1) / d.steps
            deadline = np.where(j + 1 == d.steps, d.due, d.received + _seconds(span * share))
            blocks.append((rows[in_history], d.shifted(d.step_time[:, j])[in_history],
                           np.full(in_history.sum(), EVENT["CHUYEN_BUOC"], np.int8), processor[in_history, j],
                           sequence_code[d.steps - 1, j][in_history].astype(np.int16), deadline[in_history]))
        for request, wait, mask in ((d.request1, d.wait1, d.requests >= 1), (d.request2, d.wait2, d.requests >= 2)):
            asked = d.shifted(request)
            add(mask, asked, "YEU_CAU_BO_SUNG", holder(request), steps_params["supplement"])
            add(mask & ~d.pending, asked + _seconds(wait), "HOAN_THANH_BO_SUNG", receiver, steps_params["supplement_done"])
        paused_at = d.shifted(d.pause_start)
        add(d.paused, paused_at, "TAM_DUNG", holder(d.pause_start), steps_params["pause"])
        add(d.paused, paused_at + _seconds(d.pause_length), "TIEP_TUC", holder(d.pause_start), steps_params["resume"])

        result = (d.end_kind == RESULT) & ~d.pending
        decided = d.shifted(d.finish)
        last_processor = processor[rows, d.steps - 1]
        add(result & ~d.handover_only, decided, "XU_LY_XONG", last_processor, steps_params["decide"])
        pickup_day = _as_day(cal.add_working_days(_ns(decided), d.pickup)).astype("datetime64[s]")
        handed = np.where(d.pickup == 0, decided + _seconds(300 + rng.random(n) * 7200),
                          pickup_day + self._office_time(n))
        add(result, handed, "TRA_KET_QUA", receiver, steps_params["hand_over"])
        stopped_at = d.shifted(d.cutoff)
        add(d.end_kind == REJECTED, stopped_at, "TU_CHOI", holder(d.cutoff), steps_params["reject"])
        add(d.end_kind == STOPPED, stopped_at, "DUNG_XU_LY", holder(d.cutoff), steps_params["stop"])
        add(d.end_kind == WITHDRAWN, stopped_at, "RUT_HO_SO", receiver, steps_params["withdraw"])
        add(d.pending_stop, d.pending_stop_at, "DUNG_XU_LY", holder(d.request1), steps_params["stop"])
        add(d.end_kind == WITHDRAWN_EARLY, d.withdrawn_at, "RUT_HO_SO", -1, steps_params["withdraw"])

        # Export faults (docs/methodology.md §5 R5): a request dated the day before reception; rows exported twice.
        faults = self.dist["export_faults"]
        early = accepted & (rng.random(n) < faults["event_before_reception"])
        add(early, d.received - DAY_SECONDS * SECOND, "YEU_CAU_BO_SUNG", receiver, steps_params["supplement"])
        history = [np.concatenate(parts) for parts in zip(*blocks)]
        kind = history[2]
        twice = np.flatnonzero(np.isin(kind, [EVENT["YEU_CAU_BO_SUNG"], EVENT["XU_LY_XONG"]])
                               & (rng.random(len(kind)) < faults["repeated_event_rows"]))
        history = [np.concatenate([part, part[twice]]) for part in history]
        return _Events(*history, step_names=step_names)

    @cached_property
    def exported(self) -> np.ndarray | None:
        """Dossiers in a period's export: received in it, or before it and with no terminal event
        before it started; ``None`` for the year's export (every generated dossier)."""
        if self.export_start == self.year_start and self.export_end == self.year_end:
            return None
        d, e = self.dossiers, self.events
        ended = np.isin(e.kind, [EVENT[kind] for kind in EVENTS.terminal]) & (e.time < self.export_start)
        closed_before = np.zeros(len(d), bool)
        closed_before[e.dossier[ended]] = True
        return (d.received <= self.export_end) & ((d.received >= self.export_start) | ~closed_before)

    def hoso_su_kien(self) -> pa.Table:
        e, exported = self.events, self.exported
        known = e.time <= self.export_end  # the export is made at the end of the year (or period)
        if exported is not None:
            known &= exported[e.dossier]
        dossier, time, kind, official, step, deadline = (
            a[known] for a in (e.dossier, e.time, e.kind, e.official, e.step, e.deadline))
        base = self._months()[0].astype("datetime64[s]")
        order = np.argsort((dossier.astype(np.int64) << 32) | ((time - base).astype(np.int64) << 4) | kind, kind="stable")
        return pa.table({
            "MaHoSo": pc.take(self.dossier_ids, pa.array(dossier[order])),
            "ThoiDiem": _timestamps(time[order]),
            "SuKien": _dictionary(kind[order], EVENTS.kinds),
            "MaCanBo": _dictionary(official[order], self.official_code),
            "BuocXuLy": _dictionary(step[order], e.step_names),
            "HanBuoc": _timestamps(deadline[order]),
            "NgayDongBo": _timestamps(self._synced_at(dossier[order], time[order])),
        })

    def _synced_at(self, dossier: np.ndarray, time: np.ndarray) -> np.ndarray:
        """When each event reached DVCQG (CapNhatTienDoHoSoMC): minutes after it, a few days
        later for a small share; blank for a dossier that is not synced."""
        if not hasattr(self, "synced"):
            self.hoso()
        rng, params = self.streams["sync"], self.dist["sync_delay"]
        late = rng.random(len(time)) < params["late"]
        days = rng.uniform(*params["late_days"], len(time))
        minutes = rng.exponential(params["minutes"], len(time))
        synced_at = time + _seconds(np.where(late, days * DAY_SECONDS, minutes * 60))
        # Not yet synced when the export is made: no sync time (the export cannot know it).
        return np.where(self.synced[dossier] & (synced_at <= self.export_end), synced_at, NEVER)

    def _officials(self, unit: np.ndarray, receivers: bool, weighted: np.ndarray) -> np.ndarray:
        """An official of each dossier's unit (receivers or processors); ``weighted`` rows favour slow ones."""
        pool = np.flatnonzero(self.official_receiver == receivers)
        pool_unit = self.official_unit[pool]
        picked = np.empty(len(unit), dtype=np.int64)
        for rows, weights in ((~weighted, np.ones(len(pool))), (weighted, self.official_slowness[pool])):
            cumulative, starts = _segment_cumulative(pool_unit, weights, len(self.unit_code))
            picked[rows] = pool[_choose_in_segments(self.rng, cumulative, starts, unit[rows])]
        return picked

    # -- pakn --------------------------------------------------------------------------------

    def pakn(self) -> pa.Table:
        self.rng = self.streams["pakn"]
        rng, cal, fb = self.rng, self.calendar, self.dist["feedback"]
        per_year = np.array([fb["per_month"][LEVELS[lv]] for lv in self.level]) * 12 * self.scale
        unit = np.repeat(np.arange(len(self.unit_code)), rng.poisson(per_year))
        m = len(unit)
        year_seconds = (self.year_end - self.year_start).astype(int)
        received = np.sort(self.year_start + _seconds(rng.random(m) * year_seconds))
        on_time_rate = np.where(self.level == PROVINCE, fb["province"]["on_time"], self.rate["feedback_on_time"])[unit]
        on_time = rng.random(m) < on_time_rate
        deadline = int(fb["deadline_working_days"])
        days = np.where(on_time, rng.integers(1, deadline + 1, m), deadline + 1 + rng.integers(0, fb["late_extra_days"] + 1, m))
        handled = _as_day(cal.add_working_days(_ns(received), days)).astype("datetime64[s]") + self._office_time(m)
        handled = np.where(handled <= self.export_end, handled, NEVER)
        unhappy = ~np.isnat(handled) & (rng.random(m) < np.where(on_time, fb["unsatisfied_given_on_time"],
                                                                  fb["unsatisfied_given_late"]))
        kinds = list(fb["kinds"])
        weights = np.array(list(fb["kinds"].values()), float)
        kind = np.array(kinds)[rng.choice(len(kinds), m, p=weights / weights.sum())]
        about = self._dossier_before(unit, received, rng.random(m) < fb["about_dossier"])
        number = _zero_padded(np.arange(1, m + 1), 6)
        table = pa.table({
            "MaPAKN": pc.binary_join_element_wise(f"PAKN-{self.year}", number, "-"),
            "MaDonVi": pc.take(pa.array(self.unit_code), pa.array(unit)),
            "NgayTiepNhan": _timestamps(received),
            "NgayXuLyXong": _timestamps(handled),
            "MaHoSo": pc.take(self.dossier_ids, pa.array(about, mask=about < 0)),
            "KhongHaiLong": unhappy,
            "PhanLoai": kind.tolist(),
        })
        if self.exported is None:
            return table
        # a period's PAKN, and earlier ones about its dossiers (5.3 reads those received by its end)
        about_exported = (about >= 0) & self.exported[np.maximum(about, 0)]
        in_export = (received <= self.export_end) & ((received >= self.export_start) | about_exported)
        return table.filter(pa.array(in_export))

    def _dossier_before(self, unit: np.ndarray, moment: np.ndarray, wanted: np.ndarray) -> np.ndarray:
        """Row of a dossier received at the same unit (at any unit, for the province's own PAKN)
        among the 300 received last before ``moment``, where ``wanted``; -1 elsewhere or if none."""
        d = self.dossiers
        # Search table: every dossier under its unit's segment and again under segment -1,
        # keyed (segment, seconds since the year started); the offset keeps keys positive.
        offset = np.int64(1) << 30
        segment = np.concatenate([d.unit, np.full(len(d), -1)]).astype(np.int64)
        seconds = np.tile((d.received - self.year_start).astype(np.int64), 2) + offset
        keys = (segment + 1) << 36 | seconds
        order = np.argsort(keys, kind="stable")
        keys, rows = keys[order], np.tile(np.arange(len(d)), 2)[order]
        query_segment = np.where(self.level[unit] == PROVINCE, -1, unit).astype(np.int64) + 1
        end = np.searchsorted(keys, query_segment << 36 | ((moment - self.year_start).astype(np.int64) + offset), side="right")
        available = end - np.searchsorted(keys, query_segment << 36)
        pick = end - 1 - (self.rng.random(len(unit)) * np.minimum(available, 300)).astype(np.int64)
        return np.where(wanted & (available > 0), rows[np.clip(pick, 0, len(rows) - 1)], -1)

    # -- congbo ------------------------------------------------------------------------------

    def congbo(self) -> pa.Table:
        self.rng = self.streams["congbo"]
        rng, cal, c = self.rng, self.calendar, self.catalogue
        a = self.dist["announcements"]
        n_units = len(self.unit_code)
        on_time_p = a["on_time"][0] + rng.random(n_units) * (a["on_time"][1] - a["on_time"][0])
        publish_p = a["published_on_time"][0] + rng.random(n_units) * (a["published_on_time"][1] - a["published_on_time"][0])
        days = np.arange(self.year_start.astype("datetime64[D]"), (self.year_end + SECOND).astype("datetime64[D]"))
        working = days[cal.is_working_day(days.astype("datetime64[ns]"))]
        unit_rows, proc_rows, decision_rows, effective_rows = [], [], [], []

        def decide(unit_of_rows, procs, chooser):
            """One decision on ``procs``, announced (and then published) by ``unit_of_rows``."""
            decided = working[rng.integers(0, len(working))]
            early = rng.random() < on_time_p[chooser]
            lead = rng.integers(5, 26) if early else rng.integers(0, 5)
            effective = _as_day(cal.add_working_days(_ns(np.array([decided])), lead))[0]
            for u in unit_of_rows:
                unit_rows.append(np.full(len(procs), u))
                proc_rows.append(procs)
                decision_rows.append(np.full(len(procs), decided))
                effective_rows.append(np.full(len(procs), effective))

        low, high = a["decisions_per_department"]
        per_decision = a["procedures_per_decision"]
        for dept in np.flatnonzero(self.level == DEPARTMENT):
            own = np.flatnonzero((c.department == dept) & (c.level == DEPARTMENT))
            for _ in range(rng.integers(low, high + 1)):
                size = min(len(own), rng.integers(per_decision[0], per_decision[1] + 1))
                decide([dept], rng.choice(own, size, replace=False), dept)
        communes = np.flatnonzero(self.level == COMMUNE)
        commune_procs = np.flatnonzero(c.level == COMMUNE)
        for _ in range(a["commune_decisions"]):
            size = rng.integers(per_decision[0], per_decision[1] + 1)
            decide(communes, rng.choice(commune_procs, size, replace=False), 0)

        unit = np.concatenate(unit_rows)
        proc = np.concatenate(proc_rows)
        decided = np.concatenate(decision_rows)
        r = len(unit)
        on_time = rng.random(r) < publish_p[unit]
        delay = np.where(on_time, rng.integers(0, 6, r), rng.integers(6, 21, r))
        published = _as_day(cal.add_working_days(_ns(decided), delay)).astype("datetime64[s]") + self._office_time(r)
        published = np.where(published <= self.export_end, published, NEVER)
        table = pa.table({
            "MaTTHC": pc.take(pa.array(c.code), pa.array(proc)),
            "MaDonVi": pc.take(pa.array(self.unit_code), pa.array(unit)),
            "NgayQuyetDinh": _timestamps(decided.astype("datetime64[s]")),
            "NgayHieuLuc": _timestamps(np.concatenate(effective_rows).astype("datetime64[s]")),
            "NgayCongKhai": _timestamps(published),
            "DayDuNoiDung": rng.random(r) < a["complete"],
        })
        if self.exported is None:
            return table
        decided_at = decided.astype("datetime64[s]")
        return table.filter(pa.array((decided_at >= self.export_start) & (decided_at <= self.export_end)))


# --------------------------------------------------------------------------- small helpers

def _seconds(values) -> np.ndarray:
    """Numbers of seconds (float or int) as timedelta64[s]."""
    return np.asarray(values).astype(np.int64).astype("timedelta64[s]")


def _ns(times: np.ndarray) -> np.ndarray:
    return np.asarray(times).astype("datetime64[ns]")


def _as_day(times) -> np.ndarray:
    return np.asarray(times).astype("datetime64[D]")


def _as_seconds(times) -> np.ndarray:
    return np.asarray(times).astype("datetime64[s]")


def _timestamps(times: np.ndarray) -> pa.Array:
    """datetime64 (NaT = blank) as an arrow timestamp[s] column."""
    times = _as_seconds(times)
    return pa.array(times, pa.timestamp("s"), mask=np.isnat(times))


def _zero_padded(numbers: np.ndarray, width: int) -> pa.Array:
    """Integers as text left-padded with zeros: ``_zero_padded(np.array([7]), 4)`` -> ["0007"]."""
    return pc.utf8_lpad(pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string()), width, "0")


def _dictionary(codes: np.ndarray, values) -> pa.DictionaryArray:
    """Positions into ``values`` (-1 = blank) as a dictionary-encoded text column."""
    codes = np.asarray(codes, dtype=np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), pa.array(list(values), pa.string()))


def _write_table(table: pa.Table, path: Path, fmt: str) -> None:
    """Parquet (timestamps in ns, as the loader reads them without conversion) or UTF-8 CSV."""
    if fmt == "parquet":
        schema = pa.schema([pa.field(f.name, pa.timestamp("ns")) if pa.types.is_timestamp(f.type) else f
                            for f in table.schema])
        pq.write_table(table.cast(schema), path, compression="zstd")
    else:
        pacsv.write_csv(table, path)
