import pandas as pd
import pytest

from chiso.errors import ChisoError
from chiso.period import Period


def test_quarter_bounds():
    p = Period.parse("2026-Q2")
    assert p.start == pd.Timestamp("2026-04-01")
    assert p.end.date() == pd.Timestamp("2026-06-30").date() and p.end.hour == 23
    assert p.label_vi == "Quý 2/2026"


def test_month_and_year():
    assert Period.parse("2026-08").full_end.date().isoformat() == "2026-08-31"
    assert Period.parse("2026").start == pd.Timestamp("2026-01-01")


def test_as_of_inside_period():
    p = Period.parse("2026-Q2", as_of="2026-06-20")
    assert p.end.date().isoformat() == "2026-06-20"
    assert "20/06/2026" in p.label_vi
    with pytest.raises(ChisoError, match="outside period 2026-Q2"):
        Period.parse("2026-Q2", as_of="2026-07-02")


def test_previous_crosses_years():
    assert Period.parse("2026-Q1").previous().code == "2025-Q4"
    assert Period.parse("2026-01").previous(2).code == "2025-11"


@pytest.mark.parametrize("bad", ["2026-Q5", "Q2", "2026-13", "26-Q1"])
def test_bad_period(bad):
    with pytest.raises(ChisoError, match="not understood"):
        Period.parse(bad)
