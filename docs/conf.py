"""Sphinx configuration of the skimb documentation.

Build with ``bash docs/build.sh`` (HTML with warnings as errors, then a check
of the internal links). ``-D plot_gallery=0`` skips running the examples.
"""

# SPDX-License-Identifier: BSD-3-Clause

import os
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # document the skimb of this working tree
sys.path.insert(0, str(DOCS / "sphinxext"))

# The examples print TensorFlow's C++ start-up logs otherwise.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import skimb  # noqa: E402

# -- Project -----------------------------------------------------------------

project = "skimb"
author = "The skimb developers"
copyright = "The skimb developers, BSD-3-Clause"
release = skimb.__version__
version = release

# -- General -----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "sphinx_click",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    # Included by design.rst, not a page of its own.
    "decisions.md",
    # sphinx-gallery writes these; the gallery pages include what they need.
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.md5",
    "auto_examples/*.codeobj.json",
    "gen_modules/backreferences/*.examples",
]
default_role = "literal"
pygments_style = "sphinx"
suppress_warnings = []

# Links to external sites are checked by nobody: the build machines have no
# network. ``-b linkcheck`` thus checks the internal links and anchors only.
linkcheck_ignore = [r"https?://.*"]
linkcheck_anchors = True

# -- autodoc, autosummary, numpydoc ------------------------------------------

autosummary_generate = True
autodoc_typehints = "none"
autodoc_member_order = "groupwise"

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
# Every public class and function of skimb documents its parameters, what it
# returns and an example (the examples also run as doctests).
numpydoc_validation_checks = {"PR01", "PR02", "PR03", "RT01", "EX01", "GL08"}
numpydoc_validation_exclude = {
    # Methods: scikit-learn's inherited ones keep scikit-learn's docstrings,
    # and examples are asked of classes and functions, not of each method.
    r"^skimb(\.\w+)*\.[A-Z]\w*\.\w+$",
    # Constants are documented by a ``#:`` comment.
    r"\.[A-Z][A-Z0-9_]+$",
}

# Docstrings inherited from scikit-learn refer to its user guide and glossary
# (:ref:`...`, :term:`...`), which this site does not have: show their text.
_FOREIGN_ROLE = re.compile(r":(?:ref|term):`([^`<]+?)(?:\s*<[^`>]+>)?`")


def _plain_foreign_roles(app, what, name, obj, options, lines):
    module = getattr(obj, "__module__", None) or ""
    if module == "skimb" or module.startswith("skimb."):
        return
    for i, line in enumerate(lines):
        lines[i] = _FOREIGN_ROLE.sub(r"\1", line)


def setup(app):
    # Before numpydoc (priority 500) reads the docstrings.
    app.connect("autodoc-process-docstring", _plain_foreign_roles, priority=400)


# -- sphinx-gallery ----------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": ["../examples"],
    "gallery_dirs": ["auto_examples"],
    # Every example runs in the build (names start with plot_).
    "filename_pattern": r"/plot_",
    "within_subsection_order": "gallery_order.ExampleOrder",
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("skimb",),
    "reference_url": {"skimb": None},
    "default_thumb_file": str(DOCS / "_static" / "thumbnail.png"),
    "abort_on_example_error": True,
    "capture_repr": (),
    "download_all_examples": False,
    "show_signature": False,
    "min_reported_time": 1,
}

# -- HTML --------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skimb {release}"
html_short_title = "skimb"
html_static_path = ["_static"]
html_css_files = ["skimb.css"]
html_show_sourcelink = False
html_theme_options = {
    "logo": {"text": "skimb"},
    "navbar_align": "left",
    "header_links_before_dropdown": 4,
    "navbar_persistent": ["search-button"],
    "navbar_end": ["theme-switcher"],
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
# The pages of the user guide stand alone: no empty section navigation.
html_sidebars = {
    page: []
    for page in (
        "index",
        "getting_started",
        "strategies",
        "transfer_learning",
        "model_selection",
        "persistence",
        "scaling",
        "cli",
        "migrating",
        "design",
        "benchmarks",
        "api",
    )
}
html_context = {"default_mode": "light"}
