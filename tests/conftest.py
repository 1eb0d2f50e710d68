"""Shared fixtures: the real DVCQG reference responses copied into tests/data."""

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
REFERENCE = DATA / "dvcqg-phu-tho-2026"
REFERENCE_PERIODS = ("2026-08", "2026-Q3")


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    return REFERENCE
