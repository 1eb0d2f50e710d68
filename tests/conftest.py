"""Shared fixtures: the real DVCQG reference responses copied into tests/data; the headless
Chromium screenshot of scripts/screenshot.py."""

import importlib.util
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


@pytest.fixture(scope="session")
def screenshot():
    """``screenshot(html_path, png_path, width, height)`` in Debian's Chromium, offline
    (scripts/screenshot.py); the test is skipped where Chromium is not installed."""
    from chiso.paths import PROJECT_ROOT

    spec = importlib.util.spec_from_file_location("screenshot", PROJECT_ROOT / "scripts" / "screenshot.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if module.find_chromium() is None:
        pytest.skip("chromium is not installed: run scripts/install-chromium.sh (as root) for the site check")
    return module.screenshot
