"""The fictional sample province (chiso.sources.sample): deterministic, complete, plausible.

Small scales only (0.002–0.02 of full volume: 4,000–38,000 dossiers), so the module runs in
a few seconds; full-scale timings are in benchmarks/compute.py.
"""

import json
import re

import numpy as np
import pandas as pd
import pytest

from chiso import reasons
from chiso.errors import ChisoError
from chiso.indicators import compute_scores, dossier_outcomes
from chiso.methodology import load_methodology
from chiso.period import Period
from chiso.sources.dossiers import load_contract, load_dossiers
from chiso.sources.sample import generate_sample, parse_scale, write_sample

YEAR = 2026
SCALE = 0.02
PERSONAL_COLUMNS = ("HoTenNguoiNop", "SoCCCD", "SoDienThoai")


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sample")
    write_sample(folder, year=YEAR, scale=SCALE, seed=766)
    return folder


@pytest.fixture(scope="module")
def data(sample_dir):
    return load_dossiers(sample_dir)


@pytest.fixture(scope="module")
def scores(data):
    return compute_scores(data, Period.parse("2026-Q2"), load_methodology("qd766-2022"))


def test_same_seed_same_tables_other_seed_other_tables():
    first = generate_sample(year=YEAR, scale=0.002, seed=5)
    again = generate_sample(year=YEAR, scale=0.002, seed=5)
    other = generate_sample(year=YEAR, scale=0.002, seed=6)
    assert all(first[name].equals(again[name]) for name in first)
    assert not first["hoso"].equals(other["hoso"])


def test_parse_scale():
    assert parse_scale("small") == 0.05
    assert parse_scale("full") == 1.0
    assert parse_scale("0.2") == 0.2
    for bad in ("huge", "0", "-1", "nan"):
        with pytest.raises(ChisoError, match="scale"):
            parse_scale(bad)


def test_marker_file(sample_dir, data):
    marker = json.loads((sample_dir / "_sample.json").read_text(encoding="utf-8"))
    assert marker["sample"] is True
    assert marker["generator"] == "chiso.sources.sample"
    assert (marker["seed"], marker["scale"], marker["year"]) == (766, SCALE, YEAR)
    assert marker["province"] == "Tỉnh Sơn Lâm (mẫu)"
    assert data.is_sample and data.meta == marker


EXPORT_FAULTS = {reasons.REPEATED_EVENT, reasons.EVENT_BEFORE_RECEPTION}


def only_export_faults(data) -> bool:
    """Only the sample's deliberate export faults were set aside (spec §5 R5), nothing else."""
    return set(data.set_aside["reason"]) <= EXPORT_FAULTS and set(data.set_aside["table"]) <= {"hoso_su_kien"}


def test_every_row_accepted_and_every_contract_column_present(sample_dir, data):
    # the sample now carries the export faults of spec §5 on purpose (params/sample/
    # distributions.yaml, export_faults): repeated event rows and requests dated before
    # reception are the only rows set aside
    assert set(data.set_aside["reason"]) == EXPORT_FAULTS and only_export_faults(data)
    assert data.hoso["PhiLePhi"].isna().any()  # blank fees (R7)
    assert set(data.files) == {"donvi", "tthc", "tthc_donvi", "hoso", "hoso_su_kien", "pakn", "congbo"}
    for table, spec in load_contract().tables.items():
        assert set(spec.columns) <= set(getattr(data, table).columns), table


def test_units_two_level_province():
    donvi = generate_sample(year=YEAR, scale=0.002, seed=1)["donvi"].to_pandas()
    levels = donvi["Cap"].value_counts()
    assert (levels["TINH"], levels["SO"]) == (1, 15) and 140 <= levels["XA"] <= 160
    assert donvi["MaDonVi"].is_unique and donvi["TenDonVi"].is_unique
    province = donvi.loc[donvi["Cap"] == "TINH", "MaDonVi"].item()
    assert province == "S99" and (donvi.loc[donvi["Cap"] != "TINH", "MaDonViCha"] == province).all()
    assert donvi.loc[donvi["Cap"] == "SO", "MaDonVi"].str.fullmatch(r"S99\.\d\d").all()
    communes = donvi[donvi["Cap"] == "XA"]
    assert communes["MaDonVi"].str.fullmatch(r"S99\.\d{3}").all()
    assert communes["TenDonVi"].str.match(r"(Xã|Phường) ").all()
    assert "Sở Tư pháp" in set(donvi["TenDonVi"])


def test_procedure_catalogue(data):
    tthc, pairs = data.tthc, data.tthc_donvi
    assert 1700 <= len(tthc) <= 2000
    assert tthc["MaTTHC"].is_unique and tthc["MaTTHC"].str.fullmatch(r"[123]\.\d{6}").all()
    assert tthc["TenTTHC"].is_unique
    units = tthc["DonViThoiHan"].value_counts(normalize=True)
    assert units["NGAY_LAM_VIEC"] > 0.8 and units["NGAY"] > 0 and units["GIO"] > 0
    assert tthc["ChungThucDienTu"].sum() == 1
    assert 0.1 < tthc["CoPhiLePhi"].mean() < 0.7 and tthc["YeuCauKetQuaGiay"].mean() > 0.5
    assert set(pairs["MucDoDVCTT"]) == {"TOAN_TRINH", "MOT_PHAN", "KHONG"}
    level = pairs["MaDonVi"].map(data.units.set_index("unit")["level"])
    levels_per_procedure = level.groupby(pairs["MaTTHC"]).nunique()
    assert (levels_per_procedure == 2).sum() >= 10  # procedures offered at two levels


def test_dossier_histories_cover_every_case(data):
    hoso, events = data.hoso, data.hoso_su_kien
    kinds = events["SuKien"].value_counts()
    assert set(kinds.index) == {"TIEP_NHAN", "CHUYEN_BUOC", "YEU_CAU_BO_SUNG", "HOAN_THANH_BO_SUNG", "TAM_DUNG",
                                "TIEP_TUC", "XU_LY_XONG", "TRA_KET_QUA", "TU_CHOI", "DUNG_XU_LY", "RUT_HO_SO"}
    per_dossier = events.pivot_table(index="MaHoSo", columns="SuKien", aggfunc="size", fill_value=0)
    assert (per_dossier["YEU_CAU_BO_SUNG"] == 2).any()                     # two requests
    assert ((per_dossier["YEU_CAU_BO_SUNG"] == 1) & (per_dossier["HOAN_THANH_BO_SUNG"] == 0)).any()  # pending
    withdrawn_before = (per_dossier["RUT_HO_SO"] == 1) & (per_dossier["TIEP_NHAN"] == 0)
    assert withdrawn_before.any() and ((per_dossier["RUT_HO_SO"] == 1) & (per_dossier["TIEP_NHAN"] == 1)).any()
    steps = events[events["SuKien"] == "CHUYEN_BUOC"]
    assert steps["BuocXuLy"].notna().all() and steps["HanBuoc"].notna().all()
    assert events["MaCanBo"].dropna().str.fullmatch(r"CB\d{4}").all()
    assert hoso["NgayHenTra"].isna().any() and hoso["NgayHenTra"].notna().mean() > 0.95
    assert (events["ThoiDiem"] < pd.Timestamp(f"{YEAR + 1}-01-01")).all()  # exported on 31/12


def test_carried_over_dossiers_were_open_on_1_january(data):
    start = pd.Timestamp(f"{YEAR}-01-01")
    hoso, events = data.hoso, data.hoso_su_kien
    carried = set(hoso.loc[hoso["NgayTiepNhan"] < start, "MaHoSo"])
    assert len(carried) > 0.01 * len(hoso)
    ended_before = events[events["SuKien"].isin(["XU_LY_XONG", "TRA_KET_QUA", "TU_CHOI", "DUNG_XU_LY", "RUT_HO_SO"])
                          & (events["ThoiDiem"] < start)]
    assert carried.isdisjoint(ended_before["MaHoSo"])


def test_in_progress_dossiers_at_quarter_end(data):
    outcomes = dossier_outcomes(data, Period.parse("2026-Q2"), load_methodology("qd766-2022"))
    assert (~outcomes["finished"]).sum() > 0.02 * len(outcomes)
    assert (~outcomes["received_in_period"]).any()
    assert outcomes["on_time"].mean() > 0.75


def test_personal_data_columns_present_and_fake(data):
    hoso = data.hoso
    assert set(PERSONAL_COLUMNS) <= set(hoso.columns)
    assert hoso["HoTenNguoiNop"].str.count(" ").ge(2).all()
    assert hoso["SoCCCD"].str.fullmatch(r"099\d{9}").all()  # 099: no real province's code
    assert hoso["SoDienThoai"].str.fullmatch(r"0\d{9}").all()


def test_feedback_and_announcements(data):
    pakn, congbo = data.pakn, data.congbo
    assert pakn["MaHoSo"].notna().any() and pakn["NgayXuLyXong"].isna().any()
    assert set(pakn["PhanLoai"]) <= {"TTHC", "CAN_BO", "KHAC"} and pakn["KhongHaiLong"].any()
    assert pakn["MaHoSo"].dropna().isin(data.hoso["MaHoSo"]).all()
    assert 0.9 < congbo["DayDuNoiDung"].mean() < 1
    assert congbo["MaDonVi"].isin(data.units.loc[data.units["level"] == "commune", "unit"]).any()
    assert (congbo["NgayHieuLuc"] >= congbo["NgayQuyetDinh"]).all()


def test_round_trip_scores_plausible(scores):
    assert scores.loc[scores["indicator"] != "2.2", "ratio"].dropna().between(0, 1).all()  # 2.2 is in days
    on_time = scores[(scores["indicator"] == "2.1") & (scores["denominator"] >= 20)]
    assert len(on_time) > 140
    assert on_time["ratio"].between(0.5, 1).mean() > 0.9
    assert on_time["ratio"].std() > 0.02  # units differ
    # Units with dossiers score like real ones (a unit with none, like the inspectorate, scores low).
    totals = scores[scores["unit"].isin(on_time["unit"])].groupby("unit")["points"].sum()
    assert totals.between(30, 100).all() and totals.max() - totals.min() > 10
    province = scores[scores["unit"] == "S99"].set_index("indicator")["ratio"]
    assert 0.7 < province["2.1"] < 0.98 and 0.9 < province["1.4"] <= 1
    assert 0.6 < province["4.1"] < 0.95 and 0.05 < province["4.2"] < 0.5


def test_csv_format_round_trip(tmp_path):
    summary = write_sample(tmp_path, year=YEAR, scale=0.002, seed=3, fmt="csv")
    assert re.search(r"166 units, [\d,]+ procedures, [\d,]+ dossiers", summary)
    loaded = load_dossiers(tmp_path)
    assert only_export_faults(loaded)
    same = generate_sample(year=YEAR, scale=0.002, seed=3)["hoso"]
    assert len(loaded.hoso) == same.num_rows
    assert loaded.hoso["MaHoSo"].tolist() == same.column("MaHoSo").to_pylist()
    assert loaded.hoso["ThanhToanTrucTuyen"].dtype == bool  # written as DVCQG's 0/1/2


def test_rewriting_a_folder_in_another_format(tmp_path):
    write_sample(tmp_path, scale=0.002, seed=3, fmt="csv")
    write_sample(tmp_path, scale=0.002, seed=3, fmt="parquet")
    assert not list(tmp_path.glob("*.csv"))
    assert only_export_faults(load_dossiers(tmp_path))


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(ChisoError, match="format"):
        write_sample(tmp_path, fmt="xlsx")


def test_volumes_follow_the_scale():
    small = generate_sample(year=YEAR, scale=0.002, seed=9)["hoso"].num_rows
    double = generate_sample(year=YEAR, scale=0.004, seed=9)["hoso"].num_rows
    assert 1.8 < double / small < 2.2
    # Full scale receives ≈ 153,000 dossiers a month: 0.002 of a year ≈ 3,700 (+ carried over).
    assert 3000 < small < 4500


def test_online_share_and_payments_plausible():
    hoso = generate_sample(year=YEAR, scale=0.005, seed=2)["hoso"].to_pandas()
    assert 0.6 < (hoso["KenhNop"] == 2).mean() < 0.99
    fees = hoso[hoso["PhiLePhi"] > 0]
    assert 0.5 < (fees["ThanhToanTrucTuyen"] > 0).mean() < 0.99
    assert set(np.unique(hoso["ThanhToanTrucTuyen"])) == {0, 1, 2}
    assert hoso["DanhGia"].isin(["HAI_LONG", "KHONG_HAI_LONG"]).mean() > 0.2


def test_period_export_holds_the_dossiers_relevant_to_the_period(tmp_path):
    q2 = Period.parse("2026-Q2")
    summary = write_sample(tmp_path / "q2", year=YEAR, scale=0.002, seed=4, period="2026-Q2")
    assert "2026-Q2 export" in summary
    export = load_dossiers(tmp_path / "q2")
    assert only_export_faults(export) and export.meta["period"] == "2026-Q2"
    write_sample(tmp_path / "year", year=YEAR, scale=0.002, seed=4)
    year = load_dossiers(tmp_path / "year")
    hoso, events = year.hoso, year.hoso_su_kien
    ended = events.loc[events["SuKien"].isin(["XU_LY_XONG", "TRA_KET_QUA", "TU_CHOI", "DUNG_XU_LY", "RUT_HO_SO"])
                       & (events["ThoiDiem"] < q2.start), "MaHoSo"]
    relevant = hoso[(hoso["NgayTiepNhan"] <= q2.end) & ((hoso["NgayTiepNhan"] >= q2.start) | ~hoso["MaHoSo"].isin(ended))]
    assert sorted(export.hoso["MaHoSo"]) == sorted(relevant["MaHoSo"])  # the year's dossiers, same ids
    assert (export.hoso_su_kien["ThoiDiem"] <= q2.end).all()
    assert export.congbo["NgayQuyetDinh"].between(q2.start, q2.end).all()
    assert (export.pakn["NgayTiepNhan"] <= q2.end).all()
    # The period's timeline (2.1) is the same from its export as from the whole year's tables.
    methodology = load_methodology("qd766-2022")
    on_time = [dossier_outcomes(data, q2, methodology)[["MaHoSo", "on_time"]].sort_values("MaHoSo", ignore_index=True)
               for data in (export, year)]
    pd.testing.assert_frame_equal(*on_time)
    with pytest.raises(ChisoError, match="2027-Q1"):
        write_sample(tmp_path / "other", year=YEAR, scale=0.002, period="2027-Q1")
