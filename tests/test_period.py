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


@pytest.mark.parametrize("options, key", [
    ({"year": 2026}, "2026"),
    ({"year": 2026, "month": 11}, "2026-11"),
    ({"year": 2026, "quarter": 4}, "2026-Q4"),
    ({"year": 2026, "quarter": 4, "as_of": "2026-12-15"}, "2026-Q4-den-2026-12-15"),
    ({"year": 2026, "as_of": "2026-12-20"}, "2026-den-2026-12-20"),
])
def test_make_variables_name_the_period_and_its_folder(options, key):
    period = Period.from_options(**options)
    assert period.key == key
    assert Period.parse(key) == period  # a folder name reads back as the same period


def test_make_variables_rejected_with_one_line():
    with pytest.raises(ChisoError, match="not both"):
        Period.from_options(2026, quarter=1, month=2)
    with pytest.raises(ChisoError, match="quarter 5"):
        Period.from_options(2026, quarter=5)
    with pytest.raises(ChisoError, match="as-of date 'tomorrow' not understood"):
        Period.from_options(2026, quarter=4, as_of="tomorrow")
    with pytest.raises(ChisoError, match="outside period 2026-11"):
        Period.from_options(2026, month=11, as_of="2026-12-01")


def test_cutoff_is_stated():
    assert Period.parse("2026-Q4", as_of="2026-12-15").cutoff_label == "số liệu tính đến hết ngày 15/12/2026"
    assert Period.parse("2026").cutoff_label == "số liệu tính đến hết ngày 31/12/2026"
    assert Period.parse("2026-Q4-den-2026-12-15").whole.key == "2026-Q4"


def test_parts_of_a_year_and_a_quarter():
    assert [p.code for p in Period.parse("2026").parts()] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert [p.code for p in Period.parse("2026-Q4").parts()] == ["2026-10", "2026-11", "2026-12"]
    assert Period.parse("2026-11").parts() == []
    # A self-assessment: parts after the cut-off are left out, the one holding it is cut.
    parts = Period.parse("2026", as_of="2026-12-15").parts()
    assert [p.key for p in parts] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4-den-2026-12-15"]
    # The parts tile the period: each instant in exactly one part.
    year = Period.parse("2026")
    for before, after in zip(year.parts(), year.parts()[1:]):
        assert before.end + pd.Timedelta(microseconds=1) == after.start
    assert year.parts()[0].start == year.start and year.parts()[-1].end == year.end
    assert all(year.contains(p) for p in year.parts())
