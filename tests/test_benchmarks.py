"""Smoke runs of the benchmark scripts in `benchmarks/` (not quality.py).

Each script runs on the tiny sizes of its smoke arguments (the ones
``benchmarks/run_all.py --smoke`` uses) in a fresh interpreter, so that a
change to skimb that breaks a benchmark fails here instead of at the next
measurement. Their times mean nothing at these sizes and are not checked;
what each script checks about correctness is: the same probabilities as the
raw model, the same scores with one or two workers, identical scores with and
without the embedding cache, the model of a failed ``partial_fit`` put back.
"""

import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SMOKE_ARGS = runpy.run_path(str(BENCHMARKS / "run_all.py"))["SCRIPTS"]

#: Lines that each script's output must contain, as regular expressions.
EXPECTED = {
    "performance.py": [
        r"5\. import time: skimb [\d.]+ s, tensorflow [\d.]+ s",
        r"1\. fit 2,000 x 20, 3 epochs, balanced weights: .* skimb/raw [\d.]+",
        r"balanced/default [\d.]+",
        r"fit 40 images 64x64, frozen backbone, 5 epochs: .* skimb/raw [\d.]+",
        # predict_proba equals the raw model's predict on 1 and on 32 rows.
        r"^\s+1 .* True$",
        r"^\s+32 .* True$",
        r"3\. predict_proba on 20,000 rows: .* skimb/raw [\d.]+",
        r"4\. fit on 20,000 x 20 float32, peak extra memory .* raw Keras [\d.]+, "
        r"skimb [\d.]+, skimb/raw [\d.]+",
    ],
    "search_parallel.py": [
        r"GridSearchCV: 2 configurations x 3 folds on 300 x 20",
        r"skimb / scikeras: [\d.]+",
        r"same scores: True",
    ],
    "embedding_cache.py": [
        r"\(not degenerate\)",
        r"speed-up: [\d.]+x",
        r"identical cv_results_ test scores \(every split, every metric\): True",
    ],
    "repeated_fits.py": [
        r"^\s+keras\s+-?[\d.]+ MB$",
        r"^\s+skimb\s+-?[\d.]+ MB$",
    ],
    "partial_fit_overhead.py": [
        # model, parameters, rows, five times, three ratios, two shares and
        # whether a failed call put the weights and optimizer state back.
        *(
            rf"^\s+{name}\s+[\d,]+\s+\d+" + r"\s+-?[\d.]+" * 10 + r" True$"
            for name in ("small MLP", "large dense", "small CNN")
        ),
        # the kernel cache: three times and two ratios.
        r"^\s*" + r"\s+".join([r"-?[\d.]+"] * 5) + "$",
    ],
}


def test_every_benchmark_script_has_a_smoke_run():
    scripts = {
        path.name
        for path in BENCHMARKS.glob("*.py")
        if path.name not in ("quality.py", "run_all.py")
    }
    assert scripts == set(SMOKE_ARGS) == set(EXPECTED)


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(SMOKE_ARGS))
def test_smoke_run(script, tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *SMOKE_ARGS[script]],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for pattern in EXPECTED[script]:
        assert re.search(pattern, result.stdout, re.MULTILINE), (
            f"{pattern!r} not in the output of {script}:\n{result.stdout}"
        )
