"""The `chiso` command line: help texts, score-official output, one-line errors."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from chiso.cli import SCORE_COLUMNS, main
from conftest import REFERENCE


def test_help_for_every_command(capsys):
    for argv in (["--help"], ["fetch-official", "--help"], ["score-official", "--help"], ["compute", "--help"], ["reconcile", "--help"], ["sample", "--help"],
                 ["report", "--help"]):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 0
        assert "usage: chiso" in capsys.readouterr().out


def test_score_official_writes_the_required_columns(tmp_path):
    out = tmp_path / "scores.csv"
    assert main(["score-official", str(REFERENCE / "2026-Q3"), "--out", str(out)]) == 0
    table = pd.read_csv(out, dtype={"indicator": str})
    assert list(table.columns[:6]) == SCORE_COLUMNS
    assert table["unit"].nunique() == 164
    # one row per unit and computable sub-indicator: 2.2 and the children's 3.1–3.3 block are not
    # computable; the province's 3.1–3.3 are, from its counters (spec §5 R12)
    assert sorted(table["indicator"].unique()) == sorted(
        ["1.1", "1.2", "1.3", "1.4", "2.1", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "4.1", "4.2", "4.3", "4.4",
         "4.5", "4.6", "4.7", "5.1", "5.2", "5.3"]
    )
    assert set(table.loc[table["indicator"].isin(["3.1", "3.2", "3.3"]), "unit"]) == {"H44"}
    row = table[(table["unit"] == "H44.116") & (table["indicator"] == "2.1")].iloc[0]
    assert (row["numerator"], row["denominator"], row["points"], row["max_points"]) == (1889, 1996, 18.93, 20)


def test_error_is_one_line_without_traceback(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "chiso", "score-official", str(bad), "--out", str(tmp_path / "o.csv")],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "bad.json: truncated JSON" in result.stderr
    assert "Traceback" not in result.stderr


def test_debug_shows_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "chiso", "--debug", "score-official", str(tmp_path / "none.json"),
                             "--out", str(tmp_path / "o.csv")], capture_output=True, text=True)
    assert result.returncode != 0 and "Traceback" in result.stderr
