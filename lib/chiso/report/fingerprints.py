"""Fingerprints that decide whether a report is current: sha256 of the code, the report data,
the input files, and the versions of the tools that shape a report."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
import shutil
import subprocess
from pathlib import Path

from chiso import __version__
from chiso.paths import PACKAGE_DIR

# Keys of meta.json that change on every build without changing any figure.
VOLATILE_META_KEYS = ("generated_at",)
# Distributions whose version goes into the manifest and into every unit's key.
VERSIONED_PACKAGES = ("pandas", "numpy", "pyarrow", "matplotlib", "papermill", "nbclient", "nbconvert",
                      "nbformat", "ipykernel", "jinja2", "typst", "pypandoc-binary", "xlsxwriter", "openpyxl")


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_text(text: str) -> str:
    return _sha256_bytes(text.encode("utf-8"))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def code_fingerprint() -> str:
    """sha256 over the chiso package's files (sources, templates, fonts): the code that
    makes a report. Caches (``__pycache__``) are left out."""
    package = PACKAGE_DIR
    digest = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + bytes.fromhex(sha256_file(path)))
    return digest.hexdigest()


def data_files(data_dir: Path) -> dict[str, str]:
    """sha256 of every file of the report data; meta.json without its build time, so
    that rebuilding identical figures gives identical fingerprints.

    >>> data_files(Path("reports/2026-Q2/_data"))                        # doctest: +SKIP
    {'groups.parquet': '5f0c…', 'indicators.parquet': '9ab1…', 'meta.json': '03d4…', …}
    """
    hashes = {}
    for path in sorted(p for p in data_dir.iterdir() if p.is_file()):
        if path.name == "meta.json":
            meta = json.loads(path.read_text(encoding="utf-8"))
            stable = {k: v for k, v in meta.items() if k not in VOLATILE_META_KEYS}
            hashes[path.name] = sha256_text(json.dumps(stable, sort_keys=True, ensure_ascii=False))
        else:
            hashes[path.name] = sha256_file(path)
    return hashes


def input_files(source: str, scale: str, year: int) -> dict[str, str]:
    """sha256 of every file in the source's folder (``dossiers:DIR``, ``official:DIR``, or
    the sample folder), by path relative to it; {} when the folder does not exist.

    >>> input_files("official:tests/data/dvcqg-phu-tho-2026", "small", 2026)   # doctest: +SKIP
    {'2026-08/dvc-progress-tree.json': '6c1f…', …}
    """
    from chiso.paths import sample_folder

    kind, _, location = source.partition(":")
    folder = sample_folder(scale, year) if kind == "sample" else Path(location)
    if not folder.is_dir():
        return {}
    return {str(path.relative_to(folder)): sha256_file(path)
            for path in sorted(folder.rglob("*")) if path.is_file()}


def tool_versions() -> dict[str, str | None]:
    """Versions of Python, chiso, the libraries and the external tools that shape a report."""
    versions: dict[str, str | None] = {"python": platform.python_version(), "chiso": __version__}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    try:
        import pypandoc

        versions["pandoc"] = pypandoc.get_pandoc_version()
    except (ImportError, OSError, RuntimeError):
        versions["pandoc"] = None
    versions["quarto"] = _command_version("quarto", "--version")
    return versions


def _command_version(*command: str) -> str | None:
    if shutil.which(command[0]) is None:
        return None
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return out.strip().splitlines()[0] if out.strip() else None
