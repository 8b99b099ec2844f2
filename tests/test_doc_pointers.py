"""A pointer to a section of `docs/` (`docs/NAME.md, "Section"`) in the package, the
benchmarks, the README or pyproject.toml names a file and a heading that exist."""

from __future__ import annotations

import re

from tests.paths import ROOT

POINTER = re.compile(r"docs/([\w.-]+\.md)`?,?\s*\"([^\"]+)\"")


def _texts():
    files = [ROOT / "README.md", ROOT / "pyproject.toml", *sorted((ROOT / "unetcheck").rglob("*.py")),
             *sorted((ROOT / "benchmarks").rglob("*.py")), *sorted((ROOT / "docs").glob("*.md"))]
    for path in files:
        # One line, whatever the wrapping: a comment's or docstring's continuation joins the text.
        yield path, re.sub(r"\s*\n\s*(#\s*)?", " ", path.read_text())


def test_every_docs_section_pointer_names_a_heading_that_exists():
    found, missing = 0, []
    for path, text in _texts():
        for doc, section in POINTER.findall(text):
            found += 1
            target = ROOT / "docs" / doc
            headings = {line.lstrip("#").strip() for line in target.read_text().splitlines()
                        if line.startswith("#")} if target.is_file() else set()
            if section not in headings:
                missing.append(f"{path.relative_to(ROOT)}: docs/{doc}, {section!r}")
    assert found >= 3  # the pattern still finds the pointers it is for
    assert not missing, missing
