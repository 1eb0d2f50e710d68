"""Reports for any period: year, month, quarter and self-assessment as of a date, for the
sample and for the recorded official responses; earlier periods come from the results store."""

import shutil
from argparse import Namespace
from pathlib import Path

import pytest

from chiso.errors import ChisoError, InputError
from chiso.period import Period
from chiso.report.data import build_report_data
from chiso.report.source_data import trend_periods
from chiso.report.request import ReportRequest
from chiso.report.text import cutoff_text, outlook_line
from chiso.results import ResultsStore

SCALE = "0.005"


def test_run_folders_are_named_after_the_period_and_cutoff():
    assert ReportRequest(year=2026).run_dir == Path("reports/2026")
    assert ReportRequest(year=2026, month=11).run_dir == Path("reports/2026-11")
    assert ReportRequest(year=2026, quarter=4, as_of="2026-12-15").run_dir == Path("reports/2026-Q4-den-2026-12-15")
    assert ReportRequest(year=2026, quarter=4, as_of="2026-12-15", edition="internal").run_dir == \
        Path("reports/2026-Q4-den-2026-12-15-noibo")


def cli_args(**given):
    values = {"period": None, "as_of": None, "year": 2026, "quarter": None, "month": None, "source": "sample",
              "edition": "public", "unit": None, "jobs": 1, "scale": "small", "out": "reports",
              "methodology": "qd766-2022", "force": False, "no_pdf": True, "geo": None, "generated_at": None}
    return Namespace(**{**values, **given})


@pytest.mark.parametrize("given, key", [
    ({"period": "2026"}, "2026"), ({"period": "2026-11"}, "2026-11"), ({"period": "2026-Q4"}, "2026-Q4"),
    ({"period": "2026-Q4", "as_of": "2026-12-15"}, "2026-Q4-den-2026-12-15"),
    ({"quarter": 2}, "2026-Q2"), ({"year": 2025}, "2025"), ({"month": 11}, "2026-11"),
])
def test_chiso_report_period_options(given, key):
    assert ReportRequest.from_args(cli_args(**given)).period.key == key


def test_period_with_quarter_is_refused():
    with pytest.raises(ChisoError, match="not both"):
        ReportRequest.from_args(cli_args(period="2026", quarter=2))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return tmp_path_factory.mktemp("results")


def test_year_report_shows_the_quarters_computed_once(tmp_path, store):
    first = ResultsStore(store)
    rd = build_report_data("sample", "2026", "qd766-2022", tmp_path / "a", scale=SCALE, store=first)
    assert rd.period == "2026" and rd.meta["period_kind"] == "year"
    assert rd.meta["periods"] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2026"]
    assert rd.meta["period_end"] == "31/12/2026" and cutoff_text(rd.meta) == "hết ngày 31/12/2026"
    assert sorted(first.computed) == sorted(rd.meta["periods"])
    # The next report (here a quarter's) reads the stored quarters instead of computing them.
    again = ResultsStore(store)
    q4 = build_report_data("sample", "2026-Q4", "qd766-2022", tmp_path / "b", scale=SCALE, store=again)
    assert again.computed == [] and sorted(again.hits) == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    # and the figures are the same ones
    year_q4 = rd.totals.query("period == '2026-Q4'").set_index("unit")["total"]
    assert (q4.current("totals").set_index("unit")["total"] == year_q4).all()


def test_month_report_and_self_assessment(tmp_path, store):
    month = build_report_data("sample", "2026-11", "qd766-2022", tmp_path / "m", scale=SCALE,
                              store=ResultsStore(store))
    assert month.period == "2026-11" and month.meta["periods"] == ["2026-08", "2026-09", "2026-10", "2026-11"]
    assert month.previous_period == "2026-10" and month.meta["period_label"] == "Tháng 11/2026"
    as_of = build_report_data("sample", Period.parse("2026-Q4", as_of="2026-12-15"), "qd766-2022", tmp_path / "q",
                              scale=SCALE, store=ResultsStore(store))
    assert as_of.period == "2026-Q4-den-2026-12-15" and as_of.previous_period == "2026-Q3"
    assert as_of.meta["as_of"] == "15/12/2026" and as_of.meta["period_end"] == "15/12/2026"
    assert cutoff_text(as_of.meta) == "hết ngày 15/12/2026 (tự đánh giá; kỳ kết thúc ngày 31/12/2026)"
    assert "tính đến 15/12/2026" in as_of.meta["period_label"]
    # computed from the sample's dossiers cut at the date (not the sample's whole-quarter official
    # responses), so each report says what can still move before the period ends
    assert as_of.meta["source_label"] == "Dữ liệu mẫu (hư cấu), tính theo dữ liệu hồ sơ"
    assert as_of.outlook is not None and as_of.outlook["max_drop"].gt(0).any()
    unit = as_of.outlook.loc[as_of.outlook["max_drop"].gt(0), "unit"].iloc[0]
    assert "có thể giảm tối đa" in outlook_line(as_of, unit)


def test_official_month_and_year_responses_are_read_alike(tmp_path, reference_dir):
    store = ResultsStore(tmp_path / "results")
    month = build_report_data(f"official:{reference_dir}", "2026-08", "qd766-2022", tmp_path / "m", store=store)
    assert month.period == "2026-08" and len(month.current("totals")) == 164
    # No year response was recorded: a folder named 2026 is read as the year's (here Q3's files).
    folder = tmp_path / "dvcqg"
    shutil.copytree(reference_dir / "2026-Q3", folder / "2026-Q3")
    shutil.copytree(reference_dir / "2026-Q3", folder / "2026")
    year = build_report_data(f"official:{folder}", "2026", "qd766-2022", tmp_path / "y", store=store)
    assert year.meta["periods"] == ["2026-Q3", "2026"]
    totals = year.totals.pivot(index="unit", columns="period", values="total")
    assert (totals["2026"] == totals["2026-Q3"]).all()
    with pytest.raises(InputError, match="no subfolder for 2026 .found: 2026-08, 2026-Q3"):
        build_report_data(f"official:{reference_dir}", "2026", "qd766-2022", tmp_path / "x", store=store)


def test_trend_periods_of_each_kind():
    assert [p.key for p in trend_periods(Period.parse("2026-Q1"))] == ["2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"]
    assert [p.key for p in trend_periods(Period.parse("2026"))][-5:] == \
        ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2026"]
