"""chiso.sources.sync: a data folder whose dossiers and events come as DVCQG sync payloads.

One hand-built province (below) is written in each payload style — adapter envelopes, bare
arrays (HG/TH style), JSON Lines (mixed types: read record by record; one type per field: read
by pyarrow's JSON reader), gzip under arbitrary names — and run through
``chiso compute``; every style must give the numbers worked out by hand here.

The province (period 2026-Q2; all in-scope dossiers are of procedure 1.000001, which has
fees and a paper result, and every one of them is received and finished in Q2, so the
dossier bases of 2.1, 4.1–4.4, 4.7 and 5.3 — "received in P", "in scope", "finished in P" —
are the same 7 dossiers):

units  H44 (province, MaDinhDanh 000.00.00.H44), H44.01 Sở Tư pháp (000.00.01.H44),
       H44.12 UBND xã Mẫu Sơn (000.00.12.H44)

=====  =======  =====  ==================================================================
id     unit     chan.  what it exercises
=====  =======  =====  ==================================================================
D1     H44.12   2      MaHoSo prefix = MaDinhDanh; MaTTHC 1.000001.000.00.00.H44 -> 1.000001;
                       on time; e-result (code + link); fee 50000 paid on DVCQG (1); file
                       attached, DuocSoHoa 1, DuocLayTuKhoDMQG 1; VNeID 1
D2     H44.12   null   in person (blank channel); only a reception record: its end comes from
                       the dossier (status 9, NgayKetThucXuLy 23/4 > due 21/4: overdue); fee
                       0 (out of 3.6); result link without code (no e-result); MaCSDL 7 only
D3     H44.01   2      supplement in DanhSachHoSoBoSung (10/4 -> 14/4, new due 24/4) and as
                       status 5/4 progress records (counted once); finished 23/4: on time;
                       online but paper result without e-result (not 3.3); fee 20000 not
                       paid; HoSoCoThanhPhanSoHoa 1; VNeID 1; a PAKN is about it (5.3)
D4     H44.01   3      MaHoSo "HS-0004" matches no unit code: unit from DonViXuLy
                       "SỞ TƯ PHÁP"; two records, the later (status 10, NgayKetThucXuLy
                       10/4, NgayTra 13/4) wins; no progress record: both ends from the
                       dossier; fees 30000 + 5000 paid on the provincial gateway (2); e-result
D5     (none)   2      DonViXuLy matches no unit: set aside, with its progress record
D6     H44.12   2      received and finished in March: outside Q2
D7     H44.12   1      one supplement request (status 5, sent twice: one copy set aside), never
                       answered: its end is the request (3/6) <= due 15/6, on time although
                       finished 18/6; fee 20000, payment code 3 (not online); e-result; file
                       attached, DuocSoHoa 1
D8     H44.01   2      two supplement requests (5 -> 4 -> 5 -> 4): overdue; fee 15000 paid
                       (1); e-result; file attached, DuocLayTuKhoDMQG 1; VNeID 1
D9     H44.12   1      from hoso.csv / hoso_su_kien.csv beside the payloads: not synced
                       (DongBoDVCQG 0), on time, fee 10000 not paid, no flag
=====  =======  =====  ==================================================================

Expected (numerator / denominator), province = H44.12 + H44.01:

====  ==========================  =====================  ==================  ===========
code  counted dossiers            H44.12 (D1 D2 D7 D9)   H44.01 (D3 D4 D8)   H44
====  ==========================  =====================  ==================  ===========
1.4   synced / received           3/4 (not D9)           3/3                 6/7
2.1   on time / in scope          3/4 (D1 D7 D9)         2/3 (D3 D4)         5/7
3.3   online (paper: e-result)    D1: 1×3/4=0.75 / 4     D8: 1×3/3=1 / 3     2×6/7 / 7
      × synced / received
3.6   paid online / fee-bearing,  1/3 (D1; D1 D7 D9)     2/3 (D4 D8; D3 D4   3/6
      fee not 0                                          D8)
4.1   e-result / in scope         2/4 (D1 D7)            2/3 (D4 D8)         4/7
4.2   file and e-result           2/4 (D1 D7)            1/3 (D8)            3/7
4.3   HoSoCoThanhPhanSoHoa or     2/4 (D1 D7)            1/3 (D3)            3/7
      DuocSoHoa
4.4   DuocLayTuKhoDMQG            1/4 (D1)               1/3 (D8)            2/7
4.7   VNeID (MaCSDL 7 unlisted)   1/4 (D1)               2/3 (D3 D8)         3/7
5.3   on time, no PAKN, not       3/4 (D1 D7 D9)         1/3 (D4)            4/7
      rated unsatisfied
====  ==========================  =====================  ==================  ===========

Rows: hoso 10 read (9 records + D9) = 8 accepted + D4's first record (replaced) + D5
(unknown unit); hoso_su_kien 31 read = 24 progress records + 5 derived from dossiers (D2's
end; D3's request and completion; D4's two ends) + 2 from the CSV = 29 accepted + D7's copy
+ D5's record (dossier set aside).
"""

from __future__ import annotations

import gzip
import json

import pandas as pd
import pytest

from chiso import reasons
from chiso.cli import main
from chiso.errors import InputError
from chiso.sources.dossiers import load_dossiers
from chiso.sources.sync import _json_lines_fast, find_payloads

PERIOD = "2026-Q2"
P1 = "1.000001"
DONVI = ("MaDonVi,TenDonVi,Cap,MaDonViCha,MaDinhDanh\n"
         "H44,UBND tỉnh Mẫu,TINH,,000.00.00.H44\n"
         "H44.01,Sở Tư pháp,SO,H44,000.00.01.H44\n"
         "H44.12,UBND xã Mẫu Sơn,XA,H44,000.00.12.H44\n")
TTHC = ("MaTTHC,TenTTHC,ThoiHanGiaiQuyet,CoPhiLePhi,YeuCauKetQuaGiay,ChoCongDan\n"
        "1.000001,Thủ tục A,10,1,1,1\n"
        "1.000002,Thủ tục B,5,0,0,1\n")
HOSO_CSV = ("MaHoSo,MaTTHC,MaDonVi,KenhNop,NgayTiepNhan,NgayHenTra,DongBoDVCQG,PhiLePhi,ThanhToanTrucTuyen,"
            "KetQuaDienTu,SoHoa,TaiSuDung,KhoDuLieuCaNhan,DuLieuDanCu\n"
            "LOCAL-9,1.000001,H44.12,1,2026-04-20 08:00,2026-05-04 17:00,0,10000,0,0,0,0,0,0\n")
EVENTS_CSV = ("MaHoSo,ThoiDiem,SuKien\n"
              "LOCAL-9,2026-04-20 08:00,TIEP_NHAN\n"
              "LOCAL-9,2026-04-24 10:00,XU_LY_XONG\n")
PAKN_CSV = ("MaPAKN,MaDonVi,NgayTiepNhan,NgayXuLyXong,MaHoSo,KhongHaiLong,PhanLoai\n"
            "PA1,H44.01,2026-04-25 08:00,2026-04-28 08:00,000.00.01.H44-260408-0001,0,TTHC\n")

PERSONAL = {"ChuHoSo": "Trần Thị Mẫu", "SoGiayToChuHoSo": "001090012345", "SoDienThoai": "0900000001",
            "Email": "mau@example.com", "MaDoiTuong": "dvcqg-user-1",
            "DinhDanhCHS": [{"LoaiDinhDanh": "1", "SoDinhDanh": "001090012345"}]}


def file_item(link=True, **flags):
    return {"TenTepDinhKem": "Đơn.pdf", "IsDeleted": "False",
            "DuongDanTaiTepTin": "https://motcua.example/f.pdf" if link else "", **flags}


RESULT = [{"TenGiayTo": "Giấy phép", "MaGiayToKetQua": "KQ.01", "DuongDanTepTinKetQua": "https://motcua.example/kq.pdf"}]


def dossier(number, received, due, status, **fields):
    return {"MaHoSo": number, "MaTTHC": P1, "TenTTHC": "Thủ tục A", "KenhThucHien": "2", "NgayNopHoSo": received,
            "NgayTiepNhan": received, "NgayHenTra": due, "TrangThaiHoSo": status, "NgayTra": "",
            "NgayKetThucXuLy": "", "DonViXuLy": "", "TaiLieuNop": [], "DanhSachLePhi": [],
            "DanhSachGiayToKetQua": [], "DanhSachHoSoBoSung": [], **PERSONAL, **fields}


def progress(number, *steps):
    return [{"MaHoSo": number, "NguoiXuLy": "Cán bộ Một", "ChucDanh": "", "ThoiDiemXuLy": when,
             "PhongBanXuLy": "", "NoiDungXuLy": f"bước {status}", "TrangThai": status,
             "NgayBatDau": "", "NgayKetThucTheoQuyDinh": ""} for when, status in steps]


D1, D2, D3 = "000.00.12.H44-260406-0001", "000.00.12.H44-260407-0001", "000.00.01.H44-260408-0001"
D4, D5, D6 = "HS-0004", "XX-0005", "000.00.12.H44-260302-0001"
D7, D8 = "000.00.12.H44-260601-0001", "000.00.01.H44-260504-0001"

D4_FIRST = dossier(D4, "20260409080000", "20260423170000", "2", KenhThucHien="3", DonViXuLy="SỞ TƯ PHÁP ",
                   isUpdating="False")
DOSSIERS = [
    dossier(D1, "20260406080000", "20260420170000", "10", MaTTHC="1.000001.000.00.00.H44",
            NgayKetThucXuLy="20260415100000", NgayTra="20260416090000", DuocThanhToanTrucTuyen="1",
            DanhSachLePhi=[{"TenPhiLePhi": "Lệ phí", "Gia": "50000"}], DanhSachGiayToKetQua=RESULT,
            TaiLieuNop=[file_item(DuocSoHoa="1", DuocTaiSuDung="0", DuocLayTuKhoDMQG="1")],
            TaiKhoanDuocXacThucVoiVNeID="1", HoSoCoThanhPhanSoHoa="0"),
    dossier(D2, "20260407080000", "20260421170000", "9", MaTTHC=P1, KenhThucHien=None,
            NgayKetThucXuLy="20260423100000", DuocThanhToanTrucTuyen="0", DanhSachLePhi=[{"Gia": "0"}],
            TaiLieuNop=[file_item(link=False, DuocSoHoa="0")], TaiKhoanDuocXacThucVoiVNeID="0",
            DanhSachGiayToKetQua=[{"TenGiayTo": "Kết quả", "DuongDanTepTinKetQua": "https://motcua.example/x.pdf"}],
            DSKetNoiCSDL=[{"MaCSDL": "7"}]),
    dossier(D3, "20260408080000", "20260424170000", "9", NgayKetThucXuLy="20260423160000",
            DuocThanhToanTrucTuyen="0", DanhSachLePhi=[{"Gia": "20000"}], HoSoCoThanhPhanSoHoa="1",
            TaiLieuNop=[file_item(DuocSoHoa="0", DuocTaiSuDung="1")], TaiKhoanDuocXacThucVoiVNeID="1",
            DanhSachHoSoBoSung=[{"HoSoBoSungId": 1, "NguoiYeuCauBoSung": "Lê Văn Thẩm",
                                 "NgayBoSung": "20260410090000", "NgayTiepNhanBoSung": "20260414090000",
                                 "TrangThaiBoSung": True, "NgayHenTraTruoc": "20260422170000",
                                 "NgayHenTraMoi": "20260424170000"}]),
    {**D4_FIRST, "TrangThaiHoSo": "10", "isUpdating": "True", "NgayKetThucXuLy": "20260410150000",
     "NgayTra": "20260413090000", "DuocThanhToanTrucTuyen": "2", "DanhSachGiayToKetQua": RESULT,
     "DanhSachLePhi": [{"Gia": "30000"}, {"Gia": 5000}], "TaiKhoanDuocXacThucVoiVNeID": "0"},
    dossier(D5, "20260410080000", "20260424170000", "2", DonViXuLy="UBND xã Không Có"),
    dossier("000.00.12.H44-260302-0001", "20260302080000", "20260309170000", "10", MaTTHC="1.000002",
            NgayKetThucXuLy="20260305100000", NgayTra="20260306090000"),
    dossier(D7, "20260601080000", "20260615170000", "9", KenhThucHien="1", NgayKetThucXuLy="20260618100000",
            DuocThanhToanTrucTuyen="3", DanhSachLePhi=[{"Gia": "20000"}], DanhSachGiayToKetQua=RESULT,
            TaiLieuNop=[file_item(DuocSoHoa="1")], TaiKhoanDuocXacThucVoiVNeID="0"),
    dossier(D8, "20260504080000", "20260518170000", "10", NgayKetThucXuLy="20260511100000",
            NgayTra="20260512100000", DuocThanhToanTrucTuyen="1", DanhSachLePhi=[{"Gia": "15000"}],
            DanhSachGiayToKetQua=RESULT, TaiLieuNop=[file_item(DuocSoHoa="0", DuocLayTuKhoDMQG="1")],
            TaiKhoanDuocXacThucVoiVNeID="1"),
]
PROGRESS = [
    *progress(D1, ("20260406080000", "2"), ("20260407090000", "4"), ("20260415100000", "9"), ("20260416090000", "10")),
    *progress(D2, ("20260407080000", "2")),
    *progress(D3, ("20260408080000", "2"), ("20260410090000", "5"), ("20260414090000", "4"), ("20260423160000", "9")),
    *progress(D5, ("20260410080000", "2")),
    *progress(D6, ("20260302080000", "2"), ("20260305100000", "9"), ("20260306090000", "10")),
    *progress(D7, ("20260601080000", "2"), ("20260603090000", "5"), ("20260603090000", "5"), ("20260618100000", "9")),
    *progress(D8, ("20260504080000", "2"), ("20260505090000", "5"), ("20260506090000", "4"),
              ("20260507090000", "5"), ("20260508090000", "4"), ("20260511100000", "9"), ("20260512100000", "10")),
]

# (unit, indicator) -> (numerator, denominator), from the table in the module docstring
EXPECTED = {
    "H44.12": {"1.4": (3, 4), "2.1": (3, 4), "3.3": (0.75, 4), "3.6": (1, 3), "4.1": (2, 4), "4.2": (2, 4),
               "4.3": (2, 4), "4.4": (1, 4), "4.7": (1, 4), "5.3": (3, 4)},
    "H44.01": {"1.4": (3, 3), "2.1": (2, 3), "3.3": (1, 3), "3.6": (2, 3), "4.1": (2, 3), "4.2": (1, 3),
               "4.3": (1, 3), "4.4": (1, 3), "4.7": (2, 3), "5.3": (1, 3)},
    "H44": {"1.4": (6, 7), "2.1": (5, 7), "3.3": (2 * 6 / 7, 7), "3.6": (3, 6), "4.1": (4, 7), "4.2": (3, 7),
            "4.3": (3, 7), "4.4": (2, 7), "4.7": (3, 7), "5.3": (4, 7)},
}


def envelope(service, records, **extra):
    return {"session": "tok", "madonvi": "000.00.00.H44", "service": service, **extra, "data": records}


def jsonl(values) -> bytes:
    return b"".join(json.dumps(v, ensure_ascii=False).encode() + b"\n" for v in values)


def write_style(folder, style):
    """The province's payloads in one style (the tables beside them are the same for all)."""
    later = [d for d in DOSSIERS]  # D4's second record is in DOSSIERS; its first is written apart
    if style == "envelope":  # adapter style: service in the body, isUpdating on the envelope
        (folder / "dongbo-update.json").write_text(json.dumps(envelope("DongBoHoSoMC", later, isUpdating="True"),
                                                              ensure_ascii=False, indent=2), encoding="utf-8")
        (folder / "dongbo-insert.json").write_text(json.dumps(envelope("DongBoHoSoMC", [D4_FIRST], isUpdating="False"),
                                                              ensure_ascii=False), encoding="utf-8")
        (folder / "tiendo.json").write_text(json.dumps(envelope("CapNhatTienDoHoSoMC", PROGRESS), ensure_ascii=False),
                                            encoding="utf-8")
    elif style == "array":  # intermediary / TH style: bare arrays, records told apart by their fields
        (folder / "a.json").write_text(json.dumps([D4_FIRST] + later[:3], ensure_ascii=False, indent=1), encoding="utf-8")
        (folder / "b.json").write_text(json.dumps(later[3:] + PROGRESS[:10], ensure_ascii=False), encoding="utf-8")
        for k in range(10, len(PROGRESS), 10):  # TH sends progress in chunks of 10
            (folder / f"progress-{k}.json").write_text(json.dumps(PROGRESS[k:k + 10]), encoding="utf-8")
    elif style == "jsonl":  # one record a line, both kinds mixed, D4's newer record first
        (folder / "export.jsonl").write_bytes(jsonl(later + PROGRESS + [D4_FIRST]))
    elif style == "jsonl-text":  # every amount as text (as OCPS sends): one type per field, read by pyarrow
        as_text = [{**d, "DanhSachLePhi": [{**fee, "Gia": str(fee["Gia"])} for fee in d["DanhSachLePhi"]]}
                   for d in later + [D4_FIRST]]
        (folder / "dossiers.jsonl").write_bytes(jsonl(as_text))
        (folder / "progress.jsonl").write_bytes(jsonl(PROGRESS))
        assert all(_json_lines_fast(path) is not None for path in find_payloads(folder))
    elif style == "gzip":  # gzip under names that say nothing
        (folder / "batch-1").write_bytes(gzip.compress(jsonl(PROGRESS + later)))
        (folder / "batch-2.dat").write_bytes(gzip.compress(json.dumps(envelope("DongBoHoSoMC", [D4_FIRST])).encode()))


def province(folder, style):
    folder.mkdir()
    for name, text in (("donvi", DONVI), ("tthc", TTHC), ("hoso", HOSO_CSV), ("hoso_su_kien", EVENTS_CSV),
                       ("pakn", PAKN_CSV)):
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    write_style(folder, style)
    return folder


@pytest.mark.parametrize("style", ["envelope", "array", "jsonl", "jsonl-text", "gzip"])
def test_hand_built_province_in_every_payload_style(tmp_path, style):
    folder = province(tmp_path / "data", style)
    out, quality, set_aside = tmp_path / "scores.csv", tmp_path / "q.csv", tmp_path / "rows.csv"
    assert main(["compute", "--data", str(folder), "--period", PERIOD, "--out", str(out),
                 "--quality", str(quality), "--set-aside", str(set_aside)]) == 0
    scores = pd.read_csv(out, dtype={"unit": str, "indicator": str}).set_index(["unit", "indicator"])
    for unit, expected in EXPECTED.items():
        for code, (numerator, denominator) in expected.items():
            row = scores.loc[(unit, code)]
            assert (row["numerator"], row["denominator"]) == pytest.approx((numerator, denominator)), (unit, code)

    rows = pd.read_csv(quality).drop_duplicates("table").set_index("table")
    assert rows.loc["hoso", ["rows_read", "accepted", "set_aside"]].tolist() == [10, 8, 2]
    assert rows.loc["hoso_su_kien", ["rows_read", "accepted", "set_aside"]].tolist() == [31, 29, 2]
    listed = pd.read_csv(set_aside)
    assert sorted(zip(listed["table"], listed["reason"])) == [
        ("hoso", reasons.REPLACED), ("hoso", reasons.UNKNOWN_UNIT),
        ("hoso_su_kien", reasons.DOSSIER_SET_ASIDE), ("hoso_su_kien", reasons.IDENTICAL_COPY)]
    unknown = listed[listed["reason"] == reasons.UNKNOWN_UNIT].iloc[0]
    assert unknown["value"] == "UBND xã Không Có" and unknown["file"] != "hoso.csv" and unknown["row"] >= 1


def test_personal_fields_never_loaded(tmp_path):
    data = load_dossiers(province(tmp_path / "data", "envelope"))
    loaded = pd.concat([data.hoso.astype(str), data.hoso_su_kien.astype(str)])
    for value in ("Trần Thị Mẫu", "001090012345", "0900000001", "mau@example.com", "dvcqg-user-1"):
        assert not loaded.isin([value]).any().any()
    assert not {"ChuHoSo", "SoDienThoai", "Email", "MaDoiTuong", "SoGiayToChuHoSo"} & set(data.hoso.columns)


def test_a_dossier_in_a_table_and_in_payloads_is_refused(tmp_path):
    folder = province(tmp_path / "data", "jsonl")
    (folder / "hoso.csv").write_text(HOSO_CSV + f"{D1},1.000001,H44.12,2,2026-04-06 08:00,,1,,,,,,,\n",
                                     encoding="utf-8")
    with pytest.raises(InputError, match=rf"hoso.csv and the sync payloads \(export.jsonl\) both hold dossier '{D1}'"):
        load_dossiers(folder)


def test_payloads_alone_without_tables_for_dossiers(tmp_path):
    folder = province(tmp_path / "data", "jsonl")
    (folder / "hoso.csv").unlink()
    (folder / "hoso_su_kien.csv").unlink()
    data = load_dossiers(folder)
    assert len(data.hoso) == 7 and "LOCAL-9" not in set(data.hoso["MaHoSo"])
    assert data.quality.set_index("table").loc["hoso", "file"] == "export.jsonl"


def test_truncated_and_broken_files(tmp_path):
    folder = province(tmp_path / "data", "envelope")
    text = (folder / "tiendo.json").read_text(encoding="utf-8")
    (folder / "tiendo.json").write_text(text[:200], encoding="utf-8")
    with pytest.raises(InputError, match=r"tiendo.json: not valid JSON \(line 1, column \d+, byte \d+"):
        load_dossiers(folder)
    (folder / "tiendo.json").write_bytes(gzip.compress(text.encode())[:300])
    with pytest.raises(InputError, match=r"tiendo.json: cannot be read to the end"):
        load_dossiers(folder)


def test_a_broken_json_line_is_set_aside_not_fatal(tmp_path):
    folder = province(tmp_path / "data", "jsonl")
    with (folder / "export.jsonl").open("ab") as handle:
        handle.write(b'{"MaHoSo": "000.00.12.H44-260601-0009", "ChuHoSo": "Nguy\n')  # cut by a kill
    data = load_dossiers(folder)
    broken = data.set_aside[data.set_aside["reason"] == reasons.INVALID_JSON]
    assert len(broken) == 1 and broken.iloc[0]["file"] == "export.jsonl"
    assert broken.iloc[0]["detail"]  # the parser's message (the line itself may hold personal data)
    assert broken.iloc[0]["row"] == len(DOSSIERS) + len(PROGRESS) + 2  # its line
    assert "Nguy" not in broken.iloc[0]["value"]  # a broken line may hold personal data: not shown


def test_sample_province_from_csv_and_from_sync_payloads_scores_the_same(tmp_path):
    """`chiso sample --format dvcqg-sync` writes the same province as `--format csv`, with its
    synced dossiers and their events as payloads (and the unsynced ones as CSV beside them):
    every unit and sub-indicator gets the same numerator, denominator and points."""
    scores = {}
    for fmt in ("csv", "dvcqg-sync"):
        folder = tmp_path / fmt
        assert main(["sample", "--out", str(folder), "--scale", "0.01", "--period", PERIOD, "--format", fmt]) == 0
        assert main(["compute", "--data", str(folder), "--period", PERIOD, "--out", str(tmp_path / f"{fmt}.csv")]) == 0
        scores[fmt] = pd.read_csv(tmp_path / f"{fmt}.csv", dtype={"unit": str, "indicator": str})
    assert {p.name for p in (tmp_path / "dvcqg-sync").iterdir()} >= {"DongBoHoSoMC.jsonl", "CapNhatTienDoHoSoMC.jsonl"}
    assert len(scores["csv"]) == 166 * 22
    columns = ["unit", "indicator", "numerator", "denominator", "points", "status"]
    pd.testing.assert_frame_equal(scores["dvcqg-sync"][columns], scores["csv"][columns])
    data = load_dossiers(tmp_path / "dvcqg-sync")
    assert data.is_sample and not (data.hoso["DongBoDVCQG"]).all()  # unsynced dossiers came from hoso.csv
