"""A quarter's and the year's figures for the same dossiers agree (sample province, 2026).

Each dossier received in the year is received in exactly one quarter, and is judged in
exactly one quarter: the one in which it ends (still open at the end of the year: Q4). Judged
there, its on-time verdict (2.1) is the year's, so the year's 2.1 counts over the dossiers
received in the year are the sums of the quarters'.
"""

import numpy as np
import pandas as pd
import pytest

from chiso.indicators import dossier_outcomes
from chiso.methodology import load_methodology
from chiso.period import Period
from chiso.sources.dossiers import load_dossiers
from chiso.sources.sample import write_sample

YEAR = Period.parse("2026")


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sample")
    write_sample(folder, year=2026, scale=0.02, seed=11)
    data = load_dossiers(folder)
    methodology = load_methodology("qd766-2022")
    return (dossier_outcomes(data, YEAR, methodology),
            {q.key: dossier_outcomes(data, q, methodology) for q in YEAR.parts()})


def test_each_dossier_received_in_the_year_is_received_in_exactly_one_quarter(outcomes):
    year, quarters = outcomes
    received = year.loc[year["received_in_period"], "MaHoSo"]
    per_quarter = pd.concat([q.loc[q["received_in_period"], "MaHoSo"] for q in quarters.values()])
    assert not per_quarter.duplicated().any()
    assert set(per_quarter) == set(received) and len(received) > 1000


def test_the_years_on_time_counts_are_the_quarters_for_dossiers_received_in_the_year(outcomes):
    year, quarters = outcomes
    in_year = year[year["received_in_period"]].set_index("MaHoSo")
    judged = []
    for key, q in quarters.items():
        period = Period.parse(key)
        ends_here = q["finished"] & q["end"].between(period.start, period.end)
        if key == YEAR.parts()[-1].key:
            ends_here |= ~q["finished"]  # still open at the end of the year
        judged.append(q[ends_here & q["MaHoSo"].isin(in_year.index)].assign(quarter=key))
    judged = pd.concat(judged).set_index("MaHoSo")
    assert not judged.index.duplicated().any()  # judged in exactly one quarter
    assert set(judged.index) == set(in_year.index)
    # 2.1 over the dossiers received in the year: denominator and numerator add up
    assert len(judged) == len(in_year)
    assert int(judged["on_time"].sum()) == int(in_year["on_time"].sum())
    # and dossier by dossier: the same verdict, the same counted end
    aligned = judged.loc[in_year.index]
    assert (aligned["on_time"].to_numpy() == in_year["on_time"].to_numpy()).all()
    assert (aligned["counted_end"].to_numpy() == in_year["counted_end"].to_numpy()).all()
    assert 0 < int((~in_year["on_time"]).sum()) < len(in_year)
