"""The status codes of a sub-indicator row are written once, in chiso.status; every other
module names them (chiso.status.OK, …), so a renamed or new code cannot be missed."""

import ast
from pathlib import Path

import chiso
from chiso import status

LIBRARY = Path(chiso.__file__).parent
CODES = {status.OK, status.NO_DATA, status.NOT_SCORED, status.NOT_APPLICABLE}
# The same words with another meaning (status.OFFICIAL, "official", is also a source kind,
# a folder and a column suffix, so it is not searched for).
OTHER_MEANINGS = {
    ("report/engines.py", "ok"): "a Jupyter kernel's reply status",
    ("sources/sync.py", "no_data"): "a choice of the sync setting `unrated` (params/sync.yaml)",
    ("methodology.py", "not_scored"): "the methodology's rule name, RULE_NOT_SCORED",
}


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def test_status_codes_are_written_only_in_chiso_status():
    written = []
    for path in sorted(LIBRARY.rglob("*.py")):
        name = path.relative_to(LIBRARY).as_posix()
        if name == "status.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = _docstrings(tree)
        written += [f"{name}:{node.lineno}: {node.value!r}" for node in ast.walk(tree)
                    if isinstance(node, ast.Constant) and node.value in CODES and id(node) not in docstrings
                    and (name, node.value) not in OTHER_MEANINGS]
    assert not written, "status codes written as literals (use chiso.status):\n" + "\n".join(written)


def test_the_report_side_only_shows_the_codes():
    from chiso.report.status import NOT_APPLICABLE_NOTES, NOTES

    assert set(NOTES) <= set(status.STATUSES)
    assert set(NOT_APPLICABLE_NOTES) == {"full", "zero"}  # methodology setting commune_not_applicable
