"""The package's layers, as README.md's "Layout" lists them: each module imports only its own
layer and those before it, its functions' deferred imports included."""

from __future__ import annotations

import ast
import re

from tests.paths import ROOT

#: The layers in README's order: module names (a package stands for all its modules).
LAYERS = [
    ("unetcheck.errors", "unetcheck.hardware", "unetcheck._version"),
    ("unetcheck.pets",),
    ("unetcheck._core",),
    ("unetcheck.metrics",),
    ("unetcheck.checks",),
    ("unetcheck.reference",),
    ("unetcheck.pytest_plugin",),
    ("unetcheck.bench",),
    ("unetcheck.job",),
    ("unetcheck", "unetcheck.__main__"),
]
#: The old paths of moved modules (`unetcheck._moved`): forwarders to the new ones, kept for a release.
FORWARDERS = ("unetcheck._moved",)


def layer(module: str) -> int:
    """The index of the layer `module` belongs to (the longest matching name)."""
    matches = [
        (len(name), i)
        for i, names in enumerate(LAYERS)
        for name in names
        if module == name or module.startswith(name + ".")
    ]
    return max(matches)[1]


def _imports(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:  # `from unetcheck import checks` imports the module unetcheck.checks
                name = f"{node.module}.{alias.name}"
                as_path = ROOT.joinpath(*name.split("."))
                yield name if as_path.with_suffix(".py").is_file() or as_path.is_dir() else node.module


def test_each_module_imports_only_its_layer_and_those_before_it():
    wrong, seen = [], 0
    for path in sorted((ROOT / "unetcheck").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        if module in FORWARDERS or path.read_text().startswith('"""Moved to `'):
            continue
        seen += 1
        for imported in _imports(path):
            if imported.split(".")[0] == "unetcheck" and layer(imported) > layer(module):
                wrong.append(f"{module} imports {imported}")
    assert seen > 60
    assert not wrong, wrong


def test_the_readme_lists_the_layers_in_this_order():
    layout = ROOT.joinpath("README.md").read_text().split("## Layout", 1)[1]
    first = [
        min(layout.index(f"`{name.replace('.', '/')}") for name in names if f"`{name.replace('.', '/')}" in layout)
        for names in LAYERS[:-1]
    ]
    assert first == sorted(first), first
    assert len(re.findall(r"^\d+\. ", layout, flags=re.M)) == len(LAYERS) - 1
