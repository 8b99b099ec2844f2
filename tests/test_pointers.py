"""Every pointer in the project leads somewhere: a repository path, a README section or a
`unetcheck.` name named in the README, `docs/`, a docstring or a comment exists."""

from __future__ import annotations

import functools
import importlib
import os
import re
import warnings
from pathlib import Path

from tests.paths import ROOT

#: Folders and files at the repository's top that a path may start with.
TOP = ("unetcheck", "tests", "tools", "docs", "examples", "benchmarks", "fixtures", ".ci")
PATH = re.compile(r"(?<![\w./-])((?:{})/[\w./-]*[\w/])".format("|".join(re.escape(t) for t in TOP)))
#: A placeholder in a path pattern (`examples/NAME/`, `docs/*.md`): a pattern, not a pointer.
PLACEHOLDER = re.compile(r"[A-Z]{3,}|[*{<]")
DOCS_SECTION = re.compile(r"docs/([\w.-]+\.md)`?,?\s*\"([^\"]+)\"")
README_SECTION = re.compile(r"README(?:'s)?(?:\.md)?`?(?:,\s*|\s+(?:section\s+)?)\"([^\"]+)\"")
# A dotted name (`unetcheck.metrics.fingerprint`), not a check's message prefix ("[unetcheck.NAME]")
# nor the per-image file format's name ("unetcheck.per_image/3").
DOTTED = re.compile(r"(?<![\w.\[])(unetcheck(?:\.\w+)+)(?![\w/])")


@functools.cache
def _files() -> tuple:
    """The project's text files: everything but environments, caches, outputs and goldens
    (whose folders are never entered: the environments alone hold some 100,000 files)."""
    skipped = {".git", ".nox", "__pycache__", ".pytest_cache", ".hypothesis", "out", "build", "fixtures"}
    files = []
    for folder, subfolders, names in os.walk(ROOT):
        subfolders[:] = [
            d for d in subfolders if not (d in skipped or d.startswith(".venv") or d.endswith(".egg-info"))
        ]
        files += [
            Path(folder) / name
            for name in names
            if Path(name).suffix in (".py", ".md", ".toml", ".ini", ".txt", ".cfg") or name in ("Makefile", "run")
        ]
    return tuple(sorted(files))


def _text(path) -> str:
    # One line, whatever the wrapping: a comment's or docstring's continuation joins the text.
    return re.sub(r"\s*\n\s*(#\s*)?", " ", path.read_text())


def test_every_repository_path_named_exists():
    found, missing = 0, []
    for path in _files():
        for target in PATH.findall(path.read_text()):
            if PLACEHOLDER.search(target):
                continue
            found += 1
            if not (ROOT / target.rstrip(".")).exists():
                missing.append(f"{path.relative_to(ROOT)}: {target}")
    assert found > 50  # the pattern still finds the pointers it is for
    assert not missing, missing


def _headings(path) -> set[str]:
    return {line.lstrip("#").strip() for line in path.read_text().splitlines() if line.startswith("#")}


def test_every_readme_section_named_exists():
    headings = _headings(ROOT / "README.md")
    missing = [
        f"{path.relative_to(ROOT)}: {section!r}"
        for path in _files()
        for section in README_SECTION.findall(_text(path))
        if section not in headings
    ]
    assert not missing, missing


def test_every_docs_section_named_exists():
    found, missing = 0, []
    for path in _files():
        for doc, section in DOCS_SECTION.findall(_text(path)):
            found += 1
            target = ROOT / "docs" / doc
            if not target.is_file() or section not in _headings(target):
                missing.append(f"{path.relative_to(ROOT)}: docs/{doc}, {section!r}")
    assert found >= 5  # the pattern still finds the pointers it is for
    assert not missing, missing


def test_no_pointer_to_a_file_outside_the_repository():
    # The design notes this project was built from live outside it; a reader cannot open them.
    outside = [
        f"{path.relative_to(ROOT)}"
        for path in _files()
        if path.name != "test_pointers.py" and re.search(r"\bDESIGN\b", path.read_text())
    ]
    assert not outside, outside


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    if "__main__" in parts:  # importing it would run the command line: the file is enough
        return ROOT.joinpath(*parts).with_suffix(".py").is_file()
    for cut in range(len(parts), 0, -1):
        try:
            with warnings.catch_warnings():  # an old path named on purpose (unetcheck/_moved.py) still resolves
                warnings.simplefilter("ignore", DeprecationWarning)
                obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(obj, name):
                return False
            obj = getattr(obj, name)
        return True
    return False


def test_every_unetcheck_name_named_exists():
    names = {(path, dotted.rstrip(".")) for path in _files() for dotted in DOTTED.findall(path.read_text())}
    missing = sorted(
        f"{path.relative_to(ROOT)}: {dotted}"
        for path, dotted in names
        if "NAME" not in dotted
        and not dotted.endswith((".py", ".md"))
        and path.name != "test_api.py"
        and not _resolves(dotted)
    )  # test_api: names that must not exist
    assert len(names) > 20
    assert not missing, missing
