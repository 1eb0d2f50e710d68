"""Reconciliation of computed and official figures, end to end through the CLI."""

import json
import shutil

import pandas as pd
import pytest

from chiso.cli import main
from chiso.errors import ChisoError
from chiso.reconcile import reconcile
from conftest import DATA, REFERENCE


def _scored(rows):
    return pd.DataFrame(rows, columns=["unit", "unit_name", "indicator", "numerator", "denominator", "points",
                                       "status"])


def test_differences_per_unit_and_indicator():
    computed = _scored([("X", "Xã X", "2.1", 90, 100, 18.0, "ok"), ("X", "Xã X", "1.4", 5, 5, 6.0, "ok"),
                        ("X", "Xã X", "2.2", 30, 10, 0.0, "not_scored")])
    official = _scored([("X", None, "2.1", 88, 100, 17.6, "ok"), ("X", None, "1.4", 5, 5, 6.0, "ok"),
                        ("X", None, "3.1-3.3", None, None, 6.2, "official, not recomputed")])
    table = reconcile(computed, official).set_index("indicator")
    assert list(table.index) == ["2.1", "1.4"]
    assert table.loc["2.1", "numerator_difference"] == 2 and not table.loc["2.1", "matches"]
    assert table.loc["1.4", "matches"]


def test_no_common_unit_is_a_clear_error():
    with pytest.raises(ChisoError, match="no unit code is common"):
        reconcile(_scored([("A", "A", "2.1", 1, 1, 20.0, "ok")]), _scored([("B", None, "2.1", 1, 1, 20.0, "ok")]))


def test_cli_against_the_reference_responses(tmp_path):
    # The hand-made export's units renamed to codes of the reference province.
    data = tmp_path / "data"
    shutil.copytree(DATA / "handmade", data)
    for name in ("donvi.csv", "hoso.csv", "pakn.csv"):
        path = data / name
        path.write_text(path.read_text(encoding="utf-8").replace("T00.101", "H44.116").replace("T00", "H44"),
                        encoding="utf-8")
    out = tmp_path / "reconcile.csv"
    assert main(["reconcile", "--data", str(data), "--official", str(REFERENCE / "2026-Q3"), "--period", "2026-Q2",
                 "--out", str(out)]) == 0
    table = pd.read_csv(out, dtype={"indicator": str}).set_index(["unit", "indicator"])
    row = table.loc[("H44.116", "2.1")]
    assert (row["numerator_computed"], row["denominator_computed"]) == (2, 3)
    assert (row["numerator_official"], row["denominator_official"]) == (1889, 1996)
    assert not row["matches"]


def test_no_data_on_one_side_is_not_a_match():
    computed = _scored([("X", "Xã X", "3.6", None, None, None, "no_data"), ("X", "Xã X", "4.5", None, None, 2.0, "ok")])
    official = _scored([("X", None, "3.6", 10, 100, 0.6, "ok"), ("X", None, "4.5", None, None, 2.0, "ok")])
    table = reconcile(computed, official).set_index("indicator")
    assert not table.loc["3.6", "matches"]
    assert table.loc["4.5", "matches"]  # ratio-only on both sides, same points
