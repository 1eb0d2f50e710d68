"""Official results published by the national portal (DVCQG, "Đánh giá chất lượng phục vụ").

DVCQG has six public endpoints, one per group, each returning the province
("overview"/"parent") and every child unit ("evaluation"/"children") inside the
envelope ``{"code": "OK", "data": {...}}`` (spec §4):

============================  =======================  ==========================================
endpoint                      shape                    per unit
============================  =======================  ==========================================
transparency                  overview, evaluation[]   metrics[] (1.1–1.4)
dossier-digitized             overview, evaluation[]   metrics[] (4.1–4.7)
handling-satisfaction         overview, evaluation[]   metrics[] (5.1–5.3 + 2 monitoring codes)
dvc-progress-tree             parent, children[]       totalReceived, totalOnTime, ... (2.1, 2.2)
formality-online-payment-tree parent, children[]       payment counters (3.4–3.6)
provide-online-tree           parent, children[]       group total only (3.1–3.3, formula unknown)
============================  =======================  ==========================================

The endpoint is recognised from the content, never from the file name. Pages of one
endpoint (``pagination.totalPages`` > 1) are merged, including a unit whose metrics are
split across pages. Units are joined on ``departmentId`` (``departmentCode`` is absent
from transparency and handling-satisfaction). Null stays null; data-quality flags are kept.

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
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from chiso.errors import InputError
from chiso.methodology import Methodology, load_methodology
from chiso.scoring import score_indicators

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
_LEVELS = {"PROVINCE": "department", "COMMUNE": "commune", "DISTRICT": "district"}
ONLINE_BLOCK = "3.1-3.3"  # pseudo-indicator: DVCQG's online-services total, not recomputable
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
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), dict):
        raise InputError(f"{path}: not a DVCQG response (expected an object with a 'data' object)")
    if doc.get("code") not in (None, "OK"):
        raise InputError(f"{path}: the portal answered code={doc.get('code')!r} ({doc.get('message')}), not 'OK'")
    return doc["data"]


def detect_endpoint(data: dict, path: Path) -> str:
    """Recognise which of the six endpoints (or the national table, ``service-results``)
    a response's ``data`` comes from."""
    evaluation = data.get("evaluation")
    if isinstance(evaluation, list) and evaluation and all(
        isinstance(u, dict) and "groupScores" in u for u in evaluation
    ):
        return NATIONAL
    if "evaluation" in data or "overview" in data:
        units = [data.get("overview") or {}] + list(data.get("evaluation") or [])
        for unit in units:
            for metric in unit.get("metrics") or []:
                endpoint = _METRIC_ENDPOINT.get(metric.get("code"))
                if endpoint:
                    return endpoint
    if "children" in data or "parent" in data:
        units = [data.get("parent") or {}] + list(data.get("children") or [])
        keys = set().union(*(u.keys() for u in units if isinstance(u, dict)))
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


def _top_and_children(data: dict) -> tuple[dict | None, list[dict]]:
    if "evaluation" in data or "overview" in data:
        return data.get("overview"), list(data.get("evaluation") or [])
    return data.get("parent"), list(data.get("children") or [])


def _num(value):
    return np.nan if value is None else float(value)


def load_official(paths) -> OfficialResults:
    """Read DVCQG responses (files and/or folders of ``*.json``) of ONE period and province.

    Raises InputError naming the file for malformed or truncated JSON, unrecognised
    content, a response for another province, or two different responses for the same
    endpoint and page.
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
        top, _children = _top_and_children(data)
        if top and top.get("departmentId"):
            if province_id is None:
                province_id, province_file, province_name = top["departmentId"], path, top.get("departmentName")
            elif top["departmentId"] != province_id:
                raise InputError(
                    f"{path}: response for {top.get('departmentName')!r} ({top['departmentId']}), "
                    f"but {province_file.name} is for {province_name!r}: one province per run"
                )
        pages = by_endpoint.setdefault(endpoint, [])
        page_no = (data.get("pagination") or {}).get("currentPage", 1)
        for other_path, other in pages:
            if (other.get("pagination") or {}).get("currentPage", 1) == page_no and other != data:
                raise InputError(
                    f"{path}: second, different {endpoint} response (page {page_no}) besides {other_path}"
                )
        if not any(other == data for _, other in pages):
            pages.append((path, data))

    codes: dict[str, str] = {}  # departmentId -> departmentCode, from whichever file has it
    for pages in by_endpoint.values():
        for _, data in pages:
            top, children = _top_and_children(data)
            for u in ([top] if top else []) + children:
                if u.get("departmentCode"):
                    codes[u["departmentId"]] = u["departmentCode"]

    rows: list[dict] = []
    totals: list[dict] = []
    units: dict[str, dict] = {}
    for endpoint, pages in by_endpoint.items():
        for _, data in pages:
            top, children = _top_and_children(data)
            for unit, is_top in [(top, True)] * bool(top) + [(c, False) for c in children]:
                uid = unit["departmentId"]
                code = codes.get(uid, uid)
                level = "province" if is_top else _LEVELS.get(
                    unit.get("level") or unit.get("departmentLevel") or "", "department"
                )
                info = units.setdefault(code, {"unit": code, "unit_id": uid, "name": unit.get("departmentName"),
                                               "level": level, "parent": None})
                if not is_top and province_id:
                    info["parent"] = codes.get(province_id, province_id)
                base = {"unit": code, "unit_id": uid, "endpoint": endpoint}
                if "totalMaxScore" in unit:
                    totals.append({**base, "official_total": unit.get("totalScore"),
                                   "official_max": unit.get("totalMaxScore")})
                rows += _unit_rows(endpoint, unit, base)
    if not rows:
        raise InputError(f"{', '.join(map(str, paths))}: no units found in the responses")

    table = pd.DataFrame(rows)
    unit_frame = pd.DataFrame(list(units.values()))
    table = table.merge(unit_frame[["unit", "name", "level"]].rename(columns={"name": "unit_name"}), on="unit")
    period = next((m.group(1).upper() for f in files if (m := _PERIOD_IN_NAME.search(str(f)))), None)
    table.insert(4, "period", period)
    group_totals = pd.DataFrame(totals, columns=["unit", "unit_id", "endpoint", "official_total", "official_max"])
    # Pages may repeat a unit's group total: keep one (they are the same figure).
    group_totals = group_totals.drop_duplicates(["unit", "endpoint"])
    for column in ("official_total", "official_max"):
        group_totals[column] = pd.to_numeric(group_totals[column]).astype(float)
    return OfficialResults(
        table=table,
        group_totals=group_totals,
        units=unit_frame,
        files={e: [p for p, _ in pages] for e, pages in by_endpoint.items()},
        period_hint=period,
        province=province_name,
        national=national_table(national, province_id),
    )


def national_table(responses: list[tuple[Path, dict]], province_id: str | None = None) -> pd.DataFrame | None:
    """The provinces of a ``service-results`` response as published: department_id, name,
    code, total, score_delta and one column per group score (``CKMB`` … ``TTTT``), and
    ``is_province`` marking the province the other responses are about. None without one."""
    if not responses:
        return None
    path, data = responses[-1]
    rows = []
    for item in data["evaluation"]:
        groups = item.get("groupScores") or {}
        rows.append({"department_id": item.get("departmentId"), "name": item.get("departmentName"),
                     "code": item.get("departmentCode"), "total": _num(item.get("totalScore")),
                     "score_delta": _num(item.get("scoreDelta")),
                     **{g: _num(groups.get(g)) for g in NATIONAL_GROUPS}})
    table = pd.DataFrame(rows)
    table["is_province"] = table["department_id"].eq(province_id)
    return table


def _unit_rows(endpoint: str, unit: dict, base: dict) -> list[dict]:
    """Tidy rows for one unit of one endpoint (indicator codes are filled in later)."""
    if "metrics" in unit:
        return [
            {
                **base,
                "metric": m.get("code"),
                "numerator": _num(m.get("numerator")),
                "denominator": _num(m.get("denominator")),
                "published_ratio": _num(m.get("ratio")) / 100,
                "value": np.nan,
                "official_points": _num(m.get("score")),
                "max_points": _num(m.get("maxScore")),
                "data_quality": m.get("dataQualityStatus"),
                "data_quality_message": m.get("dataQualityMessage"),
            }
            for m in unit["metrics"]
        ]
    # Tree endpoints: keep every counter as a "field" row; the methodology says which
    # fields make which sub-indicator.
    return [
        {
            **base,
            "metric": key,
            "numerator": _num(value) if isinstance(value, (int, float)) or value is None else np.nan,
            "denominator": np.nan,
            "published_ratio": np.nan,
            "value": np.nan,
            "official_points": np.nan,
            "max_points": np.nan,
            "data_quality": None,
            "data_quality_message": None,
        }
        for key, value in unit.items()
        if key.startswith("total") or key in ("avgProcessingDays", "ratio", "score")
    ]


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
    The online-services block (3.1–3.3, ``provide-online-tree``) becomes one row
    ``3.1-3.3`` carrying DVCQG's total as ``official_points`` — marked
    "official, not recomputed".
    """
    t = official.table
    unit_cols = ["unit", "unit_id", "unit_name", "level", "period"]
    tree_rows = t[t["endpoint"].str.endswith("-tree")].drop_duplicates(["unit", "endpoint", "metric"])
    fields = tree_rows.set_index(["unit", "endpoint", "metric"])["numerator"].unstack("metric")
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
            rows = pd.DataFrame(
                {
                    "numerator": tree.get(spec["numerator"], np.nan),
                    "denominator": tree.get(spec["denominator"], np.nan),
                }
            ).reset_index()
            # Published figures, kept only to compare with: children carry "score",
            # the province "totalScore" (the methodology lists the field names).
            published = pd.Series(np.nan, index=tree.index)
            for name in spec.get("points") or []:
                published = published.fillna(tree.get(name, pd.Series(np.nan, index=tree.index)))
            ratio = tree.get(spec["ratio"], np.nan) / 100 if spec.get("ratio") else np.nan
            rows = rows.assign(
                indicator=ind.code, endpoint=endpoint, metric=f"{spec['numerator']}/{spec['denominator']}",
                published_ratio=np.asarray(ratio, dtype=float) if spec.get("ratio") else np.nan,
                official_points=published.to_numpy(), max_points=ind.max_points,
                data_quality=None, data_quality_message=None, value=np.nan,
            )
            parts.append(rows.join(info, on="unit"))
        elif spec.get("value") and endpoint in fields.index.get_level_values("endpoint"):
            tree = fields.xs(endpoint, level="endpoint")
            rows = pd.DataFrame({"value": tree.get(spec["value"], np.nan)}).reset_index()
            rows = rows.assign(indicator=ind.code, endpoint=endpoint, metric=spec["value"], numerator=np.nan,
                               denominator=np.nan, published_ratio=np.nan, official_points=np.nan,
                               max_points=ind.max_points, data_quality=None, data_quality_message=None)
            parts.append(rows.join(info, on="unit"))
    block = official.group_totals[official.group_totals["endpoint"] == "provide-online-tree"]
    if len(block):
        block_rows = block.assign(
            indicator=ONLINE_BLOCK, metric="totalScore", numerator=np.nan, denominator=np.nan,
            published_ratio=np.nan, value=np.nan, official_points=block["official_total"],
            max_points=block["official_max"], data_quality=OFFICIAL_NOT_RECOMPUTED,
            data_quality_message="DVCQG publishes only this group's total; its formula is not public",
        ).drop(columns=["official_total", "official_max"])
        parts.append(block_rows.join(info, on="unit"))
    out = pd.concat(parts, ignore_index=True)
    out["_order"] = out["indicator"].map(indicator_order(methodology))
    return out.sort_values(["unit", "_order"]).drop(columns="_order").reset_index(drop=True)


def score_official(official: OfficialResults, methodology: Methodology | None = None) -> pd.DataFrame:
    """Points recomputed by chiso from the published numerators and denominators.

    The published ``score`` fields are never used for points (they are kept as
    ``published_points`` for comparison); where numerator and denominator are both
    null (DVCQG's 4.5), the published ratio is used (spec §2). The online-services
    block keeps DVCQG's total with ``status`` = "official, not recomputed".
    """
    methodology = methodology or load_methodology()
    rows = indicator_rows(official, methodology)
    scored = score_indicators(rows, methodology)
    scored = scored.rename(columns={"official_points": "published_points"})
    block = scored["indicator"] == ONLINE_BLOCK
    scored.loc[block, "points"] = scored.loc[block, "published_points"]
    scored.loc[block, "max_points"] = pd.to_numeric(rows.loc[block, "max_points"])
    status = np.select(
        [block, scored["indicator"].eq("2.2"), scored["points"].isna()],
        [OFFICIAL_NOT_RECOMPUTED, "not_scored", "no_data"],
        default="ok",
    )
    # Keep "not_applicable" where scoring set it (methodology: commune: false).
    scored["status"] = scored["status"].fillna(pd.Series(status, index=scored.index)) if "status" in scored else status
    return scored


def endpoint_totals(scored: pd.DataFrame, official: OfficialResults) -> pd.DataFrame:
    """Recomputed points per unit and DVCQG endpoint beside the published group totals.

    Reconciliation view: ``points`` is the sum of chiso's rounded sub-indicator points
    of the endpoint's sub-indicators, ``official_total`` what the portal published, and
    ``difference`` = points − official_total.
    """
    sums = (
        scored[scored["status"] != "not_scored"]
        .groupby(["unit", "endpoint"], as_index=False)["points"]
        .sum(min_count=1)
    )
    out = official.group_totals.merge(sums, on=["unit", "endpoint"], how="left")
    out["difference"] = (out["points"] - pd.to_numeric(out["official_total"])).round(6)
    return out
