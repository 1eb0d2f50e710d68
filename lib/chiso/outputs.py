"""Writing output files: whole or not at all, and safe to open in a spreadsheet.

Every file chiso writes goes through :func:`replacing`: it is written under a temporary
name in the same folder, then renamed over the target (atomic on one file system). A
reader never sees half a file, and a full disk or a read-only folder never leaves a
0-byte ``bang-xep-hang.xlsx`` behind: the error is one line naming the file
(:class:`OutputError`), and the previous version of the file, if any, stays as it was.

CSV files (:func:`write_csv`) are also neutralised against formula injection, as OWASP
recommends: a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return gets a leading apostrophe, so that a spreadsheet shows it as text instead of
evaluating it. Numbers (including negative ones) are left as numbers.

>>> neutralise_cell("=HYPERLINK(\\"http://x\\")"), neutralise_cell("-1.5"), neutralise_cell("Sở Tư pháp")
('\\'=HYPERLINK("http://x")', "'-1.5", 'Sở Tư pháp')
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from chiso.errors import ChisoError

if TYPE_CHECKING:
    import pandas as pd

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


class OutputError(ChisoError):
    """An output file cannot be written (disk full, no permission, ...): the message names it."""


def _is_os_error(error: BaseException) -> OSError | None:
    """The OSError behind ``error`` (libraries such as xlsxwriter wrap it), if any."""
    while error is not None:
        if isinstance(error, OSError):
            return error
        error = error.__cause__ or error.__context__
    return None


def output_error(target: Path, error: BaseException) -> OutputError:
    """One line naming the file: "reports/2026-Q2/bang-xep-hang.xlsx: cannot write (No space left on device)"."""
    cause = _is_os_error(error) or error
    reason = getattr(cause, "strerror", None) or str(cause) or type(cause).__name__
    return OutputError(f"{target}: cannot write ({reason})")


@contextmanager
def replacing(target: str | Path) -> Iterator[Path]:
    """A temporary path to write ``target``'s new content to; renamed over ``target`` when the
    block ends without error, removed otherwise. OSError (also wrapped) -> OutputError.

    >>> with replacing(tmp / "a.txt") as part:                          # doctest: +SKIP
    ...     part.write_text("whole or nothing")
    """
    target = Path(target)
    partial = target.with_name(f".{target.stem}.{os.getpid()}.part{target.suffix}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        yield partial
        os.replace(partial, target)
    except Exception as error:
        if _is_os_error(error) is not None and not isinstance(error, ChisoError):
            raise output_error(target, error) from error
        raise
    finally:
        partial.unlink(missing_ok=True)


def write_text(target: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``target`` through :func:`replacing`."""
    return write_bytes(target, text.encode("utf-8"))


def write_bytes(target: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` through :func:`replacing`."""
    with replacing(target) as partial:
        partial.write_bytes(data)
    return Path(target)


def neutralise_cell(value: object) -> object:
    """A text value a spreadsheet would evaluate as a formula, prefixed with ``'``; others unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell passed through :func:`neutralise_cell` (headers too)."""
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[column]) or pd.api.types.is_bool_dtype(out[column])):
            out[column] = out[column].map(neutralise_cell)
    out.columns = [neutralise_cell(c) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, target: str | Path) -> Path:
    """Write ``frame`` as CSV (no index), neutralised and through :func:`replacing`.

    Lines end with CRLF as RFC 4180 says: a cell holding a carriage return is then
    quoted, so that no reader takes it for the end of a row.
    """
    with replacing(target) as partial:
        neutralised(frame).to_csv(partial, index=False, lineterminator="\r\n")
    return Path(target)
