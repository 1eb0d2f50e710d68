"""Group 3 — Cung cấp dịch vụ công trực tuyến (online services and payment): 3.1–3.6 (docs/methodology.md §3).

"Procedures of a unit" are its ``tthc_donvi`` rows (one per procedure; duplicates merged).
A procedure "has an online service" at a unit when MucDoDVCTT is MOT_PHAN (một phần) or
TOAN_TRINH (toàn trình). "Fee-bearing" = tthc.CoPhiLePhi.

Payment indicators (3.4–3.6) date a dossier by its processing start (NgayBatDauXuLy, or
NgayTiepNhan when that is blank or the column is absent): fees are paid when processing
starts, and the spec dates 3.6 that way; 3.4 and 3.5 use the same date for consistency.

At a parent (docs/methodology.md §5 R1): 3.4 and 3.5 count each procedure once (good when any unit of the
subtree makes it so); 3.1 counts each procedure once, at the highest tier of the subtree that
offers it, online when at least one unit of that tier offers it online (methodology setting
``online_procedure_tier_rule``: ``any``, as DVCQG, or ``all``); 3.2 sums (unit, online
service) pairs, as DVCQG's own counters do (R12: 1,968 services against 52 online procedures).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chiso.codes import STATUS
from chiso.indicators.common import LEVEL_TIER, Context
from chiso.indicators.timeline import accepted_dossiers, received_in_period


def _payment_period(ctx: Context) -> np.ndarray:
    """Accepted dossiers whose processing started in P (NgayBatDauXuLy, else NgayTiepNhan)."""
    hoso = ctx.data.hoso
    started = hoso["NgayTiepNhan"]
    if "NgayBatDauXuLy" in hoso:
        started = hoso["NgayBatDauXuLy"].fillna(started)
    return accepted_dossiers(ctx) & ctx.in_period(started)


def _fee_procedures(ctx: Context) -> pd.DataFrame:
    pairs = ctx.procedure_units
    return pairs[ctx.procedure_flag("CoPhiLePhi", pairs["proc_pos"].to_numpy())]


def online_procedures(ctx: Context) -> pd.DataFrame:
    """3.1 Tỷ lệ TTHC cung cấp dịch vụ công trực tuyến — docs/methodology.md §3, 3.1.

    Procedures with an online service (MOT_PHAN or TOAN_TRINH) / procedures under the
    unit's authority (its tthc_donvi rows), each procedure once (docs/methodology.md §5 R1). For a parent, a
    procedure counts at the highest tier of its subtree that offers it (province and
    departments > district > commune), and is online when at least one unit of that tier
    offers it online (setting ``online_procedure_tier_rule``: ``any``, the default, as DVCQG;
    ``all``). The note counts the procedures whose units of that tier disagree.

    Example: a department offers A (online) and B (not); communes X offer A (not) and C
    (online), Y offers C (not) → department 1 / 2, X 1 / 2, Y 0 / 1; the province counts A
    at the department (online), B no, C at the communes (online at X: ``any``) → 2 / 3.
    """
    ctx.require("tthc_donvi.MucDoDVCTT")
    counted = _highest_tier_offers(ctx)
    rule = ctx.setting("online_procedure_tier_rule", "any")
    per_procedure = counted.groupby(["ancestor", "proc_pos"])["online"].agg([rule, "nunique"])
    at = per_procedure.index.get_level_values("ancestor").to_numpy()
    result = ctx.result(ctx.count(at, per_procedure[rule].to_numpy()), ctx.count(at))
    disagree = pd.Series(ctx.count(at, per_procedure["nunique"].to_numpy() > 1), index=ctx.unit_codes)
    result["note"] = disagree.map(
        lambda n: f"{n:g} procedure(s) online at some units of the counted tier and not others ({rule})"
        if n > 0 else pd.NA).astype("string")
    return result


def _highest_tier_offers(ctx: Context) -> pd.DataFrame:
    """(ancestor, unit_pos, proc_pos, online) of the units of each subtree that offer a procedure
    at the highest tier offering it in that subtree (3.1, docs/methodology.md §5 R1)."""
    def build():
        pairs = ctx.procedure_units
        tier = ctx.units["level"].map(LEVEL_TIER).fillna(0).to_numpy()
        ancestor, unit = np.nonzero(ctx.subtree)
        spread = pairs.merge(pd.DataFrame({"ancestor": ancestor, "unit_pos": unit}), on="unit_pos")
        spread["tier"] = tier[spread["unit_pos"].to_numpy()]
        highest = spread.groupby(["ancestor", "proc_pos"])["tier"].transform("max")
        return spread[spread["tier"] == highest]

    return ctx.cached("highest_tier_offers", build)


def online_services_used(ctx: Context) -> pd.DataFrame:
    """3.2 Tỷ lệ DVCTT có phát sinh hồ sơ trực tuyến — docs/methodology.md §3, 3.2.

    Online services of the unit (tthc_donvi rows with MOT_PHAN / TOAN_TRINH) that received
    ≥ 1 online dossier (KenhNop = 2) in P at that unit / online services of the unit.

    Example: online services A, B, C; online dossiers in P for A (two) and for D (not an
    online service) → 1 / 3.
    """
    ctx.require("tthc_donvi.MucDoDVCTT")
    pairs = ctx.procedure_units
    services = pairs[pairs["online"]]
    online = (ctx.data.hoso["KenhNop"] == STATUS.online_channel).fillna(False).to_numpy(dtype=bool)
    used = ctx.pairs_with_dossiers(services, received_in_period(ctx) & online)
    unit = services["unit_pos"].to_numpy()
    return ctx.rolled_up(ctx.count(unit, used), ctx.count(unit))


def online_dossiers(ctx: Context) -> pd.DataFrame:
    """3.3 Tỷ lệ hồ sơ nộp trực tuyến — docs/methodology.md §3, 3.3.

    (online dossiers received in P / dossiers received in P) × the unit's 1.4 ratio
    (synced / received). An online dossier (KenhNop = 2) of a procedure that requires a paper
    result (YeuCauKetQuaGiay) counts only with an electronic result (KetQuaDienTu).
    Written as numerator / denominator with numerator = online × synced / received and
    denominator = received, so that the ratio is the product; a parent sums online, synced
    and received over its subtree first. The note gives the three counts.

    Example: 10 received, 6 online (one of them paper-result without e-result → 5 count),
    8 synced → numerator 5 × 8 / 10 = 4, denominator 10 → 40 %.
    """
    ctx.require("hoso.DongBoDVCQG", "tthc.YeuCauKetQuaGiay", "hoso.KetQuaDienTu")
    received = received_in_period(ctx)
    online = (ctx.data.hoso["KenhNop"] == STATUS.online_channel).fillna(False).to_numpy(dtype=bool)
    paper = ctx.procedure_flag("YeuCauKetQuaGiay", ctx.dossier_proc_pos)
    counted = received & online & (~paper | ctx.dossier_flag("KetQuaDienTu"))
    unit = ctx.dossier_unit_pos
    n_online = ctx.roll_up(ctx.count(unit, counted))
    n_synced = ctx.roll_up(ctx.count(unit, received & ctx.dossier_flag("DongBoDVCQG")))
    n_received = ctx.roll_up(ctx.count(unit, received))
    with np.errstate(invalid="ignore", divide="ignore"):
        numerator = np.where(n_received > 0, n_online * n_synced / n_received, 0.0)
    note = pd.Series(
        [f"online {o:g}, synced {s:g}, received {r:g}" for o, s, r in zip(n_online, n_synced, n_received)],
        index=ctx.unit_codes,
        dtype="string",
    )
    return ctx.result(numerator, n_received, note)


def fee_procedures_integrated(ctx: Context) -> pd.DataFrame:
    """3.4 Tỷ lệ TTHC có nghĩa vụ tài chính được tích hợp thanh toán trực tuyến — docs/methodology.md §3, 3.4.

    Fee-bearing procedures of the unit whose fee data is integrated for online payment
    (tthc_donvi.TichHopThanhToan) and that had ≥ 1 dossier at the unit with processing start
    in P / fee-bearing procedures of the unit; each procedure once at a parent, counted when
    any unit of the subtree meets the condition (docs/methodology.md §5 R1).

    Example: fee-bearing A (integrated, 3 dossiers), B (integrated, no dossier),
    C (not integrated, 1 dossier) → 1 / 3.
    """
    ctx.require("tthc.CoPhiLePhi", "tthc_donvi.TichHopThanhToan")
    fee = _fee_procedures(ctx)
    with_dossier = ctx.pairs_with_dossiers(fee, _payment_period(ctx))
    good = with_dossier & fee["payment_integrated"].to_numpy()
    return ctx.distinct_procedures(fee["unit_pos"], fee["proc_pos"], good)


def fee_procedures_paid_online(ctx: Context) -> pd.DataFrame:
    """3.5 Tỷ lệ TTHC có giao dịch thanh toán trực tuyến — docs/methodology.md §3, 3.5.

    Fee-bearing procedures of the unit with ≥ 1 dossier paid online (ThanhToanTrucTuyen, on
    DVCQG or the provincial gateway) with processing start in P / fee-bearing procedures of
    the unit; each procedure once at a parent, paid when paid at any unit (docs/methodology.md §5 R1).

    Example: fee-bearing A (one dossier paid online), B (dossiers, none paid online) → 1 / 2.
    """
    ctx.require("tthc.CoPhiLePhi", "tthc_donvi", "hoso.ThanhToanTrucTuyen")
    fee = _fee_procedures(ctx)
    paid = ctx.pairs_with_dossiers(fee, _payment_period(ctx) & ctx.dossier_flag("ThanhToanTrucTuyen"))
    return ctx.distinct_procedures(fee["unit_pos"], fee["proc_pos"], paid)


def dossiers_paid_online(ctx: Context) -> pd.DataFrame:
    """3.6 Tỷ lệ hồ sơ thanh toán trực tuyến — docs/methodology.md §3, 3.6, base revised by §5 R7.

    Dossiers paid online / dossiers of fee-bearing procedures (CoPhiLePhi) unless their fee is
    explicitly 0 — a blank PhiLePhi counts (amount unknown; the note counts them) — plus any
    dossier paid online, all with processing start in P (NgayBatDauXuLy, else NgayTiepNhan).
    A dossier paid online always counts in both.

    Example: 5 dossiers of fee-bearing procedures started in P: fee 0 (out), blank fee paid
    online, blank fee not paid, 2 with fees of which 1 paid online → 2 / 4.
    """
    ctx.require("tthc.CoPhiLePhi", "hoso.PhiLePhi", "hoso.ThanhToanTrucTuyen")
    fee = ctx.data.hoso["PhiLePhi"]
    free = (fee == 0).fillna(False).to_numpy(dtype=bool)
    paid = ctx.dossier_flag("ThanhToanTrucTuyen")
    started = _payment_period(ctx)
    fee_bearing = ctx.procedure_flag("CoPhiLePhi", ctx.dossier_proc_pos)
    owed = started & ((fee_bearing & ~free) | paid)
    unit = ctx.dossier_unit_pos
    blank = owed & fee.isna().to_numpy()
    note = ctx.count_note(ctx.count(unit, blank), "{n:g} dossier(s) with a blank fee counted (amount unknown)")
    return ctx.rolled_up(ctx.count(unit, owed & paid), ctx.count(unit, owed), note)
