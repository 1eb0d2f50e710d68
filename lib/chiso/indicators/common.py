"""What every sub-indicator module shares: the computation context, input checks, roll-up.

A :class:`Context` is built once per computation (data, period, methodology, calendar) and
caches what several sub-indicators read: unit positions, the parent roll-up matrix, and
(through :meth:`Context.cached`) the event table and the per-dossier timeline of
:mod:`chiso.indicators.timeline`.

Each sub-indicator function takes the context and returns one row per unit (index = unit
code, every unit of ``data.units``) with ``numerator`` and ``denominator`` — already rolled
up to parents — and optionally ``status`` and ``note``. A function that lacks an input raises
:class:`MissingInput`; :func:`chiso.indicators.compute_indicators` turns it into "no data".

Roll-up (parents = province, districts), docs/methodology.md §5 R1 [verified on DVCQG's parent rows]:
dossier-based counts (1.4, 2.1, 3.3, 3.6, 4.1–4.4, 4.7, 5.3) and 3.2 (unit, online service
pairs) are the sums over a parent's subtree (:meth:`Context.rolled_up`); procedure-based
counts (1.1–1.3, 3.4, 3.5, 4.6) count each procedure (MaTTHC) once at a parent
(:meth:`Context.distinct_procedures`), and 3.1 counts it at the highest tier offering it
(:func:`chiso.indicators.online.online_procedures`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from chiso.codes import STATUS
from chiso.errors import ChisoError
from chiso.methodology import Methodology
from chiso.period import Period
from chiso.workdays import WorkingCalendar

# Optional date of a dossier fact (docs/methodology.md §5 R9): a fact dated after the end of P does not count in P.
FACT_DATES = {"KetQuaDienTu": "NgayCoKetQuaDienTu", "ThanhToanTrucTuyen": "NgayThanhToan", "DanhGia": "NgayDanhGia"}
# Tier of each level of administration (higher = higher level); a department is a
# provincial-level agency, so it ranks with the province.
LEVEL_TIER = {"province": 3, "department": 3, "district": 2, "commune": 1}


class MissingInput(ChisoError):
    """Inputs a rule reads are absent (table not supplied, or column absent / entirely blank).

    :func:`chiso.indicators.compute_indicators` reports it as "no data"; raised from a helper
    such as ``late_pakn`` it reaches the user as one line.
    """

    def __init__(self, missing):
        self.missing = list(missing)
        super().__init__("missing input: " + ", ".join(self.missing))


def positions(values: pd.Series, reference: pd.Series) -> np.ndarray:
    """Position of each value in ``reference`` (-1 when absent or missing).

    Arrow's hash lookup is several times faster than ``Index.get_indexer`` on millions of
    strings. ``reference`` must hold unique values.

    >>> positions(pd.Series(["b", "x", None], dtype="string"), pd.Series(["a", "b"], dtype="string"))
    array([ 1, -1, -1])
    """
    arr = pa.array(values, from_pandas=True)
    ref = pa.array(reference, from_pandas=True)
    if arr.type != ref.type:
        ref = ref.cast(arr.type)
    found = pc.index_in(arr, value_set=ref, skip_nulls=True)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


@dataclass
class Context:
    """One computation: data (a DossierData), period, methodology and working-day calendar."""

    data: object
    period: Period
    methodology: Methodology
    calendar: WorkingCalendar
    _memo: dict = field(default_factory=dict, repr=False)

    # -- settings and inputs -------------------------------------------------------------

    def setting(self, name: str, default):
        return self.methodology.settings.get(name, default)

    def table(self, name: str) -> pd.DataFrame | None:
        return getattr(self.data, name, None)

    def has(self, table: str, column: str | None = None) -> bool:
        frame = self.table(table)
        return frame is not None and (column is None or column in frame.columns)

    def require(self, *inputs: str) -> None:
        """Raise :class:`MissingInput` naming every absent ``table`` or ``table.Column``.

        A column of a table that was not supplied is reported as the missing table.
        """
        missing = []
        for item in inputs:
            table, _, column = item.partition(".")
            if not self.has(table):
                problem = f"table {table}"
            elif column and not self.has(table, column):
                problem = f"column {item}"
            else:
                continue
            if problem not in missing:
                missing.append(problem)
        if missing:
            raise MissingInput(missing)

    # -- units and roll-up ------------------------------------------------------------------

    @cached_property
    def units(self) -> pd.DataFrame:
        return self.data.units.reset_index(drop=True)

    @cached_property
    def unit_codes(self) -> pd.Index:
        return pd.Index(self.units["unit"])

    @cached_property
    def subtree(self) -> np.ndarray:
        """``subtree[a, u]`` = 1 when unit u is unit a or one of its descendants."""
        n = len(self.unit_codes)
        parent = self.unit_codes.get_indexer(self.units["parent"])
        matrix = np.eye(n)
        ancestor = parent.copy()
        for _ in range(n + 1):
            has_ancestor = ancestor >= 0
            if not has_ancestor.any():
                return matrix
            matrix[ancestor[has_ancestor], np.flatnonzero(has_ancestor)] = 1
            ancestor = np.where(has_ancestor, parent[np.maximum(ancestor, 0)], -1)
        raise ChisoError("donvi: the parent units (MaDonViCha) form a cycle")

    @cached_property
    def province_of(self) -> np.ndarray:
        """Per unit, the position of the province (level "province") whose subtree holds it
        (itself for the province), -1 when none."""
        is_province = (self.units["level"] == "province").fillna(False).to_numpy(dtype=bool)
        holder = self.subtree * is_province[:, None]  # [province, unit]
        return np.where(holder.any(axis=0), holder.argmax(axis=0), -1)

    def unit_positions(self, codes: pd.Series) -> np.ndarray:
        return positions(codes, self.units["unit"])

    def count(self, unit_pos: np.ndarray, weights=None) -> np.ndarray:
        """Own (not rolled-up) per-unit sums of ``weights`` (1 per row by default); -1 positions ignored."""
        known = unit_pos >= 0
        w = None if weights is None else np.asarray(weights, dtype=float)[known]
        return np.bincount(unit_pos[known], weights=w, minlength=len(self.unit_codes)).astype(float)

    def roll_up(self, own: np.ndarray) -> np.ndarray:
        """Sums over each unit and its descendants."""
        return self.subtree @ own

    def result(self, numerator, denominator, note=None) -> pd.DataFrame:
        """One row per unit (index = unit code) with numerator, denominator and, if given, note.

        ``numerator`` and ``denominator`` are per-unit arrays already rolled up; ``note`` is
        one text for every unit or a per-unit Series (missing = no note).
        """
        frame = pd.DataFrame({"numerator": numerator, "denominator": denominator}, index=self.unit_codes)
        if note is not None:
            frame["note"] = note if isinstance(note, str) else pd.Series(note, index=self.unit_codes)
        return frame

    def rolled_up(self, numerator_own, denominator_own, note=None) -> pd.DataFrame:
        """:meth:`result` of own (per-unit, not rolled-up) counts summed over each unit's subtree."""
        return self.result(self.roll_up(numerator_own), self.roll_up(denominator_own), note)

    def distinct_procedures(self, unit_pos, procedure, good, agg: str = "any") -> pd.DataFrame:
        """:meth:`result` of procedure-based counts (docs/methodology.md §5 R1): each procedure once per unit.

        ``unit_pos``, ``procedure`` (any hashable code, e.g. MaTTHC) and ``good`` describe
        (unit, procedure) rows; duplicates allowed. A unit counts the distinct procedures of
        its subtree (itself for a leaf) in the denominator, and in the numerator those whose
        rows are good: ``any`` of them (a procedure integrated somewhere) or ``all`` of them
        (announced on time: late if any announcement is late).

        Example: a department lists A (good) and B; its commune A (not good) and C (good) →
        department 1 / 2, commune 1 / 2, province with ``any``: A, C good of A, B, C → 2 / 3
        (with ``all``: C only → 1 / 3), where a sum of pairs would give 2 / 4.
        """
        rows = pd.DataFrame({"unit_pos": np.asarray(unit_pos, dtype=np.int64),
                             "procedure": pd.factorize(pd.Series(procedure).astype("string"))[0],
                             "good": np.asarray(good, dtype=bool)})
        rows = rows[(rows["unit_pos"] >= 0) & (rows["procedure"] >= 0)]
        per_unit = rows.groupby(["unit_pos", "procedure"], as_index=False)["good"].agg(agg)
        ancestor, unit = np.nonzero(self.subtree)
        spread = per_unit.merge(pd.DataFrame({"ancestor": ancestor, "unit_pos": unit}), on="unit_pos")
        per_ancestor = spread.groupby(["ancestor", "procedure"])["good"].agg(agg)
        at = per_ancestor.index.get_level_values("ancestor").to_numpy()
        return self.result(self.count(at, per_ancestor.to_numpy()), self.count(at))

    def count_note(self, own_counts, text: str) -> pd.Series:
        """Per-unit note ``text`` formatted with the rolled-up count, where that count is > 0.

        Example: ``count_note(own, "{n:g} dossiers without due date")`` gives
        "3 dossiers without due date" for a unit whose subtree has 3, no note where 0.
        """
        counts = pd.Series(self.roll_up(own_counts), index=self.unit_codes)
        return counts.map(lambda n: text.format(n=n) if n > 0 else pd.NA).astype("string")

    # -- procedures -------------------------------------------------------------------------

    def procedure_flag(self, column: str, proc_pos: np.ndarray) -> np.ndarray:
        """tthc's boolean ``column`` for each procedure position (False for unknown procedures)."""
        values = np.append(self.data.tthc[column].to_numpy(dtype=bool), False)
        return values[proc_pos]  # position -1 picks the appended False

    @cached_property
    def procedure_units(self) -> pd.DataFrame:
        """tthc_donvi as one row per (unit, procedure): unit_pos, proc_pos and its flags.

        Duplicate rows are merged (a flag is true if any duplicate says so); rows of unknown
        units or procedures are dropped.
        """
        rows = self.data.tthc_donvi
        frame = pd.DataFrame(
            {
                "unit_pos": self.unit_positions(rows["MaDonVi"]),
                "proc_pos": positions(rows["MaTTHC"], self.data.tthc["MaTTHC"]),
            }
        )
        if "MucDoDVCTT" in rows:
            frame["online"] = rows["MucDoDVCTT"].isin(STATUS.online_service_levels).fillna(False).to_numpy(dtype=bool)
        if "TichHopThanhToan" in rows:
            frame["payment_integrated"] = rows["TichHopThanhToan"].to_numpy(dtype=bool)
        frame = frame[(frame["unit_pos"] >= 0) & (frame["proc_pos"] >= 0)]
        return frame.groupby(["unit_pos", "proc_pos"], as_index=False).max()

    def pairs_with_dossiers(self, pairs: pd.DataFrame, dossiers: np.ndarray) -> np.ndarray:
        """For each (unit_pos, proc_pos) row of ``pairs``: ≥ 1 selected dossier of that procedure at that unit?"""
        width = len(self.data.tthc) + 1  # one integer key per (unit, procedure) pair
        keys = self.dossier_unit_pos[dossiers].astype(np.int64) * width + self.dossier_proc_pos[dossiers]
        pair_keys = pairs["unit_pos"].to_numpy(dtype=np.int64) * width + pairs["proc_pos"].to_numpy(dtype=np.int64)
        return np.isin(pair_keys, keys)

    # -- dossiers ---------------------------------------------------------------------------

    @cached_property
    def dossier_unit_pos(self) -> np.ndarray:
        return self.unit_positions(self.data.hoso["MaDonVi"])

    @cached_property
    def dossier_proc_pos(self) -> np.ndarray:
        return positions(self.data.hoso["MaTTHC"], self.data.tthc["MaTTHC"])

    def dossier_flag(self, column: str) -> np.ndarray:
        """hoso's boolean ``column`` as a numpy bool array, known by the end of P (docs/methodology.md §5 R9).

        Without a date the flag is read as exported; with its date column (:data:`FACT_DATES`)
        a fact dated after the end of P (or the as-of date) is not yet true.
        """
        return self.data.hoso[column].to_numpy(dtype=bool) & self.fact_known(column)

    def fact_known(self, column: str) -> np.ndarray:
        """Per hoso row: False where the fact ``column`` is dated after the end of P (R9)."""
        dated = FACT_DATES.get(column)
        if dated is None or dated not in self.data.hoso:
            return np.ones(len(self.data.hoso), dtype=bool)
        return ~(self.data.hoso[dated] > self.period.end).fillna(False).to_numpy(dtype=bool)

    def in_period(self, timestamps) -> np.ndarray:
        values = pd.to_datetime(timestamps).to_numpy(dtype="datetime64[ns]")
        return (values >= self.period.start.to_datetime64()) & (values <= self.period.end.to_datetime64())

    def cached(self, key: str, build):
        """``build()`` once per context: shared intermediate results (events, timeline, ...)."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]
