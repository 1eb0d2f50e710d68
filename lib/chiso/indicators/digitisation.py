"""Group 4 — Số hóa hồ sơ (digitisation): sub-indicators 4.1–4.7 (docs/methodology.md §3, §5 R1, R2, R9).

4.1–4.4 and 4.7 count a flag among the dossiers in scope for P — received in P, plus those
received before P and unfinished when P started: the base of 2.1 (docs/methodology.md §5 R2, verified:
DVCQG's denominators equal the progress tree's totalReceived for every unit).

Dossier flags (SoHoa, TaiSuDung, KhoDuLieuCaNhan, DuLieuDanCu, KetQuaDienTu) are read as
exported (docs/methodology.md §5 R9): an electronic result dated after the end of P (NgayCoKetQuaDienTu)
does not count; the other flags carry no date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chiso.indicators.common import Context
from chiso.indicators.timeline import outcomes, received_in_period
from chiso.status import NOT_APPLICABLE, OK


def _scope_share(ctx: Context, flag: np.ndarray) -> pd.DataFrame:
    """Dossiers in scope for P (the base of 2.1) with ``flag`` (one per hoso row) / dossiers in scope."""
    ctx.require("hoso_su_kien")
    timeline = outcomes(ctx)
    unit = timeline["unit_pos"].to_numpy()
    return ctx.rolled_up(ctx.count(unit, flag[timeline["pos"].to_numpy()]), ctx.count(unit))


def electronic_results(ctx: Context) -> pd.DataFrame:
    """4.1 Tỷ lệ hồ sơ có cấp kết quả giải quyết điện tử — docs/methodology.md §3, 4.1, as revised by §5 R2.

    Dossiers in scope for P with an electronic result (KetQuaDienTu, dated by the end of P when
    NgayCoKetQuaDienTu is given) / dossiers in scope for P. The paper-result condition of §3
    narrows neither side (R2: DVCQG's denominator is the progress tree's totalReceived).

    Example: 4 dossiers in scope (one carried over from the previous quarter, one rejected),
    2 with an e-result → 2 / 4.
    """
    ctx.require("hoso.KetQuaDienTu")
    return _scope_share(ctx, ctx.dossier_flag("KetQuaDienTu"))


def digitised_dossiers(ctx: Context) -> pd.DataFrame:
    """4.2 Tỷ lệ hồ sơ thực hiện số hóa hồ sơ — docs/methodology.md §3, 4.2, base revised by §5 R2.

    Dossiers in scope for P digitised at reception (SoHoa) and, when the procedure requires a
    paper result (YeuCauKetQuaGiay), with an electronic result (KetQuaDienTu) / dossiers in
    scope for P.

    Example: 4 in scope; 3 digitised, one of them of a paper-result procedure without
    e-result → 2 / 4.
    """
    ctx.require("hoso.SoHoa", "tthc.YeuCauKetQuaGiay", "hoso.KetQuaDienTu")
    paper = ctx.procedure_flag("YeuCauKetQuaGiay", ctx.dossier_proc_pos)
    return _scope_share(ctx, ctx.dossier_flag("SoHoa") & (~paper | ctx.dossier_flag("KetQuaDienTu")))


def reused_data(ctx: Context) -> pd.DataFrame:
    """4.3 Tỷ lệ hồ sơ khai thác, sử dụng lại dữ liệu số hóa — docs/methodology.md §3, 4.3, base revised by §5 R2.

    Dossiers in scope for P reusing ≥ 1 digitised component (TaiSuDung) / dossiers in scope.
    Example: 5 in scope, 1 reused → 1 / 5.
    """
    ctx.require("hoso.TaiSuDung")
    return _scope_share(ctx, ctx.dossier_flag("TaiSuDung"))


def personal_data_store(ctx: Context) -> pd.DataFrame:
    """4.4 Tỷ lệ hồ sơ số hóa có kết nối, chia sẻ dữ liệu (kho dữ liệu cá nhân) — docs/methodology.md §3, 4.4, §5 R2.

    Dossiers in scope for P that took a component from, or pushed the result to, the
    citizen's data store on DVCQG (KhoDuLieuCaNhan) / dossiers in scope. Example: 5, 2 → 2 / 5.
    """
    ctx.require("hoso.KhoDuLieuCaNhan")
    return _scope_share(ctx, ctx.dossier_flag("KhoDuLieuCaNhan"))


def certified_copy_communes(ctx: Context) -> pd.DataFrame:
    """4.5 Tỷ lệ cung cấp dịch vụ chứng thực bản sao điện tử từ bản chính — docs/methodology.md §3, 4.5.

    Communes offering the electronic certified-copy service / communes under the unit (a
    commune: 1 or 0; a province or district: the share of its communes). A commune offers it
    when it lists a ChungThucDienTu procedure with an online service in tthc_donvi
    (MucDoDVCTT MOT_PHAN / TOAN_TRINH), or received ≥ 1 dossier of such a procedure in P —
    either is evidence that the service is provided (without tthc_donvi.MucDoDVCTT, dossiers
    alone; the note says so). A unit with no commune under it (a department) gets status
    "not_applicable".

    Example: a province with communes X (lists the service), Y (2 dossiers of it in P) and
    Z (neither) → 2 / 3; commune Z → 0 / 1; a department → not applicable.
    """
    ctx.require("tthc.ChungThucDienTu")
    copy_procedure = ctx.procedure_flag("ChungThucDienTu", np.arange(len(ctx.data.tthc)))
    offering = np.zeros(len(ctx.unit_codes), dtype=bool)
    lists_services = ctx.has("tthc_donvi", "MucDoDVCTT")
    if lists_services:
        pairs = ctx.procedure_units
        listed = pairs[pairs["online"] & copy_procedure[pairs["proc_pos"].to_numpy()]]
        offering[listed["unit_pos"].to_numpy()] = True
    dossiers = received_in_period(ctx) & ctx.procedure_flag("ChungThucDienTu", ctx.dossier_proc_pos)
    offering[ctx.dossier_unit_pos[dossiers & (ctx.dossier_unit_pos >= 0)]] = True
    commune = (ctx.units["level"] == "commune").to_numpy()
    result = ctx.rolled_up((commune & offering).astype(float), commune.astype(float))
    no_commune = result["denominator"] == 0
    result.loc[no_commune, ["numerator", "denominator"]] = np.nan
    result["status"] = np.where(no_commune, NOT_APPLICABLE, OK)
    evidence = None if lists_services else "offering judged from dossiers only (no tthc_donvi.MucDoDVCTT)"
    result["note"] = pd.Series(np.where(no_commune, "no commune under this unit", evidence), index=result.index,
                               dtype="string")
    return result


def population_data_procedures(ctx: Context) -> pd.DataFrame:
    """4.6 Tỷ lệ TTHC triển khai kết nối, chia sẻ dữ liệu dân cư — docs/methodology.md §3, 4.6.

    Procedures for citizens (tthc.ChoCongDan) of the unit (tthc_donvi) with ≥ 1 dossier
    received in P at the unit using population data (DuLieuDanCu) / procedures for citizens
    of the unit.

    Each procedure once at a parent, counted when used at any unit of the subtree (docs/methodology.md §5 R1).

    Example: citizen procedures A (a VNeID dossier in P), B (dossiers, none), C (none)
    → 1 / 3.
    """
    ctx.require("tthc_donvi", "tthc.ChoCongDan", "hoso.DuLieuDanCu")
    pairs = ctx.procedure_units
    citizen = pairs[ctx.procedure_flag("ChoCongDan", pairs["proc_pos"].to_numpy())]
    used = ctx.pairs_with_dossiers(citizen, received_in_period(ctx) & ctx.dossier_flag("DuLieuDanCu"))
    return ctx.distinct_procedures(citizen["unit_pos"], citizen["proc_pos"], used)


def population_data_dossiers(ctx: Context) -> pd.DataFrame:
    """4.7 Tỷ lệ hồ sơ sử dụng thông tin, dữ liệu dân cư — docs/methodology.md §3, 4.7, base revised by §5 R2.

    Dossiers in scope for P using population-database data (DuLieuDanCu: VNeID-authenticated
    account or CSDLQG về dân cư) / dossiers in scope. Example: 4 in scope, 3 → 3 / 4.
    """
    ctx.require("hoso.DuLieuDanCu")
    return _scope_share(ctx, ctx.dossier_flag("DuLieuDanCu"))
