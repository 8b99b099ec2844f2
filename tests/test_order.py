"""The suite's order: the long subprocess tests first, so that pytest-xdist starts them first,
and the random order (pytest-randomly) kept within each group."""

from __future__ import annotations

from conftest import pytest_collection_modifyitems


class _Item:
    def __init__(self, name: str, *marks: str) -> None:
        self.name, self.marks = name, marks

    def get_closest_marker(self, mark: str) -> str | None:
        return mark if mark in self.marks else None


def test_subprocess_tests_come_first_in_their_shuffled_order():
    items = [_Item("a"), _Item("multiworker", "distributed"), _Item("b"), _Item("jax", "backends"),
             _Item("c"), _Item("loop", "distributed")]
    pytest_collection_modifyitems(items)
    assert [item.name for item in items] == ["multiworker", "jax", "loop", "a", "b", "c"]
