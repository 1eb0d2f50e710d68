"""A map file laid out like a real one, for the map tests: a GeoJSON of squares in
longitude/latitude (near 105° E, 21° N) whose attributes are real-world commune codes and
names — not the units' codes — so every match goes by name.

The features (one per commune of ``units``, in order, on a grid) differ from the units on
purpose:

- the second commune's name is spelled without diacritics and in upper case
  ("PHUONG NONG TRANG" for "UBND Phường Nông Trang"), the third without its kind
  ("Thanh Miếu" for "UBND Phường Thanh Miếu");
- the last commune (MISSING) has no feature: it must be listed as "no geometry";
- one extra feature (EXTRA_NAME) matches no unit: it must be reported.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from chiso.formatting import fold_diacritics

EXTRA_NAME = "Xã Không Thuộc Tỉnh"
COLUMNS = 12
STEP = 0.05  # degrees


def _square(i: int) -> list:
    x, y = 105.0 + STEP * (i % COLUMNS), 21.0 + STEP * (i // COLUMNS)
    return [[[x, y], [x + STEP, y], [x + STEP, y + STEP], [x, y + STEP], [x, y]]]


def real_world_name(name: str) -> str:
    """A unit's DVCQG name as a map file spells it: "UBND xã Lâm Thao - Tỉnh Phú Thọ" → "Xã Lâm Thao"."""
    name = name.split(" - ")[0].removeprefix("UBND ").strip()
    return name[:1].upper() + name[1:]


def layout(units: pd.DataFrame) -> tuple[list[dict], dict]:
    """The features and what the test expects: ``{"missing": code, "by_name": [codes...]}``."""
    communes = units[units["level"] == "commune"].reset_index(drop=True)
    features = []
    for i, (code, name) in enumerate(zip(communes["unit"], communes["name"])):
        if i == len(communes) - 1:
            break  # the missing commune
        shown = real_world_name(name)
        if i == 1:
            shown = fold_diacritics(shown).upper()
        elif i == 2:
            shown = shown.split(" ", 1)[1]
        features.append({"type": "Feature", "properties": {"ma_xa": f"{8800 + i:05d}", "ten_xa": shown},
                         "geometry": {"type": "Polygon", "coordinates": _square(i)}})
    features.append({"type": "Feature", "properties": {"ma_xa": "99999", "ten_xa": EXTRA_NAME},
                     "geometry": {"type": "Polygon", "coordinates": _square(len(communes) + COLUMNS)}})
    expected = {"missing": communes["unit"].iloc[-1], "matched": list(communes["unit"].iloc[:-1]),
                "plain": communes["unit"].iloc[1], "no_kind": communes["unit"].iloc[2]}
    return features, expected


def write_layout(path: Path, units: pd.DataFrame) -> dict:
    """Write the GeoJSON at ``path``; return what the test expects (see :func:`layout`)."""
    features, expected = layout(units)
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                    encoding="utf-8")
    return expected
