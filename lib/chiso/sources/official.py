"""Official results published by the national portal (DVCQG, "Đánh giá chất lượng phục vụ").

DVCQG has six public endpoints, one per group, each returning the province
("overview"/"parent") and every child unit ("evaluation"/"children") inside the
envelope ``{"code": "OK", "data": {...}}`` (docs/methodology.md §4):

============================  =======================  ==========================================
endpoint                      shape                    per unit
============================  =======================  ==========================================
transparency                  overview, evaluation[]   metrics[] (1.1–1.4)
dossier-digitized             overview, evaluation[]   metrics[] (4.1–4.7)
handling-satisfaction         overview, evaluation[]   metrics[] (5.1–5.3 + 2 monitoring codes)
dvc-progress-tree             parent, children[]       totalReceived, totalOnTime, ... (2.1, 2.2)
formality-online-payment-tree parent, children[]       payment counters (3.4–3.6)
provide-online-tree           parent, children[]       group total; counters on the parent (3.1–3.3, R12)
============================  =======================  ==========================================

The endpoint is recognised from the content, never from the file name. Pages of one
endpoint (``pagination.totalPages`` > 1) are merged, including a unit whose metrics are
split across pages. Units are joined on ``departmentId`` (``departmentCode`` is absent
from transparency and handling-satisfaction). Null stays null; data-quality flags are kept.

Nothing read is trusted. Checked before anything is scored:

- stops the run (InputError, one line naming the file, the unit and the field; exit 2):
  unreadable or truncated JSON; a unit list that is null or not a list, or holds a
  non-object; a unit without ``departmentId``; a page missing from (or beyond)
  ``pagination.totalPages``; pages disagreeing on it; a response for another province, or
  units of another province in a response without an overview (by their code, or, without
  codes, by sharing no unit with the other responses); two different responses for the
  same endpoint and page; a bad figure in the national table; an unfinished fetch folder;
- makes the sub-indicators it touches "no data" for that unit only, with the reason in
  ``defect`` (:func:`apply_defects`, counted by :func:`defect_summary`): a figure that is
  not a usable number (:func:`read_number`: true/false, text, NaN, overflow, negative — a
  quoted number is read like a number, in every endpoint), a numerator above its
  denominator, a unit listed twice (within or across pages) with different numbers,
  ``metrics`` null or holding a non-metric (the unit's whole group);
- a missing endpoint file: its sub-indicators are "no data" for every unit
  (``missing_endpoints``), said in the summary.

Which field feeds which sub-indicator is data: the ``dvcqg`` entry of each sub-indicator
in the methodology file (``metric`` for metric lists, ``numerator``/``denominator`` field
names for the tree endpoints).

Example
-------
>>> results = load_official(["tests/data/dvcqg-phu-tho-2026/2026-08"])   # doctest: +SKIP
>>> results.table.query("unit == 'H44.116' and indicator == '2.1'")[["numerator", "denominator"]]  # doctest: +SKIP
   numerator  denominator
       702.0        797.0
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from chiso.errors import InputError
from chiso.methodology import Methodology, load_methodology
from chiso.scoring import score_indicators
from chiso.status import NO_DATA, NOT_SCORED, OFFICIAL, OK

ENDPOINTS = (
    "transparency",
    "dvc-progress-tree",
    "provide-online-tree",
    "formality-online-payment-tree",
    "dossier-digitized",
    "handling-satisfaction",
)
# A metric list's codes tell the three "overview/evaluation" endpoints apart.
_METRIC_ENDPOINT = {
    "PUBLISH_ON_TIME": "transparency",
    "DOSSIER_SYNC": "transparency",
    "ORIGINAL_RESULT_AVAILABLE": "dossier-digitized",
    "CITIZEN_DATA_CONNECTED_DOSSIER": "dossier-digitized",
    "DOSSIER_RECEIVING_SATISFACTION": "handling-satisfaction",
    "PETITION_PROCESSING_ON_TIME": "handling-satisfaction",
}
PROVINCE_LIST = "service-results.json"  # the national table, as fetch-official names it
FETCH_MANIFEST = "fetch-manifest.json"  # written by fetch-official beside the responses it fetched
NATIONAL = "service-results"  # the national table's endpoint: one row per province, not per unit
# groupScores keys of the national table, in the portal's order (dvcqg-api.md).
NATIONAL_GROUPS = ("CKMB", "TDGQ", "CLGQ", "MDSH", "MDHL", "TTTT")
_LIST_ENDPOINTS = ("transparency", "dossier-digitized", "handling-satisfaction")  # overview, evaluation[]
MAX_FIGURE = 1e12  # far above any count the portal publishes (a province has ~10^6 dossiers a year)
_NUMBER_TEXT = re.compile(r"^\s*\d+(\.\d+)?\s*$|^\s*-\d+(\.\d+)?\s*$")
_ROW_COLUMNS = ["unit", "unit_id", "endpoint", "file", "metric", "numerator", "denominator", "published_ratio",
                "value", "official_points", "max_points", "data_quality", "data_quality_message", "defect"]
_LEVELS = {"PROVINCE": "department", "COMMUNE": "commune", "DISTRICT": "district"}
ONLINE_BLOCK = "3.1-3.3"  # pseudo-indicator: DVCQG's online-services total of a child unit
ONLINE_ENDPOINT = "provide-online-tree"
BLOCK_TOTAL_MATCHES = "BLOCK_TOTAL_MATCHES"  # R12 check: recomputed 3.1–3.3 = published block total
BLOCK_TOTAL_DIFFERS = "BLOCK_TOTAL_DIFFERS"
OFFICIAL_NOT_RECOMPUTED = "official, not recomputed"
_PERIOD_IN_NAME = re.compile(r"(\d{4}-(?:Q[1-4]|\d{2}))", re.I)


@dataclass
class OfficialResults:
    """The six responses of one period, as tidy tables.

    ``table``: one row per unit and published figure — unit, unit_id, unit_name, level,
    period, endpoint, metric, indicator (methodology code, or NA for monitoring-only
    metrics), numerator, denominator, published_ratio (fraction), value (2.2's average
    days), official_points, max_points, data_quality, data_quality_message.
    ``group_totals``: unit, endpoint, official_total, official_max (as published).
    ``units``: unit, unit_id, name, level, parent.
    ``national``: every province's published total and group scores (:func:`national_table`).
    """

    table: pd.DataFrame
    group_totals: pd.DataFrame
    units: pd.DataFrame
    files: dict[str, list[Path]] = field(default_factory=dict)
    period_hint: str | None = None
    province: str | None = None
    national: pd.DataFrame | None = None  # the national table (service-results), when read
    # unit, unit_id, endpoint, metric (None: every sub-indicator of the endpoint), file, defect
    unit_defects: pd.DataFrame | None = None
    missing_endpoints: list[str] = field(default_factory=list)


def _read_json(path: Path) -> dict:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from exc
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start}); expected a DVCQG JSON response") from exc
    except json.JSONDecodeError as exc:
        # A response cut off in transfer ends before its closing brace.
        what = "truncated" if not raw.rstrip().endswith((b"}", b"]")) else "malformed"
        raise InputError(
            f"{path}: {what} JSON at line {exc.lineno}, column {exc.colno} ({exc.msg}); "
            "expected a complete DVCQG response"
        ) from exc
    except (ValueError, RecursionError) as exc:  # a number of thousands of digits, absurd nesting
        raise InputError(f"{path}: unreadable JSON ({type(exc).__name__}: {str(exc)[:80]}); "
                         "expected a DVCQG response") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), dict):
        raise InputError(f"{path}: not a DVCQG response (expected an object with a 'data' object)")
    if doc.get("code") not in (None, "OK"):
        raise InputError(f"{path}: the portal answered code={doc.get('code')!r} ({doc.get('message')}), not 'OK'")
    return doc["data"]


def _dicts(value) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def detect_endpoint(data: dict, path: Path) -> str:
    """Recognise which of the six endpoints (or the national table, ``service-results``)
    a response's ``data`` comes from."""
    evaluation = data.get("evaluation")
    if isinstance(evaluation, list) and evaluation and all(
        isinstance(u, dict) and "groupScores" in u for u in evaluation
    ):
        return NATIONAL
    if "evaluation" in data or "overview" in data:
        units = _dicts([data.get("overview")] + (evaluation if isinstance(evaluation, list) else []))
        for unit in units:
            for metric in _dicts(unit.get("metrics")):
                endpoint = _METRIC_ENDPOINT.get(_text(metric.get("code")))
                if endpoint:
                    return endpoint
    if "children" in data or "parent" in data:
        children = data.get("children")
        units = _dicts([data.get("parent")] + (children if isinstance(children, list) else []))
        keys = set().union(*(u.keys() for u in units))
        if "totalReceived" in keys or "totalOnTime" in keys:
            return "dvc-progress-tree"
        if "totalFeeFormality" in keys or "totalDossierFinancialObligation" in keys:
            return "formality-online-payment-tree"
        if {"authorityCount", "onlineServiceTotal", "channelTotalSum"} & keys or "totalMaxScore" in keys:
            return "provide-online-tree"
    raise InputError(
        f"{path}: not recognised as one of the DVCQG endpoints ({', '.join(ENDPOINTS)}): "
        "expected overview/evaluation with metrics, or parent/children with the tree counters"
    )


def _collect_files(paths) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            _check_fetch_manifest(p)
            found = sorted(f for f in p.glob("*.json") if f.name != FETCH_MANIFEST)
            if not found:
                raise InputError(f"{p}: folder holds no .json responses")
            files += found
        elif p.is_file():
            files.append(p)
        else:
            raise InputError(f"{p}: no such file or folder")
    return files


def _check_fetch_manifest(folder: Path) -> None:
    """A folder that fetch-official left unfinished is not read as if it were complete."""
    path = folder / FETCH_MANIFEST
    if not path.is_file():
        return
    try:
        complete = json.loads(path.read_text(encoding="utf-8")).get("complete")
    except (OSError, ValueError, AttributeError) as exc:
        raise InputError(f"{path}: unreadable fetch manifest ({exc})") from exc
    if complete is not True:
        raise InputError(f"{path}: the fetch of this folder did not finish; run chiso fetch-official again "
                         "(it resumes) before scoring it")


def read_number(value) -> tuple[float, str | None]:
    """Every published figure is read by this one rule, in every endpoint.

    null -> NaN, no defect (null stays null, never 0); a number, or a quoted number
    (``"12"``, ``"12.5"``: read the same as unquoted) -> its value; anything else is a defect
    and gives (NaN, what is wrong): true/false, other text, NaN, infinity or more than
    :data:`MAX_FIGURE` (overflow), a negative value (no published count, ratio, score or
    average is negative), a list or object.

    >>> read_number(12), read_number("12.5"), read_number(None)
    ((12.0, None), (12.5, None), (nan, None))
    >>> read_number(True)[1], read_number(-3)[1]
    ('true is not a number', 'negative (-3)')
    """
    if value is None:
        return np.nan, None
    if isinstance(value, bool):
        return np.nan, f"{str(value).lower()} is not a number"
    if isinstance(value, str):
        if not _NUMBER_TEXT.match(value):
            return np.nan, f"text {value[:30]!r} is not a number"
        value = float(value)
    if isinstance(value, int):
        if abs(value) > MAX_FIGURE:
            return np.nan, f"overflow ({str(value)[:20]}…, more than {MAX_FIGURE:.0e})"
        value = float(value)
    if not isinstance(value, float):
        return np.nan, f"{type(value).__name__} is not a number"
    if math.isnan(value):
        return np.nan, "NaN is not a number"
    if math.isinf(value) or abs(value) > MAX_FIGURE:
        return np.nan, f"overflow ({value:g}, more than {MAX_FIGURE:.0e})"
    if value < 0:
        return np.nan, f"negative ({value:g})"
    return value, None


def _top_and_children(data: dict) -> tuple[dict | None, list[dict]]:
    if "evaluation" in data or "overview" in data:
        return data.get("overview"), list(data.get("evaluation") or [])
    return data.get("parent"), list(data.get("children") or [])


def _check_structure(path: Path, data: dict, endpoint: str) -> None:
    """What makes a whole response unusable stops the run (one line naming file, unit, field):
    a unit list that is null or not a list, a unit that is not an object, a unit without
    ``departmentId``, a page number that is not a whole number."""
    top_key, list_key = ("overview", "evaluation") if endpoint in _LIST_ENDPOINTS else ("parent", "children")
    units = data.get(list_key)
    if list_key in data and not isinstance(units, list):
        raise InputError(f"{path}: data.{list_key} is {json.dumps(units)[:30]}; expected a list of units")
    top = data.get(top_key)
    if top is not None and not isinstance(top, dict):
        raise InputError(f"{path}: data.{top_key} is {json.dumps(top)[:30]}; expected the province's object")
    for n, unit in enumerate(units or []):
        if not isinstance(unit, dict):
            raise InputError(f"{path}: data.{list_key}[{n}] is {json.dumps(unit)[:30]}; expected a unit object")
    for where, unit in [(f"data.{top_key}", top)] * (top is not None) + [
            (f"data.{list_key}[{n}]", u) for n, u in enumerate(units or [])]:
        uid = unit.get("departmentId")
        if not isinstance(uid, str) or not uid.strip():
            raise InputError(f"{path}: {where} ({unit.get('departmentName') or 'no name'!s}): field departmentId "
                             f"is {json.dumps(uid)}; expected the unit's id")
    pagination = data.get("pagination")
    if pagination is not None:
        for key in ("currentPage", "totalPages"):
            value = pagination.get(key, 1) if isinstance(pagination, dict) else None
            if isinstance(value, bool) or not isinstance(value, int) or value < (0 if key == "totalPages" else 1):
                raise InputError(f"{path}: field pagination.{key} is {json.dumps(value)}; expected a whole number")


def _page(data: dict) -> tuple[int, int]:
    """(currentPage, totalPages) of a response; 1 of 1 without pagination (tree endpoints)."""
    pagination = data.get("pagination") or {}
    return pagination.get("currentPage", 1), max(1, pagination.get("totalPages", 1))


def _check_pages(endpoint: str, pages: list[tuple[Path, dict]]) -> None:
    """Every page that ``pagination.totalPages`` announces is there, and no more."""
    announced = {_page(data)[1]: path for path, data in pages}
    if len(announced) > 1:
        (n1, f1), (n2, f2) = list(announced.items())[:2]
        raise InputError(f"{f2}: field pagination.totalPages is {n2}, but {f1.name} says {n1} ({endpoint})")
    (total, path), = announced.items()
    seen = {_page(data)[0] for _, data in pages}
    missing = sorted(set(range(1, total + 1)) - seen)
    if missing:
        raise InputError(f"{path}: {endpoint} page {missing[0]} of {total} is missing (pagination.totalPages = "
                         f"{total}; pages read: {', '.join(map(str, sorted(seen)))})")
    extra = sorted(seen - set(range(1, total + 1)))
    if extra:
        path = next(p for p, d in pages if _page(d)[0] == extra[0])
        raise InputError(f"{path}: {endpoint} page {extra[0]}, but pagination.totalPages = {total}")


def load_official(paths) -> OfficialResults:
    """Read DVCQG responses (files and/or folders of ``*.json``) of ONE period and province.

    Nothing read is trusted (every check is listed in the module docstring). Raises
    InputError, one line naming the file (and the unit and field where there is one), for:
    malformed or truncated JSON; unrecognised content; a null or non-list unit list, a unit
    without ``departmentId``; a page missing from ``pagination.totalPages``; a response for
    another province, or units of another province in a response without an overview; two
    different responses for the same endpoint and page. A defect confined to one unit
    (a figure that is not a usable number, a unit listed twice with different numbers,
    ``metrics: null``) does not stop the run: it is listed in ``defects`` and the
    sub-indicators it touches become "no data" (:func:`indicator_rows`).
    """
    files = _collect_files(paths)
    by_endpoint: dict[str, list[tuple[Path, dict]]] = {}
    province_id = province_file = province_name = None
    national: list[tuple[Path, dict]] = []
    for path in files:
        data = _read_json(path)
        endpoint = detect_endpoint(data, path)
        if endpoint == NATIONAL:
            national.append((path, data))
            continue
        _check_structure(path, data, endpoint)
        top, _children = _top_and_children(data)
        if top:
            if province_id is None:
                province_id, province_file, province_name = top["departmentId"], path, _text(top.get("departmentName"))
            elif top["departmentId"] != province_id:
                raise InputError(
                    f"{path}: response for {top.get('departmentName')!r} ({top['departmentId']}), "
                    f"but {province_file.name} is for {province_name!r}: one province per run"
                )
        pages = by_endpoint.setdefault(endpoint, [])
        page_no = _page(data)[0]
        for other_path, other in pages:
            if _page(other)[0] == page_no and other != data:
                raise InputError(
                    f"{path}: second, different {endpoint} response (page {page_no}) besides {other_path}"
                )
        if not any(other == data for _, other in pages):
            pages.append((path, data))
    for endpoint, pages in by_endpoint.items():
        _check_pages(endpoint, pages)

    codes: dict[str, str] = {}  # departmentId -> departmentCode, from whichever file has it
    for pages in by_endpoint.values():
        for _, data in pages:
            top, children = _top_and_children(data)
            for u in ([top] if top else []) + children:
                if isinstance(u.get("departmentCode"), str) and u["departmentCode"]:
                    codes[u["departmentId"]] = u["departmentCode"]
    _check_one_province(by_endpoint, province_id, codes)

    rows: list[dict] = []
    totals: list[dict] = []
    units: dict[str, dict] = {}
    defects: list[dict] = []
    for endpoint, pages in by_endpoint.items():
        for path, data in pages:
            top, children = _top_and_children(data)
            for unit, is_top in [(top, True)] * bool(top) + [(c, False) for c in children]:
                uid = unit["departmentId"]
                code = codes.get(uid, uid)
                level = "province" if is_top else _LEVELS.get(
                    _text(unit.get("level")) or _text(unit.get("departmentLevel")) or "", "department"
                )
                info = units.setdefault(code, {"unit": code, "unit_id": uid, "name": _text(unit.get("departmentName")),
                                               "level": level, "parent": None})
                if not is_top and province_id:
                    info["parent"] = codes.get(province_id, province_id)
                base = {"unit": code, "unit_id": uid, "endpoint": endpoint, "file": path.name}
                if "totalMaxScore" in unit:
                    (total, bad_total), (top_max, bad_max) = map(read_number, (unit.get("totalScore"),
                                                                                unit.get("totalMaxScore")))
                    totals.append({**base, "official_total": total, "official_max": top_max,
                                   "defect": _field_defect(path.name, "totalScore", bad_total)
                                   or _field_defect(path.name, "totalMaxScore", bad_max)})
                problem = _metrics_problem(unit) if endpoint in _LIST_ENDPOINTS else None
                if problem:  # which figure is which cannot be told: the unit's whole group
                    defects.append({**base, "metric": None, "defect": f"{path.name}: {problem}"})
                    continue
                rows += _unit_rows(endpoint, unit, base)
    if not rows and not defects:
        raise InputError(f"{', '.join(map(str, paths))}: no units found in the responses")

    table = pd.DataFrame(rows, columns=_ROW_COLUMNS)
    table = _flag_conflicting_duplicates(table)
    unit_frame = pd.DataFrame(list(units.values()))
    table = table.merge(unit_frame[["unit", "name", "level"]].rename(columns={"name": "unit_name"}), on="unit")
    period = next((m.group(1).upper() for f in files if (m := _PERIOD_IN_NAME.search(str(f)))), None)
    table.insert(4, "period", period)
    group_totals = pd.DataFrame(totals, columns=["unit", "unit_id", "endpoint", "file", "official_total",
                                                 "official_max", "defect"])
    # Pages repeat the province's group total: keep one (they are the same figure).
    group_totals = group_totals.drop_duplicates(["unit", "endpoint"]).drop(columns="file")
    for column in ("official_total", "official_max"):
        group_totals[column] = pd.to_numeric(group_totals[column]).astype(float)
    folders = sorted({str(f.parent) for f in files})
    for endpoint in ENDPOINTS:
        if by_endpoint and endpoint not in by_endpoint:
            defects += [{"unit": code, "unit_id": info["unit_id"], "endpoint": endpoint, "metric": None,
                         "file": None, "defect": f"no {endpoint} response among the files read ({', '.join(folders)})"}
                        for code, info in units.items()]
    return OfficialResults(
        table=table,
        group_totals=group_totals,
        units=unit_frame,
        files={e: [p for p, _ in pages] for e, pages in by_endpoint.items()},
        period_hint=period,
        province=province_name,
        national=national_table(national, province_id),
        unit_defects=pd.DataFrame(defects, columns=["unit", "unit_id", "endpoint", "metric", "file", "defect"]),
        missing_endpoints=[e for e in ENDPOINTS if by_endpoint and e not in by_endpoint],
    )


def _text(value) -> str | None:
    """A name or level as published; anything but text counts as absent."""
    return value if isinstance(value, str) else None


def _metrics_problem(unit: dict) -> str | None:
    metrics = unit.get("metrics")
    if not isinstance(metrics, list):
        return f"field metrics is {json.dumps(metrics)[:30]}; expected a list of metrics"
    for n, m in enumerate(metrics):
        if not isinstance(m, dict) or not isinstance(m.get("code"), str):
            return f"field metrics[{n}] is {json.dumps(m)[:30]}; expected a metric with its code"
    return None


def _field_defect(file: str, field_name: str, problem: str | None) -> str | None:
    return f"{file}: field {field_name}: {problem}" if problem else None


def _check_one_province(by_endpoint: dict, province_id: str | None, codes: dict[str, str]) -> None:
    """Units of another province are refused, also in a response without an overview/parent
    to say whose it is: by code (``H44.116`` lies under ``H44``) or, without codes, by
    sharing no unit with the responses that name the province."""
    province_code = codes.get(province_id)
    known = {u["departmentId"] for pages in by_endpoint.values() for _, d in pages
             if _top_and_children(d)[0] for u in _top_and_children(d)[1]}
    for pages in by_endpoint.values():
        for path, data in pages:
            top, children = _top_and_children(data)
            if province_code:
                for unit in children:
                    code = unit.get("departmentCode")
                    if isinstance(code, str) and not code.startswith(province_code + "."):
                        raise InputError(f"{path}: unit {unit.get('departmentName')!r}: field departmentCode is "
                                         f"{code!r}, not a unit of province {province_code}: one province per run")
            if top is None and known and children and not any(u["departmentId"] in known for u in children):
                raise InputError(f"{path}: none of its {len(children)} units is a unit of the province of the other "
                                 "responses, and it has no overview to say whose it is: another province's response?")


def _flag_conflicting_duplicates(table: pd.DataFrame) -> pd.DataFrame:
    """A unit listed twice (within or across pages) must repeat the same numbers; where
    they differ, that unit's figure is a defect (which one is right cannot be told)."""
    figures = ["numerator", "denominator", "published_ratio", "official_points"]
    key = ["unit", "endpoint", "metric"]
    distinct = table[key + figures].astype({f: "string" for f in figures}).fillna("null").drop_duplicates()
    clashing = distinct[distinct.duplicated(key, keep=False)][key].drop_duplicates()
    if clashing.empty:
        return table
    files = table.groupby(key)["file"].agg(lambda f: ", ".join(sorted(set(f))))
    marks = clashing.set_index(key).index
    hit = pd.MultiIndex.from_frame(table[key]).isin(marks)
    reason = [f"{files[(u, e, m)]}: field {m}: the unit is listed more than once with different numbers"
              for u, e, m in table.loc[hit, key].itertuples(index=False)]
    table.loc[hit, "defect"] = table.loc[hit, "defect"].fillna(pd.Series(reason, index=table.index[hit]))
    return table


def national_table(responses: list[tuple[Path, dict]], province_id: str | None = None) -> pd.DataFrame | None:
    """The provinces of a ``service-results`` response as published: department_id, name,
    code, total, score_delta and one column per group score (``CKMB`` … ``TTTT``), and
    ``is_province`` marking the province the other responses are about. None without one.
    A figure that is not a usable number (:func:`read_number`) stops the run: the table
    ranks every province, so one bad row would misplace them all."""
    if not responses:
        return None
    path, data = responses[-1]
    rows = []
    for item in data["evaluation"]:
        groups = item.get("groupScores") if isinstance(item.get("groupScores"), dict) else {}
        row = {"department_id": item.get("departmentId"), "name": _text(item.get("departmentName")),
               "code": item.get("departmentCode")}
        for column, value in [("total", item.get("totalScore"))] + [(g, groups.get(g)) for g in NATIONAL_GROUPS]:
            row[column], problem = read_number(value)
            if problem:
                raise InputError(f"{path}: province {row['name']!r}: field {column}: {problem}")
        delta = item.get("scoreDelta")  # the change may be negative
        row["score_delta"] = float(delta) if isinstance(delta, (int, float)) and not isinstance(delta, bool) \
            and math.isfinite(delta) else np.nan
        rows.append(row)
    table = pd.DataFrame(rows)
    table["is_province"] = table["department_id"].eq(province_id)
    return table


def _unit_rows(endpoint: str, unit: dict, base: dict) -> list[dict]:
    """Tidy rows for one unit of one endpoint (indicator codes are filled in later); a
    figure that :func:`read_number` refuses is NaN with its ``defect``."""
    if endpoint in _LIST_ENDPOINTS:
        rows = []
        for m in unit["metrics"]:
            figures = {}
            problems = []
            for column, key in (("numerator", "numerator"), ("denominator", "denominator"),
                                ("published_ratio", "ratio"), ("official_points", "score"),
                                ("max_points", "maxScore")):
                figures[column], problem = read_number(m.get(key))
                if problem:
                    problems.append(_field_defect(base["file"], f"{m.get('code')}.{key}", problem))
            rows.append({**base, "metric": m.get("code"), **figures,
                         "published_ratio": figures["published_ratio"] / 100, "value": np.nan,
                         "data_quality": _text(m.get("dataQualityStatus")),
                         "data_quality_message": _text(m.get("dataQualityMessage")),
                         "defect": "; ".join(problems) or None})
        return rows
    # Tree endpoints: keep every counter as a "field" row; the methodology says which
    # fields make which sub-indicator.
    rows = []
    for key, value in unit.items():
        if (key.startswith("total") or key in ("avgProcessingDays", "ratio", "score")
                or key.endswith(("Count", "Sum", "Total"))):  # provide-online-tree's parent counters (docs/methodology.md §5 R12)
            number, problem = read_number(value)
            rows.append({**base, "metric": key, "numerator": number, "denominator": np.nan,
                         "published_ratio": np.nan, "value": np.nan, "official_points": np.nan,
                         "max_points": np.nan, "data_quality": None, "data_quality_message": None,
                         "defect": _field_defect(base["file"], key, problem)})
    return rows


def indicator_order(methodology: Methodology) -> dict[str, float]:
    """Sort key of each sub-indicator code in methodology order, the online-services block
    (3.1-3.3) just before 3.1."""
    order = {code: float(n) for n, code in enumerate(methodology.codes)}
    order[ONLINE_BLOCK] = order.get("3.1", 0) - 0.5
    return order


def indicator_rows(official: OfficialResults, methodology: Methodology) -> pd.DataFrame:
    """One row per unit and sub-indicator that DVCQG publishes, mapped by the methodology.

    Metric endpoints map by ``dvcqg.metric``; tree endpoints build numerator and
    denominator from the named counter fields (``dvcqg.numerator`` / ``dvcqg.denominator``).
    The online-services group (3.1–3.3, ``provide-online-tree``): where the unit carries
    DVCQG's counters (the province, docs/methodology.md §5 R12) its three sub-indicators are built from them
    like any tree figure; a unit without them (a child) gets one row ``3.1-3.3`` carrying
    DVCQG's block total as ``official_points`` — marked "official, not recomputed".

    ``defect`` says why a row's figures cannot be used (:func:`apply_defects`): then its
    numerator, denominator, ratio and published points are NaN, so it scores as "no data".
    """
    t = official.table
    unit_cols = ["unit", "unit_id", "unit_name", "level", "period"]
    tree_rows = t[t["endpoint"].str.endswith("-tree")].drop_duplicates(["unit", "endpoint", "metric"])
    fields = tree_rows.set_index(["unit", "endpoint", "metric"])["numerator"].unstack("metric")
    field_defects = tree_rows.set_index(["unit", "endpoint", "metric"])["defect"].unstack("metric")
    # A unit split across pages may repeat a metric: the first occurrence is kept.
    metrics = t[~t["endpoint"].str.endswith("-tree")].drop_duplicates(["unit", "endpoint", "metric"])
    info = t.drop_duplicates("unit").set_index("unit")[unit_cols[2:]]
    parts = []
    for ind in methodology.indicators:
        spec = ind.dvcqg
        endpoint = spec.get("endpoint")
        if spec.get("metric"):
            rows = metrics[metrics["metric"] == spec["metric"]].assign(indicator=ind.code)
            parts.append(rows)
        elif spec.get("numerator") and endpoint in fields.index.get_level_values("endpoint"):
            tree = fields.xs(endpoint, level="endpoint")
            names = _as_names(spec["numerator"])
            rows = pd.DataFrame(
                {
                    # a list of counters adds up (3.1: partialCount + fullCount)
                    "numerator": sum(tree.get(name, pd.Series(np.nan, index=tree.index)) for name in names),
                    "denominator": tree.get(spec["denominator"], np.nan),
                }
            ).reset_index()
            if spec.get("counters_on_parent_only"):  # units without the counters keep the block total
                rows = rows[rows["numerator"].notna() & rows["denominator"].notna()]
                tree = tree.loc[rows["unit"]]
            # Published figures, kept only to compare with: children carry "score",
            # the province "totalScore" (the methodology lists the field names).
            published = pd.Series(np.nan, index=tree.index)
            for name in spec.get("points") or []:
                published = published.fillna(tree.get(name, pd.Series(np.nan, index=tree.index)))
            ratio = tree.get(spec["ratio"], np.nan) / 100 if spec.get("ratio") else np.nan
            rows["defect"] = _first_defect(field_defects.xs(endpoint, level="endpoint"),
                                           [*names, spec["denominator"], spec.get("ratio")]
                                           ).reindex(rows["unit"].to_numpy()).to_numpy()
            rows = rows.assign(
                indicator=ind.code, endpoint=endpoint, metric=f"{'+'.join(names)}/{spec['denominator']}",
                published_ratio=np.asarray(ratio, dtype=float) if spec.get("ratio") else np.nan,
                official_points=published.to_numpy(), max_points=ind.max_points,
                data_quality=None, data_quality_message=None, value=np.nan,
            )
            parts.append(rows.join(info, on="unit"))
        elif spec.get("value") and endpoint in fields.index.get_level_values("endpoint"):
            tree = fields.xs(endpoint, level="endpoint")
            rows = pd.DataFrame({"value": tree.get(spec["value"], np.nan)}).reset_index()
            rows["defect"] = _first_defect(field_defects.xs(endpoint, level="endpoint"), [spec["value"]]).to_numpy()
            rows = rows.assign(indicator=ind.code, endpoint=endpoint, metric=spec["value"], numerator=np.nan,
                               denominator=np.nan, published_ratio=np.nan, official_points=np.nan,
                               max_points=ind.max_points, data_quality=None, data_quality_message=None)
            parts.append(rows.join(info, on="unit"))
    block = official.group_totals[official.group_totals["endpoint"] == ONLINE_ENDPOINT]
    recomputed = set().union(*(set(r.loc[r["endpoint"].eq(ONLINE_ENDPOINT), "unit"]) for r in parts))
    block = block[~block["unit"].isin(recomputed)]  # R12: the province's 3.1–3.3 are recomputed
    if len(block):
        block_rows = block.assign(
            indicator=ONLINE_BLOCK, metric="totalScore", numerator=np.nan, denominator=np.nan,
            published_ratio=np.nan, value=np.nan, official_points=block["official_total"],
            max_points=block["official_max"], data_quality=OFFICIAL_NOT_RECOMPUTED,
            data_quality_message="DVCQG publishes only this group's total; its formula is not public",
        ).drop(columns=["official_total", "official_max"])
        parts.append(block_rows.join(info, on="unit"))
    out = apply_defects(pd.concat(parts, ignore_index=True), official, methodology, info)
    out["_order"] = out["indicator"].map(indicator_order(methodology))
    return out.sort_values(["unit", "_order"]).drop(columns="_order").reset_index(drop=True)


def _first_defect(defects: pd.DataFrame, names: list[str | None]) -> pd.Series:
    """Per unit, the first defect among the named fields (None when they are all usable)."""
    found = pd.Series(None, index=defects.index, dtype="object")
    for name in filter(None, names):
        if name in defects:
            found = found.fillna(defects[name])
    return found


def apply_defects(rows: pd.DataFrame, official: OfficialResults, methodology: Methodology,
                  info: pd.DataFrame) -> pd.DataFrame:
    """Sub-indicator rows with every defect applied: a figure that is not a usable number, a
    numerator above its denominator, a unit listed twice with different numbers, a unit
    whose ``metrics`` is null, a missing endpoint (every unit). A defective row keeps its
    reason in ``defect`` and loses its figures, so it scores as "no data"; a sub-indicator
    the unit has no row for gets one."""
    rows = rows.copy()
    if "defect" not in rows:
        rows["defect"] = None
    rows["defect"] = rows["defect"].astype("object")
    over = rows["numerator"] > rows["denominator"]
    rows.loc[over, "defect"] = rows.loc[over, "defect"].fillna(pd.Series(
        [f"{', '.join(p.name for p in official.files.get(e, []))}: numerator {n:g} > denominator {d:g}"
         for e, n, d in rows.loc[over, ["endpoint", "numerator", "denominator"]].to_numpy()],
        index=rows.index[over], dtype="object"))
    whole = official.unit_defects if official.unit_defects is not None else pd.DataFrame(columns=["unit"])
    by_endpoint: dict[str, list[str]] = {}
    for ind in methodology.indicators:
        spec = ind.dvcqg
        if spec.get("metric") or spec.get("numerator") or spec.get("value"):
            by_endpoint.setdefault(spec.get("endpoint"), []).append(ind.code)
    added = []
    for defect in whole.itertuples(index=False):
        reason = defect.defect
        for code in by_endpoint.get(defect.endpoint, []):
            hit = rows["unit"].eq(defect.unit) & rows["indicator"].eq(code)
            if hit.any():
                rows.loc[hit, "defect"] = rows.loc[hit, "defect"].fillna(reason)
            elif defect.unit in info.index:
                added.append({"unit": defect.unit, "indicator": code, "endpoint": defect.endpoint,
                              "max_points": methodology.indicator(code).max_points, "defect": reason,
                              **info.loc[defect.unit].to_dict()})
    if added:
        rows = pd.concat([rows, pd.DataFrame(added)], ignore_index=True)
    bad = rows["defect"].notna()
    figure_columns = ["numerator", "denominator", "published_ratio", "value", "official_points"]
    rows[figure_columns] = rows[figure_columns].astype(float)
    rows.loc[bad, figure_columns] = np.nan
    return rows.drop(columns="file", errors="ignore")


def score_official(official: OfficialResults, methodology: Methodology | None = None) -> pd.DataFrame:
    """Points recomputed by chiso from the published numerators and denominators.

    The published ``score`` fields are never used for points (they are kept as
    ``published_points`` for comparison); where numerator and denominator are both
    null (DVCQG's 4.5), the published ratio is used (docs/methodology.md §2). The province's 3.1–3.3 are
    recomputed from the counters of ``provide-online-tree`` and checked against its published
    block total (docs/methodology.md §5 R12, :func:`_check_online_block`); a child unit's online-services
    block keeps DVCQG's total with ``status`` :data:`chiso.status.OFFICIAL` (``data_quality``
    :data:`OFFICIAL_NOT_RECOMPUTED`). A sub-indicator the methodology does not score
    (rule not_scored) has ``status`` :data:`chiso.status.NOT_SCORED`.
    """
    methodology = methodology or load_methodology()
    rows = indicator_rows(official, methodology)
    scored = _check_online_block(score_indicators(rows, methodology), official)
    scored = scored.rename(columns={"official_points": "published_points"})
    block = scored["indicator"] == ONLINE_BLOCK
    scored.loc[block, "points"] = scored.loc[block, "published_points"]
    scored.loc[block, "max_points"] = pd.to_numeric(rows.loc[block, "max_points"])
    defective = scored["defect"].notna() if "defect" in scored else pd.Series(False, index=scored.index)
    status = np.select(
        [defective, block, scored["indicator"].isin(methodology.unscored_codes), scored["points"].isna()],
        [NO_DATA, OFFICIAL, NOT_SCORED, NO_DATA],
        default=OK,
    )
    # Keep the status scoring set (not applicable: methodology commune: false).
    scored["status"] = scored["status"].fillna(pd.Series(status, index=scored.index)) if "status" in scored else status
    return scored


def defect_summary(scored: pd.DataFrame, official: OfficialResults) -> str | None:
    """One line on what the checks set to "no data" (None when nothing was):
    "2 of 164 units have sub-indicators without data because of defects in the official
    responses; missing response: transparency (every unit)"."""
    defective = scored[scored["defect"].notna()] if "defect" in scored else scored.iloc[:0]
    missing = set(official.missing_endpoints)
    by_unit = defective[~defective["endpoint"].isin(missing)]
    parts = []
    if len(by_unit):
        parts.append(f"{by_unit['unit'].nunique()} of {scored['unit'].nunique()} units have sub-indicators "
                     f"({', '.join(sorted(by_unit['indicator'].unique(), key=str))}) without data because of defects "
                     "in the official responses")
    if missing:
        parts.append(f"missing response{'s' * (len(missing) > 1)}: "
                     f"{', '.join(e for e in ENDPOINTS if e in missing)} (no data for every unit)")
    return "; ".join(parts) or None


def _check_online_block(scored: pd.DataFrame, official: OfficialResults) -> pd.DataFrame:
    """Where 3.1–3.3 were recomputed from the parent counters (docs/methodology.md §5 R12), check that their
    rounded points add up to the published block total; the result is in ``data_quality``
    (``BLOCK_TOTAL_MATCHES`` or ``BLOCK_TOTAL_DIFFERS``) and its message of those rows."""
    online = scored["endpoint"].eq(ONLINE_ENDPOINT) & scored["indicator"].ne(ONLINE_BLOCK)
    if not online.any():
        return scored
    sums = scored[online].groupby("unit")["points"].sum(min_count=1)
    published = official.group_totals.query("endpoint == @ONLINE_ENDPOINT").set_index("unit")["official_total"]
    scored = scored.copy()
    for unit, total in sums.items():
        expected = published.get(unit, np.nan)
        same = pd.notna(expected) and abs(total - expected) < 0.005
        rows = online & scored["unit"].eq(unit)
        scored.loc[rows, "data_quality"] = BLOCK_TOTAL_MATCHES if same else BLOCK_TOTAL_DIFFERS
        scored.loc[rows, "data_quality_message"] = (
            f"3.1–3.3 recomputed from DVCQG's counters add up to {total:.2f}; published block total "
            f"{'unknown' if pd.isna(expected) else f'{expected:.2f}'}")
    return scored


def _as_names(value) -> list[str]:
    return list(value) if isinstance(value, (list, tuple)) else [value]
