"""Commune geometry: read a province's map file and match its features to the units.

The enforcement map (bản đồ thực thi) colours each commune by its score. Its shapes
come from a file the province supplies — GeoJSON, GeoPackage or Shapefile, read by
pyogrio (GDAL) into shapely geometries — found, in this order, at:

1. the path given as ``GEO=path`` (``chiso report --geo path``);
2. ``params/geo/<province code>.<ext>`` or ``params/geo/<province name>.<ext>`` (name in
   lower case without diacritics, words joined by ``-``: ``phu-tho.geojson``), ``<ext>``
   one of :data:`SUFFIXES`;
3. for the sample province only, a generated fictional map
   (:mod:`chiso.sources.sample_geo`).

Matching (:func:`match_units`), for units with a territory (communes and wards; districts
where a province still has them): a feature matches a unit **by code** when one of its
attributes equals the unit's code (or DVCQG id); the remaining ones **by name**, without
regard to case, diacritics, "UBND" or a trailing "- Tỉnh …" ("UBND xã Lâm Thao - Tỉnh Phú Thọ"
matches "Xa Lam Thao"), and then, where that is still unambiguous, without the kind of unit
("Lâm Thao"). The attribute holding codes and the one holding names are the ones that match
the most units. Several features of one unit (an island, a detached part) are merged.
Nothing is dropped silently: units with a territory but no feature, and features that
match no unit (with the reason), are listed in :class:`Geometry` and shown under the map.

Coordinates: a file in longitude/latitude (every GeoJSON; any file whose coordinates all
fall within ±180/±90) is drawn in an equirectangular projection around the province's mean
latitude (at a province's size indistinguishable from its usual projections); a projected
file (VN-2000 metres, …) is drawn as it is. Shapes are simplified as a coverage
(neighbours keep their shared borders) to about 1/:data:`DETAIL` of the map's extent,
finer than any drawing of it.

Example
-------
>>> geometry = load_geometry(Path("params/geo/phu-tho.geojson"), units)   # doctest: +SKIP
>>> geometry.shapes[["unit", "matched_by"]].head(2)                       # doctest: +SKIP
      unit matched_by
0  H44.100       name
1  H44.101       name
>>> geometry.missing_units                                                # doctest: +SKIP
      unit                name
0  H44.131  UBND xã Thanh Thủy
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from chiso.errors import InputError
from chiso.formatting import fold_diacritics
from chiso.paths import params_dir

SUFFIXES = (".geojson", ".json", ".gpkg", ".shp")
TERRITORIAL_LEVELS = ("district", "commune")
# Shapes are kept to 1/DETAIL of the map's larger side: a full-width map on screen is
# about 1,000 px, so this is finer than any drawing.
DETAIL = 2000
# Kinds of unit that may start a name, longest first ("thị xã" before "xã").
UNIT_KINDS = ("thi tran", "thi xa", "thanh pho", "dac khu", "phuong", "huyen", "quan", "xa")
_KIND_PREFIX = re.compile(r"^(?:" + "|".join(UNIT_KINDS) + r")\s+")
_GOVERNMENT_PREFIX = re.compile(r"^(?:ubnd|uy ban nhan dan)\s+")
_PROVINCE_SUFFIX = re.compile(r"\s+-\s+(?:tinh|thanh pho|tp)\s+.*$")
_NOT_WORD = re.compile(r"[^\w]+")

# Why a feature matched no unit (shown in the report).
NO_NAME = "không có mã hay tên khớp với đơn vị nào"
DUPLICATE_NAME = "tên trùng với nhiều đơn vị, không xác định được"
EMPTY_GEOMETRY = "không có hình (vùng rỗng hoặc không phải đa giác)"


@dataclass(frozen=True)
class Geometry:
    """The matched map of a province.

    - ``shapes``: unit, geometry (shapely Polygon/MultiPolygon, planar: x east, y north),
      matched_by (``code`` or ``name``) — one row per unit with a territory that has a shape;
    - ``missing_units``: unit, name — units with a territory that have no shape;
    - ``unmatched_features``: feature (1-based position in the file), label (its name or
      code attribute), reason — features that match no unit;
    - ``source``: the file's name as shown in reports; ``fictional``: a generated map (sample).
    """

    shapes: pd.DataFrame
    missing_units: pd.DataFrame
    unmatched_features: pd.DataFrame
    source: str
    fictional: bool = False


# --------------------------------------------------------------------------- names


def name_key(name: object, keep_kind: bool = True) -> str:
    """A unit or place name as a matching key: lower case, no diacritics, no "UBND", no
    trailing "- Tỉnh …", punctuation as spaces; ``keep_kind=False`` also drops a leading
    kind of unit ("xã", "phường", "thị trấn", …).

    >>> name_key("UBND xã Lâm Thao - Tỉnh Phú Thọ"), name_key("Phường  Việt-Trì", keep_kind=False)
    ('xa lam thao', 'viet tri')
    """
    text = " ".join(fold_diacritics(str(name)).lower().split())
    text = _PROVINCE_SUFFIX.sub("", text)
    text = " ".join(_NOT_WORD.sub(" ", text).split())
    text = _GOVERNMENT_PREFIX.sub("", text)
    return _KIND_PREFIX.sub("", text) if not keep_kind else text


def file_stem(name: str) -> str:
    """A province name as a file name: ``"UBND tỉnh Phú Thọ"`` → ``"phu-tho"``.

    >>> file_stem("Tỉnh Sơn Lâm (mẫu)")
    'son-lam-mau'
    """
    key = name_key(name)
    key = re.sub(r"^(?:tinh|thanh pho)\s+", "", key)
    return key.replace(" ", "-")


# --------------------------------------------------------------------------- finding and reading


def find_geometry_file(province_code: str | None, province_name: str | None, folder: Path | None = None) -> Path | None:
    """The province's map in ``params/geo/`` (by code, then by name), or None."""
    folder = Path(folder) if folder is not None else params_dir() / "geo"
    stems = [s for s in (province_code, file_stem(province_name) if province_name else None) if s]
    for stem in stems:
        for suffix in SUFFIXES:
            candidate = folder / f"{stem}{suffix}"
            if candidate.is_file():
                return candidate
    return None


def read_features(path: str | Path) -> tuple[pd.DataFrame, np.ndarray]:
    """The features of a map file: their attributes (one column per field, as text) and
    their geometries (shapely, in the file's coordinates; None where a feature has none).

    InputError (one line naming the file) when the file is missing, unreadable or
    truncated, or holds no feature.
    """
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such map file (expected GeoJSON, GeoPackage or Shapefile of the communes)")
    try:
        meta, _fids, wkb, field_data = pyogrio.raw.read(path)[:4]
    except (DataSourceError, DataLayerError, RuntimeError, ValueError, OSError) as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise InputError(f"{path}: cannot read the map ({reason[:200]}); "
                         "expected GeoJSON, GeoPackage or Shapefile of the communes") from error
    if wkb is None or len(wkb) == 0:
        raise InputError(f"{path}: the map has no feature (expected one polygon per commune)")
    attributes = pd.DataFrame({
        str(name): pd.array([None if _blank(v) else str(v) for v in values], dtype="string")
        for name, values in zip(meta["fields"], field_data)
    }, index=pd.RangeIndex(len(wkb)))
    try:
        geometries = shapely.from_wkb(wkb, on_invalid="ignore")
    except shapely.errors.ShapelyError as error:
        raise InputError(f"{path}: the map's geometries cannot be read ({error})") from error
    return attributes, geometries


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


# --------------------------------------------------------------------------- matching


def _best_column(attributes: pd.DataFrame, keys: pd.Series, wanted: set[str]) -> str | None:
    """The attribute whose values (as ``keys`` makes them) match the most of ``wanted``."""
    best, best_count = None, 0
    for column in attributes.columns:
        count = int(keys[column].isin(wanted).sum())
        if count > best_count:
            best, best_count = column, count
    return best


def _label_column(attributes: pd.DataFrame) -> str | None:
    """An attribute to name a feature by in messages: one called like a name, else the
    first text attribute."""
    for column in attributes.columns:
        if re.search(r"name|ten", fold_diacritics(column).lower()):
            return column
    return attributes.columns[0] if len(attributes.columns) else None


def match_units(
    attributes: pd.DataFrame, geometries: np.ndarray, units: pd.DataFrame, source: str, fictional: bool = False
) -> Geometry:
    """Match features (``read_features``) to the units with a territory (module docstring).

    ``units`` has unit, name, level and optionally unit_id (the DVCQG id).
    """
    territorial = units[units["level"].isin(TERRITORIAL_LEVELS)].reset_index(drop=True)
    n = len(geometries)
    polygonal = np.array([_is_polygonal(g) for g in geometries], dtype=bool)
    matched = pd.Series(pd.NA, index=range(n), dtype="string")  # feature -> unit code
    matched_by = pd.Series(pd.NA, index=range(n), dtype="string")
    reason = pd.Series(NO_NAME, index=range(n), dtype="string")

    # 1. by code (or DVCQG id)
    code_of = {str(c): c for c in territorial["unit"]}
    if "unit_id" in territorial:
        code_of.update({str(i): c for i, c in zip(territorial["unit_id"], territorial["unit"]) if not _blank(i)})
    stripped = attributes.apply(lambda column: column.str.strip())
    column = _best_column(attributes, stripped, set(code_of))
    if column is not None:
        hits = stripped[column].map(code_of)
        matched = matched.fillna(hits.astype("string"))
        matched_by[hits.notna()] = "code"

    # 2. by name, then by name without the kind of unit, among what is left
    for keep_kind in (True, False):
        left = territorial[~territorial["unit"].isin(set(matched.dropna()))]
        unit_keys = left["name"].map(lambda v: name_key(v, keep_kind))
        counts = unit_keys.value_counts()
        unique = dict(zip(unit_keys, left["unit"]))
        keys = attributes.apply(lambda col: col.map(lambda v: pd.NA if pd.isna(v) else name_key(v, keep_kind)))
        column = _best_column(attributes, keys, set(unit_keys))
        if column is None:
            continue
        open_features = matched.isna()
        feature_keys = keys[column]
        ambiguous = open_features & feature_keys.map(lambda k: counts.get(k, 0) > 1).astype(bool)
        reason[ambiguous] = DUPLICATE_NAME
        hits = feature_keys.where(open_features & ~ambiguous).map(
            lambda k: unique.get(k) if not pd.isna(k) and counts.get(k, 0) == 1 else pd.NA)
        found = hits.notna() & open_features
        matched[found] = hits[found].astype("string")
        matched_by[found] = "name"

    usable = matched.notna() & polygonal
    reason[matched.notna() & ~polygonal] = EMPTY_GEOMETRY
    reason[matched.isna() & ~polygonal] = EMPTY_GEOMETRY
    shapes = (
        pd.DataFrame({"unit": matched[usable], "geometry": geometries[usable.to_numpy()],
                      "matched_by": matched_by[usable]})
        .groupby("unit", sort=False)
        .agg(geometry=("geometry", lambda gs: shapely.union_all(shapely.make_valid(np.array(list(gs))))),
             matched_by=("matched_by", "first"))
        .reset_index()
    )
    shapes["unit"] = shapes["unit"].astype("string")
    label = _label_column(attributes)
    unmatched = ~usable
    unmatched_features = pd.DataFrame({
        "feature": np.flatnonzero(unmatched.to_numpy()) + 1,
        "label": (attributes.loc[unmatched, label] if label else pd.Series(pd.NA, index=unmatched[unmatched].index))
        .fillna("").astype(str).to_numpy(),
        "reason": reason[unmatched].astype(str).to_numpy(),
    })
    order = territorial["unit"]
    shapes = shapes.set_index("unit").reindex([u for u in order if u in set(shapes["unit"])]).reset_index()
    shapes["geometry"] = _planar(shapes["geometry"].to_numpy())
    missing = territorial.loc[~territorial["unit"].isin(set(shapes["unit"])), ["unit", "name"]].reset_index(drop=True)
    return Geometry(shapes=shapes, missing_units=missing, unmatched_features=unmatched_features,
                    source=source, fictional=fictional)


POLYGON_TYPES = (3, 6)  # shapely type ids: Polygon, MultiPolygon
COLLECTION_TYPE = 7


def _polygons(geometry):
    """The polygonal part of a geometry (a collection keeps its polygons); None if it has none."""
    if geometry is None or shapely.is_empty(geometry):
        return None
    kind = shapely.get_type_id(geometry)
    if kind in POLYGON_TYPES:
        return geometry
    if kind == COLLECTION_TYPE:
        parts = [p for p in shapely.get_parts(geometry) if shapely.get_type_id(p) in POLYGON_TYPES]
        return shapely.union_all(parts) if parts else None
    return None


def _is_polygonal(geometry) -> bool:
    return _polygons(geometry) is not None


def _planar(geometries: np.ndarray) -> np.ndarray:
    """Longitude/latitude → equirectangular around the mean latitude; projected files as
    they are. Then a coverage simplification to 1/DETAIL of the extent."""
    if len(geometries) == 0:
        return geometries
    # make_valid may leave a collection with a stray line or point: keep its polygons.
    geometries = np.array([_polygons(g) for g in shapely.make_valid(geometries)], dtype=object)
    xmin, ymin, xmax, ymax = shapely.total_bounds(geometries)
    if -180 <= xmin and xmax <= 180 and -90 <= ymin and ymax <= 90:
        scale = math.cos(math.radians((ymin + ymax) / 2))
        geometries = shapely.transform(geometries, lambda xy: xy * np.array([scale, 1.0]))
        xmin, xmax = xmin * scale, xmax * scale
    tolerance = max(xmax - xmin, ymax - ymin) / DETAIL
    if shapely.coverage_is_valid(geometries):
        return shapely.coverage_simplify(geometries, tolerance)
    # Overlapping shapes are not a coverage: simplify each on its own.
    return shapely.simplify(geometries, tolerance, preserve_topology=True)


# --------------------------------------------------------------------------- entry point


def load_geometry(path: str | Path, units: pd.DataFrame) -> Geometry:
    """Read the map file at ``path`` and match it to ``units`` (InputError naming the file)."""
    attributes, geometries = read_features(path)
    if not any(_is_polygonal(g) for g in geometries):
        raise InputError(f"{path}: the map has no polygon (expected one polygon per commune)")
    return match_units(attributes, geometries, units, source=Path(path).name)


def resolve_geometry(geo: str | Path | None, units: pd.DataFrame, sample: bool = False) -> Geometry | None:
    """The province's map: the file ``geo`` if given, else ``params/geo/<code or name>.<ext>``,
    else for the sample province its fictional map; None when there is none."""
    if geo:
        return load_geometry(geo, units)
    province = units[units["level"] == "province"]
    code, name = (str(province["unit"].iloc[0]), str(province["name"].iloc[0])) if len(province) else (None, None)
    path = find_geometry_file(code, name)
    if path is not None:
        return load_geometry(path, units)
    if sample:
        from chiso.sources.sample_geo import sample_geometry

        return sample_geometry(units)
    return None


def geometry_table(geometry: Geometry) -> pd.DataFrame:
    """The shapes as a storable table: unit, wkb (hexadecimal text: every table of the
    report data stays readable as text), matched_by."""
    return pd.DataFrame({
        "unit": geometry.shapes["unit"].astype("string"),
        "wkb": pd.array(shapely.to_wkb(geometry.shapes["geometry"].to_numpy(), hex=True), dtype="string"),
        "matched_by": geometry.shapes["matched_by"].astype("string"),
    })


def geometry_summary(geometry: Geometry) -> dict:
    """What reports say about the map (JSON-ready): its source, whether it is fictional, the
    units it lacks and the features that match no unit."""
    return {
        "source": geometry.source,
        "fictional": geometry.fictional,
        "missing_units": geometry.missing_units.astype(str).to_dict("records"),
        "unmatched_features": [{"feature": int(r.feature), "label": str(r.label), "reason": str(r.reason)}
                               for r in geometry.unmatched_features.itertuples(index=False)],
    }
