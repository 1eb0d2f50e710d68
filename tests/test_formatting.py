"""Vietnamese number and date formats (chiso.formatting)."""

import math

import pandas as pd
import pytest

from chiso import formatting as fmt


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (1234.5, 2, "1.234,50"),
        (0.0, 2, "0,00"),
        (2.675, 2, "2,68"),  # half up, as the portal rounds (not half even, not binary noise)
        (1234567, 0, "1.234.567"),
        (99.16, 2, "99,16"),
        (-0.5, 2, "-0,50"),
    ],
)
def test_number(value, decimals, text):
    assert fmt.number(value, decimals) == text


@pytest.mark.parametrize("missing", [None, math.nan, pd.NA, pd.NaT])
def test_missing_is_a_dash_never_zero(missing):
    assert fmt.number(missing) == fmt.integer(missing) == fmt.percent(missing) == fmt.signed(missing) == "—"
    assert fmt.date(missing) == fmt.date_time(missing) == "—"


def test_percent_signed_days_dates():
    assert fmt.percent(0.958) == "95,80%"
    assert fmt.percent(1) == "100,00%"
    assert fmt.signed(9.16) == "+9,16"
    assert fmt.signed(-0.6700000000000017) == "−0,67"
    assert fmt.signed(0.0) == "0,00"
    assert fmt.days(4.25) == "4,3 ngày"
    assert fmt.date(pd.Timestamp("2026-04-03 14:05")) == "03/04/2026"
    assert fmt.date_time("2026-04-03 14:05") == "03/04/2026 14:05"
