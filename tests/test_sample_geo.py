"""The sample province's fictional map (chiso.sources.sample_geo)."""

import pandas as pd
import pytest
import shapely

from chiso.sources import sample_geo
from chiso.sources.sample import generate_sample


@pytest.fixture(scope="module")
def units():
    sample = generate_sample(year=2026, scale=0.001, seed=766)
    donvi = sample["donvi"].to_pandas()
    levels = {"TINH": "province", "SO": "department", "XA": "commune"}
    return pd.DataFrame({"unit": donvi["MaDonVi"], "name": donvi["TenDonVi"], "level": donvi["Cap"].map(levels)})


def test_every_commune_has_a_shape_and_the_map_is_fictional(units):
    geometry = sample_geo.sample_geometry(units)
    communes = units.query("level == 'commune'")["unit"]
    assert list(geometry.shapes["unit"]) == list(communes)
    assert geometry.missing_units.empty and geometry.unmatched_features.empty
    assert geometry.fictional and "hư cấu" in geometry.source


def test_communes_tile_the_outline_without_gaps_or_overlaps(units):
    shapes = sample_geo.sample_geometry(units).shapes["geometry"].to_numpy()
    assert shapely.is_valid(shapes).all()
    assert shapely.coverage_is_valid(shapes)
    whole = shapely.union_all(shapes)
    assert whole.geom_type == "Polygon" and len(whole.interiors) == 0  # one piece, no hole
    assert sum(s.area for s in shapes) == pytest.approx(whole.area, rel=1e-6)
    # Wards (the town) are smaller than communes, as in a real province.
    wards = units.query("level == 'commune'")["name"].str.startswith("Phường").to_numpy()
    areas = shapely.area(shapes)
    assert areas[wards].mean() < areas[~wards].mean() / 2


def test_the_same_units_give_the_same_map(units):
    first, second = (sample_geo.sample_geometry(units).shapes["geometry"] for _ in range(2))
    assert all(a.equals_exact(b, 0) for a, b in zip(first, second))
