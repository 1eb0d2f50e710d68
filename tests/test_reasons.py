"""chiso.reasons: every reason a row is set aside for, or a rule counts, is a code with its
Vietnamese and English text in one table; the loader emits nothing else.

The hostile folders are written in tmp_path with the helpers of test_dossiers / test_sync.
"""

from __future__ import annotations

import re

import pytest
import yaml

from chiso import reasons
from chiso.errors import ChisoError, InputError
from chiso.indicators.quality import CHECKS
from chiso.paths import params_dir
from chiso.sources.dossiers import load_contract, load_dossiers
from test_dossiers import DONVI, write_folder
from test_sync import province

# One row (at least) for each reason the loader has for a table file; comments: the reason.
HOSTILE = {
    "donvi": DONVI + ("H44.98,Phường Lạ,PHUONG,H44\n"         # unknown_value (Cap)
                      "H44.50,Phòng X,XA,H44.404\n"            # unknown_parent_unit
                      "H44.51,Xã Y,XA,H44.50\n"                # parent_unit_set_aside
                      + "X" * 70 + ",Đơn vị dài,SO,H44\n"      # unit_code_too_long
                      "../x,Đơn vị B,SO,H44\n"                 # unit_code_bad_character
                      "CON,Đơn vị C,SO,H44\n"                  # unit_code_reserved_name
                      "h44.99,Đơn vị D,SO,H44\n"               # unit_code_case_clash (and H44.99)
                      "H44.60,Đơn vị E,SO,H44\nH44.60,Đơn vị E2,SO,H44\n"   # duplicate_key
                      "H44.61,Đơn vị F,SO,H44\nH44.61,Đơn vị F,SO,H44\n"),  # identical_copy
    "tthc": "MaTTHC,TenTTHC\n1.001,Thủ tục A\n1.003,Thủ tục C\n1.003,Thủ tục C khác\n",
    "hoso": ("MaHoSo,MaTTHC,MaDonVi,KenhNop,NgayTiepNhan,NgayHenTra,SoHoa,PhiLePhi\n"
             "A1,1.001,H44.01,2,2026-04-03 08:00,,1,0\n"
             "A2,,H44.01,1,2026-04-03 08:00,,,\n"                 # blank_required
             "A3,1.001,H44.01,1,2026-04-31,,,\n"                  # unparseable_date
             "A4,1.001,H44.01,1,2026-04-03,,có lẽ,\n"             # not_yes_no
             "A5,1.001,H44.01,1,2026-04-03,,,50.000đ\n"           # not_a_number
             "A14,1.001,H44.01,1,2026-04-03,,,-5000\n"            # negative_amount
             "A15,1.001,H44.01,1,2026-04-03,,,1e400\n"            # not_a_number (infinite)
             "A6,1.001,H44.77,1,2026-04-03,,,\n"                  # unknown_unit
             "A7,1.001,H44.98,1,2026-04-03,,,\n"                  # unit_set_aside
             "A8,9.999,H44.01,1,2026-04-03,,,\n"                  # unknown_procedure
             "A9,1.003,H44.01,1,2026-04-03,,,\n"                  # procedure_set_aside
             "A10,1.001,H44.01,1,2026-04-03 08:00,,,\nA10,1.001,H44.01,2,2026-04-03 08:00,,,\n"
             "A11,1.001,H44.01,1,2026-04-03 08:00,,,\nA11,1.001,H44.01,1,2026-04-03 08:00,,,\n"
             "A12,1.001,H44.01,1,2026-04-03 08:00,2026-04-02,,\n"  # due_before_reception
             "A13,1.001,H44.01,1,2099-04-03 08:00,,,\n"),          # in_the_future / after_export_date
    "hoso_su_kien": ("MaHoSo,ThoiDiem,SuKien\n"
                     "A1,2026-04-03 08:00,TIEP_NHAN\n"
                     "A1,2026-04-03 09:00,DA_XONG\n"           # unknown_value (SuKien)
                     "A1,2026-04-03 08:00,TIEP_NHAN\n"         # repeated_event
                     "ZZ,2026-04-03 09:00,TIEP_NHAN\n"         # unknown_dossier
                     "A2,2026-04-03 09:00,TIEP_NHAN\n"         # dossier_set_aside
                     "A11,2026-04-02 10:00,XU_LY_XONG\n"),     # event_before_reception
    "pakn": "MaPAKN,MaDonVi,NgayTiepNhan,NgayXuLyXong\nP1,H44.01,2026-04-03,2026-04-01\n",  # handled_before_received
}


def test_every_reason_has_both_texts():
    assert len(reasons.TEXTS) >= 30
    for code, said in reasons.TEXTS.items():
        assert re.fullmatch(r"[a-z][a-z_]+", code), code
        assert said.vi and said.en and said.vi != said.en, code
        for language in reasons.LANGUAGES:  # the only placeholder is the column
            assert "{" not in reasons.text(code, column="X", language=language), (code, language)
    assert set(CHECKS) <= set(reasons.TEXTS)


def test_every_reason_the_loader_emits_is_in_the_table_and_every_one_is_emitted(tmp_path):
    emitted = set()
    for name, export_date in (("no-export-date", None), ("export-date", "2026-06-30")):
        data = load_dossiers(write_folder(tmp_path / name, **HOSTILE), export_date=export_date)
        emitted |= set(data.set_aside["reason"])
        for language in reasons.LANGUAGES:  # every row can be said, detail and all
            said = reasons.with_text(data.set_aside, language)["reason_text"]
            assert said.notna().all() and not said.str.contains("{", regex=False).any()
    synced = province(tmp_path / "sync", "jsonl")
    with (synced / "export.jsonl").open("ab") as handle:
        handle.write(b'{"KhongPhaiHoSo": 1}\n{"MaHoSo": "000.00.12.H44-260601-0009", "ChuHoSo": "Nguy\n')
    data = load_dossiers(synced)
    emitted |= set(data.set_aside["reason"])
    assert emitted <= set(reasons.TEXTS)
    assert emitted == set(reasons.TEXTS) - set(CHECKS)  # no reason in the table is dead
    broken = data.set_aside[data.set_aside["reason"] == reasons.INVALID_JSON].iloc[0]
    assert reasons.text(broken["reason"], broken["column"], broken["detail"], "en").startswith("not valid JSON (")


def test_a_reason_outside_the_table_stops_the_loader(tmp_path, monkeypatch):
    monkeypatch.delitem(reasons.TEXTS, reasons.UNPARSEABLE_DATE)
    with pytest.raises(ChisoError, match=r"hoso.csv: internal error: reason 'unparseable_date' is not in chiso.reasons"):
        load_dossiers(write_folder(tmp_path / "d", hoso=HOSTILE["hoso"], hoso_su_kien=HOSTILE["hoso_su_kien"]))


def test_a_reference_without_its_reasons_is_refused(tmp_path):
    contract = yaml.safe_load((params_dir() / "contract.yaml").read_text(encoding="utf-8"))
    contract["tables"]["congbo"]["references"] = {"MaTTHC": "pakn"}  # pakn has a key, but no such reasons
    path = tmp_path / "contract.yaml"
    path.write_text(yaml.safe_dump(contract, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ChisoError, match=r"congbo.MaTTHC references 'pakn', for which chiso.reasons has no reasons"):
        load_contract(path)


def test_no_units_says_why_in_english_with_the_detail(tmp_path):
    donvi = "MaDonVi,TenDonVi,Cap,MaDonViCha\n" + "X" * 70 + ",UBND tỉnh,TINH,\n"
    with pytest.raises(InputError, match=r"^donvi.csv: no units \(all 1 rows set aside, e.g. row 1: unit code "
                                         r"longer than 64 characters \(70\); expected one row per unit\)$"):
        load_dossiers(write_folder(tmp_path / "d", donvi=donvi))


def test_reports_say_the_reason_in_vietnamese_and_the_command_line_in_english():
    assert reasons.text(reasons.DUPLICATE_KEY, column="MaHoSo") == "trùng mã MaHoSo, các bản khác nhau"
    assert reasons.text(reasons.DUPLICATE_KEY, column="MaHoSo", language="en") == "duplicate MaHoSo, the copies differ"
    assert reasons.text(reasons.UNIT_CODE_CASE_CLASH, detail="h44.01") == (
        "mã đơn vị chỉ khác mã của đơn vị khác ở chữ hoa, chữ thường (h44.01)")
    with pytest.raises(ChisoError, match="'unknown unit' is not a reason of this chiso version"):
        reasons.text("unknown unit")  # an English sentence is not read back into a reason
