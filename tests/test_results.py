"""The results store (chiso.results): computed once, read back, keyed by everything that shapes a result."""

from pathlib import Path

import pandas as pd
import pandas.testing as pdt

from chiso.indicators import compute_scores
from chiso.methodology import load_methodology
from chiso.period import Period
from chiso.results import ResultsStore, engine_fingerprint
from chiso.sources.dossiers import load_dossiers

HANDMADE = Path(__file__).parent / "data" / "handmade"


def test_a_period_is_computed_once_and_read_back_identical(tmp_path):
    data = load_dossiers(HANDMADE)
    methodology = load_methodology("qd766-2022")
    calls = []

    def compute(period):
        calls.append(period.key)
        return compute_scores(data, period, methodology)

    store = ResultsStore(tmp_path)
    quarters = [Period.parse(f"2026-Q{q}") for q in (1, 2)]
    first = {p.key: store.fetch(data.fingerprint, methodology, p, lambda p=p: compute(p)) for p in quarters}
    # A second run (a year's report wanting the same quarters): nothing is computed again.
    again = ResultsStore(tmp_path)
    second = {p.key: again.fetch(data.fingerprint, methodology, p, lambda p=p: compute(p)) for p in quarters}
    assert calls == ["2026-Q1", "2026-Q2"] and again.hits == ["2026-Q1", "2026-Q2"] and again.computed == []
    for key in first:
        pdt.assert_frame_equal(first[key], second[key])


def test_the_key_holds_source_methodology_engine_and_cutoff(tmp_path):
    store = ResultsStore(tmp_path)
    national = load_methodology("qd766-2022")
    six_groups = load_methodology("dvcqg-2025")
    q4 = Period.parse("2026-Q4")
    as_of = Period.parse("2026-Q4", as_of="2026-12-15")
    paths = {
        store.path("a" * 64, national, q4), store.path("b" * 64, national, q4),
        store.path("a" * 64, six_groups, q4), store.path("a" * 64, national, as_of),
    }
    assert len(paths) == 4
    path = store.path("a" * 64, national, as_of)
    assert path.name == "2026-Q4-den-2026-12-15.parquet" and engine_fingerprint()[:16] in path.parts


def test_an_unreadable_stored_result_is_computed_again(tmp_path):
    store = ResultsStore(tmp_path)
    methodology = load_methodology("qd766-2022")
    period = Period.parse("2026-11")
    frame = pd.DataFrame({"unit": ["X"], "points": [1.5]})
    store.fetch("c" * 64, methodology, period, lambda: frame)
    store.path("c" * 64, methodology, period).write_bytes(b"PAR1 truncated")
    assert store.fetch("c" * 64, methodology, period, lambda: frame.assign(points=2.0))["points"].tolist() == [2.0]
    assert store.computed == ["2026-11", "2026-11"]
    # no temporary file is left behind
    assert [p.name for p in store.path("c" * 64, methodology, period).parent.iterdir()] == ["2026-11.parquet"]
