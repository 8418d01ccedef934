"""The documentation covers every public name, without building it.

Each public module of skimb declares ``__all__``; every name in it must
appear in the API reference (``docs/api.rst``), so that a new public name
without a documentation entry fails here. The command line, which has no
``__all__``, must be documented through sphinx-click with all its commands.
"""

import importlib
import inspect
import pkgutil
import re
import textwrap
from pathlib import Path

import pytest

import skimb

from .conftest import run_python

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


def test_api_templates_exist(api_text):
    """Each :template: of the API page is a file of docs/_templates. Sphinx
    falls back to its bare template without a word, and the class pages
    lost every method."""
    templates = re.findall(r":template:\s*(\S+)", api_text)
    assert templates
    missing = [t for t in templates if not (DOCS / "_templates" / t).is_file()]
    assert not missing, f"templates not in docs/_templates: {missing}"


@pytest.mark.parametrize(
    "module_name", [m for m in _public_modules() if m not in MODULES_WITHOUT_ALL]
)
def test_names_outside_all_are_private(module_name):
    """A function, class or constant a public module defines is in its
    __all__ (and so documented) or has a leading underscore."""
    module = importlib.import_module(module_name)
    source = inspect.getsource(module)
    stray = [
        name
        for name in vars(module)
        if not name.startswith("_")
        and name not in module.__all__
        and re.search(rf"^(def |class )?{name}\b\s*[(:=]", source, re.MULTILINE)
    ]
    assert not stray, f"{module_name} defines {stray} outside __all__"


def _code_blocks(text: str, language: str) -> list:
    """The bodies of the ``.. code-block:: language`` blocks of an .rst page."""
    pattern = rf"^\.\. code-block:: {language}\n\n((?:   .*\n|\n)+)"
    return [
        textwrap.dedent(body).strip()
        for body in re.findall(pattern, text, re.MULTILINE)
    ]


@pytest.mark.slow
def test_quick_start_prints_what_the_pages_show():
    """The quick start of README.md, index.rst and getting_started.rst is one
    snippet, and it prints the output getting_started.rst shows."""
    page = (DOCS / "getting_started.rst").read_text()
    snippet = _code_blocks(page, "python")[0]
    shown = _code_blocks(page, "text")[0]
    assert snippet in "\n".join(
        _code_blocks((DOCS / "index.rst").read_text(), "python")
    )
    assert f"```python\n{snippet}\n```" in (ROOT / "README.md").read_text()
    printed = run_python(snippet, timeout=600).strip()
    assert printed == shown, "update the output shown in getting_started.rst"


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


def test_every_example_has_its_place_in_the_gallery():
    """The gallery's order names every example (one not named falls to the
    end, after the scaling examples) and no example that is gone."""
    import runpy

    order = runpy.run_path(str(DOCS / "sphinxext" / "gallery_order.py"))["ORDER"]
    examples = sorted(p.name for p in (ROOT / "examples").glob("plot_*.py"))
    assert sorted(order) == examples


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


def test_a_table_that_varies_by_cpu_is_marked_so():
    """A marker ending in "(varies by CPU)" names the example as any marker
    does, and only its tables are left out of the number check."""
    checker = _table_checker()
    page = """.. example-output: plot_x (varies by CPU)

.. list-table::

   * - network
     - 0.731

.. example-output: plot_y

.. list-table::

   * - bagging
     - 0.459
"""
    tables = checker["marked_tables"](page)
    assert [(line, example) for line, example, _ in tables] == [
        (1, "plot_x"),
        (8, "plot_y"),
    ]
    assert checker["varies_by_cpu"](page) == {1}
