"""DVCQG responses written from chiso's computed figures: the inverse of :mod:`chiso.sources.official`.

:func:`official_responses` turns a scored table (:func:`chiso.indicators.compute_scores`)
into the six responses of the portal's "Đánh giá chất lượng phục vụ" (docs/methodology.md §4), in the
portal's formats and field names: ``transparency``, ``dossier-digitized`` and
``handling-satisfaction`` as ``overview`` + ``evaluation[]`` with ``metrics[]``; the
``dvc-progress-tree``, ``formality-online-payment-tree`` and ``provide-online-tree`` as
``parent`` + ``children[]`` with their counters. Which figure goes to which metric or
counter is the methodology's ``dvcqg`` entry of each sub-indicator, the same data
:func:`chiso.sources.official.indicator_rows` reads — so reading the files back with
:func:`~chiso.sources.official.load_official` and scoring them gives the figures they were
written from.

What the portal publishes beyond the sub-indicators is filled in as it does:

- ratios in percent with 2 decimals, points as computed (never rounded again), null
  where chiso has no data (never 0);
- 4.5 (ELECTRONIC_CERTIFIED_COPY): ratio only, numerator and denominator null;
- 1.4 (DOSSIER_SYNC): the portal divides by the national report's count (BCQG), which it
  does not have for a province's own data; it then uses its own sync count as a
  provisional denominator and flags it ``TEMP_NATIONAL_REPORT_DENOMINATOR``, or
  ``NO_NATIONAL_REPORT_DATA`` (ratio and score null) when it has no dossier at all — as in
  every unit of the reference responses;
- the province's online-services counters (spec R12) on the ``provide-online-tree``
  parent: authorityCount / partialCount + fullCount (3.1), onlineServiceTotal /
  onlineDossierCount (3.2), channelTotalSum / channelOnlineSum (3.3); child units carry
  only the block total, as on the portal;
- the two PAKN classification metrics (max 0 points) and the group totals.

Units get a ``departmentId``: ``donvi.MaDVCQG`` when the export has it, else a UUID derived
from the unit code (the same code always gives the same id). ``departmentCode`` is the unit
code.

Example
-------
>>> scored = compute_scores(portal_view(data), Period.parse("2026-Q2"), methodology)   # doctest: +SKIP
>>> responses = official_responses(scored, data.units, methodology)                     # doctest: +SKIP
>>> write_responses(responses, "out/official/2026-Q2")                                  # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from chiso.methodology import Methodology
from chiso.period import Period
from chiso.sources.official import ENDPOINTS
from chiso.status import NOT_APPLICABLE

# The portal's own titles of its metrics (as in the reference responses).
METRIC_NAMES = {
    "PUBLISH_ON_TIME": "Tỷ lệ TTHC công bố đúng hạn",
    "PUBLIC_UPDATE_ON_TIME": "Tỷ lệ TTHC cập nhật, công khai đúng hạn",
    "PUBLIC_CONTENT_FULL": "Tỷ lệ TTHC công khai đầy đủ nội dung",
    "DOSSIER_SYNC": "Tỷ lệ hồ sơ đồng bộ lên Cổng DVCQG",
    "ORIGINAL_RESULT_AVAILABLE": "Tỷ lệ hồ sơ thủ tục hành chính có cấp kết quả giải quyết thủ tục hành chính điện tử",
    "SO_HOA_GIAY_TO_GIAI_QUYET": "Tỷ lệ hồ sơ thủ tục hành chính thực hiện số hóa hồ sơ",
    "REUSED_DIGITIZED_DATA": "Tỷ lệ hồ sơ khai thác, sử dụng lại thông tin, dữ liệu số hóa",
    "SYNCED_WITH_DVCQG_PERSONAL_STORAGE": "Tỷ lệ hồ sơ TTHC được số hóa có kết nối, chia sẻ dữ liệu phục vụ tái sử dụng",
    "CITIZEN_DATA_CONNECTED_DOSSIER": "Tỷ lệ hồ sơ TTHC có sử dụng thông tin, dữ liệu dân cư",
    "CITIZEN_DATA_CONNECTED_FORMALITY": "Tỷ lệ TTHC triển khai kết nối, chia sẻ dữ liệu dân cư phục vụ GQ TTHC",
    "ELECTRONIC_CERTIFIED_COPY": "Tỷ lệ cung cấp dịch vụ chứng thực bản sao điện tử từ bản chính",
    "PETITION_CLASSIFICATION_TTHC": "Tỷ lệ PAKN về quy định, thủ tục hành chính",
    "DOSSIER_RECEIVING_SATISFACTION": "Tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC",
    "PETITION_PROCESSING_ON_TIME": "Tỷ lệ PAKN xử lý đúng hạn",
    "PETITION_HANDLING_SATISFACTION": "Tỷ lệ hài lòng trong xử lý PAKN",
    "PETITION_CLASSIFICATION_STAFF": "Tỷ lệ PAKN về hành vi cán bộ, công chức, viên chức",
}
# Monitoring metrics of handling-satisfaction (max 0 points): PAKN by class (pakn.PhanLoai)
# over all PAKN received in the period (5.1's denominator).
PAKN_CLASSES = {"PETITION_CLASSIFICATION_TTHC": "TTHC", "PETITION_CLASSIFICATION_STAFF": "CAN_BO"}
# A metric whose figure only the portal's own data can give: the portal divides it by the
# national report's count, flags it provisional, or says it has none.
PROVISIONAL_DENOMINATOR = {
    "DOSSIER_SYNC": (("TEMP_NATIONAL_REPORT_DENOMINATOR",
                      "Mẫu số BCQG/GRIS đang dùng số tạm, cần thay bằng dữ liệu crawl hệ thống cũ."),
                     ("NO_NATIONAL_REPORT_DATA", "Không có dữ liệu báo cáo tổng hợp.")),
}
RATIO_ONLY = {"ELECTRONIC_CERTIFIED_COPY"}  # the portal publishes the ratio, not its parts
METRIC_PAGE_SIZE = 200
# Unit types as the portal names them, by chiso level.
_TYPES = {"province": ("PROVINCE", "PROVINCE", "level_1"),
          "department": ("PROVINCIAL_DEPARTMENT", "PROVINCE", "level_2"),
          "district": ("DISTRICT_PEOPLE_COMMITTEE", "DISTRICT", "level_2"),
          "commune": ("COMMUNE_PEOPLE_COMMITTEE", "COMMUNE", "level_2")}
_ID_NAMESPACE = uuid.UUID("7c1e0d2a-766a-4c6b-9d1e-0c4a5f3b7d66")  # chiso's namespace for derived ids
SAMPLE_SOURCE = "chiso sample: computed from the sample province's dossiers synced to DVCQG (DỮ LIỆU MẪU)"


def department_id(unit_code: str) -> str:
    """A stable UUID for a unit code (the portal's ids are UUIDs; the same code gives the same id).

    >>> department_id("S99.01") == department_id("S99.01")
    True
    """
    return str(uuid.uuid5(_ID_NAMESPACE, str(unit_code)))


def _number(value):
    """JSON number: null for NaN, an int when whole (the portal writes 7, not 7.0)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    value = float(value)
    return int(value) if value.is_integer() else round(value, 6)


def _percent(numerator, denominator, ratio=None):
    """Ratio in percent, 2 decimals, as published; 0 for 0/0 (the portal's own choice); null when unknown."""
    if pd.notna(numerator) and pd.notna(denominator):
        return round(100 * numerator / denominator, 2) if denominator else 0
    return None if ratio is None or pd.isna(ratio) else round(100 * float(ratio), 2)


def _mean_total(units: list[dict]) -> float | None:
    totals = [u["totalScore"] for u in units if u["totalScore"] is not None]
    return round(sum(totals) / len(totals), 2) if totals else None


def _sum_points(values) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known), 2) if known else None


class _Figures:
    """The scored table indexed for lookups: (unit, indicator) -> row."""

    def __init__(self, scored: pd.DataFrame):
        self.rows = scored.set_index(["unit", "indicator"])

    def get(self, unit: str, code: str, column: str):
        try:
            value = self.rows.at[(unit, code), column]
        except KeyError:
            return None
        return None if pd.isna(value) else value


def official_responses(scored: pd.DataFrame, units: pd.DataFrame, methodology: Methodology,
                       counters: pd.DataFrame | None = None, source: str = SAMPLE_SOURCE) -> dict[str, dict]:
    """The six DVCQG responses (endpoint -> JSON document) of ``scored``'s figures.

    ``scored``: :func:`chiso.indicators.compute_scores` output (unit, indicator, numerator,
    denominator, ratio, points, max_points, status). ``units``: unit, name, level, parent
    and optionally ``dvcqg_id`` (the portal's departmentId); exactly one unit without a
    parent (the province) is the portal's parent/overview, every other unit a child.
    ``counters``: optional per-unit extra fields (index = unit) — ``fullCount`` (3.1's
    fully-online procedures), ``channelPostalSum``, ``totalPetitions_TTHC``/``_CAN_BO``
    (PAKN by class); absent ones are written null.
    """
    roots = units[units["parent"].isna()]
    if len(roots) != 1:
        raise ValueError(f"expected exactly one top unit (no MaDonViCha), found {len(roots)}")
    root = roots.iloc[0]["unit"]
    ordered = [root] + [u for u in units["unit"] if u != root]
    info = units.set_index("unit")
    figures = _Figures(scored)
    counters = counters if counters is not None else pd.DataFrame()

    def extra(unit, name):
        if name not in counters.columns or unit not in counters.index:
            return None
        return _number(counters.at[unit, name])

    def identity(unit, with_code: bool) -> dict:
        row = info.loc[unit]
        uid = row.get("dvcqg_id") if "dvcqg_id" in info.columns else None
        out = {"departmentId": uid if isinstance(uid, str) and uid else department_id(unit),
               "departmentName": row["name"]}
        if with_code:
            out["departmentCode"] = unit
        return out

    by_endpoint: dict[str, list] = {}
    for ind in methodology.indicators:
        by_endpoint.setdefault(ind.dvcqg.get("endpoint"), []).append(ind)

    def metric(unit, code: str, ind) -> dict:
        if ind is None:  # a PAKN classification metric: counts over 5.1's PAKN
            denominator = figures.get(unit, "5.1", "denominator")
            numerator = extra(unit, f"totalPetitions_{PAKN_CLASSES[code]}")
            return {"code": code, "name": METRIC_NAMES[code], "numerator": numerator,
                    "denominator": _number(denominator), "ratio": _percent(numerator, denominator),
                    "score": None, "maxScore": 0}
        numerator = figures.get(unit, ind.code, "numerator")
        denominator = figures.get(unit, ind.code, "denominator")
        ratio = figures.get(unit, ind.code, "ratio")
        points = figures.get(unit, ind.code, "points")
        status = figures.get(unit, ind.code, "status")
        if status == NOT_APPLICABLE:
            ratio = 1.0 if points == ind.max_points else 0.0
        item = {"code": code, "name": METRIC_NAMES.get(code, ind.name)}
        if code in RATIO_ONLY:
            item |= {"numerator": None, "denominator": None, "ratio": _percent(None, None, ratio)}
        else:
            item |= {"numerator": _number(numerator), "denominator": _number(denominator),
                     "ratio": _percent(numerator, denominator, ratio)}
        item |= {"score": _number(points), "maxScore": _number(ind.max_points)}
        if code in PROVISIONAL_DENOMINATOR and numerator is not None:
            (temp, temp_text), (none, none_text) = PROVISIONAL_DENOMINATOR[code]
            if denominator:
                item |= {"dataQualityStatus": temp, "dataQualityMessage": temp_text}
            else:
                item |= {"ratio": None, "score": None, "dataQualityStatus": none, "dataQualityMessage": none_text}
        return item

    def metric_unit(unit, endpoint: str, stt: int) -> dict:
        level = info.at[unit, "level"]
        kind, dept_level, agency = _TYPES.get(level, _TYPES["department"])
        codes = [(i.dvcqg["metric"], i) for i in by_endpoint.get(endpoint, []) if i.dvcqg.get("metric")]
        if endpoint == "handling-satisfaction":
            codes = [(c, None) for c in PAKN_CLASSES] + codes
        metrics = [metric(unit, code, ind) for code, ind in codes]
        max_total = sum(m["maxScore"] for m in metrics)
        total = _sum_points(m["score"] for m in metrics)
        out = {"stt": stt, **identity(unit, endpoint == "dossier-digitized"), "departmentType": kind,
               "departmentLevel": dept_level, "agencyLevel": agency, "totalScore": total,
               "totalMaxScore": max_total, "ratio": _percent(total, max_total) if total is not None else None,
               "scoreDelta": None, "metrics": metrics}
        if endpoint == "handling-satisfaction":
            petitions = _number(figures.get(unit, "5.1", "denominator"))
            out |= {"totalPetitions": petitions, "classifiedPetitions": petitions,
                    "totalDossiers": _number(figures.get(unit, "5.3", "denominator")), "averageScore": None}
        return out

    def tree_fields(unit, endpoint: str) -> dict:
        """The counters of one unit in a tree endpoint, named by the methodology."""
        out: dict = {}
        for ind in by_endpoint.get(endpoint, []):
            spec = ind.dvcqg
            if spec.get("numerator"):
                out[spec["numerator"]] = _number(figures.get(unit, ind.code, "numerator"))
                out[spec["denominator"]] = _number(figures.get(unit, ind.code, "denominator"))
            if spec.get("value"):
                ratio = figures.get(unit, ind.code, "ratio")
                out[spec["value"]] = None if ratio is None else round(float(ratio), 2)
        return out

    def tree_points(unit, endpoint: str) -> tuple[float | None, float]:
        inds = [i for i in by_endpoint.get(endpoint, []) if i.scored]
        return (_sum_points(_number(figures.get(unit, i.code, "points")) for i in inds),
                sum(i.max_points for i in inds))

    def progress(unit, is_parent: bool) -> dict:
        fields = tree_fields(unit, "dvc-progress-tree")
        score, max_score = tree_points(unit, "dvc-progress-tree")
        received, on_time = fields.get("totalReceived"), fields.get("totalOnTime")
        ratio = _percent(on_time, received) if received is not None and on_time is not None else None
        out = {**identity(unit, True)}
        if is_parent:
            return out | {"totalReceived": received, "totalOnTime": on_time,
                          "totalCompleted": _number(figures.get(unit, "2.2", "denominator")),
                          "avgProcessingDays": fields.get("avgProcessingDays"), "ratio": ratio,
                          "totalScore": score, "totalMaxScore": max_score}
        overdue = received - on_time if received is not None and on_time is not None else None
        return out | {"level": _TYPES[info.at[unit, "level"]][1], "totalReceived": received, "totalOnTime": on_time,
                      "totalOverdue": overdue, "avgProcessingDays": fields.get("avgProcessingDays"),
                      "ratio": ratio, "score": score, "maxScore": max_score, "scoreDelta": None}

    def payment(unit, is_parent: bool) -> dict:
        fields = tree_fields(unit, "formality-online-payment-tree")
        score, max_score = tree_points(unit, "formality-online-payment-tree")
        out = {**identity(unit, True)}
        if not is_parent:
            out["level"] = _TYPES[info.at[unit, "level"]][1]
        out |= {"totalMaxScore": max_score, "ratio": _percent(score, max_score) if score is not None else None,
                "totalScore": score, **fields}
        if "totalFeeFormality" in fields:
            out["totalFeeDossierFormalityDistinct"] = fields["totalFeeFormality"]
        if not is_parent:
            out["scoreDelta"] = None
        return out

    online_codes = [i.code for i in by_endpoint.get("provide-online-tree", [])]

    def online(unit, is_parent: bool) -> dict:
        score, max_score = tree_points(unit, "provide-online-tree")
        out = {**identity(unit, True)}
        if not is_parent:
            out["level"] = _TYPES[info.at[unit, "level"]][1]
        out |= {"totalScore": score, "totalMaxScore": max_score,
                "ratio": _percent(score, max_score) if score is not None else None}
        if not is_parent:
            return out | {"scoreDelta": None}
        num = {c: figures.get(unit, c, "numerator") for c in online_codes}
        den = {c: figures.get(unit, c, "denominator") for c in online_codes}
        full = extra(unit, "fullCount")
        online_procedures = _number(num.get("3.1"))
        postal = extra(unit, "channelPostalSum")
        total, online_sum = _number(den.get("3.3")), _number(num.get("3.3"))
        direct = (total - online_sum - (postal or 0)) if total is not None and online_sum is not None else None
        return out | {
            "authorityCount": _number(den.get("3.1")),
            "partialCount": online_procedures - full if online_procedures is not None and full is not None else None,
            "fullCount": full if online_procedures is not None else None,
            "onlineDossierCount": _number(num.get("3.2")), "onlineServiceTotal": _number(den.get("3.2")),
            "channelOnlineSum": online_sum, "channelDirectSum": _number(direct), "channelPostalSum": postal,
            "channelTotalSum": total, "onlineOnTimeSum": None, "onlineOverdueSum": None,
        }

    responses: dict[str, dict] = {}
    for endpoint in ENDPOINTS:
        if endpoint.endswith("-tree"):
            build = {"dvc-progress-tree": progress, "formality-online-payment-tree": payment,
                     "provide-online-tree": online}[endpoint]
            data = {"parent": build(root, True), "children": [build(u, False) for u in ordered[1:]]}
            if endpoint != "formality-online-payment-tree":
                data["monthlyChart"] = []
        else:
            children = [metric_unit(u, endpoint, n) for n, u in enumerate(ordered[1:], start=1)]
            data = {"overview": metric_unit(root, endpoint, 1), "evaluation": children,
                    "pagination": {"total": len(children), "currentPage": 1, "pageSize": METRIC_PAGE_SIZE,
                                   "totalPages": 1},
                    "source": source}
            if endpoint == "transparency":
                # The portal's transparency overview also gives its units' average total.
                data["overview"]["averageScore"] = _mean_total(children)
                data["monthlyChart"] = []
        responses[endpoint] = {"code": "OK", "data": data, "message": "OK"}
    return responses


def paged(response: dict, page_size: int = METRIC_PAGE_SIZE) -> list[dict]:
    """A metric response split into the portal's pages (``pagination.totalPages``); trees stay whole."""
    data = response["data"]
    if "evaluation" not in data:
        return [response]
    units = data["evaluation"]
    pages = max(1, math.ceil(len(units) / page_size))
    return [
        {**response, "data": {**data, "evaluation": units[n * page_size:(n + 1) * page_size],
                              "pagination": {"total": len(units), "currentPage": n + 1, "pageSize": page_size,
                                             "totalPages": pages}}}
        for n in range(pages)
    ]


def write_responses(responses: dict[str, dict], folder, sample: bool = False) -> list[Path]:
    """Write each response as ``<endpoint>.json`` (``<endpoint>-p2.json``… for further pages).

    With ``sample``, each document carries ``"sample": true`` beside ``code`` (the loader
    ignores it; people opening the file see it).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for endpoint, response in responses.items():
        for n, page in enumerate(paged(response), start=1):
            doc = {"sample": True, **page} if sample else page
            path = folder / (f"{endpoint}.json" if n == 1 else f"{endpoint}-p{n}.json")
            path.write_text(json.dumps(doc, ensure_ascii=False, indent=1, default=_json_default) + "\n",
                            encoding="utf-8")
            written.append(path)
    return written


def _json_default(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return _number(float(value))
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# --------------------------------------------------------------------------- from dossiers

def portal_counters(data, period: Period, methodology: Methodology, calendar=None) -> pd.DataFrame:
    """Per-unit counters the portal publishes beside the sub-indicators (index = unit):
    ``fullCount`` (3.1's rule counting only fully-online services, TOAN_TRINH),
    ``channelPostalSum`` (dossiers received in P by public postal service, rolled up) and
    ``totalPetitions_TTHC`` / ``totalPetitions_CAN_BO`` (PAKN received in P by class).
    A counter whose input is missing is left out (written null)."""
    import dataclasses

    from chiso.indicators.common import Context, MissingInput
    from chiso.indicators.online import online_procedures
    from chiso.indicators.satisfaction import pakn_status
    from chiso.indicators.timeline import received_in_period
    from chiso.workdays import WorkingCalendar

    calendar = calendar or WorkingCalendar.default()
    ctx = Context(data, period, methodology, calendar)
    out = pd.DataFrame(index=ctx.unit_codes)
    postal = received_in_period(ctx) & (data.hoso["KenhNop"] == 3).fillna(False).to_numpy(dtype=bool)
    out["channelPostalSum"] = ctx.roll_up(ctx.count(ctx.dossier_unit_pos, postal))
    if data.tthc_donvi is not None and "MucDoDVCTT" in data.tthc_donvi:
        levels = data.tthc_donvi["MucDoDVCTT"].where(data.tthc_donvi["MucDoDVCTT"] != "MOT_PHAN", "KHONG")
        full_only = dataclasses.replace(data, tthc_donvi=data.tthc_donvi.assign(MucDoDVCTT=levels))
        out["fullCount"] = online_procedures(Context(full_only, period, methodology, calendar))["numerator"]
    if data.pakn is not None and "PhanLoai" in data.pakn:
        try:
            status = pakn_status(ctx)
        except MissingInput:
            return out
        for code in PAKN_CLASSES.values():
            unit = status["unit_pos"].to_numpy()
            out[f"totalPetitions_{code}"] = ctx.roll_up(ctx.count(unit, status["PhanLoai"].eq(code).fillna(False)))
    return out


def periods_within(period: Period) -> list[Period]:
    """Every month, quarter and year inside ``period`` (a year gives 12 + 4 + 1).

    >>> [p.code for p in periods_within(Period.parse("2026-Q2"))]
    ['2026-04', '2026-05', '2026-06', '2026-Q2']
    """
    months = {"month": [period.number], "quarter": range(3 * period.number - 2, 3 * period.number + 1),
              "year": range(1, 13)}[period.kind]
    out = [Period("month", period.year, m) for m in months]
    if period.kind == "year":
        out += [Period("quarter", period.year, q) for q in range(1, 5)]
    if period.kind != "month":
        out.append(period)
    return out


def write_official_from_dossiers(data, out_root, periods, methodology: Methodology | None = None,
                                 sample: bool = False) -> list[Path]:
    """For each period, the six responses the portal would publish from ``data`` (a DossierData),
    computed over what it sees (:func:`chiso.reconcile.portal_view`: the synced dossiers, without
    the events synced after the end of the period), in ``out_root/<period code>/``. Returns the
    folders written."""
    from chiso.indicators import compute_scores
    from chiso.methodology import load_methodology
    from chiso.reconcile import own_units, portal_view
    from chiso.workdays import WorkingCalendar

    methodology = methodology or load_methodology()
    calendar = WorkingCalendar.default()
    synced = portal_view(data)
    units = own_units(data)
    source = SAMPLE_SOURCE if sample else "chiso: computed from the province's dossiers synced to DVCQG"
    folders = []
    for period in periods:
        seen = portal_view(synced, cutoff=period.end)  # the portal computes P from what reached it by then
        scored = compute_scores(seen, period, methodology, calendar)
        counters = portal_counters(seen, period, methodology, calendar)
        responses = official_responses(scored, units, methodology, counters, source=source)
        folder = Path(out_root) / period.code
        write_responses(responses, folder, sample=sample)
        folders.append(folder)
    return folders
