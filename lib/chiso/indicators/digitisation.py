"""Group 4 — Số hóa hồ sơ (digitisation): sub-indicators 4.1–4.7 (spec §3).

Dossier flags (SoHoa, TaiSuDung, KhoDuLieuCaNhan, DuLieuDanCu, KetQuaDienTu) are read as
exported: they carry no date, so an as-of computation uses their final value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chiso.indicators.common import Context
from chiso.indicators.timeline import RESULT_KINDS, outcomes, received_in_period


def _received_share(ctx: Context, column: str) -> pd.DataFrame:
    """Dossiers received in P with the hoso flag ``column`` / dossiers received in P."""
    ctx.require(f"hoso.{column}")
    received = received_in_period(ctx)
    unit = ctx.dossier_unit_pos
    return ctx.rolled_up(ctx.count(unit, received & ctx.dossier_flag(column)), ctx.count(unit, received))


def electronic_results(ctx: Context) -> pd.DataFrame:
    """4.1 Tỷ lệ hồ sơ có cấp kết quả giải quyết điện tử — spec §3, 4.1.

    Dossiers with an electronic result (KetQuaDienTu) / dossiers finished in P with a result
    (end event XU_LY_XONG or TRA_KET_QUA; a rejected, stopped or withdrawn dossier has no
    result to issue) of procedures that require a paper result (YeuCauKetQuaGiay).

    Example: 3 paper-result dossiers finished in P (one rejected), 1 of the other 2 with an
    e-result → 1 / 2.
    """
    ctx.require("hoso_su_kien", "tthc.YeuCauKetQuaGiay", "hoso.KetQuaDienTu")
    timeline = outcomes(ctx)
    pos = timeline["pos"].to_numpy()
    paper = ctx.procedure_flag("YeuCauKetQuaGiay", timeline["proc_pos"].to_numpy())
    with_result = timeline["end_event"].isin(RESULT_KINDS).fillna(False).to_numpy(dtype=bool)
    expected = paper & with_result
    unit = timeline["unit_pos"].to_numpy()
    issued = ctx.dossier_flag("KetQuaDienTu")[pos]
    return ctx.rolled_up(ctx.count(unit, expected & issued), ctx.count(unit, expected))


def digitised_dossiers(ctx: Context) -> pd.DataFrame:
    """4.2 Tỷ lệ hồ sơ thực hiện số hóa hồ sơ — spec §3, 4.2.

    Dossiers digitised at reception (SoHoa) and, when the procedure requires a paper result
    (YeuCauKetQuaGiay), with an electronic result (KetQuaDienTu) / dossiers received in P.

    Example: 4 received; 3 digitised, one of them of a paper-result procedure without
    e-result → 2 / 4.
    """
    ctx.require("hoso.SoHoa", "tthc.YeuCauKetQuaGiay", "hoso.KetQuaDienTu")
    received = received_in_period(ctx)
    paper = ctx.procedure_flag("YeuCauKetQuaGiay", ctx.dossier_proc_pos)
    digitised = ctx.dossier_flag("SoHoa") & (~paper | ctx.dossier_flag("KetQuaDienTu"))
    unit = ctx.dossier_unit_pos
    return ctx.rolled_up(ctx.count(unit, received & digitised), ctx.count(unit, received))


def reused_data(ctx: Context) -> pd.DataFrame:
    """4.3 Tỷ lệ hồ sơ khai thác, sử dụng lại dữ liệu số hóa — spec §3, 4.3.

    Dossiers reusing ≥ 1 digitised component (TaiSuDung) / dossiers received in P.
    Example: 5 received, 1 reused → 1 / 5.
    """
    return _received_share(ctx, "TaiSuDung")


def personal_data_store(ctx: Context) -> pd.DataFrame:
    """4.4 Tỷ lệ hồ sơ số hóa có kết nối, chia sẻ dữ liệu (kho dữ liệu cá nhân) — spec §3, 4.4.

    Dossiers that took a component from, or pushed the result to, the citizen's data store on
    DVCQG (KhoDuLieuCaNhan) / dossiers received in P. Example: 5 received, 2 → 2 / 5.
    """
    return _received_share(ctx, "KhoDuLieuCaNhan")


def certified_copy_communes(ctx: Context) -> pd.DataFrame:
    """4.5 Tỷ lệ cung cấp dịch vụ chứng thực bản sao điện tử từ bản chính — spec §3, 4.5.

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
    result["status"] = np.where(no_commune, "not_applicable", "ok")
    evidence = None if lists_services else "offering judged from dossiers only (no tthc_donvi.MucDoDVCTT)"
    result["note"] = pd.Series(np.where(no_commune, "no commune under this unit", evidence), index=result.index,
                               dtype="string")
    return result


def population_data_procedures(ctx: Context) -> pd.DataFrame:
    """4.6 Tỷ lệ TTHC triển khai kết nối, chia sẻ dữ liệu dân cư — spec §3, 4.6.

    Procedures for citizens (tthc.ChoCongDan) of the unit (tthc_donvi) with ≥ 1 dossier
    received in P at the unit using population data (DuLieuDanCu) / procedures for citizens
    of the unit.

    Example: citizen procedures A (a VNeID dossier in P), B (dossiers, none), C (none)
    → 1 / 3.
    """
    ctx.require("tthc_donvi", "tthc.ChoCongDan", "hoso.DuLieuDanCu")
    pairs = ctx.procedure_units
    citizen = pairs[ctx.procedure_flag("ChoCongDan", pairs["proc_pos"].to_numpy())]
    used = ctx.pairs_with_dossiers(citizen, received_in_period(ctx) & ctx.dossier_flag("DuLieuDanCu"))
    unit = citizen["unit_pos"].to_numpy()
    return ctx.rolled_up(ctx.count(unit, used), ctx.count(unit))


def population_data_dossiers(ctx: Context) -> pd.DataFrame:
    """4.7 Tỷ lệ hồ sơ sử dụng thông tin, dữ liệu dân cư — spec §3, 4.7.

    Dossiers using population-database data (DuLieuDanCu: VNeID-authenticated account or
    CSDLQG về dân cư) / dossiers received in P. Example: 4 received, 3 → 3 / 4.
    """
    return _received_share(ctx, "DuLieuDanCu")
