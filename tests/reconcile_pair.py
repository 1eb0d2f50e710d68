"""A hand-built pair: the hand-made export as the province has it, and the portal's responses
computed from what the portal saw, then edited (tests/test_reconcile.py states the expected
differences; tests/test_report_reconciliation.py shows them in reports)."""

import shutil

from conftest import DATA


def build_pair(folder):
    """The hand-made export (Q2 2026) as the province has it, and the portal's responses.

    Province side: three dossiers not synced (A3, A8 at the department T00.01, B3 at the
    commune T00.101; A12's blank flag set to synced), one status synced late (B2's
    XU_LY_XONG of 4/5, synced 3/7, after the quarter), one synced dossier C1 of a procedure
    missing from the catalogue (set aside by the loader), and the department's DVCQG code
    in donvi.MaDVCQG (H99.1).
    Portal side: the responses computed from what the portal saw (synced dossiers, events
    synced by 30/6), then edited as the portal differs: C1 counted at T00.101 and the
    province (+1 in the denominators of 1.4, 2.1 and 5.3, and in 1.4's numerator); 5.1's
    numerator of T00.101 lowered by one (a difference nothing explains); units coded
    differently (department H99.1, commune H99.5 named in capitals with the portal's
    " - Tỉnh …" suffix, province H99 "UBND tỉnh Thử Nghiệm"); the commune T00.102 absent
    and a unit the province does not have (Sở Ngoại vụ).
    """
    from chiso.indicators import compute_scores
    from chiso.methodology import load_methodology
    from chiso.period import Period
    from chiso.reconcile import own_units, portal_view
    from chiso.sources.dossiers import load_dossiers
    from chiso.sources.dvcqg_writer import official_responses, portal_counters, write_responses

    shutil.copytree(DATA / "handmade", folder / "data")
    data_dir = folder / "data"
    hoso = (data_dir / "hoso.csv").read_text(encoding="utf-8")
    hoso = hoso.replace("A12,1.000002,T00.01,1,2026-05-06 08:00,2026-05-20 17:00,,",
                        "A12,1.000002,T00.01,1,2026-05-06 08:00,2026-05-20 17:00,1,")
    hoso += "C1,9.000009,T00.101,1,2026-05-12 08:00,2026-05-19 17:00,1,,Tạ Văn Sơn\n"
    (data_dir / "hoso.csv").write_text(hoso, encoding="utf-8")
    events = (data_dir / "hoso_su_kien.csv").read_text(encoding="utf-8").splitlines()
    events = [events[0] + ",NgayDongBo"] + [
        line + (",2026-07-03 09:00" if line.startswith("B2,2026-05-04 16:00,XU_LY_XONG") else ",")
        for line in events[1:]]
    (data_dir / "hoso_su_kien.csv").write_text("\n".join(events) + "\n", encoding="utf-8")
    donvi = (data_dir / "donvi.csv").read_text(encoding="utf-8").splitlines()
    donvi = [donvi[0] + ",MaDVCQG"] + [line + (",H99.1" if line.startswith("T00.01,") else ",") for line in donvi[1:]]
    (data_dir / "donvi.csv").write_text("\n".join(donvi) + "\n", encoding="utf-8")

    data = load_dossiers(data_dir)
    period, methodology = Period.parse("2026-Q2"), load_methodology()
    seen = portal_view(data, cutoff=period.end)
    responses = official_responses(compute_scores(seen, period, methodology), own_units(data), methodology,
                                   portal_counters(seen, period, methodology))
    _edit_responses(responses)
    write_responses(responses, folder / "dvcqg" / "2026-Q2")
    return data, folder / "dvcqg" / "2026-Q2", period, methodology


def _units_of(responses):
    for doc in responses.values():
        body = doc["data"]
        top = body.get("overview") or body.get("parent")
        yield from [top, *(body.get("evaluation") or body.get("children"))]


def _edit_responses(responses):
    def metric(unit, code):
        return next(m for m in unit["metrics"] if m["code"] == code)

    for endpoint, doc in responses.items():
        body = doc["data"]
        units = body.get("evaluation") if "evaluation" in body else body["children"]
        top = body.get("overview") or body.get("parent")
        commune = next(u for u in units if u["departmentName"] == "Xã Đồng Hỷ")
        for unit in (top, commune):  # C1 counts on the portal
            if endpoint == "transparency":
                sync = metric(unit, "DOSSIER_SYNC")
                sync["numerator"] += 1
                sync["denominator"] += 1
            if endpoint == "dvc-progress-tree":
                unit["totalReceived"] += 1
            if endpoint == "handling-satisfaction":
                metric(unit, "DOSSIER_RECEIVING_SATISFACTION")["denominator"] += 1
        if endpoint == "handling-satisfaction":
            metric(commune, "PETITION_PROCESSING_ON_TIME")["numerator"] -= 1
        stranger = next(u for u in units if u["departmentName"] == "Phường Hà Tĩnh")
        stranger["departmentName"] = "Sở Ngoại vụ - Tỉnh Thử Nghiệm"
        stranger["departmentId"] = "ngoai-vu"
        if "departmentCode" in stranger:
            stranger["departmentCode"] = "H99.9"
    renamed = {"T00.01": ("H99.1", None), "T00.101": ("H99.5", "XÃ ĐỒNG HỶ - Tỉnh Thử Nghiệm"),
               "T00": ("H99", "UBND tỉnh Thử Nghiệm")}
    ids = {}
    for unit in _units_of(responses):
        code = unit.get("departmentCode")
        if code in renamed:
            ids[unit["departmentId"]] = renamed[code]
    for unit in _units_of(responses):
        if unit["departmentId"] in ids:
            new_code, new_name = ids[unit["departmentId"]]
            if "departmentCode" in unit:
                unit["departmentCode"] = new_code
            if new_name:
                unit["departmentName"] = new_name
