"""The gallery examples: each runs as a script and prints its score table."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))

#: The imbalance recipes, each printing a table of minority-class F1, recall
#: and precision with one row per strategy.
RECIPES = (
    "plot_resampling_vs_class_weights.py",
    "plot_class_weights_and_ensembles.py",
    "plot_smote_pipelines.py",
    "plot_synthetic_comparison.py",
    "plot_losses_and_thresholds.py",
)

#: A score such as 0.731 or 1.000.
_SCORE = re.compile(r"\b[01]\.\d{3}\b")


def _table_rows(out: str) -> list[str]:
    """The rows under the last header naming F1, recall and precision."""
    lines = out.splitlines()
    headers = [
        i
        for i, line in enumerate(lines)
        if all(word in line for word in ("F1", "recall", "precision"))
    ]
    if not headers:
        return []
    rows = []
    for line in lines[headers[-1] + 1 :]:
        if len(_SCORE.findall(line)) < 3:
            break
        rows.append(line)
    return rows


def test_recipes_are_found():
    """The examples folder holds the imbalance recipes."""
    assert set(RECIPES) <= {path.name for path in EXAMPLES}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_example_has_a_gallery_docstring(path):
    """Each example opens with a title underlined by '=' and a description."""
    docstring = ast.get_docstring(ast.parse(path.read_text()), clean=True)
    assert docstring, f"{path.name} has no module docstring"
    title, underline, *body = docstring.splitlines()
    assert title.strip() and set(underline) == {"="}
    assert len(underline) >= len(title)
    assert any(line.strip() for line in body), "no description after the title"


@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_example_runs_and_prints_scores(path, tmp_path):
    """The script exits with 0 and prints its scores (a full table for recipes)."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, str(path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    out = result.stdout
    assert "F1" in out and len(_SCORE.findall(out)) >= 2, out
    if path.name in RECIPES:
        assert len(_table_rows(out)) >= 3, out
