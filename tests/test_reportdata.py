"""Report data: built once per run from each source kind, stored in _data, read back cheaply."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest

import chiso.sources.dossiers
from chiso.errors import ChisoError, InputError
from chiso.report.data import (
    ONLINE_BLOCK,
    build_report_data,
    load_report_data,
    write_report_data,
)
from dossier_frames import events_of, make_data
from tiny_report import tiny_report_data

# -- assembling (hand-computed tiny data) --------------------------------------------------------


def test_assemble_totals_groups_and_ranks():
    rd = tiny_report_data()
    assert rd.period == "2026-Q2" and rd.previous_period == "2026-Q1"
    assert rd.meta["periods"] == ["2026-Q1", "2026-Q2"]
    assert rd.meta["period_labels"] == {"2026-Q1": "Quý 1/2026", "2026-Q2": "Quý 2/2026"}
    totals = rd.current("totals").set_index("unit")
    assert totals["total"].to_dict() == {"P": 100.0, "D3": 99.33, "D1": 99.16, "D2": 99.16, "D4": 88.0,
                                         "C1": 100.0, "C2": 97.0}
    assert totals.loc[["D3", "D1", "D2", "D4"], "rank"].tolist() == [1, 2, 2, 4]
    assert totals.loc["D4", "band"] == "Tốt" and totals.loc["D4", "rank_of"] == 4
    groups = rd.current("groups")
    assert groups[groups["unit"] == "D4"]["points"].tolist() == [18.0, 20.0, 22.0, 22.0, 6.0]
    assert set(rd.totals.query("period == '2026-Q1'")["unit"]) == {"P", "D1", "D2", "D3", "C1", "C2"}


def test_indicator_rows_status_and_numerator_to_full():
    rd = tiny_report_data()
    ind = rd.current("indicators").set_index(["unit", "indicator"])
    assert ind.loc[("D1", "2.1"), "numerator_to_full"] == 42
    assert ind.loc[("D1", "2.1"), "points_lost"] == pytest.approx(0.84)
    assert pd.isna(ind.loc[("D1", "1.1"), "numerator_to_full"])  # full points: nothing to restore
    assert ind.loc[("D4", "5.1"), "status"] == "no_data" and np.isnan(ind.loc[("D4", "5.1"), "points"])
    assert ind.loc[("D1", "2.2"), "status"] == "not_scored"
    assert ind.loc[("D1", "5.3"), "threshold"] == 0.9 and ind.loc[("D1", "5.3"), "rule"] == "threshold"
    assert rd.current("indicators")["indicator"].tolist()[:3] == ["1.1", "1.2", "1.3"]


def test_public_edition_keeps_no_drilldown():
    rd = tiny_report_data("public")
    assert rd.overdue is None and rd.supplements is None and rd.pauses is None and rd.late_pakn is None
    assert not rd.internal


def test_store_and_load_round_trip(tmp_path):
    rd = tiny_report_data("internal")
    write_report_data(rd, tmp_path / "_data")
    loaded = load_report_data(tmp_path / "_data")
    assert loaded.meta == rd.meta
    pd.testing.assert_frame_equal(loaded.totals, rd.totals.reset_index(drop=True), check_dtype=False)
    assert loaded.indicators["numerator_to_full"].dtype == "Int64"
    assert loaded.overdue["responsible_official"].tolist() == ["CB01", "CB02", "CB01", "CB01"]
    assert load_report_data(str(tmp_path / "_data")) is loaded  # cached per process
    # Rebuilt data (a new meta.json) is read again, and a public rebuild drops the drill-down files.
    write_report_data(tiny_report_data("public"), tmp_path / "_data")
    reloaded = load_report_data(tmp_path / "_data")
    assert reloaded is not loaded and reloaded.overdue is None
    assert sorted(p.name for p in (tmp_path / "_data").iterdir()) == [
        "groups.parquet", "indicators.parquet", "meta.json", "totals.parquet", "units.parquet"]


def test_missing_report_data_is_a_clear_error(tmp_path):
    with pytest.raises(ChisoError, match="no meta.json"):
        load_report_data(tmp_path)


@pytest.mark.parametrize("source", ["nonsense", "official:", "dossiers", "sample:x"])
def test_bad_source(source, tmp_path):
    with pytest.raises(ChisoError, match="not understood"):
        build_report_data(source, "2026-Q2", "qd766-2022", tmp_path)


def test_bad_edition(tmp_path):
    with pytest.raises(ChisoError, match="edition"):
        build_report_data("sample", "2026-Q2", "qd766-2022", tmp_path, edition="secret")


# -- official results (the real DVCQG reference responses) ---------------------------------------


@pytest.fixture(scope="module")
def official(reference_dir, tmp_path_factory):
    return build_report_data(f"official:{reference_dir}", "2026-Q3", "qd766-2022",
                             tmp_path_factory.mktemp("official"))


def test_official_picks_the_quarter_folder(official):
    assert official.meta["periods"] == ["2026-Q3"]  # 2026-08 is a month: not a trend quarter
    assert official.meta["source_kind"] == "official" and not official.is_sample
    assert official.meta["province"] == "UBND tỉnh Phú Thọ"
    totals = official.current("totals")
    assert totals["level"].value_counts().to_dict() == {"commune": 148, "department": 15, "province": 1}
    assert len(official.meta["input_fingerprint"]) == 64


def test_official_online_block_is_shown_as_published(official):
    ind = official.current("indicators")
    block = ind[ind["indicator"] == ONLINE_BLOCK]
    # spec §5 R12: every child unit keeps the official block; the province shows 3.1–3.3 recomputed
    assert len(block) == 163
    assert set(block["status"]) == {"official"}
    assert set(block["source_note"]) == {"chính thức, không tính lại"}
    assert set(block["max_points"]) == {12.0}
    online = ind["indicator"].isin(["3.1", "3.2", "3.3"])
    assert set(ind.loc[online, "unit"]) == {"H44"}  # the block stands for them elsewhere
    assert ind.loc[online, "points"].sum() == pytest.approx(8.41)
    # Group 3 = the official block + the recomputed 3.4–3.6.
    unit = "H44.44"
    rows = ind[ind["unit"] == unit].set_index("indicator")["points"]
    group3 = official.current("groups").query("unit == @unit and group == '3'")["points"].item()
    assert group3 == pytest.approx(rows[[ONLINE_BLOCK, "3.4", "3.5", "3.6"]].sum())


def test_official_wrong_quarter_names_the_folders(reference_dir, tmp_path):
    with pytest.raises(InputError, match="no subfolder for 2026-Q2 .*found: 2026-08, 2026-Q3"):
        build_report_data(f"official:{reference_dir}", "2026-Q2", "qd766-2022", tmp_path)


def test_official_trend_from_period_folders(reference_dir, tmp_path):
    shutil.copytree(reference_dir / "2026-Q3", tmp_path / "in" / "2026-Q3")
    shutil.copytree(reference_dir / "2026-08", tmp_path / "in" / "2026-Q2")  # stands in for Q2
    rd = build_report_data(f"official:{tmp_path / 'in'}", "2026-Q3", "qd766-2022", tmp_path / "run")
    assert rd.meta["periods"] == ["2026-Q2", "2026-Q3"] and rd.previous_period == "2026-Q2"
    assert set(rd.totals["period"]) == {"2026-Q2", "2026-Q3"}
    # One period's six files directly in the folder: that period only.
    single = build_report_data(f"official:{reference_dir / '2026-Q3'}", "2026-Q3", "qd766-2022", tmp_path / "one")
    assert single.meta["periods"] == ["2026-Q3"]


# -- dossier data (chiso.indicators on a tiny hand-made export) -----------------------------------

UNITS = [("H44", "Tỉnh Mẫu", "TINH", None), ("S1", "Sở Tư pháp", "SO", "H44"), ("X1", "Xã Một", "XA", "H44")]


def _dossier(code, unit, received, due):
    return {"MaHoSo": code, "MaTTHC": "P1", "MaDonVi": unit, "KenhNop": 1, "NgayTiepNhan": received,
            "NgayHenTra": due}


def _step(official, step=None):
    return {"MaCanBo": official, **({"BuocXuLy": step} if step else {})}


@pytest.fixture
def dossier_source(monkeypatch, tmp_path):
    """``dossiers:DIR`` whose loader returns a tiny export: S1's dossier "b" had two supplement
    requests (overdue by rule 1) and a one-day pause while official CB3 held it; "a" was on
    time; "c" and "e" were received in Q1 (2 of 3 in Q2: Q1 is covered too); PAKN p1 was handled
    two months late."""
    dossiers = [_dossier("a", "S1", "2026-04-06 08:00", "2026-04-10 17:00"),
                _dossier("b", "S1", "2026-04-06 08:00", "2026-04-08 17:00"),
                _dossier("c", "S1", "2026-01-12 08:00", "2026-01-15 17:00"),
                _dossier("d", "X1", "2026-05-04 08:00", "2026-05-08 17:00"),
                _dossier("e", "X1", "2026-02-02 08:00", "2026-02-05 17:00")]
    events = (
        events_of("a", ("2026-04-06 08:00", "TIEP_NHAN", _step("CB1", "Tiếp nhận")),
                  ("2026-04-09 10:00", "XU_LY_XONG", _step("CB2", "Phê duyệt")))
        + events_of("b", ("2026-04-06 08:00", "TIEP_NHAN", _step("CB1", "Tiếp nhận")),
                    ("2026-04-07 08:00", "CHUYEN_BUOC", _step("CB3", "Thẩm định")),
                    ("2026-04-07 09:00", "YEU_CAU_BO_SUNG", _step("CB3")),
                    ("2026-04-07 10:00", "HOAN_THANH_BO_SUNG", _step("CB3")),
                    ("2026-04-07 11:00", "YEU_CAU_BO_SUNG", _step("CB3")),
                    ("2026-04-08 10:00", "HOAN_THANH_BO_SUNG", _step("CB3")),
                    ("2026-04-09 10:00", "TAM_DUNG", _step("CB3")),
                    ("2026-04-10 10:00", "TIEP_TUC", _step("CB3")),
                    ("2026-04-14 10:00", "XU_LY_XONG", _step("CB3", "Thẩm định")))
        + events_of("c", ("2026-01-12 08:00", "TIEP_NHAN", _step("CB1")), ("2026-01-14 08:00", "XU_LY_XONG", _step("CB1")))
        + events_of("d", ("2026-05-04 08:00", "TIEP_NHAN", _step("CB9")), ("2026-05-05 08:00", "XU_LY_XONG", _step("CB9")))
        + events_of("e", ("2026-02-02 08:00", "TIEP_NHAN", _step("CB9")), ("2026-02-03 08:00", "XU_LY_XONG", _step("CB9")))
    )
    pakn = [{"MaPAKN": "p1", "MaDonVi": "S1", "NgayTiepNhan": "2026-04-01 08:00", "NgayXuLyXong": "2026-06-01 08:00"}]
    data = make_data(UNITS, [{"MaTTHC": "P1", "TenTTHC": "Cấp phép"}], dossiers, events, pakn=pakn)
    data.fingerprint, data.is_sample = "f" * 64, False
    monkeypatch.setattr(chiso.sources.dossiers, "load_dossiers", lambda folder: data)
    return f"dossiers:{tmp_path}"


def test_dossiers_internal_drilldown(dossier_source, tmp_path):
    rd = build_report_data(dossier_source, "2026-Q2", "qd766-2022", tmp_path / "run", edition="internal")
    assert rd.meta["periods"] == ["2026-Q1", "2026-Q2"]  # Q4 2025 and Q3 2025 had no dossier
    assert rd.meta["input_fingerprint"] == "f" * 64 and rd.meta["province"] == "Tỉnh Mẫu"
    assert rd.meta["source_kind"] == "dossiers" and not rd.is_sample
    ind = rd.current("indicators").set_index(["unit", "indicator"])
    assert (ind.loc[("S1", "2.1"), "numerator"], ind.loc[("S1", "2.1"), "denominator"]) == (1, 2)
    assert ind.loc[("S1", "1.1"), "status"] == "no_data"  # no congbo table: no data, not 0
    average_days = ind.loc[("S1", "2.2")]  # analysis only: the average is the value shown
    assert average_days["value"] > 0 and average_days["value"] == average_days["ratio"]
    overdue = rd.overdue.iloc[0]
    assert (overdue["unit"], overdue["MaHoSo"], overdue["responsible_official"]) == ("S1", "b", "CB3")
    assert overdue["TenTTHC"] == "Cấp phép"
    assert rd.supplements[["MaHoSo", "requests"]].values.tolist() == [["b", 2]]
    assert rd.pauses[["MaHoSo", "paused_days"]].values.tolist() == [["b", 1.0]]
    assert rd.late_pakn[["unit", "MaPAKN"]].values.tolist() == [["S1", "p1"]]
    assert (tmp_path / "run" / "_data" / "overdue.parquet").is_file()


def test_a_quarter_with_few_dossiers_is_not_in_the_trend(dossier_source, tmp_path):
    data = chiso.sources.dossiers.load_dossiers(None)
    data.hoso = data.hoso[data.hoso["MaHoSo"] != "e"]  # Q1: 1 dossier against 3 in Q2
    rd = build_report_data(dossier_source, "2026-Q2", "qd766-2022", tmp_path / "run")
    assert rd.meta["periods"] == ["2026-Q2"] and rd.previous_period is None


def test_a_sample_folder_is_reported_as_sample(dossier_source, monkeypatch, tmp_path):
    data = chiso.sources.dossiers.load_dossiers(None)
    monkeypatch.setattr(data, "is_sample", True)
    rd = build_report_data(dossier_source, "2026-Q2", "qd766-2022", tmp_path / "run")
    assert rd.is_sample and rd.meta["source_kind"] == "sample"
    assert rd.meta["source_label"].startswith("Dữ liệu mẫu")


def test_dossiers_public_data_holds_no_official_identity(dossier_source, tmp_path):
    rd = build_report_data(dossier_source, "2026-Q2", "qd766-2022", tmp_path / "run")
    assert rd.overdue is None
    data_dir = tmp_path / "run" / "_data"
    for path in data_dir.glob("*.parquet"):
        table = pd.read_parquet(path)
        assert not {"MaCanBo", "responsible_official", "MaHoSo", "MaPAKN"} & set(table.columns), path.name
        text = table.astype(str).to_csv()
        assert not any(official in text for official in ("CB1", "CB2", "CB3", "CB9")), path.name
    assert "CB3" not in (data_dir / "meta.json").read_text(encoding="utf-8")
    assert json.loads((data_dir / "meta.json").read_text(encoding="utf-8"))["edition"] == "public"


# -- sample data (generated on first use) --------------------------------------------------------


def test_sample_is_generated_once_and_reported_as_sample(monkeypatch, tmp_path):
    import chiso.paths

    monkeypatch.setattr(chiso.paths, "SAMPLE_ROOT", tmp_path / "sample")
    rd = build_report_data("sample", "2026-Q2", "qd766-2022", tmp_path / "run", scale="0.005")
    folder = tmp_path / "sample" / "2026-0.005-766"
    assert (folder / "_sample.json").is_file() and not folder.with_name("2026-0.005-766.partial").exists()
    assert rd.is_sample and rd.meta["source_label"].startswith("Dữ liệu mẫu")
    assert rd.meta["periods"][-1] == "2026-Q2"
    stamp = (folder / "_sample.json").stat().st_mtime_ns
    build_report_data("sample", "2026-Q3", "qd766-2022", tmp_path / "run", scale="0.005")
    assert (folder / "_sample.json").stat().st_mtime_ns == stamp  # reused, not regenerated
    # another year: its own sample, the 2026 one untouched
    earlier = build_report_data("sample", "2025-Q2", "qd766-2022", tmp_path / "run", scale="0.005")
    assert earlier.meta["periods"][-1] == "2025-Q2"
    assert (tmp_path / "sample" / "2025-0.005-766" / "_sample.json").is_file()
    assert (folder / "_sample.json").stat().st_mtime_ns == stamp

