"""No function of the package runs over 60 lines (its docstring included) unless its
docstring gives the reason in a line starting "Length:"."""

from __future__ import annotations

import ast

from tests.paths import ROOT

LIMIT = 60


def test_no_function_over_60_lines_without_a_reason():
    long, seen = [], 0
    for path in sorted((ROOT / "unetcheck").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                seen += 1
                lines = node.end_lineno - node.lineno + 1
                reason = any(line.strip().startswith("Length:") for line in (ast.get_docstring(node) or "").splitlines())
                if lines > LIMIT and not reason:
                    long.append(f"{path.relative_to(ROOT)}: {node.name} ({lines} lines)")
    assert seen > 300  # the walk still reaches the package's functions
    assert not long, long
