"""The documentation covers every public name, without building it.

Each public module of skimb declares ``__all__``; every name in it must
appear in the API reference (``docs/api.rst``), so that a new public name
without a documentation entry fails here. The command line, which has no
``__all__``, must be documented through sphinx-click with all its commands.
"""

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import skimb

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
API = DOCS / "api.rst"

#: Public modules documented by other means than ``__all__``.
MODULES_WITHOUT_ALL = {"skimb.cli"}

_DIRECTIVE = re.compile(
    r"^\.\. (currentmodule|automodule|autoclass|autofunction|autodata|autosummary)"
    r"::\s*(\S*)"
)


def _public_modules():
    names = [
        f"skimb.{info.name}"
        for info in pkgutil.iter_modules(skimb.__path__)
        if not info.name.startswith("_")
    ]
    return ["skimb", *sorted(names)]


def documented_names(text):
    """The qualified names that an API page documents.

    Reads ``currentmodule``/``automodule`` (which set the module of what
    follows), the entries of ``autosummary`` blocks, and ``autoclass``,
    ``autofunction`` and ``autodata`` directives.
    """
    names, module, in_autosummary = set(), "skimb", False
    for line in text.splitlines():
        match = _DIRECTIVE.match(line.strip())
        if match and not line.startswith(" "):
            kind, argument = match.groups()
            in_autosummary = kind == "autosummary"
            if kind in ("currentmodule", "automodule"):
                module = argument
                names.add(argument)
            elif kind != "autosummary":
                names.add(argument if "." in argument else f"{module}.{argument}")
            continue
        if in_autosummary:
            if line.strip() and not line.startswith(" "):
                in_autosummary = False
            elif line.strip() and not line.strip().startswith(":"):
                names.add(f"{module}.{line.strip()}")
    return names


def resolve(qualified_name):
    """Import the object a qualified name such as ``skimb.losses.FocalLoss`` names."""
    parts = qualified_name.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            obj = getattr(obj, attribute)
        return obj
    raise ImportError(qualified_name)


@pytest.fixture(scope="module")
def api_text():
    return API.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def documented(api_text):
    """Documented name -> object."""
    return {name: resolve(name) for name in documented_names(api_text)}


def test_documented_names_parser():
    text = """
.. currentmodule:: skimb

.. autosummary::
   :toctree: generated/

   KerasClassifier
   MLPClassifier

Some text.

.. automodule:: skimb.losses
   :no-members:

.. autofunction:: skimb.metrics.imbalance_report
"""
    assert documented_names(text) == {
        "skimb",
        "skimb.KerasClassifier",
        "skimb.MLPClassifier",
        "skimb.losses",
        "skimb.metrics.imbalance_report",
    }


def test_every_documented_name_exists(documented):
    """No stale entries: each name of the API page imports."""
    assert "skimb.KerasClassifier" in documented
    assert len(documented) >= 30


def test_public_modules_declare_all():
    """Public modules list their public names in __all__ (or are the CLI)."""
    missing = [
        name
        for name in _public_modules()
        if name not in MODULES_WITHOUT_ALL
        and not hasattr(importlib.import_module(name), "__all__")
    ]
    assert not missing, f"public modules without __all__: {missing}"


@pytest.mark.parametrize(
    "module_name", [m for m in _public_modules() if m not in MODULES_WITHOUT_ALL]
)
def test_every_public_name_is_in_the_api_reference(module_name, documented, api_text):
    """Each name of __all__ is documented, under its own name or as the same object."""
    module = importlib.import_module(module_name)
    objects = [id(obj) for obj in documented.values()]
    undocumented = []
    for name in module.__all__:
        obj = getattr(module, name)
        qualified = f"{module_name}.{name}"
        if module_name == "skimb" and f"skimb.{name}" in _public_modules():
            continue  # a submodule: its own __all__ is checked
        if qualified in documented or qualified in api_text or id(obj) in objects:
            continue
        undocumented.append(qualified)
    assert not undocumented, (
        f"public names missing from {API.relative_to(ROOT)}: {undocumented}. "
        "Add them to an autosummary block of the API reference."
    )


def test_command_line_is_documented():
    """docs/cli.rst renders every command of `skimb` through sphinx-click."""
    from skimb.cli import main

    text = (DOCS / "cli.rst").read_text(encoding="utf-8")
    directive = r"^\.\. click:: skimb\.cli:main\n(\s+:.*\n)*\s+:nested: full"
    assert re.search(directive, text, re.M)
    for command in main.commands:
        assert f"skimb {command}" in text, command


def test_every_backbone_is_in_the_transfer_guide():
    """The backbone table of the transfer-learning guide lists the registry."""
    from skimb.transfer import BACKBONES

    text = (DOCS / "transfer_learning.rst").read_text(encoding="utf-8")
    for name, spec in BACKBONES.items():
        assert f'``"{name}"``' in text, name
        assert f"``{spec.application}``" in text, spec.application


def test_every_example_runs_in_the_gallery():
    """sphinx-gallery runs the examples whose names start with plot_."""
    examples = sorted((ROOT / "examples").glob("*.py"))
    assert examples
    assert [p.name for p in examples if not p.name.startswith("plot_")] == []


def _table_checker():
    import runpy

    return runpy.run_path(str(DOCS / "check_example_tables.py"))


def test_marked_tables_name_examples_and_hold_numbers():
    """Each table marked as an example's results names an example of the
    gallery and has rows with numbers for docs/build.sh to check."""
    checker = _table_checker()
    examples = {path.stem for path in (ROOT / "examples").glob("plot_*.py")}
    marked = [
        (page.name, table)
        for page in sorted(DOCS.glob("*.rst"))
        for table in checker["marked_tables"](page.read_text())
    ]
    assert len(marked) >= 5
    for page, (line, example, rows) in marked:
        assert example in examples, f"{page}:{line}"
        numeric = [row for row in rows if any(checker["NUMBER"].match(c) for c in row)]
        assert len(numeric) >= 2, f"{page}:{line}"


def test_table_checker_finds_a_row_the_example_did_not_print():
    checker = _table_checker()
    page = """Text.

.. example-output: plot_x

.. list-table::
   :header-rows: 1

   * - model
     - F1
     - recall
   * - network
     - 0.731
     - 0.664
   * - bagging
     - 0.459
     - 0.822

After the table.
"""
    [(line, example, rows)] = checker["marked_tables"](page)
    assert (line, example) == (3, "plot_x")
    assert rows == [
        ["model", "F1", "recall"],
        ["network", "0.731", "0.664"],
        ["bagging", "0.459", "0.822"],
    ]
    printed = "network     0.731   0.664\nbagging     0.459   0.8221\n"
    assert checker["missing_rows"](rows, printed) == [["bagging", "0.459", "0.822"]]
    printed = "network     0.731   0.664\nbagging     0.459   0.822\n"
    assert checker["missing_rows"](rows, printed) == []
