"""Output files: written whole or not at all (a full disk names the file), CSV cells neutralised."""

import errno
import os
from pathlib import Path

import pandas as pd
import pytest

from chiso import outputs
from chiso.outputs import OutputError, neutralised, replacing, write_bytes, write_csv


def disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_failed_write_keeps_the_previous_file_and_leaves_no_partial(tmp_path):
    target = tmp_path / "bang-xep-hang.xlsx"
    target.write_bytes(b"previous")
    with pytest.raises(OutputError, match=r"bang-xep-hang.xlsx: cannot write \(No space left on device\)"):
        with replacing(target) as partial:
            partial.write_bytes(b"half")
            disk_full()
    assert target.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bang-xep-hang.xlsx"]


def test_a_new_file_appears_only_whole(tmp_path):
    target = tmp_path / "sub" / "a.html"
    with replacing(target) as partial:
        partial.write_text("whole")
        assert not target.exists()                      # invisible until complete
    assert target.read_text() == "whole" and write_bytes(target, b"again").read_bytes() == b"again"


def test_an_error_wrapped_by_a_library_is_still_named(tmp_path):
    class LibraryError(Exception):
        pass

    with pytest.raises(OutputError, match="x.xlsx: cannot write"):
        with replacing(tmp_path / "x.xlsx"):
            try:
                disk_full()
            except OSError as error:
                raise LibraryError("could not close") from error


def test_other_errors_pass_through(tmp_path):
    with pytest.raises(ValueError):
        with replacing(tmp_path / "x.csv"):
            raise ValueError("a bug, not the disk")
    assert list(tmp_path.iterdir()) == []


def test_csv_cells_that_a_spreadsheet_would_evaluate_are_neutralised(tmp_path):
    """OWASP CSV injection: = + - @ tab CR at the start of a text cell get a leading apostrophe."""
    frame = pd.DataFrame({
        "unit": ["=HYPERLINK(\"http://x\",\"y\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "Sở A", None],
        "points": [1.5, -2.0, 0, 3, 4, 5, 6, 7],
    })
    out = pd.read_csv(write_csv(frame, tmp_path / "scores.csv"), keep_default_na=False)
    assert out["unit"].tolist()[:6] == ["'=HYPERLINK(\"http://x\",\"y\")", "'+1", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx"]
    assert out["unit"].tolist()[6:] == ["Sở A", ""]
    assert out["points"].tolist() == [1.5, -2.0, 0, 3, 4, 5, 6, 7]          # numbers stay numbers
    assert neutralised(pd.DataFrame({"=cmd": [1]})).columns.tolist() == ["'=cmd"]


def test_a_full_disk_under_score_official_is_one_line_naming_the_file(tmp_path, monkeypatch, capsys):
    from chiso.cli import main

    data = Path(__file__).parent / "data" / "dvcqg-phu-tho-2026" / "2026-Q3"
    out = tmp_path / "scores.csv"
    monkeypatch.setattr(pd.DataFrame, "to_csv", lambda self, path, **kw: disk_full())
    assert main(["score-official", str(data), "--out", str(out)]) == 2
    error = capsys.readouterr().err.strip()
    assert error == f"chiso score-official: error: {out}: cannot write (No space left on device)"
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_excel_on_a_full_disk_leaves_no_file(tmp_path, monkeypatch):
    from chiso.report.excel import write_excel
    from tiny_report import tiny_report_data

    monkeypatch.setattr("xlsxwriter.workbook.ZipFile.write", disk_full)
    with pytest.raises(OutputError, match="bang-xep-hang.xlsx: cannot write"):
        write_excel(tiny_report_data(), tmp_path / "bang-xep-hang.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_every_writer_of_the_reporting_side_goes_through_replacing():
    """One helper for every output: no direct write in the reporting modules or the CLI."""
    package = Path(outputs.__file__).parent
    direct = []
    for path in [package / "cli.py", *sorted((package / "report").glob("*.py"))]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if any(call in line for call in (".to_csv(", ".to_parquet(", "Workbook(")) and "partial" not in line:
                direct.append(f"{path.name}:{number}")
    assert direct == []
