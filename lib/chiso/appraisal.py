"""Staff-appraisal evidence from dossier data: what each official and each unit did in a period.

INTERNAL ONLY: officials' codes (MaCanBo) are personal data (Nghị định 13/2023/NĐ-CP); this
module feeds the internal edition (``reports/<period>-noibo/``) and nothing public.

For a period P (normally the year) and each official code (MaCanBo) and unit (the dossier's
MaDonVi), the counts below (:data:`MEASURES`). Every count is the number of rows of its
evidence table (``Appraisal.evidence[measure]``: one row per dossier, or per step, behind
the count), so that a workbook can link each count to the dossiers behind it. Events are
those :func:`chiso.indicators.timeline.event_table` keeps (known at the end of P, cleaned as
the index counts them); "in P" means the event's time is in P.

- ``handled`` — dossiers handled: dossiers with ≥ 1 event of the official in P (the evidence
  row carries ``steps``, the number of those events: the "steps taken" column sums them).
- ``late_steps`` — steps finished after their own deadline: an event with a step deadline
  (HanBuoc; a date without a time = the end of that day) starts a step, which finishes at the
  dossier's next event (a terminal event finishes its own step at its time); counted when it
  finished in P after the deadline, for the official of the event. Steps still open are not
  "finished": a dossier left overdue shows under ``overdue_held``.
- ``supplements`` — dossiers whose supplement was requested more than once: the official of
  each request after the first (YEU_CAU_BO_SUNG number 2, 3, … of the dossier, counting the
  earlier ones before P) made in P; one row per dossier and official, naming every requester.
- ``pauses`` — pauses (TAM_DUNG) in P whose reason (the event's BuocXuLy) names none of the
  permitted grounds of ``params/appraisal.yaml``; a pause with no reason is not permitted.
- ``returns`` — refusals and returns: TU_CHOI and DUNG_XU_LY events in P, per dossier.
- ``overdue_held`` — dossiers of P's scope not on time (2.1, :func:`dossier_outcomes`) whose
  responsible official is this one: the official of the first step that passed its own
  deadline, else the one holding the dossier when it went overdue.
- ``staff_pakn`` — PAKN about staff behaviour (PhanLoai CAN_BO) received in P about a
  dossier (MaHoSo) the official had handled (any event up to the end of P).

Per-part counts: a year's quarters (a quarter's months) split each count by the part in
which its row falls — the event's time; for ``overdue_held`` the due date (before P: the
first part); for ``staff_pakn`` the PAKN's reception. The parts' counts add up to the
period's for every measure except ``handled`` (a dossier handled in two quarters counts in
both, and once in the year).

Missing input: a measure whose inputs are absent (no HanBuoc, no BuocXuLy, no pakn table or
no PhanLoai / MaHoSo in it) has no counts: ``Appraisal.missing[measure]`` says what is
missing and the workbooks print "chưa có số liệu", never 0. Without MaCanBo there is no
per-official row at all (``missing["MaCanBo"]``); the per-unit counts remain.

Example
-------
>>> result = appraise(load_dossiers("data/x"), Period.parse("2026"), load_methodology("qd766-2022"))  # doctest: +SKIP
>>> result.table()[["MaCanBo", "unit", "supplements|2026", "supplements|2026-Q2"]].head(1)         # doctest: +SKIP
  MaCanBo     unit  supplements|2026  supplements|2026-Q2
0    DUNG  T00.101                 1                    1
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from chiso.formatting import fold_diacritics
from chiso.indicators.common import Context
from chiso.codes import EVENTS
from chiso.indicators.timeline import KIND, dossier_outcomes, event_table
from chiso.methodology import Methodology
from chiso.paths import params_dir
from chiso.period import Period
from chiso.workdays import WorkingCalendar, end_of_day_if_date_only

NO_DATA = "chưa có số liệu"
EVIDENCE_COLUMNS = ["MaCanBo", "unit", "MaHoSo", "MaTTHC", "TenTTHC", "part", "time", "step", "detail", "item"]


@dataclass(frozen=True)
class Measure:
    """One count of the appraisal: its key, workbook header, evidence sheet and inputs."""

    key: str
    header: str
    sheet: str  # name of its evidence sheet (Excel: ≤ 31 characters)
    needs: tuple[str, ...]  # "table.Column" inputs besides MaCanBo
    rule: str | None = None  # key of the plan's rule (params/appraisal.yaml) it measures


MEASURES = (
    Measure("handled", "Hồ sơ đã xử lý", "Hồ sơ đã xử lý", ()),
    Measure("late_steps", "Bước hoàn thành sau hạn bước", "Bước quá hạn", ("hoso_su_kien.HanBuoc",),
            "step_deadlines"),
    Measure("supplements", "Hồ sơ yêu cầu bổ sung quá 01 lần", "Bổ sung quá 1 lần", (), "supplements"),
    Measure("pauses", "Tạm dừng không đúng lý do cho phép", "Tạm dừng sai", ("hoso_su_kien.BuocXuLy",), "pauses"),
    Measure("returns", "Từ chối, trả lại hồ sơ", "Từ chối - trả lại", (), "returns"),
    Measure("overdue_held", "Hồ sơ quá hạn khi cán bộ đang giữ", "Quá hạn khi giữ", (), "step_deadlines"),
    Measure("staff_pakn", "PAKN về cán bộ (hồ sơ đã xử lý)", "PAKN về cán bộ", ("pakn.PhanLoai", "pakn.MaHoSo")),
)
MEASURE = {m.key: m for m in MEASURES}
# "Steps taken" is the sum of the handled rows' steps, shown beside "dossiers handled".
STEPS = "steps"
STEPS_HEADER = "Bước đã thực hiện"


@lru_cache(maxsize=4)
def appraisal_settings(path: Path | None = None) -> dict:
    """``params/appraisal.yaml``: the plan's rules (wording) and the permitted pause reasons."""
    path = Path(path) if path else params_dir() / "appraisal.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def permitted_pause(reasons: pd.Series, permitted: list[str]) -> np.ndarray:
    """True where the reason names a permitted ground (compared without case or diacritics).

    >>> permitted_pause(pd.Series(["Tạm dừng chờ thực hiện NGHĨA VỤ TÀI CHÍNH", "Chờ ý kiến lãnh đạo", None]),
    ...                 ["nghĩa vụ tài chính"]).tolist()
    [True, False, False]
    """
    folded = reasons.fillna("").astype(str).map(lambda text: fold_diacritics(text).lower())
    grounds = [fold_diacritics(g).lower() for g in permitted]
    return folded.map(lambda text: any(g in text for g in grounds)).to_numpy(dtype=bool)


@dataclass
class Appraisal:
    """The evidence of one period: the rows behind every count, and what the input lacks.

    ``evidence[measure]`` has :data:`EVIDENCE_COLUMNS` (``handled`` also ``steps``): MaCanBo
    (<NA> when the export has none), unit, dossier and procedure, part (the key of the
    quarter / month the row falls in), time, step, detail (why it counts) and item (what is
    counted: the dossier, the step's event, the PAKN).
    """

    period: Period
    parts: list[Period]
    evidence: dict[str, pd.DataFrame]
    missing: dict[str, str]  # measure -> "chưa có số liệu: thiếu …"; officials: key "MaCanBo"
    has_officials: bool

    @property
    def part_keys(self) -> list[str]:
        """The period's key, then its parts' keys: the count columns of every table."""
        return [self.period.key] + [p.key for p in self.parts]

    def counts(self, per_official: bool = True) -> pd.DataFrame:
        """Long table: (MaCanBo,) unit, measure, part, count — distinct items per row key and part
        (``steps``: the steps taken). Per official only rows with an official code."""
        keys = ["MaCanBo", "unit"] if per_official else ["unit"]
        frames = []
        for key, rows in self.evidence.items():
            if key in self.missing:
                continue
            if per_official:
                rows = rows[rows["MaCanBo"].notna()]
            if rows.empty:
                continue
            both = rows.assign(part=self.period.key)
            if self.parts:
                both = pd.concat([both, rows], ignore_index=True)
            grouped = both.groupby(keys + ["part"], dropna=False)
            frames.append(grouped["item"].nunique().rename("count").reset_index().assign(measure=key))
            if key == "handled":
                frames.append(grouped[STEPS].sum().rename("count").reset_index().assign(measure=STEPS))
        columns = keys + ["measure", "part", "count"]
        if not frames:
            return pd.DataFrame(columns=columns)
        return pd.concat(frames, ignore_index=True)[columns]

    def table(self, per_official: bool = True) -> pd.DataFrame:
        """Wide: one row per (MaCanBo, unit) — or per unit — and a column ``measure|part`` per
        measure (``steps`` after ``handled``) and part; NaN where the input lacks what it needs."""
        keys = ["MaCanBo", "unit"] if per_official else ["unit"]
        names = [m.key for m in MEASURES]
        names.insert(1, STEPS)
        columns = [f"{name}|{part}" for name in names for part in self.part_keys]
        counts = self.counts(per_official)
        if counts.empty:
            table = pd.DataFrame(columns=keys + columns)
        else:
            table = counts.assign(column=counts["measure"] + "|" + counts["part"]).pivot_table(
                index=keys, columns="column", values="count", aggfunc="sum", fill_value=0)
            table = table.reindex(columns=columns, fill_value=0).reset_index()
        for measure in self.missing:
            table[[c for c in columns if c.split("|")[0] in (measure, STEPS if measure == "handled" else None)]] = np.nan
        return table.sort_values(keys, ignore_index=True)


def appraise(data, period: Period, methodology: Methodology, calendar: WorkingCalendar | None = None,
             settings: dict | None = None) -> Appraisal:
    """The appraisal evidence of ``period`` (see the module docstring for every rule)."""
    calendar = calendar or WorkingCalendar.default()
    settings = settings or appraisal_settings()
    ctx = Context(data, period, methodology, calendar)
    parts = period.parts()
    missing = {}
    for measure in MEASURES:
        lacks = [need for need in measure.needs if not ctx.has(*need.split("."))]
        if lacks:
            missing[measure.key] = f"{NO_DATA}: thiếu {', '.join(lacks)}"
    has_officials = ctx.has("hoso_su_kien", "MaCanBo")
    if not has_officials:
        missing["MaCanBo"] = f"{NO_DATA}: thiếu hoso_su_kien.MaCanBo"

    events = _events(ctx)
    in_period = events[(events["time"] >= period.start) & (events["time"] <= period.end)]
    builders = {
        "handled": lambda: _handled(in_period, parts, period),
        "late_steps": lambda: _late_steps(events, period),
        "supplements": lambda: _supplements(events, period),
        "pauses": lambda: _pauses(in_period, settings["permitted_pause_reasons"]),
        "returns": lambda: _returns(in_period),
        "overdue_held": lambda: _overdue_held(data, period, methodology, calendar),
        "staff_pakn": lambda: _staff_pakn(data, events, period),
    }
    names = data.tthc.drop_duplicates("MaTTHC").set_index("MaTTHC")["TenTTHC"]
    evidence = {}
    for measure in MEASURES:
        if measure.key in missing:
            rows = pd.DataFrame({c: pd.Series(dtype="object") for c in EVIDENCE_COLUMNS})
        else:
            rows = builders[measure.key]()
            if "part" not in rows:
                rows["part"] = _part_of(rows.pop("at"), parts, period)
            rows["TenTTHC"] = rows["MaTTHC"].map(names)
            rows = rows[EVIDENCE_COLUMNS + ([STEPS] if STEPS in rows else [])]
            rows = rows.sort_values(["MaCanBo", "unit", "time", "MaHoSo"], na_position="last", ignore_index=True)
        evidence[measure.key] = rows
    return Appraisal(period, parts, evidence, missing, has_officials)


def _events(ctx: Context) -> pd.DataFrame:
    """The events the index counts (known at the end of P), by dossier and time, with dossier,
    unit, procedure, official, step name and step deadline (end of day for a bare date)."""
    table = event_table(ctx)
    history, hoso = ctx.data.hoso_su_kien, ctx.data.hoso
    row, pos = table["row"].to_numpy(), table["pos"].to_numpy()

    def column(frame, name, rows):
        if name not in frame:
            return pd.Series(pd.NA, index=range(len(rows)), dtype="string")
        return frame[name].take(rows).reset_index(drop=True)

    events = pd.DataFrame({
        "MaHoSo": column(hoso, "MaHoSo", pos), "unit": column(hoso, "MaDonVi", pos),
        "MaTTHC": column(hoso, "MaTTHC", pos), "kind": table["kind"].to_numpy(),
        "time": pd.Series(table["time"].to_numpy().view("datetime64[ns]")),
        "MaCanBo": column(history, "MaCanBo", row).astype("string"),
        "step": column(history, "BuocXuLy", row).astype("string"), "event": row,
    })
    events["deadline"] = (end_of_day_if_date_only(history["HanBuoc"].take(row).reset_index(drop=True))
                          if "HanBuoc" in history else pd.NaT)
    order = np.lexsort((row, table["time"].to_numpy(), pos))
    return events.iloc[order].reset_index(drop=True)


def _rows(events: pd.DataFrame, at, detail, item) -> pd.DataFrame:
    """Evidence rows from event rows: ``at`` places each in a part, ``detail`` says why it
    counts, ``item`` is what is counted."""
    return pd.DataFrame({
        "MaCanBo": events["MaCanBo"].to_numpy(), "unit": events["unit"].to_numpy(),
        "MaHoSo": events["MaHoSo"].to_numpy(), "MaTTHC": events["MaTTHC"].to_numpy(),
        "time": events["time"].to_numpy(), "step": events["step"].to_numpy(),
        "detail": np.asarray(detail, dtype=object), "item": np.asarray(item, dtype=object), "at": np.asarray(at),
    })


def _handled(events: pd.DataFrame, parts: list[Period], period: Period) -> pd.DataFrame:
    """One row per official, dossier and part with the official's events on it (steps)."""
    events = events.assign(part=_part_of(events["time"], parts, period))
    grouped = events.groupby(["MaCanBo", "unit", "MaHoSo", "part"], sort=False, dropna=False)
    first = grouped.head(1).reset_index(drop=True)
    steps = grouped.size().to_numpy()
    rows = _rows(first, first["time"], [f"{n} bước" for n in steps], first["MaHoSo"]).drop(columns="at")
    return rows.assign(part=first["part"].to_numpy(), steps=steps)


def _late_steps(events: pd.DataFrame, period: Period) -> pd.DataFrame:
    dossier = events["MaHoSo"].to_numpy()
    time = events["time"].to_numpy()
    same_next = np.r_[dossier[1:] == dossier[:-1], False]
    terminal = events["kind"].isin([KIND[k] for k in EVENTS.terminal]).to_numpy()
    finish = np.where(same_next, np.r_[time[1:], np.datetime64("NaT")],
                      np.where(terminal, time, np.datetime64("NaT"))).astype("datetime64[ns]")
    deadline = events["deadline"].to_numpy(dtype="datetime64[ns]")
    late = (finish > deadline) & (finish >= period.start.to_datetime64()) & (finish <= period.end.to_datetime64())
    detail = [f"hạn bước {pd.Timestamp(d):%d/%m/%Y %H:%M}, xong {pd.Timestamp(f):%d/%m/%Y %H:%M}"
              for d, f in zip(deadline[late], finish[late])]
    chosen = events[late]
    return _rows(chosen, finish[late], detail, chosen["event"])


def _supplements(events: pd.DataFrame, period: Period) -> pd.DataFrame:
    requests = events[events["kind"] == KIND[EVENTS.supplement_request]]
    number = requests.groupby("MaHoSo", sort=False).cumcount().to_numpy() + 1
    requesters = {
        dossier: ", ".join(f"lần {n}: {c if pd.notna(c) else '?'} ({t:%d/%m/%Y})"
                           for n, (c, t) in enumerate(zip(g["MaCanBo"], g["time"]), 1))
        for dossier, g in requests.groupby("MaHoSo", sort=False)
    }
    later = requests[(number > 1) & requests["time"].between(period.start, period.end).to_numpy()]
    later = later.drop_duplicates(["MaHoSo", "MaCanBo"])  # a dossier once per requesting official
    return _rows(later, later["time"], later["MaHoSo"].map(requesters), later["MaHoSo"])


def _pauses(events: pd.DataFrame, permitted: list[str]) -> pd.DataFrame:
    pauses = events[events["kind"] == KIND[EVENTS.pause]]
    wrong = pauses[~permitted_pause(pauses["step"], permitted)]
    detail = ["không ghi lý do" if pd.isna(s) else f"lý do: {s}" for s in wrong["step"]]
    return _rows(wrong, wrong["time"], detail, wrong["event"])


def _returns(events: pd.DataFrame) -> pd.DataFrame:
    kinds = {KIND["TU_CHOI"]: "từ chối giải quyết", KIND["DUNG_XU_LY"]: "dừng xử lý, trả hồ sơ"}
    returned = events[events["kind"].isin(list(kinds))].drop_duplicates(["MaHoSo", "MaCanBo"])
    return _rows(returned, returned["time"], returned["kind"].map(kinds), returned["MaHoSo"])


def _overdue_held(data, period: Period, methodology: Methodology, calendar: WorkingCalendar) -> pd.DataFrame:
    outcomes = dossier_outcomes(data, period, methodology, calendar)
    late = outcomes[~outcomes["on_time"].to_numpy(dtype=bool)].reset_index(drop=True)
    # The part in which it went overdue: its due date (no due date: its reception), inside P.
    at = late["due"].where(late["due"].notna(), late["received"]).clip(lower=period.start, upper=period.end)
    reasons = late["overdue_reason"].astype("string").fillna("")
    detail = [f"{r}; hẹn trả {d:%d/%m/%Y %H:%M}" if pd.notna(d) else r for r, d in zip(reasons, late["due"])]
    rows = pd.DataFrame({
        "MaCanBo": late["responsible_official"].astype("string"), "unit": late["MaDonVi"],
        "MaHoSo": late["MaHoSo"], "MaTTHC": late["MaTTHC"], "step": late["responsible_step"].astype("string"),
        "time": late["end"],
    })
    return _rows(rows, at, detail, rows["MaHoSo"])


def _staff_pakn(data, events: pd.DataFrame, period: Period) -> pd.DataFrame:
    pakn = data.pakn
    about_staff = pakn[pakn["PhanLoai"].eq("CAN_BO").fillna(False).to_numpy(dtype=bool)
                       & pakn["MaHoSo"].notna().to_numpy()
                       & pakn["NgayTiepNhan"].between(period.start, period.end).to_numpy()]
    handlers = events[["MaHoSo", "MaCanBo", "unit", "MaTTHC", "step"]].drop_duplicates(["MaHoSo", "MaCanBo"])
    linked = about_staff[["MaPAKN", "MaHoSo", "NgayTiepNhan"]].merge(handlers, on="MaHoSo", how="inner")
    linked = linked.assign(time=linked["NgayTiepNhan"])
    detail = [f"PAKN {p} nhận ngày {t:%d/%m/%Y}" for p, t in zip(linked["MaPAKN"], linked["NgayTiepNhan"])]
    return _rows(linked, linked["NgayTiepNhan"], detail, linked["MaPAKN"])


def _part_of(at, parts: list[Period], period: Period) -> np.ndarray:
    """Key of the part (quarter, month) holding each time; the period's key when it has no parts."""
    at = pd.to_datetime(np.asarray(at)).to_numpy(dtype="datetime64[ns]")
    if not parts:
        return np.full(len(at), period.key, dtype=object)
    edges = np.array([p.start.to_datetime64() for p in parts[1:]], dtype="datetime64[ns]")
    return np.array([p.key for p in parts], dtype=object)[np.searchsorted(edges, at, side="right")]
