"""Reading a province's map file and matching its features to units (chiso.sources.geo)."""

import json

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from chiso.errors import InputError
from chiso.sources import geo
from chiso.sources.official import load_official
from geo_layout import EXTRA_NAME, write_layout


@pytest.fixture(scope="module")
def reference_units(reference_dir):
    """The 163 real units of Phú Thọ (DVCQG names: "UBND xã Lâm Thao - Tỉnh Phú Thọ")."""
    return load_official([reference_dir / "2026-Q3"]).units


def square(x, y, size=1.0):
    """A square in projected metres (coordinates beyond ±180: not longitude/latitude)."""
    return shapely.box(500_000 + x, 2_000_000 + y, 500_000 + x + size, 2_000_000 + y + size)


def features(rows):
    """(attributes, geometries) from (properties, geometry) pairs."""
    return pd.DataFrame([p for p, _ in rows]).astype("string"), np.array([g for _, g in rows], dtype=object)


UNITS = pd.DataFrame({
    "unit": ["P", "D1", "C1", "C2", "C3", "C4"],
    "name": ["Tỉnh Mẫu", "Sở Tư pháp", "Xã Đồng Hỷ", "Phường Hòa Bình", "Xã Hòa Bình", "Thị trấn Kim Sơn"],
    "level": ["province", "department", "commune", "commune", "commune", "commune"],
})


def test_name_key_ignores_case_diacritics_government_and_province():
    assert geo.name_key("UBND xã Lâm Thao - Tỉnh Phú Thọ") == "xa lam thao"
    assert geo.name_key("XA LAM THAO") == "xa lam thao"
    assert geo.name_key("Xã Lâm Thao", keep_kind=False) == "lam thao"
    assert geo.name_key("Thị xã Phú Thọ", keep_kind=False) == "phu tho"  # "thị xã" before "xã"
    assert geo.name_key("Phường Hoà Bình") == geo.name_key("Phường Hòa Bình")  # both spellings of "hòa"


def test_real_layout_matches_by_name_lists_the_missing_commune_and_the_extra_feature(tmp_path, reference_units):
    path = tmp_path / "phu-tho.geojson"
    expected = write_layout(path, reference_units)
    geometry = geo.load_geometry(path, reference_units)
    assert list(geometry.shapes["unit"]) == expected["matched"]
    assert set(geometry.shapes["matched_by"]) == {"name"}
    assert list(geometry.missing_units["unit"]) == [expected["missing"]]
    assert list(geometry.unmatched_features["label"]) == [EXTRA_NAME]
    assert geometry.unmatched_features["reason"].iloc[0] == geo.NO_NAME
    assert geometry.source == "phu-tho.geojson" and not geometry.fictional
    # No department or the province is ever expected on the map.
    assert not geometry.missing_units["unit"].isin(reference_units.query("level != 'commune'")["unit"]).any()


def test_longitude_latitude_is_drawn_equirectangular(tmp_path, reference_units):
    path = tmp_path / "map.geojson"
    write_layout(path, reference_units)
    shapes = geo.load_geometry(path, reference_units).shapes["geometry"]
    xmin, ymin, xmax, ymax = shapes.iloc[0].bounds
    middle = (shapely.total_bounds(shapes)[1] + shapely.total_bounds(shapes)[3]) / 2  # ≈ 21.35° N
    # A 0.05° square at latitude φ is cos(φ) as wide as it is tall.
    assert (xmax - xmin) / (ymax - ymin) == pytest.approx(np.cos(np.radians(middle)), rel=1e-6)


def test_code_first_then_name_then_name_without_kind():
    attributes, geometries = features([
        ({"id": "C1", "name": "something else"}, square(0, 0)),   # by code, whatever its name
        ({"id": "", "name": "phuong hoa binh"}, square(1, 0)),     # by name (kind tells the two Hòa Bình apart)
        ({"id": "", "name": "Xã Hòa Bình"}, square(2, 0)),
        ({"id": "", "name": "Kim Sơn"}, square(3, 0)),            # by name without its kind
    ])
    geometry = geo.match_units(attributes, geometries, UNITS, source="t")
    assert dict(zip(geometry.shapes["unit"], geometry.shapes["matched_by"])) == {
        "C1": "code", "C2": "name", "C3": "name", "C4": "name"}
    assert geometry.missing_units.empty and geometry.unmatched_features.empty


def test_an_ambiguous_name_is_reported_not_guessed():
    attributes, geometries = features([({"ten": "Hòa Bình"}, square(0, 0))])  # ward or commune?
    geometry = geo.match_units(attributes, geometries, UNITS, source="t")
    assert set(geometry.missing_units["unit"]) == {"C1", "C2", "C3", "C4"}
    assert geometry.unmatched_features.to_dict("records") == [
        {"feature": 1, "label": "Hòa Bình", "reason": geo.DUPLICATE_NAME}]


def test_parts_of_one_commune_are_merged_and_empty_features_reported():
    attributes, geometries = features([
        ({"ten": "Xã Đồng Hỷ"}, square(0, 0)),
        ({"ten": "Xã Đồng Hỷ"}, square(5, 5)),   # an island of the same commune
        ({"ten": "Xã Hòa Bình"}, None),          # no geometry
        ({"ten": "Phường Hòa Bình"}, shapely.Point(1, 1)),  # not a polygon
    ])
    geometry = geo.match_units(attributes, geometries, UNITS, source="t")
    merged = geometry.shapes.set_index("unit").loc["C1", "geometry"]
    assert merged.geom_type == "MultiPolygon" and merged.area == pytest.approx(2.0)
    assert list(geometry.unmatched_features["feature"]) == [3, 4]
    assert set(geometry.unmatched_features["reason"]) == {geo.EMPTY_GEOMETRY}
    assert set(geometry.missing_units["unit"]) == {"C2", "C3", "C4"}


def test_an_invalid_polygon_is_repaired():
    bowtie = shapely.Polygon([(500_000 + x, 2_000_000 + y) for x, y in [(0, 0), (1, 1), (1, 0), (0, 1)]])
    attributes, geometries = features([({"ten": "Xã Đồng Hỷ"}, bowtie)])
    shape = geo.match_units(attributes, geometries, UNITS, source="t").shapes["geometry"].iloc[0]
    assert shape.is_valid and shape.area == pytest.approx(0.5)


@pytest.mark.parametrize("driver, suffix", [("GPKG", ".gpkg"), ("ESRI Shapefile", ".shp")])
def test_geopackage_and_shapefile(tmp_path, driver, suffix):
    path = tmp_path / f"communes{suffix}"
    shapes = [square(0, 0), square(1, 0)]
    pyogrio.raw.write(path, shapely.to_wkb(shapes), geometry_type="Polygon", driver=driver,
                      field_data=[np.array(["Xã Đồng Hỷ", "Phường Hòa Bình"], dtype=object)], fields=["ten"],
                      crs="EPSG:3405")
    geometry = geo.load_geometry(path, UNITS)
    assert list(geometry.shapes["unit"]) == ["C1", "C2"]


@pytest.mark.parametrize("content, expected", [
    (None, "no such map file"),
    ('{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Pol', "cannot read the map"),
    ("MaXa,TenXa\n1,Xã A\n", "cannot read the map|no polygon|no feature"),
    ('{"type": "FeatureCollection", "features": []}', "no feature"),
    (json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"ten": "Xã Đồng Hỷ"}, "geometry": {"type": "Point", "coordinates": [1, 2]}}]}),
     "no polygon"),
    (b"\x00\xff" * 100, "cannot read the map"),
])
def test_a_bad_map_file_is_a_one_line_error_naming_it(tmp_path, content, expected):
    path = tmp_path / "ban-do.geojson"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=expected) as caught:
        geo.load_geometry(path, UNITS)
    message = str(caught.value)
    assert str(path) in message and "\n" not in message


def test_the_map_is_found_by_province_code_or_name(tmp_path):
    assert geo.find_geometry_file("H44", "UBND tỉnh Phú Thọ", tmp_path) is None
    (tmp_path / "phu-tho.gpkg").write_text("x")
    assert geo.find_geometry_file("H44", "UBND tỉnh Phú Thọ", tmp_path) == tmp_path / "phu-tho.gpkg"
    (tmp_path / "H44.geojson").write_text("x")
    assert geo.find_geometry_file("H44", "UBND tỉnh Phú Thọ", tmp_path) == tmp_path / "H44.geojson"
    assert geo.file_stem("Thành phố Hải Phòng") == "hai-phong"


def test_resolve_geometry_takes_the_given_file_then_params_geo_then_the_sample_map(tmp_path, monkeypatch,
                                                                                 reference_units):
    monkeypatch.setenv("CHISO_PARAMS", str(tmp_path / "params"))
    assert geo.resolve_geometry(None, reference_units) is None  # no map: the report says how to add one
    assert geo.resolve_geometry(None, reference_units, sample=True).fictional
    (tmp_path / "params" / "geo").mkdir(parents=True)
    write_layout(tmp_path / "params" / "geo" / "phu-tho.geojson", reference_units)  # found by the province's name
    assert geo.resolve_geometry(None, reference_units, sample=True).source == "phu-tho.geojson"
    write_layout(tmp_path / "given.geojson", reference_units)
    assert geo.resolve_geometry(tmp_path / "given.geojson", reference_units).source == "given.geojson"
