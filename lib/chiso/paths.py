"""Where chiso's files live: the project's data and parameters, and the layout of a run folder.

`params/` sits at the project root (next to `lib/`); an installed copy can point
elsewhere with the CHISO_PARAMS environment variable. What chiso makes for itself lives
under `data/`: ``sample/`` (generated sample provinces), ``official/<province>/`` (DVCQG
responses fetched by ``fetch-official`` and ``SOURCE=dvcqg:``), ``results/`` (the results
store; CHISO_RESULTS moves it) and ``bench/`` (the benchmarks' scratch data).

A run folder (``reports/2026-Q2/``, :class:`RunFolder`) reads at a glance: what is
published at the top, the units' reports in one sub-folder, the working files in others::

    index.html             the static site: every unit with score, band and links
    tong-hop.html .pdf     the province summary
    bang-xep-hang.xlsx     the ranking and enforcement maps
    manifest.json          parameters, fingerprints, versions, per-report status, timings
    don-vi/<code>.html .pdf   one report per unit
    _data/                 the report data every report of the run reads
    _work/<name>/          a report's executed notebook (<name>.ipynb) and key (.chiso-key.json)
    _stale/                reports of an earlier run that this run did not vouch for

The internal edition goes to ``reports/2026-Q2-noibo/`` (same layout), never published.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
TEMPLATES_DIR = Path(__file__).resolve().parent / "report" / "templates"
PACKAGE_DIR = Path(__file__).resolve().parent
DATA_ROOT = PROJECT_ROOT / "data"
SAMPLE_ROOT = DATA_ROOT / "sample"      # the generated sample provinces
OFFICIAL_ROOT = DATA_ROOT / "official"  # where SOURCE=dvcqg:PROVINCE and fetch-official keep their fetches
RESULTS_ROOT = DATA_ROOT / "results"    # the results store (chiso.results); CHISO_RESULTS moves it
BENCH_ROOT = DATA_ROOT / "bench"        # the benchmarks' scratch data
SAMPLE_SEED = 766
REPORTS_ROOT = Path("reports")
INTERNAL_SUFFIX = "-noibo"

# A unit code names its report files (<code>.html): a file name holds at most 255 bytes;
# real codes (H44.19, 000.00.20.H44) are far shorter.
MAX_CODE_CHARACTERS = 64

SUMMARY_NAME = "tong-hop"
SITE_NAME = "index.html"
EXCEL_NAME = "bang-xep-hang.xlsx"
MANIFEST_NAME = "manifest.json"
UNITS_DIR_NAME = "don-vi"
DATA_DIR_NAME = "_data"
WORK_DIR_NAME = "_work"
STALE_DIR_NAME = "_stale"
LOCK_NAME = ".chiso-lock"
KEY_NAME = ".chiso-key.json"
RUNNING_NAME = ".chiso-running"  # in a report's working folder while a worker makes it
META_NAME = "meta.json"


def params_dir() -> Path:
    """The folder of methodology, province and column-mapping files."""
    return Path(os.environ.get("CHISO_PARAMS", PROJECT_ROOT / "params"))


def results_root() -> Path:
    """The results store's folder: ``data/results``, or the folder ``CHISO_RESULTS`` names."""
    return Path(os.environ.get("CHISO_RESULTS", RESULTS_ROOT))


def sample_folder(scale: str, year: int) -> Path:
    """Where the sample province of a year and scale lives: ``data/sample/<year>-<scale>-766``.

    >>> sample_folder("small", 2026).relative_to(PROJECT_ROOT).as_posix()
    'data/sample/2026-small-766'
    """
    return SAMPLE_ROOT / f"{year}-{scale}-{SAMPLE_SEED}"


def run_folder(out: Path, period_key: str, edition: str) -> Path:
    """``<out>/2026-Q2`` (public) or ``<out>/2026-Q2-noibo`` (internal).

    >>> run_folder(Path("reports"), "2026-Q2", "internal").as_posix()
    'reports/2026-Q2-noibo'
    """
    return Path(out) / f"{period_key}{INTERNAL_SUFFIX if edition == 'internal' else ''}"


def portable_path(path: str | Path) -> str:
    """A path as the published manifest shows it: relative to the project root when inside
    it (``params/methodology/qd766-2022.yaml``), else its name only — never the machine's folders.

    >>> portable_path(PROJECT_ROOT / "params" / "x.yaml"), portable_path("/home/an/du-lieu/2026")
    ('params/x.yaml', '2026')
    >>> portable_path("reports")
    'reports'
    """
    path = Path(path)
    if not path.is_absolute():
        return path.as_posix()
    path = path.resolve()
    return path.relative_to(PROJECT_ROOT).as_posix() if path.is_relative_to(PROJECT_ROOT) else path.name


@dataclass(frozen=True)
class RunFolder:
    """The layout of one run folder (see the module docstring).

    >>> run = RunFolder(Path("reports/2026-Q2"))
    >>> run.report("H44.19", "pdf").as_posix(), run.report(SUMMARY_NAME, "html").as_posix()
    ('reports/2026-Q2/don-vi/H44.19.pdf', 'reports/2026-Q2/tong-hop.html')
    >>> run.key_file("H44.19").as_posix()
    'reports/2026-Q2/_work/H44.19/.chiso-key.json'
    """

    root: Path

    # Names a unit code may not take: a unit's files must never replace the run's own.
    RESERVED = (SUMMARY_NAME, DATA_DIR_NAME, WORK_DIR_NAME, STALE_DIR_NAME, UNITS_DIR_NAME)

    @property
    def site(self) -> Path:
        return self.root / SITE_NAME

    @property
    def excel(self) -> Path:
        return self.root / EXCEL_NAME

    @property
    def manifest(self) -> Path:
        return self.root / MANIFEST_NAME

    @property
    def lock(self) -> Path:
        return self.root / LOCK_NAME

    @property
    def data_dir(self) -> Path:
        return self.root / DATA_DIR_NAME

    @property
    def units_dir(self) -> Path:
        return self.root / UNITS_DIR_NAME

    @property
    def stale_dir(self) -> Path:
        return self.root / STALE_DIR_NAME

    def report_dir(self, name: str) -> Path:
        """Where a report is published: the summary at the top, a unit's in ``don-vi/``."""
        return self.root if name == SUMMARY_NAME else self.units_dir

    def report(self, name: str, fmt: str) -> Path:
        return self.report_dir(name) / f"{name}.{fmt}"

    def work_dir(self, name: str) -> Path:
        """A report's working folder: its executed notebook, key and scratch files."""
        return self.root / WORK_DIR_NAME / name

    def notebook(self, name: str) -> Path:
        return self.work_dir(name) / f"{name}.ipynb"

    def key_file(self, name: str) -> Path:
        return self.work_dir(name) / KEY_NAME
