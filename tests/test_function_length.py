"""No function of the package, of its tools or of its benchmarks holds more than 45 lines of
code: its docstring, blank lines and comments not counted, and no excuse taken."""

from __future__ import annotations

import ast
import io
import tokenize

from tests.paths import ROOT

LIMIT = 45
FOLDERS = ("unetcheck", "tools", "benchmarks")


def code_lines(source: str, node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """The lines of `node` after its docstring that hold a token of code (not a comment)."""
    body = (
        node.body[1:]
        if (node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant))
        else node.body
    )
    if not body:
        return 0
    first, last = body[0].lineno, body[-1].end_lineno
    lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if first <= token.start[0] <= last and token.type not in (
            tokenize.COMMENT,
            tokenize.NL,
            tokenize.NEWLINE,
            tokenize.INDENT,
            tokenize.DEDENT,
        ):
            lines.update(range(token.start[0], token.end[0] + 1))
    return len(lines)


def test_counting_leaves_out_the_docstring_blank_lines_and_comments():
    source = 'def f():\n    """Doc.\n\n    More."""\n    x = 1\n\n    # why\n    return (x +\n            1)\n'
    assert code_lines(source, ast.parse(source).body[0]) == 3


def test_no_function_holds_more_than_45_lines_of_code():
    long, seen = [], 0
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            source = path.read_text()
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    seen += 1
                    if code_lines(source, node) > LIMIT:
                        long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({code_lines(source, node)})")
    assert seen > 300  # the walk still reaches the package's functions
    assert not long, long


def test_no_docstring_excuses_a_length():
    excuses = [
        f"{path.relative_to(ROOT)}: {line.strip()}"
        for folder in FOLDERS
        for path in sorted((ROOT / folder).rglob("*.py"))
        for line in path.read_text().splitlines()
        if line.strip().startswith("Length:")
    ]
    assert not excuses, excuses
