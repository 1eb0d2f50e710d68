"""What a run reads from its source, for :func:`chiso.report.data.build_report_data`.

- the source named on the command line (:func:`parse_source`): the sample (generated on
  first use, :func:`generated_sample`, with its own official results, :func:`sample_official`),
  a dossier folder or an official folder, and the dossier folder set beside official results
  (:func:`paired_folder`);
- the scores of the period and of the comparable periods before it (:func:`trend_periods`),
  computed from dossiers (:func:`computed_periods`) or from the official responses
  (:func:`official_periods`), each kept in the results store (:mod:`chiso.results`);
- the tables a dossier folder adds: input quality (:func:`input_quality_tables`), the
  reconciliation with the official side (:func:`reconciliation_tables`) and, in the internal
  edition only, the drill-down (:func:`drilldown_tables`) and the appraisal evidence
  (:func:`appraisal_tables`).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pandas as pd

from chiso.errors import ChisoError, InputError
from chiso.methodology import Methodology
from chiso.paths import SAMPLE_SEED, sample_folder
from chiso.period import Period
from chiso.results import ResultsStore

# A report's trend: the period and up to three comparable periods before it.
TREND_PERIODS = 4

# An earlier quarter of dossier data counts as covered when at least half as many
# dossiers were received in it as in the reported quarter. An export that starts later
# still holds the few older dossiers that were open when it starts: their quarter is
# not covered, and scoring it would show a meaningless trend.
MIN_TREND_SHARE = 0.5


class PeriodMissing(InputError):
    """The official folder has no responses for the period asked for."""


def parse_source(source: str) -> tuple[str, Path | None]:
    kind, _, location = str(source).partition(":")
    if kind == "sample" and not location:
        return kind, None
    if kind in ("official", "dossiers") and location:
        folder = Path(location)
        if not folder.is_dir():
            raise InputError(f"{folder}: no such folder (source {source!r})")
        return kind, folder
    raise ChisoError(f"source {source!r} not understood: expected sample, official:DIR or dossiers:DIR")


def generated_sample(scale: str, year: int) -> Path:
    """The sample data folder, generated on first use (whole or not at all:
    :func:`chiso.sources.sample.write_sample_folder`)."""
    from chiso.sources.dossiers import SAMPLE_MARKER
    from chiso.sources.sample import write_sample_folder

    folder = sample_folder(scale, year)
    if not (folder / SAMPLE_MARKER).is_file():
        write_sample_folder(folder, year=year, scale=scale, seed=SAMPLE_SEED, fmt="parquet")
    return folder


def sample_official(folder: Path, year: int) -> Path:
    """The sample's own official results (``official/`` of its folder), written if an older
    sample lacks them."""
    from chiso.sources.dossiers import load_dossiers
    from chiso.sources.dvcqg_writer import periods_within, write_official_from_dossiers
    from chiso.sources.sample import OFFICIAL_FOLDER

    official = folder / OFFICIAL_FOLDER
    year_folder = official / str(year)
    if not year_folder.is_dir():
        write_official_from_dossiers(load_dossiers(folder), official, periods_within(Period("year", year, 1)),
                                     sample=True)
    return official


def paired_folder(kind: str, dossiers) -> Path | None:
    """The dossier folder to set beside official results (``--dossiers``), checked."""
    if dossiers is None:
        return None
    if kind != "official":
        raise ChisoError(f"--dossiers goes with official results (SOURCE=official:DIR or dvcqg:PROVINCE), "
                         f"not with SOURCE={kind}")
    folder = Path(dossiers)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder (--dossiers)")
    return folder


def trend_periods(period: Period) -> list[Period]:
    """The comparable periods a report shows besides ``period`` (oldest first), then ``period``:
    the three months, quarters or years before it (whole periods) and, for a year, its quarters
    (cut at the as-of date, see :meth:`Period.parts`).

    >>> [p.key for p in trend_periods(Period.parse("2026-11"))]
    ['2026-08', '2026-09', '2026-10', '2026-11']
    >>> [p.key for p in trend_periods(Period.parse("2026", as_of="2026-08-10"))]
    ['2023', '2024', '2025', '2026-Q1', '2026-Q2', '2026-Q3-den-2026-08-10', '2026-den-2026-08-10']
    """
    earlier = [period.whole.previous(n) for n in range(TREND_PERIODS - 1, 0, -1)]
    return earlier + (period.parts() if period.kind == "year" else []) + [period]


def computed_periods(folder: Path, period: Period, methodology: Methodology, store: ResultsStore):
    from chiso.indicators import compute_scores
    from chiso.sources.dossiers import load_dossiers

    data = load_dossiers(folder)
    received = data.hoso["NgayTiepNhan"]
    reported = int(received.between(period.start, period.end).sum())
    parts = len(period.parts()) or 1
    scored = {}
    for p in trend_periods(period):
        count = int(received.between(p.start, p.end).sum())
        expected = reported / parts if period.contains(p) else reported
        if p == period or (count > 0 and count >= MIN_TREND_SHARE * expected):
            scored[p.key] = store.fetch(data.fingerprint, methodology, p,
                                        lambda p=p: compute_scores(data, p, methodology))
    units = data.units
    province = units.loc[units["level"] == "province", "name"]
    return scored, units, data.fingerprint, (province.iloc[0] if len(province) else None), data


def official_periods(folder: Path, period: Period, methodology: Methodology, store: ResultsStore):
    """Scores of the period's responses and of the comparable periods' found beside them.

    The responses of a period are the period's own (DVCQG publishes months, quarters and
    years alike); a cut-off only labels them (the date they were collected up to).
    """
    from chiso.report.national import national_ranking
    from chiso.sources.official import defect_summary, load_official, score_official

    per_period = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        try:
            per_period[Period.parse(sub.name).code] = sub
        except ChisoError:
            continue  # not a period folder
    if not per_period:
        # The six files of one period, directly in the folder.
        folders = {period: folder}
    elif period.code in per_period:
        folders = {p: per_period[p.code] for p in trend_periods(period) if p.code in per_period}
    else:
        raise PeriodMissing(
            f"{folder}: no subfolder for {period.code} (found: {', '.join(sorted(per_period))}); "
            f"expected one folder per period named like {period.code}"
        )
    scored, units, province, national = {}, [], None, {}
    for p, sub in folders.items():
        official = load_official([sub])
        national[p.code] = official.national
        files = sorted(sub.glob("*.json"))
        scored[p.key] = store.fetch(files_fingerprint(files, sub), methodology, p,
                                    lambda official=official: score_official(official, methodology))
        units.append(official.units)
        province = official.province or province  # the latest period's name, like the units
    units = pd.concat(units[::-1], ignore_index=True).drop_duplicates("unit")  # latest names win
    files = sorted(f for sub in folders.values() for f in sub.glob("*.json"))
    latest = max(folders, key=lambda p: p.start)
    current = scored[latest.key]
    checks = defect_summary(current, official)  # the loop's last official is the latest period's
    if checks:
        print(f"note: {latest.code}: {checks}; the summary's data section lists them", file=sys.stderr)
    defects = current.loc[current["defect"].notna(), ["unit", "indicator", "defect"]] \
        if "defect" in current else pd.DataFrame(columns=["unit", "indicator", "defect"])
    tables = {"official_defects": defects.reset_index(drop=True)}
    if national.get(period.code) is not None:
        tables["national"] = national_ranking(national[period.code], national.get(period.previous().code))
    return scored, units, files_fingerprint(files, folder), province, tables, folders[period]


def files_fingerprint(files: list[Path], root: Path) -> str:
    """sha256 over every input file's relative name and bytes (same inputs, same value)."""
    digest = hashlib.sha256()
    for f in files:
        digest.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()


def reconciliation_tables(data, period_folder: Path, period: Period, methodology: Methodology, edition: str):
    """The reconciliation tables (units under their official codes), the own -> official code
    map, and what one side lacks, in Vietnamese."""
    from chiso.reconcile import explain
    from chiso.sources.official import load_official

    received = data.hoso["NgayTiepNhan"].between(period.start, period.end)
    if not received.any():
        return {}, None, [f"Dữ liệu hồ sơ của tỉnh không có hồ sơ nào tiếp nhận trong {period.label_vi}: "
                          "không đối chiếu được với Cổng DVCQG."]
    result = explain(data, load_official([period_folder]), period, methodology)
    matched = result.units.dropna(subset=["unit", "official_unit"])
    to_official = dict(zip(matched["unit"], matched["official_unit"]))
    by_unit = result.by_unit().drop(columns="unit_name")
    units = result.units.merge(by_unit, on="unit", how="left")
    counts = [c for c in units.columns if c.startswith("dossiers_") or c in ("differing", "unexplained_indicators")]
    units[counts] = units[counts].fillna(0).astype(int)
    units["unexplained"] = units["unexplained"].fillna(0.0)
    table = with_official_units(result.table, to_official)
    tables = {"reconciliation": table.astype({"explanation": "string", "data_quality": "string"}),
              "reconciliation_units": units.astype({c: "string" for c in
                                                    ("unit", "official_unit", "name", "official_name", "matched_by")})}
    if edition == "internal":
        dossiers = result.dossiers.assign(own_unit=result.dossiers["unit"])
        tables["reconciliation_dossiers"] = with_official_units(dossiers, to_official).astype(
            {c: "string" for c in ("unit", "own_unit", "MaHoSo", "MaTTHC", "class", "detail")})
    return tables, to_official, [_note_vi(n) for n in result.notes]


def _note_vi(note: str) -> str:
    """chiso.reconcile's notes in Vietnamese (unit names kept as they are)."""
    for english, vietnamese in _NOTES_VI:
        note = note.replace(english, vietnamese)
    return note


_NOTES_VI = (
    ("hoso has no DongBoDVCQG column: dossiers not synced cannot be told apart",
     "hoso không có cột DongBoDVCQG: không tách được hồ sơ chưa đồng bộ"),
    ("hoso_su_kien has no NgayDongBo column: status changes synced late cannot be told apart",
     "hoso_su_kien không có cột NgayDongBo: không tách được trạng thái đồng bộ muộn"),
    ("unit(s) only in DVCQG:", "đơn vị chỉ có trên Cổng DVCQG:"),
    ("unit(s) only in the dossier export:", "đơn vị chỉ có trong dữ liệu hồ sơ của tỉnh:"),
    ("the DVCQG responses are for", "kết quả DVCQG là của kỳ"),
    (", the dossiers are read for", ", dữ liệu hồ sơ được tính cho kỳ"),
)


def with_official_units(frame: pd.DataFrame, to_official: dict | None) -> pd.DataFrame:
    """``frame`` with its ``unit`` column under the official codes (units the portal lacks keep theirs)."""
    if not to_official or "unit" not in frame:
        return frame
    return frame.assign(unit=frame["unit"].map(lambda u: to_official.get(u, u)))


def input_quality_tables(data, period: Period, methodology: Methodology, edition: str) -> dict[str, pd.DataFrame]:
    """The loader's data-quality tables: rows read / accepted / set aside per table and per
    reason (every edition), the counts the rules keep (:func:`chiso.indicators.quality.rule_checks`),
    the export date beside the period's end (docs/methodology.md §5 R9), and the rows set aside with their
    values (internal only)."""
    from chiso.indicators.progress import processing_time_by_procedure
    from chiso.indicators.quality import rule_checks
    from chiso.sources.dossiers import quality_by_reason

    tables = {"input_quality": data.quality, "set_aside_reasons": quality_by_reason(data),
              "rule_checks": rule_checks(data, period, methodology),
              "export_info": pd.DataFrame({"export_date": [data.export_date], "source": [data.export_date_source],
                                           "period_end": [period.end]}),
              "processing_times": processing_time_by_procedure(data, period, methodology).merge(
                  data.tthc[["MaTTHC", "TenTTHC"]], on="MaTTHC", how="left")}
    if edition == "internal":
        tables["set_aside"] = data.set_aside
    return tables


def drilldown_tables(data, period: Period, methodology: Methodology) -> dict[str, pd.DataFrame]:
    """Internal edition only: the dossiers and PAKN behind lost points, per handling unit.

    - ``overdue``: dossiers in scope not on time (2.1) — unit, MaHoSo, MaTTHC, TenTTHC,
      BuocXuLy and responsible_official (MaCanBo of the official holding the dossier when
      it went past its step's or its total deadline), reason, received, due, end;
    - ``supplements``: dossiers with more than one supplement request — unit, MaHoSo,
      MaTTHC, TenTTHC, requests;
    - ``pauses``: dossiers paused (tạm dừng) before their end — unit, MaHoSo, MaTTHC,
      TenTTHC, paused_days (calendar days), on_time;
    - ``late_pakn``: PAKN handled late or open past the deadline — unit, MaPAKN,
      NgayTiepNhan, deadline, NgayXuLyXong, working_days, late_reason.
    """
    from chiso.indicators import dossier_outcomes, late_pakn

    outcomes = dossier_outcomes(data, period, methodology)
    names = data.tthc.drop_duplicates("MaTTHC").set_index("MaTTHC")["TenTTHC"]
    outcomes = outcomes.assign(unit=outcomes["MaDonVi"], TenTTHC=outcomes["MaTTHC"].map(names))
    dossier = ["unit", "MaHoSo", "MaTTHC", "TenTTHC"]
    overdue = outcomes.loc[~outcomes["on_time"], dossier + ["responsible_step", "responsible_official",
                                                           "overdue_reason", "received", "due", "end"]]
    overdue = overdue.rename(columns={"responsible_step": "BuocXuLy", "overdue_reason": "reason"})
    supplements = outcomes.loc[outcomes["supplement_requests"] > 1, dossier + ["supplement_requests"]]
    pauses = outcomes.loc[outcomes["paused_days"] > 0, dossier + ["paused_days", "on_time"]]
    if data.pakn is None:
        late = pd.DataFrame(columns=["unit", "MaPAKN", "NgayTiepNhan", "deadline", "NgayXuLyXong",
                                     "working_days", "late_reason"])
    else:
        late = late_pakn(data, period, methodology).rename(columns={"MaDonVi": "unit"})
    return {
        "overdue": overdue.reset_index(drop=True),
        "supplements": supplements.rename(columns={"supplement_requests": "requests"}).reset_index(drop=True),
        "pauses": pauses.reset_index(drop=True),
        "late_pakn": late[["unit", "MaPAKN", "NgayTiepNhan", "deadline", "NgayXuLyXong", "working_days",
                           "late_reason"]].reset_index(drop=True),
    }


def appraisal_tables(data, period: Period, methodology: Methodology) -> tuple[dict[str, pd.DataFrame], dict]:
    """Internal edition only: the staff-appraisal evidence (:mod:`chiso.appraisal`) as tables —
    per official and unit, per unit (wide: ``measure|part`` columns), and the rows behind them
    (long, with ``measure``) — and what meta says of it (parts, missing inputs)."""
    from chiso.appraisal import appraise

    result = appraise(data, period, methodology)
    evidence = pd.concat([rows.assign(measure=key) for key, rows in result.evidence.items()], ignore_index=True)
    evidence = evidence.drop(columns=[c for c in ("steps", "item") if c in evidence])
    for column in ("MaCanBo", "unit", "MaHoSo", "MaTTHC", "TenTTHC", "part", "step", "detail", "measure"):
        evidence[column] = evidence[column].astype("string")
    evidence["time"] = pd.to_datetime(evidence["time"])
    tables = {"appraisal_officials": result.table(per_official=True), "appraisal_units": result.table(per_official=False),
              "appraisal_evidence": evidence}
    for name in ("appraisal_officials", "appraisal_units"):
        frame = tables[name]
        tables[name] = frame.astype({c: "float64" for c in frame.columns if "|" in c})
    meta = {"parts": [p.key for p in result.parts], "missing": result.missing, "has_officials": result.has_officials}
    return tables, meta
