"""Reconciliation: the province's own computation beside the official DVCQG results, explained.

For each unit and sub-indicator that both sources have, the numerators, denominators and
points side by side (:func:`reconcile`), and where they differ, why (:func:`explain`):
the dossiers behind the difference, each difference put in one of these classes —

======================  =====================================================================
class                   what it means, how it is measured
======================  =====================================================================
``not_synced``          dossiers the province has but never synced to DVCQG
                        (``hoso.DongBoDVCQG`` = no): own figures − figures over the synced
                        dossiers only
``late_status``         status changes synced to DVCQG after the portal computed the period
                        (``hoso_su_kien.NgayDongBo`` after the cut-off, by default the end of
                        the period): the portal saw the dossier in an earlier state
``missing_procedure``   synced dossiers whose procedure is missing from the province's
                        catalogue export (set aside by the loader as ``unknown_procedure``):
                        the portal counts them, the province's figures cannot
``different_base``      what remains where the portal counts over another dossier base: it
                        flags the figure as provisional (``dataQualityStatus``, e.g. 1.4's
                        temporary denominator), or its denominator is its own 2.1 base
                        (totalReceived, spec R2) while chiso's is not
``unexplained``         anything left: "chưa giải thích được"
======================  =====================================================================

The classes are measured by recomputing with the same engine on what the portal sees
(:func:`portal_view`): every sub-indicator's own figure, then over the synced dossiers, then
without the late status changes. So each class's share of a difference is exact for
dossier-based sub-indicators and the parts add up to the whole.

Units are matched across the two sides (:func:`match_units`): through ``donvi.MaDVCQG`` (the
portal's departmentId or departmentCode), else the same code, else the same name without
regard to case, diacritics or the portal's " - Tỉnh X" suffix; the two top units (province)
match each other. Units left unmatched on either side are listed.

Example
-------
>>> result = explain(data, load_official(["dvcqg/2026-Q3"]), Period.parse("2026-Q3"), methodology)  # doctest: +SKIP
>>> result.table.query("indicator == '2.1'")[["unit", "numerator_computed", "numerator_official", "explanation"]]  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from chiso import reasons
from chiso.errors import ChisoError
from chiso.formatting import fold_diacritics
from chiso.status import COMPARABLE

KEY = ["unit", "indicator"]
COMPARED = ["numerator", "denominator", "points"]
SYNC_FLAG = "DongBoDVCQG"
SYNC_TIME = "NgayDongBo"  # hoso_su_kien: when the event was synced to DVCQG (optional)
CLASSES = {
    "not_synced": "hồ sơ chưa đồng bộ lên DVCQG",
    "late_status": "trạng thái đồng bộ muộn",
    "missing_procedure": "thủ tục không có trong danh mục",
    "different_base": "khác cơ sở hồ sơ",
    "unexplained": "chưa giải thích được",
}
# Sub-indicators whose denominator counts dossiers: a dossier the portal has and the
# province cannot count (missing procedure) changes them by one.
DOSSIER_BASED = ("1.4", "2.1", "3.3", "3.6", "4.1", "4.2", "4.3", "4.4", "4.7", "5.3")
# ... and whose numerator counts every synced dossier (a missing-procedure dossier is synced).
SYNCED_COUNT = ("1.4",)
# Spec R2: on DVCQG these share the progress tree's dossier base (2.1's denominator).
PORTAL_DOSSIER_BASE = ("4.1", "4.2", "4.3", "4.4", "4.7", "5.3")


def reconcile(computed: pd.DataFrame, official: pd.DataFrame) -> pd.DataFrame:
    """Join two scored long tables (``compute_scores`` and ``score_official``) on unit and
    sub-indicator; add ``<column>_difference`` = computed − official for numerator,
    denominator and points, and ``matches`` (all three equal, points to 2 decimals; a
    figure known on one side only does not match).

    Only rows both sources can compute are compared (DVCQG's 3.1–3.3 block and 2.2 are not).
    """
    left = computed[computed["status"].isin(COMPARABLE)][KEY + ["unit_name", *COMPARED]]
    right = official[official["status"].isin(COMPARABLE)][KEY + COMPARED]
    both = left.merge(right, on=KEY, suffixes=("_computed", "_official"), validate="one_to_one")
    if both.empty:
        raise ChisoError("no unit code is common to the two sources: they cannot be reconciled "
                         f"(computed: {', '.join(left['unit'].drop_duplicates().head(3))}…; "
                         f"official: {', '.join(right['unit'].drop_duplicates().head(3))}…)")
    for column in COMPARED:
        both[f"{column}_difference"] = both[f"{column}_computed"] - both[f"{column}_official"]
    both["matches"] = True
    for column, tolerance in (("numerator", 0), ("denominator", 0), ("points", 0.005)):
        computed_value, official_value = both[f"{column}_computed"], both[f"{column}_official"]
        # Both unknown is agreement; a figure on one side only is not.
        same = (both[f"{column}_difference"].abs() <= tolerance) | (computed_value.isna() & official_value.isna())
        both["matches"] &= same
    return both


# --------------------------------------------------------------------------- what the portal sees

def portal_view(data, cutoff: pd.Timestamp | None = None):
    """The dossiers as DVCQG sees them: only those synced (``hoso.DongBoDVCQG``), and, with a
    ``cutoff``, without the events synced after it (``hoso_su_kien.NgayDongBo``; an event
    with no sync time counts as synced in time). Catalogue, units, PAKN and announcements
    come from national systems and stay as they are.

    Without a DongBoDVCQG column nothing is known about the sync: every dossier is kept.
    """
    hoso, events = data.hoso, data.hoso_su_kien
    if SYNC_FLAG in hoso:
        synced = hoso[SYNC_FLAG].to_numpy(dtype=bool)
        hoso = hoso[synced].reset_index(drop=True)
        events = events[events["MaHoSo"].isin(hoso["MaHoSo"])]
    if cutoff is not None and SYNC_TIME in events:
        events = events[~(events[SYNC_TIME] > cutoff).fillna(False)]
    return dataclasses.replace(data, hoso=hoso, hoso_su_kien=events.reset_index(drop=True))


# --------------------------------------------------------------------------- units on both sides

_PORTAL_SUFFIX = re.compile(r"\s+-\s+(tinh|thanh pho)\s+.*$")


def name_key(name) -> str:
    """A unit name for matching: no diacritics, lower case, single spaces, without the portal's
    " - Tỉnh X" suffix.

    >>> name_key("Văn phòng UBND Tỉnh - Tỉnh Phú Thọ") == name_key("VĂN PHÒNG  UBND tỉnh")
    True
    """
    text = " ".join(fold_diacritics(str(name)).lower().split())
    return _PORTAL_SUFFIX.sub("", text)


def match_units(own: pd.DataFrame, official: pd.DataFrame) -> pd.DataFrame:
    """Pair the province's units with the portal's.

    ``own``: unit, name, level, parent and optionally ``dvcqg_id`` (donvi.MaDVCQG);
    ``official``: unit (departmentCode, or departmentId when the portal gives no code),
    unit_id (departmentId), name, level. Returns one row per unit of either side: ``unit``
    (own code, NA when unmatched), ``official_unit`` (NA when unmatched), ``name``,
    ``official_name`` and ``matched_by`` ("MaDVCQG" | "code" | "name" | "province" | NA).
    A name shared by two units on one side is not used to match.
    """
    pairs: dict[str, tuple[str, str]] = {}  # official unit -> (own unit, how)
    taken: set[str] = set()

    def pair(official_unit, own_unit, how):
        if official_unit not in pairs and own_unit not in taken:
            pairs[official_unit] = (own_unit, how)
            taken.add(own_unit)

    if "dvcqg_id" in own:
        by_id = {str(v): u for u, v in zip(own["unit"], own["dvcqg_id"]) if pd.notna(v)}
        for o_unit, o_id in zip(official["unit"], official["unit_id"]):
            hit = by_id.get(str(o_id)) or by_id.get(str(o_unit))
            if hit:
                pair(o_unit, hit, "MaDVCQG")
    own_codes = set(own["unit"])
    for o_unit in official["unit"]:
        if o_unit in own_codes:
            pair(o_unit, o_unit, "code")
    own_top = own.loc[own["parent"].isna() & own["level"].eq("province"), "unit"]
    official_top = official.loc[official["level"].eq("province"), "unit"]
    if len(own_top) == 1 and len(official_top) == 1:
        pair(official_top.iloc[0], own_top.iloc[0], "province")
    own_names = own.assign(key=own["name"].map(name_key)).drop_duplicates("key", keep=False).set_index("key")["unit"]
    official_keys = official.assign(key=official["name"].map(name_key)).drop_duplicates("key", keep=False)
    for o_unit, key in zip(official_keys["unit"], official_keys["key"]):
        if key in own_names.index:
            pair(o_unit, own_names[key], "name")

    matched = pd.DataFrame([(o, u, how) for o, (u, how) in pairs.items()],
                           columns=["official_unit", "unit", "matched_by"])
    official_names = official.drop_duplicates("unit").set_index("unit")["name"]
    own_names_by_code = own.set_index("unit")["name"]
    rows = [(u, o, own_names_by_code.get(u), official_names.get(o), how)
            for o, u, how in matched.itertuples(index=False)]
    rows += [(u, pd.NA, n, pd.NA, pd.NA) for u, n in zip(own["unit"], own["name"]) if u not in taken]
    rows += [(pd.NA, o, pd.NA, official_names.get(o), pd.NA) for o in official_names.index if o not in pairs]
    return pd.DataFrame(rows, columns=["unit", "official_unit", "name", "official_name", "matched_by"])


def own_units(data) -> pd.DataFrame:
    """data.units with ``dvcqg_id`` from donvi.MaDVCQG when the export has it."""
    units = data.units.copy()
    if "MaDVCQG" in data.donvi:
        units["dvcqg_id"] = data.donvi["MaDVCQG"].to_numpy()
    return units


# --------------------------------------------------------------------------- explanation

@dataclass
class Reconciliation:
    """The two sources side by side, explained.

    ``table``: one row per unit (own code) and sub-indicator both sides have — unit,
    unit_name, indicator, numerator/denominator/points ``_computed`` and ``_official``, their
    ``_difference`` (own − official), for each class of :data:`CLASSES` its
    ``<class>_numerator`` / ``<class>_denominator`` share of the difference, ``explanation``
    (the classes involved, Vietnamese, or "chưa giải thích được"), ``explained`` (bool),
    data_quality (the portal's flag) and ``matches``.
    ``dossiers``: one row per dossier behind a difference — unit (its MaDonVi), MaHoSo,
    MaTTHC, NgayTiepNhan, class, detail. Internal edition only (dossier ids).
    ``units``: :func:`match_units`; ``notes``: what one side lacks, in words.
    """

    table: pd.DataFrame
    dossiers: pd.DataFrame
    units: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def by_unit(self) -> pd.DataFrame:
        """Per unit: size of the unexplained difference (sum over sub-indicators of |numerator|
        + |denominator| left unexplained), differing sub-indicators, and dossiers per class;
        largest unexplained first."""
        t = self.table
        unexplained = (t["unexplained_numerator"].abs().fillna(0) + t["unexplained_denominator"].abs().fillna(0))
        out = t.assign(_unexplained=unexplained, _differs=~t["matches"]).groupby(["unit", "unit_name"], sort=False).agg(
            unexplained=("_unexplained", "sum"), differing=("_differs", "sum"),
            unexplained_indicators=("explained", lambda s: int((~s).sum())),
        ).reset_index()
        counts = self.dossiers.groupby(["unit", "class"]).size().unstack("class", fill_value=0)
        for name in ("not_synced", "late_status", "missing_procedure"):
            out[f"dossiers_{name}"] = out["unit"].map(counts[name] if name in counts else {}).fillna(0).astype(int)
        return out.sort_values(["unexplained", "differing"], ascending=False, kind="stable").reset_index(drop=True)


def explain(data, official, period, methodology, cutoff: pd.Timestamp | None = None, calendar=None) -> Reconciliation:
    """The province's own figures (``data``, a DossierData) beside the portal's (``official``,
    an :class:`~chiso.sources.official.OfficialResults`) for ``period``, each difference
    split into the classes of :data:`CLASSES` (module docstring). ``cutoff``: when the portal
    computed the period (default: the end of the period)."""
    from chiso.indicators import compute_scores
    from chiso.indicators.common import Context
    from chiso.indicators.timeline import outcomes
    from chiso.sources.official import score_official
    from chiso.workdays import WorkingCalendar

    calendar = calendar or WorkingCalendar.default()
    cutoff = period.end if cutoff is None else pd.Timestamp(cutoff)
    notes: list[str] = []
    if official.period_hint and official.period_hint != period.code:
        notes.append(f"the DVCQG responses are for {official.period_hint}, the dossiers are read for {period.code}")

    units = match_units(own_units(data), official.units)
    to_own = units.dropna(subset=["unit", "official_unit"]).set_index("official_unit")["unit"]
    scored_official = score_official(official, methodology)
    scored_official = scored_official[scored_official["unit"].isin(to_own.index)].assign(
        unit=lambda t: t["unit"].map(to_own))

    def scores(view):
        return compute_scores(view, period, methodology, calendar)

    own = scores(data)
    has_flag = SYNC_FLAG in data.hoso
    has_sync_time = SYNC_TIME in data.hoso_su_kien
    synced = scores(portal_view(data)) if has_flag else own
    seen = scores(portal_view(data, cutoff)) if has_sync_time else synced
    if not has_flag:
        notes.append(f"hoso has no {SYNC_FLAG} column: dossiers not synced cannot be told apart")
    if not has_sync_time:
        notes.append(f"hoso_su_kien has no {SYNC_TIME} column: status changes synced late cannot be told apart")
    for side, codes in (("DVCQG", units.loc[units["unit"].isna(), "official_name"]),
                        ("the dossier export", units.loc[units["official_unit"].isna(), "name"])):
        if len(codes):
            notes.append(f"{len(codes)} unit(s) only in {side}: {', '.join(map(str, codes.head(10)))}"
                         + ("…" if len(codes) > 10 else ""))

    ctx = Context(data, period, methodology, calendar)
    scope = outcomes(ctx)
    in_scope = data.hoso.iloc[scope["pos"].to_numpy()]
    dossiers = [_not_synced(in_scope), _late_status(data, in_scope, cutoff), _missing_procedure(data, period)]
    dossiers = pd.concat([d for d in dossiers if len(d)] or [_NO_DOSSIERS], ignore_index=True)

    missing = dossiers[dossiers["class"].eq("missing_procedure")]
    missing_own = ctx.count(ctx.unit_positions(missing["unit"]))
    missing_rolled = pd.Series(ctx.roll_up(missing_own), index=ctx.unit_codes)

    table = _explained_table(own, synced, seen, scored_official, missing_rolled)
    return Reconciliation(table=table, dossiers=dossiers, units=units, notes=notes)


_NO_DOSSIERS = pd.DataFrame({c: pd.Series(dtype="string") for c in
                             ["unit", "MaHoSo", "MaTTHC", "NgayTiepNhan", "class", "detail"]})


def _not_synced(in_scope: pd.DataFrame) -> pd.DataFrame:
    if SYNC_FLAG not in in_scope:
        return _NO_DOSSIERS
    rows = in_scope[~in_scope[SYNC_FLAG].to_numpy(dtype=bool)]
    return pd.DataFrame({"unit": rows["MaDonVi"], "MaHoSo": rows["MaHoSo"], "MaTTHC": rows["MaTTHC"],
                         "NgayTiepNhan": rows["NgayTiepNhan"], "class": "not_synced",
                         "detail": "DongBoDVCQG = không"})


def _late_status(data, in_scope: pd.DataFrame, cutoff) -> pd.DataFrame:
    events = data.hoso_su_kien
    if SYNC_TIME not in events:
        return _NO_DOSSIERS
    synced = in_scope[in_scope[SYNC_FLAG].to_numpy(dtype=bool)] if SYNC_FLAG in in_scope else in_scope
    late = events[(events[SYNC_TIME] > cutoff).fillna(False) & events["MaHoSo"].isin(synced["MaHoSo"])]
    late = late.sort_values(["MaHoSo", "ThoiDiem"]).drop_duplicates("MaHoSo")
    info = synced.set_index("MaHoSo")
    detail = [f"{kind} lúc {when:%d/%m/%Y %H:%M}, đồng bộ {sync:%d/%m/%Y}"
              for kind, when, sync in zip(late["SuKien"], late["ThoiDiem"], late[SYNC_TIME])]
    return pd.DataFrame({"unit": info.loc[late["MaHoSo"], "MaDonVi"].to_numpy(), "MaHoSo": late["MaHoSo"].to_numpy(),
                         "MaTTHC": info.loc[late["MaHoSo"], "MaTTHC"].to_numpy(),
                         "NgayTiepNhan": info.loc[late["MaHoSo"], "NgayTiepNhan"].to_numpy(),
                         "class": "late_status", "detail": detail})


def _missing_procedure(data, period) -> pd.DataFrame:
    """Synced dossiers received in the period that the loader set aside for an unknown procedure,
    read back from the hoso file (the accepted tables no longer hold them)."""
    aside = data.set_aside
    rows = aside[(aside["table"] == "hoso") & (aside["reason"] == reasons.UNKNOWN_PROCEDURE)]
    path = data.files.get("hoso")
    if rows.empty or path is None or not Path(path).is_file():
        return _NO_DOSSIERS
    raw = read_rows(path, "hoso", rows["row"].to_numpy())
    keep = ((raw["NgayTiepNhan"] >= period.start) & (raw["NgayTiepNhan"] <= period.end)).to_numpy()
    if SYNC_FLAG in raw:
        keep = keep & raw[SYNC_FLAG].to_numpy(dtype=bool)
    raw = raw[keep]
    return pd.DataFrame({"unit": raw["MaDonVi"], "MaHoSo": raw["MaHoSo"], "MaTTHC": raw["MaTTHC"],
                         "NgayTiepNhan": raw["NgayTiepNhan"], "class": "missing_procedure",
                         "detail": "MaTTHC " + raw["MaTTHC"].astype(str) + " không có trong danh mục tthc"})


def read_rows(path, table: str, rows: np.ndarray) -> pd.DataFrame:
    """Given data rows (1-based, as in the set-aside list) of a contract table's file, with the
    contract columns the file has, decoded as the loader decodes them."""
    from chiso.sources.dossiers import (_canonical_headers, _decode, _read_table_file, load_column_names,
                                        load_contract)

    contract = load_contract()
    spec = contract.tables[table]
    raw, row_numbers = _read_table_file(Path(path))
    raw, _ = _canonical_headers(raw, spec, load_column_names(contract)[table], Path(path))
    numbers = np.arange(1, raw.num_rows + 1) if row_numbers is None else row_numbers
    raw = raw.filter(pa.array(np.isin(numbers, rows)))
    return pd.DataFrame({name: _decode(raw.column(name), column, contract, False).values
                         for name, column in spec.columns.items() if name in raw.column_names})


def _explained_table(own, synced, seen, official, missing_rolled: pd.Series) -> pd.DataFrame:
    t = reconcile(own, official).merge(official[KEY + ["data_quality"]], on=KEY, how="left")
    for name, frame in (("synced", synced), ("seen", seen)):
        t = t.merge(frame[KEY + ["numerator", "denominator"]].rename(
            columns={"numerator": f"numerator_{name}", "denominator": f"denominator_{name}"}), on=KEY, how="left")
    base = official[official["indicator"] == "2.1"].set_index("unit")["denominator"]
    seen_base = seen[seen["indicator"] == "2.1"].set_index("unit")["denominator"]
    explained_parts = []
    for part in ("numerator", "denominator"):
        known = t[f"{part}_official"].notna() & t[f"{part}_computed"].notna()
        t[f"not_synced_{part}"] = (t[f"{part}_computed"] - t[f"{part}_synced"]).where(known, 0.0)
        t[f"late_status_{part}"] = (t[f"{part}_synced"] - t[f"{part}_seen"]).where(known, 0.0)
        missing = -t["unit"].map(missing_rolled).fillna(0)
        counted = t["indicator"].isin(DOSSIER_BASED if part == "denominator" else SYNCED_COUNT)
        t[f"missing_procedure_{part}"] = missing.where(known & counted, 0.0)
        rest = (t[f"{part}_difference"] - t[f"not_synced_{part}"] - t[f"late_status_{part}"]
                - t[f"missing_procedure_{part}"]).where(known, 0.0)
        rest = rest.mask(rest.abs() < 1e-9, 0.0)
        on_other_base = (t["data_quality"].notna()
                         | (t["indicator"].isin(PORTAL_DOSSIER_BASE)
                            & t["denominator_official"].eq(t["unit"].map(base))
                            & t["denominator_seen"].ne(t["unit"].map(seen_base))))
        t[f"different_base_{part}"] = rest.where(on_other_base, 0.0)
        t[f"unexplained_{part}"] = rest.where(~on_other_base, 0.0)
        explained_parts.append(known)
    # A figure only one side has (or ratio-only, 4.5): only points can be compared.
    points_only = ~(explained_parts[0] | explained_parts[1])
    points_differ = (t["points_difference"].abs() > 0.005) | (t["points_computed"].isna() != t["points_official"].isna())
    t.loc[points_only, "matches"] = ~points_differ[points_only]
    t["explained"] = t["unexplained_numerator"].eq(0) & t["unexplained_denominator"].eq(0) & (t["matches"] | ~points_only)
    t["explanation"] = [
        _explanation(row, points_only_row) for row, points_only_row in zip(t.itertuples(index=False), points_only)
    ]
    ordered = ["unit", "unit_name", "indicator",
               *[f"{c}_{s}" for c in COMPARED for s in ("computed", "official", "difference")],
               *[f"{k}_{p}" for k in CLASSES for p in ("numerator", "denominator")],
               "explanation", "explained", "matches", "data_quality"]
    return t[ordered]


def _explanation(row, points_only: bool) -> str:
    """The classes involved in a row's difference, in Vietnamese ("" when there is none)."""
    if row.matches:
        return ""
    if points_only:
        return CLASSES["unexplained"]
    found = [label for key, label in CLASSES.items()
             if abs(getattr(row, f"{key}_numerator")) > 1e-9 or abs(getattr(row, f"{key}_denominator")) > 1e-9]
    return "; ".join(found) or CLASSES["unexplained"]
