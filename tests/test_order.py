"""The suite's order: the long files first, so that pytest-xdist starts them first, and the
random order (pytest-randomly) kept within each group."""

from __future__ import annotations

import pytest

from conftest import pytest_collection_modifyitems


class _Item:
    def __init__(self, name: str, *marks: str) -> None:
        self.name, self.marks = name, marks

    def get_closest_marker(self, mark: str) -> str | None:
        return mark if mark in self.marks else None


def test_subprocess_tests_come_first_in_their_shuffled_order():
    items = [
        _Item("a"),
        _Item("multiworker", "distributed"),
        _Item("b"),
        _Item("jax", "backends"),
        _Item("c"),
        _Item("loop", "distributed"),
        _Item("cli", "long"),
    ]
    pytest_collection_modifyitems(items)
    assert [item.name for item in items] == ["multiworker", "jax", "loop", "cli", "a", "b", "c"]


def test_xdist_keeps_the_sorted_order(pytestconfig: pytest.Config):
    # By default pytest-xdist's --dist loadfile sends the files with the most tests first,
    # whatever the collection's order: the long files (3 tests or fewer each) then start last.
    assert pytestconfig.getoption("loadscopereorder") is False
