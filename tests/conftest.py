"""Shared fixtures: the real DVCQG reference responses copied into tests/data."""

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
REFERENCE = DATA / "dvcqg-phu-tho-2026"
REFERENCE_PERIODS = ("2026-08", "2026-Q3")


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    return REFERENCE


@pytest.fixture(scope="session", autouse=True)
def results_store(tmp_path_factory):
    """Computed periods go to a temporary results store, not the project's data/results."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHISO_RESULTS", str(tmp_path_factory.mktemp("results")))
        yield
