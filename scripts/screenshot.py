#!/usr/bin/env python3
"""Screenshot a local HTML file in headless Chromium, offline (the site check).

Chromium comes from Debian (scripts/install-chromium.sh). Every run uses a fresh
profile folder and blocks host-name lookups, so the picture shows the page as it
renders with no network: a report that needed a web font or a CDN would show it.

    python scripts/screenshot.py reports/2026-Q2/xa-dong-hy.html shot.png --size 1280x2400
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser")


def find_chromium() -> str | None:
    """The Chromium binary: $CHROMIUM if set, else the first of CHROMIUM_NAMES on PATH
    (None when it is not installed)."""
    names = [os.environ["CHROMIUM"]] if os.environ.get("CHROMIUM") else CHROMIUM_NAMES
    return next(filter(None, (shutil.which(name) for name in names)), None)


def screenshot(html_path: str | Path, png_path: str | Path, width: int = 1280, height: int = 2000,
               timeout: float = 120) -> Path:
    """Load `html_path` in headless Chromium and save a width x height PNG at `png_path`."""
    chromium = find_chromium()
    if chromium is None:
        raise RuntimeError("chromium is not installed: run scripts/install-chromium.sh (as root)")
    html_path, png_path = Path(html_path).resolve(), Path(png_path).resolve()
    if not html_path.is_file():
        raise FileNotFoundError(html_path)
    png_path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="chiso-chromium-") as profile:
        command = [
            chromium,
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--hide-scrollbars",
            # Offline: every host name fails to resolve.
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={profile}",
            f"--screenshot={png_path}",
            f"--window-size={width},{height}",
            html_path.as_uri(),
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if not png_path.is_file():
        raise RuntimeError(f"chromium wrote no screenshot (exit {result.returncode}): {result.stderr.strip()[-500:]}")
    return png_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path)
    parser.add_argument("png", type=Path)
    parser.add_argument("--size", default="1280x2000", help="WIDTHxHEIGHT in CSS pixels (default 1280x2000)")
    args = parser.parse_args(argv)
    width, height = (int(n) for n in args.size.lower().split("x"))
    print(screenshot(args.html, args.png, width, height))
    return 0


if __name__ == "__main__":
    sys.exit(main())
