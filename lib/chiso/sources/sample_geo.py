"""A fictional map for the sample province: an invented outline split into its communes.

The sample province (:mod:`chiso.sources.sample`) is fictional, and so is its map — it
does not describe any real place. Like the rest of the sample it is deterministic (same
units, same seed: same map) and reports label it as fictional.

How it is drawn: the outline is a smooth irregular closed curve, r(θ) = 1 + Σ aₖ·cos(kθ + φₖ)
for k = 2…7 with decreasing random amplitudes; each commune gets a seed point — wards
(names starting with "Phường") packed around a town centre, communes spread over the rest —
the communes' points are evened out by a few steps of Lloyd's relaxation (each point moves to
its cell's centroid), and the outline is split into the points' Voronoi cells (shapely).
Coordinates are metres on a plane (about 110 km across), so the map goes through the same
matching and drawing as a province's real file (:func:`chiso.sources.geo.match_units`).

>>> geometry = sample_geometry(units)              # doctest: +SKIP
>>> geometry.fictional, len(geometry.missing_units)  # doctest: +SKIP
(True, 0)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from chiso.sources.geo import TERRITORIAL_LEVELS, Geometry, match_units

SEED = 766
SIZE = 55_000.0  # metres: the outline's mean radius
OUTLINE_POINTS = 720
HARMONICS = range(2, 8)
TOWN_RADIUS = 0.22  # the wards' area, as a share of SIZE
LLOYD_STEPS = 4
MEANDERS = 2  # sine waves per coordinate in the displacement field of the borders
MEANDER_SLOPE = 0.8  # the field's steepest possible slope (< 1 keeps borders from crossing)
SOURCE = "bản đồ hư cấu của tỉnh mẫu"
WARD_PREFIX = "Phường"


def sample_outline(rng: np.random.Generator) -> shapely.Polygon:
    """The province's invented outline (a smooth, irregular, star-shaped polygon)."""
    theta = np.linspace(0, 2 * np.pi, OUTLINE_POINTS, endpoint=False)
    radius = np.ones_like(theta)
    for k in HARMONICS:
        radius += rng.uniform(0.35, 0.7) / k**1.2 * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    radius = SIZE * np.clip(radius, 0.45, None)
    return shapely.Polygon(np.column_stack([radius * np.cos(theta), radius * np.sin(theta) * 1.15]))


def _points_inside(rng: np.random.Generator, area, n: int) -> np.ndarray:
    """n random points inside ``area`` (rejection sampling over its bounding box)."""
    xmin, ymin, xmax, ymax = area.bounds
    points = np.empty((0, 2))
    while len(points) < n:
        candidates = rng.uniform([xmin, ymin], [xmax, ymax], size=(4 * n, 2))
        inside = shapely.contains_xy(area, candidates[:, 0], candidates[:, 1])
        points = np.vstack([points, candidates[inside]])
    return points[:n]


def _cells(points: np.ndarray, outline) -> np.ndarray:
    """Each point's Voronoi cell within the outline, in the points' order."""
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(points), extend_to=outline, ordered=True))
    return shapely.intersection(cells, outline)


def sample_features(units: pd.DataFrame, seed: int = SEED) -> tuple[pd.DataFrame, np.ndarray]:
    """Features of the fictional map: attributes ``ma`` (unit code) and ``ten`` (name), and
    one polygon per unit with a territory, in the units' order."""
    rng = np.random.default_rng(seed)
    places = units[units["level"].isin(TERRITORIAL_LEVELS)].reset_index(drop=True)
    outline = sample_outline(rng)
    is_ward = places["name"].astype(str).str.startswith(WARD_PREFIX).to_numpy()
    # The town sits off-centre, where a river town would be.
    centre = shapely.Point(-0.25 * SIZE, 0.1 * SIZE)
    town = shapely.intersection(centre.buffer(TOWN_RADIUS * SIZE), outline)
    points = np.empty((len(places), 2))
    points[is_ward] = _points_inside(rng, town, int(is_ward.sum()))
    points[~is_ward] = _points_inside(rng, shapely.difference(outline, town.buffer(0.02 * SIZE)), int((~is_ward).sum()))
    for _ in range(LLOYD_STEPS):
        cells = _cells(points, outline)
        cells[is_ward] = shapely.intersection(cells[is_ward], town)  # wards stay packed in the town
        points = shapely.get_coordinates(shapely.centroid(cells))
    attributes = pd.DataFrame({"ma": places["unit"].astype("string"), "ten": places["name"].astype("string")})
    return attributes, _meandering(rng, _cells(points, outline))


def _meandering(rng: np.random.Generator, cells: np.ndarray) -> np.ndarray:
    """Straight Voronoi edges bent into meandering borders: every vertex (after adding one
    every SIZE/40) moves by the same smooth displacement field, so neighbours keep their
    shared borders. The field's slope stays well below 1: no border crosses another."""
    cells = shapely.segmentize(cells, SIZE / 40)
    waves = [(rng.uniform(3, 5) * 2 * np.pi / SIZE * np.array([np.cos(a), np.sin(a)]), rng.uniform(0, 2 * np.pi),
              rng.uniform(-1, 1, 2)) for a in rng.uniform(0, np.pi, 2 * MEANDERS)]
    amplitude = MEANDER_SLOPE / sum(float(np.hypot(*k)) for k, _, _ in waves)

    def bend(xy: np.ndarray) -> np.ndarray:
        shift = sum(np.sin(xy @ k + phase)[:, None] * direction for k, phase, direction in waves)
        return xy + amplitude * shift

    # On a 1 m grid, the two copies of a shared border (segmentized either way round) coincide.
    return shapely.set_precision(shapely.transform(cells, bend), 1.0)


def sample_geometry(units: pd.DataFrame, seed: int = SEED) -> Geometry:
    """The sample province's fictional map, matched to its units like a real file."""
    attributes, geometries = sample_features(units, seed)
    return match_units(attributes, geometries, units, source=SOURCE, fictional=True)
