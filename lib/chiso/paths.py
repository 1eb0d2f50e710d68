"""Where the project's data files live.

`params/` sits at the project root (next to `lib/`); an installed copy can point
elsewhere with the CHISO_PARAMS environment variable.
"""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def params_dir() -> Path:
    """The folder of methodology, province and column-mapping files."""
    return Path(os.environ.get("CHISO_PARAMS", PROJECT_ROOT / "params"))
