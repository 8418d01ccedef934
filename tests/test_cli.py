"""Tests of the skimb command line and the strategy comparison behind it."""

import functools
import io
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.datasets import make_classification

from skimb.cli import main
from skimb.compare import STRATEGIES, compare_strategies, make_strategy

#: The first bytes of a PNG file.
_PNG = b"\x89PNG\r\n\x1a\n"


def _run(*args, input=None):
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    return result


def test_main_in_process_leaves_the_environment(monkeypatch):
    """main() quiets TensorFlow's C++ logs for its own run only: called
    in-process, it left TF_CPP_MIN_LOG_LEVEL=2 behind for the caller's later
    TensorFlow import. A value the caller set is kept."""
    import os

    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    assert _run("compare", "--help").exit_code == 0
    assert "TF_CPP_MIN_LOG_LEVEL" not in os.environ
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    _run("compare", "--help")
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0"


@pytest.fixture(scope="module")
def hard_csv(tmp_path_factory):
    """An overlapping 92:8 table with a string target and a categorical column."""
    X, y = make_classification(
        n_samples=600,
        n_features=6,
        n_informative=3,
        weights=[0.92, 0.08],
        class_sep=0.6,
        flip_y=0,
        random_state=3,
    )
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(6)])
    frame["colour"] = np.where(X[:, 0] > 0, "red", "blue")
    frame["label"] = np.where(y == 1, "fraud", "ok")
    path = tmp_path_factory.mktemp("data") / "table.csv"
    frame.to_csv(path, index=False)
    return path


def test_every_command_has_help():
    """Each command answers --help."""
    for command in ([], ["compare"], ["fit"], ["predict"], ["strategies"]):
        result = _run(*command, "--help")
        assert result.exit_code == 0
        assert "Usage:" in result.output


@pytest.mark.parametrize("how", ["script", "module"])
def test_entry_point_in_a_subprocess(how):
    """The installed `skimb` script, and python -m skimb.cli, run."""
    script = Path(sys.executable).with_name("skimb")
    assert how == "module" or script.exists(), (
        f"no {script}: install the project (pip install .) before testing"
    )
    command = [str(script)] if how == "script" else [sys.executable, "-m", "skimb.cli"]
    result = subprocess.run(
        [*command, "strategies"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    for name in STRATEGIES:
        assert name in result.stdout


def test_entry_point_quiets_tensorflow_info_lines(small_model, tmp_path):
    """The `skimb` script sets TF_CPP_MIN_LOG_LEVEL=2 before TensorFlow is
    imported, so TensorFlow's cpu_feature_guard line is not printed; a value
    the user set is kept. (TensorFlow 2.21's oneDNN, cudart_stub and
    "absl::InitializeLog" lines are printed while its libraries load, before
    any setting is read: no environment variable hides them; see
    docs/decisions.md.)"""
    import os

    script = Path(sys.executable).with_name("skimb")
    new = _write(tmp_path / "new.csv", "a,b,c\n0.1,0.2,0.3\n")
    command = [str(script), "predict", str(small_model), new, "--output", "-"]
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    stderr = {}
    for level in ("0", None):  # the user's own level first, then none set
        if level is not None:
            env["TF_CPP_MIN_LOG_LEVEL"] = level
        else:
            del env["TF_CPP_MIN_LOG_LEVEL"]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=300, env=env
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("prediction,proba_common,proba_rare\n")
        stderr[level] = result.stderr
    if "cpu_feature_guard" not in stderr["0"]:
        pytest.skip(
            "TensorFlow logs no cpu_feature_guard line on this CPU (it names "
            "instructions the CPU has and the binary does not use), so there "
            "is no line for the level to hide"
        )
    assert "cpu_feature_guard" not in stderr[None], stderr[None]


def test_compare_on_builtin_data(tmp_path):
    """Default data: a table on stdout, a JSON of real per-fold numbers, a plot."""
    result = _run(
        "compare",
        "--strategies",
        "none,class_weight,rus",
        "--folds",
        "3",
        "--output",
        str(tmp_path),
        "--quiet",
    )
    assert result.exit_code == 0, result.output
    assert "built-in 90:10 table" in result.output
    assert "best by F1" in result.output
    document = json.loads((tmp_path / "results.json").read_text())
    assert document["config"]["folds"] == 3
    assert set(document["per_fold"]) == {"none", "class_weight", "rus"}
    for metrics in document["per_fold"].values():
        assert len(metrics["f1"]) == 3
        assert all(0.0 <= v <= 1.0 for v in metrics["recall"])
    recall = {s: np.mean(m["recall"]) for s, m in document["per_fold"].items()}
    precision = {s: np.mean(m["precision"]) for s, m in document["per_fold"].items()}
    assert recall["class_weight"] >= recall["none"] > 0.9
    assert precision["rus"] < precision["none"]  # under-sampling's real cost
    assert (tmp_path / "pr_curve.png").read_bytes()[:8] == _PNG


def test_compare_with_progress_bar():
    """Without --quiet, compare shows progress and prints the full table."""
    result = _run("compare", "--strategies", "class_weight,none", "--folds", "2")
    assert result.exit_code == 0, result.output
    header = next(line for line in result.output.splitlines() if "strategy" in line)
    for column in ("F1", "recall", "precision", "bal. acc.", "G-mean", "AP", "fit s"):
        assert column in header
    rows = [line for line in result.output.splitlines() if "±" in line]
    assert len(rows) == 2 and all(line.count("±") == 6 for line in rows)
    assert "best by F1:" in result.output


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory):
    """PNG digits in two class subfolders: 8 'defect' (digit 1), 24 'ok'."""
    import tensorflow as tf
    from sklearn.datasets import load_digits

    digits = load_digits()
    root = tmp_path_factory.mktemp("images")
    for label, digit, count in (("defect", 1, 8), ("ok", 0, 24)):
        (root / label).mkdir()
        images = digits.images[digits.target == digit][:count] * (255.0 / 16.0)
        for i, image in enumerate(images):
            pixels = np.repeat(np.kron(image, np.ones((4, 4)))[..., None], 3, axis=-1)
            png = tf.io.encode_png(pixels.astype(np.uint8)).numpy()
            (root / label / f"{i:03d}.png").write_bytes(png)
    return root


# ResNet50's random features differ between images; MobileNet's are ~0.
_OFFLINE_BACKBONE = ["--backbone", "resnet50", "--weights", "none"]


@pytest.mark.slow
def test_compare_on_image_folder(image_folder, tmp_path):
    """--images embeds the files with the chosen backbone and compares."""
    result = _run(
        "compare",
        "--images",
        str(image_folder),
        *_OFFLINE_BACKBONE,
        "--strategies",
        "none,class_weight",
        "--folds",
        "2",
        "--output",
        str(tmp_path),
        "--quiet",
    )
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "results.json").read_text())
    assert "32 images, resnet50, weights=None" in document["config"]["data"]
    assert document["config"]["minority_class"] == "defect"
    assert set(document["per_fold"]) == {"none", "class_weight"}


@pytest.mark.slow
def test_fit_then_predict_images(image_folder, tmp_path):
    """A model fitted on an image folder predicts image files, offline."""
    model = tmp_path / "model.joblib"
    args = ["--strategy", "class_weight", "--model-out", str(model)]
    result = _run("fit", str(image_folder), *_OFFLINE_BACKBONE, *args)
    assert result.exit_code == 0, result.output
    predictions = tmp_path / "preds.csv"
    result = _run(
        "predict", str(model), str(image_folder), "--output", str(predictions)
    )
    assert result.exit_code == 0, result.output
    out = pd.read_csv(predictions)
    assert list(out.columns) == ["path", "prediction", "proba_defect", "proba_ok"]
    assert out["path"].tolist() == sorted(str(p) for p in image_folder.rglob("*.png"))
    assert set(out["prediction"]) <= {"defect", "ok"}
    np.testing.assert_allclose(out["proba_defect"] + out["proba_ok"], 1.0)
    # The saved pipeline embeds the files itself: one file alone, the same.
    single = tmp_path / "single"
    single.mkdir()
    (single / "x.png").write_bytes(Path(out["path"][0]).read_bytes())
    result = _run("predict", str(model), str(single), "--output", str(predictions))
    assert result.exit_code == 0, result.output
    alone = pd.read_csv(predictions)
    np.testing.assert_allclose(alone["proba_ok"][0], out["proba_ok"][0], atol=1e-6)
    # One image file is DATA too (it used to be read as a CSV: a UTF-8 error).
    result = _run(
        "predict", str(model), str(single / "x.png"), "--output", str(predictions)
    )
    assert result.exit_code == 0, result.output
    alone = pd.read_csv(predictions)
    assert alone["path"].tolist() == [str(single / "x.png")]
    np.testing.assert_allclose(alone["proba_ok"][0], out["proba_ok"][0], atol=1e-6)
    # A CSV file for a model fitted on images says what to pass.
    table = tmp_path / "table.csv"
    table.write_text("a,b\n1,2\n")
    result = _run("predict", str(model), str(table), "--output", str(predictions))
    assert result.exit_code == 2
    assert "was fitted on images" in result.stderr
    assert "Pass a folder of images or one image file" in result.stderr


@pytest.mark.slow
def test_compare_all_default_strategies():
    """`skimb compare` with no arguments runs all ten strategies."""
    result = _run("compare", "--quiet")
    assert result.exit_code == 0, result.output
    for name in STRATEGIES:
        assert name in result.output


def test_class_weight_beats_none_on_recall(hard_csv, tmp_path):
    """On an overlapping CSV table, balanced weights find more of the minority."""
    result = _run(
        "compare",
        "--csv",
        str(hard_csv),
        "--target",
        "label",
        "--strategies",
        "none,class_weight",
        "--folds",
        "3",
        "--output",
        str(tmp_path),
        "--quiet",
    )
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "results.json").read_text())
    assert document["config"]["minority_class"] == "fraud"
    scores = document["per_fold"]
    assert np.mean(scores["class_weight"]["recall"]) > np.mean(scores["none"]["recall"])


def test_fit_then_predict(hard_csv, tmp_path):
    """skimb fit saves a model; skimb predict writes labels and probabilities."""
    model = tmp_path / "model.joblib"
    result = _run(
        "fit",
        str(hard_csv),
        "--target",
        "label",
        "--strategy",
        "smote",
        "--model-out",
        str(model),
    )
    assert result.exit_code == 0, result.output
    predictions = tmp_path / "preds.csv"
    result = _run("predict", str(model), str(hard_csv), "--output", str(predictions))
    assert result.exit_code == 0, result.output
    out = pd.read_csv(predictions)
    assert len(out) == len(pd.read_csv(hard_csv))
    assert set(out["prediction"]) <= {"fraud", "ok"}
    np.testing.assert_allclose(out["proba_fraud"] + out["proba_ok"], 1.0)
    truth = pd.read_csv(hard_csv)["label"]
    assert np.mean(out["prediction"] == truth) > 0.8
    # An image folder for a model fitted on a table says what to pass.
    result = _run("predict", str(model), str(tmp_path), "--output", str(predictions))
    assert result.exit_code == 2
    assert "is an image folder or file" in result.stderr
    assert "was fitted on a CSV table" in result.stderr


def _write(path, text):
    path.write_text(text)
    return str(path)


@pytest.fixture(scope="module")
def three_class_csv(tmp_path_factory):
    """A small 36:16:8 table with the classes 'big', 'mid' and 'rare'."""
    X, y = make_classification(
        n_samples=60,
        n_features=4,
        n_informative=3,
        n_redundant=0,
        n_classes=3,
        n_clusters_per_class=1,
        weights=[0.6, 0.27],
        flip_y=0,
        random_state=0,
    )
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(4)])
    frame["label"] = np.array(["big", "mid", "rare"])[y]
    path = tmp_path_factory.mktemp("multi") / "multi.csv"
    frame.to_csv(path, index=False)
    return path


def test_compare_multiclass_csv(three_class_csv, tmp_path):
    """A multiclass target: an honest header, results.json and per-class curves."""
    result = _run(
        "compare",
        "--csv",
        str(three_class_csv),
        "--target",
        "label",
        "--strategies",
        "none",
        "--folds",
        "2",
        "--n-jobs",
        "1",
        "--output",
        str(tmp_path),
        "--quiet",
    )
    assert result.exit_code == 0, result.output
    title = " ".join(result.output.split())  # rich wraps the long title
    assert "stratified CV, metrics macro-averaged over 3 classes" in title
    assert "minority class" not in title
    document = json.loads((tmp_path / "results.json").read_text())
    assert document["config"]["minority_class"] == "rare"
    assert (tmp_path / "pr_curve.png").read_bytes()[:8] == _PNG


def test_compare_strategies_multiclass_probabilities(three_class_csv):
    """oof_proba holds every class's probability; oof_scores the minority's."""
    frame = pd.read_csv(three_class_csv)
    X, y = frame.drop(columns="label").to_numpy(), frame["label"].to_numpy()
    result = compare_strategies(X, y, ["none"], folds=2)
    proba = result.oof_proba["none"]
    assert proba.shape == (60, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(result.oof_scores["none"], proba[:, 2])
    assert result.pos_label == "rare"


@pytest.mark.parametrize(
    "labels, folds, message",
    [
        ("xxxxxy", "2", "The class 'y' has 1 sample(s), fewer than --folds 2"),
        ("xxxxxxyyy", "5", "use --folds 3 or add samples of that class"),
    ],
)
def test_compare_class_smaller_than_folds(labels, folds, message, tmp_path):
    """A class with fewer rows than folds: say so, and how to fix it."""
    rows = "".join(f"{i},{label}\n" for i, label in enumerate(labels))
    csv = _write(tmp_path / "small.csv", "a,label\n" + rows)
    args = ["--csv", csv, "--target", "label", "--folds", folds, "--quiet"]
    result = _run("compare", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and message in result.stderr
    with pytest.raises(ValueError, match=f"fewer than folds={folds}"):
        compare_strategies(np.zeros((len(labels), 1)), list(labels), folds=int(folds))


def test_predict_with_a_csv_as_model_file(hard_csv, tmp_path):
    """A data file where the model file goes: not a model saved by skimb fit."""
    output = tmp_path / "preds.csv"
    result = _run("predict", str(hard_csv), str(hard_csv), "--output", str(output))
    assert result.exit_code == 2
    assert f"error: {hard_csv} is not a model saved by 'skimb fit'" in result.stderr
    assert "skimb predict MODEL_FILE DATA" in result.stderr
    assert not output.exists()


@pytest.mark.parametrize(
    "saved", [{"skimb_model": 1}, {"skimb_model": 1, "model": None, "target": "y"}]
)
def test_predict_with_a_file_that_holds_no_model(hard_csv, tmp_path, saved):
    """A file with skimb's mark but no model in it: the same clear error (it
    was a KeyError or an AttributeError traceback)."""
    import joblib

    model = tmp_path / "model.joblib"
    joblib.dump(saved, model)
    result = _run("predict", str(model), str(hard_csv), "--output", "p.csv")
    assert result.exit_code == 2
    assert "is not a model saved by 'skimb fit'" in result.stderr


def test_predict_names_a_non_numeric_cell(hard_csv, tmp_path):
    """Text in a column fitted on numbers: the column, the value and the row."""
    model = tmp_path / "model.joblib"
    args = ["--target", "label", "--strategy", "none", "--model-out", str(model)]
    assert _run("fit", str(hard_csv), *args).exit_code == 0
    new = pd.read_csv(hard_csv).head(3).astype({"x1": object})
    new.loc[1, "x1"] = "abc"
    new.to_csv(tmp_path / "new.csv", index=False)
    output = tmp_path / "preds.csv"
    result = _run(
        "predict", str(model), str(tmp_path / "new.csv"), "--output", str(output)
    )
    assert result.exit_code == 2
    assert "the column 'x1' of" in result.stderr
    assert "holds 'abc' on line 3" in result.stderr
    assert "leave it empty" in result.stderr
    assert not output.exists()


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    """A model saved by 'skimb fit' from a 40-row table of a, b, c and label;
    train.csv is in the same folder."""
    folder = tmp_path_factory.mktemp("small")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(40, 3)), columns=list("abc"))
    frame["label"] = np.where(np.arange(40) % 5 == 0, "rare", "common")
    frame.to_csv(folder / "train.csv", index=False)
    model = folder / "model.joblib"
    args = ["--target", "label", "--strategy", "none", "--model-out", str(model)]
    result = _run("fit", str(folder / "train.csv"), *args)
    assert result.exit_code == 0, result.output
    return model


@pytest.mark.parametrize("stdin", [False, True], ids=["file", "standard input"])
def test_a_bad_cell_is_named_by_its_line(small_model, tmp_path, stdin):
    """A bad cell is named by its line, as an editor numbers the lines (the
    header is line 1, or later after blank lines): the message said "data
    row 4", which counted neither the blank lines (or lines of spaces) that
    pandas skips nor the second line of a quoted field."""
    train = (
        '\nx,note,label\n1,"two\nlines",a\n\n2,z,b\n   \n3,z,a\nabc,z,b\n'
        "4,z,a\n5,z,b\n6,z,a\n"
    )
    new = "\na,b,c\n0.1,0.2,0.3\n\n0.4,0.5,0.6\n\n0.7,inf,0.9\n"
    model = tmp_path / "model.joblib"
    fit = ["fit", "--target", "label", "--strategy", "none", "--model-out", str(model)]
    predict = ["predict", str(small_model), "--output", "-"]
    for args, text, message in [
        (fit, train, "the column 'x' of {} holds 'abc' on line 9, among numbers"),
        (predict, new, "the column 'b' of {} holds inf on line 7; numbers must"),
    ]:
        data = "-" if stdin else _csv(tmp_path / "data.csv", text)
        result = _run(*args, data, input=text if stdin else None)
        assert result.exit_code == 2, result.output
        name = "standard input" if stdin else data
        assert result.stderr.startswith(f"error: {message.format(name)}")
    assert not model.exists()


def test_a_line_that_cannot_be_told_is_a_data_row(tmp_path):
    """Where the line cannot be told (standard input read outside a
    command, or a file gone), the message says the data row, as before."""
    from skimb.cli import _where

    assert _where("-", 3) == "in data row 4"
    assert _where(tmp_path / "gone.csv", 0) == "in data row 1"
    assert _where(_csv(tmp_path / "a.csv", "a\n\n1\n2\n"), 1) == "on line 4"


#: Rows of numbers and labels, after the bad cell, for a model to be fitted.
_ROWS = ["3,a", "4,b", "5,a", "6,b", "7,a", "8,b"]


def _lines(rows, end="\n", first=""):
    return "".join(f"{first}{row}{end}" for row in rows)


@pytest.mark.parametrize("stdin", [False, True], ids=["file", "standard input"])
@pytest.mark.parametrize(
    "text, line",
    [
        # A line of spaces in quotes, or of other white space (a form feed, a
        # vertical tab, a no-break space), is a row to pandas (without a
        # label here, so left out), but the csv reader skipped it as blank
        # and named the line after the bad cell's.
        ('x,label\n1,a\n"  "\n2,b\nabc,a\n' + _lines(_ROWS), 5),
        ("x,label\n1,a\n\x0c\n2,b\nabc,a\n" + _lines(_ROWS), 5),
        ("x,label\n1,a\n\x0b\n2,b\nabc,a\n" + _lines(_ROWS), 5),
        ("x,label\n1,a\n\xa0\n2,b\nabc,a\n" + _lines(_ROWS), 5),
        # Spaces and tabs alone pandas skips; a tab alone is a row of a tab
        # separated table.
        ("x,label\n1,a\n \t \n2,b\nabc,a\n" + _lines(_ROWS), 5),
        (
            "x\tlabel\n1\ta\n\t\n2\tb\nabc\ta\n"
            + _lines(row.replace(",", "\t") for row in _ROWS),
            5,
        ),
        # Rows of one field more than the header: pandas names them by it,
        # and int() of the name failed ("invalid literal for int()"), or a
        # number was taken for the row's place ("in data row 8").
        ("x,label\nr,1,a\nr,abc,a\n" + _lines(_ROWS, first="r,"), 3),
        ("x,label\n6,1,a\n7,abc,a\n" + _lines(_ROWS, first="9,"), 3),
        # Line ends of \r alone, a byte-order mark, a quoted line end.
        ("x,label\r1,a\r\r2,b\rabc,a\r" + _lines(_ROWS, end="\r"), 5),
        (
            '\ufeffx,note,label\n1,"two\nlines",a\nabc,z,b\n'
            + _lines(_ROWS, first="0,"),
            4,
        ),
    ],
)
def test_a_bad_cell_is_named_by_its_own_line(tmp_path, text, line, stdin):
    """The line of a bad cell is the line on which pandas read it, where
    the csv module and pandas split the text alike; they differed on lines
    of white space other than spaces and tabs, and pandas names rows with
    one field too many by it."""
    model = tmp_path / "model.joblib"
    args = ["fit", "--target", "label", "--strategy", "none", "--model-out"]
    data = "-" if stdin else _csv(tmp_path / "data.csv", text)
    result = _run(*args, str(model), data, input=text if stdin else None)
    assert result.exit_code == 2, result.output
    assert f"holds 'abc' on line {line}, among numbers" in result.stderr
    assert not model.exists()


def test_a_line_that_does_not_hold_the_cell_is_not_told(tmp_path):
    """Where the csv module's record for a row does not hold the cell that
    pandas read there, the two split the text differently: the message
    names the data row, not a line that may be another row's."""
    from skimb.cli import _where

    path = _csv(tmp_path / "a.csv", "a,b\n1,x\n\n2,abc\n")
    assert _where(path, 1, "abc") == "on line 4"
    assert _where(path, 1, "xyz") == "in data row 2"
    assert _where(path, 0, "abc") == "in data row 1"
    infinite = _csv(tmp_path / "inf.csv", "a;b\n1,5;2\n-inf;3\n1e999;4\n")
    assert _where(infinite, 1, float("-inf")) == "on line 3"
    assert _where(infinite, 2, float("inf")) == "on line 4"
    assert _where(infinite, 2, float("-inf")) == "in data row 3"


def test_predict_with_a_damaged_model_file(small_model, tmp_path, monkeypatch):
    """A model file cut short, or with a damaged Keras model inside, says so
    (with skimb's own message for the latter); both were called "not a
    model saved by 'skimb fit'"."""
    import joblib

    from skimb import _keras

    new = _write(tmp_path / "new.csv", "a,b,c\n0.1,0.2,0.3\n")
    output = tmp_path / "preds.csv"
    cut = tmp_path / "cut.joblib"
    cut.write_bytes(small_model.read_bytes()[:3000])  # head -c 3000
    result = _run("predict", str(cut), new, "--output", str(output))
    assert result.exit_code == 2
    assert (
        f"error: cannot read the model file {cut}: it is truncated or corrupt"
        in result.stderr
    )
    assert "not a model saved" not in result.stderr
    getstate = _keras._SavedModel.__getstate__

    def half(self):  # the Keras model's bytes cut in half
        state = getstate(self)
        return {**state, "data": state["data"][: len(state["data"]) // 2]}

    saved = joblib.load(small_model)
    damaged = tmp_path / "damaged.joblib"
    monkeypatch.setattr(_keras._SavedModel, "__getstate__", half)
    joblib.dump(saved, damaged)
    monkeypatch.undo()
    result = _run("predict", str(damaged), new, "--output", str(output))
    assert result.exit_code == 2
    assert (
        f"error: cannot read the model file {damaged}: The saved Keras model "
        "inside this estimator is corrupt or truncated" in result.stderr
    )
    assert not output.exists()


def test_outputs_do_not_overwrite_inputs(small_model, tmp_path):
    """--output or --model-out naming an input file is an error naming both;
    the model file or the data was silently replaced."""
    model = tmp_path / "m.joblib"
    model.write_bytes(small_model.read_bytes())
    train = tmp_path / "train.csv"
    train.write_bytes((small_model.parent / "train.csv").read_bytes())
    new = tmp_path / "new.csv"
    new.write_text("a,b,c\n0.1,0.2,0.3\n")
    cases = [
        (["predict", model, new, "--output", model], f"--output {model} is the model"),
        # The same file under another spelling.
        (
            ["predict", model, new, "--output", tmp_path / "." / "new.csv"],
            f"is the data file {new}",
        ),
        (
            ["fit", train, "--target", "label", "--model-out", train],
            f"--model-out {train} is the training data {train}",
        ),
    ]
    for args, message in cases:
        before = {path: path.read_bytes() for path in (model, train, new)}
        result = _run(*map(str, args))
        assert result.exit_code == 2, result.output
        assert message in result.stderr and "another file name" in result.stderr
        assert before == {path: path.read_bytes() for path in before}


def test_a_failed_write_leaves_no_half_written_file(small_model, tmp_path, monkeypatch):
    """A write that stops half-way (a full disk) is one error line naming
    the file, and leaves no half-written model or predictions: a file of
    that name is kept as it was. fit and predict wrote the file in place,
    and the error was OSError's "[Errno 28] No space left on device"."""
    import errno
    import threading

    import joblib

    def full_disk(write):
        def half_then_fail(obj, path=None, *args, **kwargs):
            if path is None:  # to_csv to a string, as --output - does
                return write(obj, path, *args, **kwargs)
            Path(path).write_bytes(b"half")
            raise OSError(errno.ENOSPC, "No space left on device")

        return half_then_fail

    train = str(small_model.parent / "train.csv")
    new = _write(tmp_path / "new.csv", "a,b,c\n0.1,0.2,0.3\n")
    model, output = tmp_path / "model.joblib", tmp_path / "out.csv"
    fit = ["fit", train, "--target", "label", "--strategy", "none"]
    predict = ["predict", str(small_model), new, "--output", str(output)]
    with monkeypatch.context() as patch:
        patch.setattr(joblib, "dump", full_disk(joblib.dump))
        patch.setattr(pd.DataFrame, "to_csv", full_disk(pd.DataFrame.to_csv))
        for old in (None, b"old"):
            for path, args in (
                (model, [*fit, "--model-out", str(model)]),
                (output, predict),
            ):
                if old:
                    path.write_bytes(old)
                result = _run(*args)
                assert result.exit_code == 2, result.output
                message = f"error: cannot write {path}: No space left on device"
                assert result.stderr.startswith(message), result.stderr
                assert ("is as it was" in result.stderr) == bool(old)
                assert (path.read_bytes() if old else path.exists()) == (old or False)
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            "model.joblib",
            "new.csv",
            "out.csv",
        ]
    # A link is followed; a named pipe is written to, not replaced.
    link = tmp_path / "link.csv"
    link.symlink_to(output)
    assert _run(*predict[:-1], str(link)).exit_code == 0
    assert link.is_symlink() and output.read_text().startswith("prediction,")
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    read = []
    reader = threading.Thread(target=lambda: read.append(pipe.read_text()), daemon=True)
    reader.start()
    result = _run(*predict[:-1], str(pipe))
    reader.join(timeout=60)
    assert result.exit_code == 0, result.output
    assert read and read[0].startswith("prediction,") and pipe.is_fifo()


def test_a_file_where_a_folder_should_be(small_model, tmp_path):
    """--model-out or --output inside a path that is a file names that file;
    the error was "cannot create the folder data.csv: File exists" (or "Not
    a directory"), as if data.csv were to be a folder and already was one."""
    train = str(small_model.parent / "train.csv")
    for inside in ("m.joblib", "sub/m.joblib"):
        out = f"{train}/{inside}"
        for args in (
            ["fit", train, "--target", "label", "--model-out", out],
            ["predict", str(small_model), train, "--output", out],
        ):
            result = _run(*args)
            assert result.exit_code == 2, result.output
            folder = str(Path(out).parent)
            assert result.stderr == (
                f"error: cannot create the folder {folder}: {train} is a file\n"
            )


def test_an_output_path_ending_with_a_slash_names_a_folder(small_model, tmp_path):
    """--model-out models/ (or --output preds/) is an error that asks for the
    file's name; pathlib dropped the slash, so fit saved a file named
    "models". The folder is not created, nor any file."""
    train = str(small_model.parent / "train.csv")
    for args, example in (
        (["fit", train, "--target", "label", "--model-out"], "model.joblib"),
        (["predict", str(small_model), train, "--output"], "predictions.csv"),
    ):
        out = str(tmp_path / "out") + "/"
        result = _run(*args, out)
        assert result.exit_code == 2, result.output
        assert result.stderr == (
            f"error: {out} ends with a slash, so it names a folder; give the "
            f"file's name too, e.g. {tmp_path / 'out' / example}\n"
        )
        assert not (tmp_path / "out").exists()


def test_fit_strategy_name_with_spaces(small_model, tmp_path):
    """fit --strategy " ros " is the strategy ros, as compare --strategies
    reads names; it was "Unknown strategy ' ros '"."""
    train = str(small_model.parent / "train.csv")
    out = tmp_path / "m.joblib"
    result = _run(
        "fit",
        train,
        "--target",
        "label",
        "--strategy",
        " ros ",
        "--model-out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert "fitted 'ros'" in result.stdout
    assert out.is_file()


def test_predict_output_dash_is_standard_output(small_model, tmp_path, monkeypatch):
    """predict --output - writes the CSV, and only the CSV, to standard
    output, as many Unix tools do; it wrote a file named '-'. Without
    --output, predict still stops with click's missing-option error."""
    monkeypatch.chdir(tmp_path)
    new = _write(tmp_path / "new.csv", "a,b,c\n0.1,0.2,0.3\n-1,0.5,2\n")
    result = _run("predict", str(small_model), new, "--output", "-")
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "-").exists()
    result_file = _run("predict", str(small_model), new, "--output", "preds.csv")
    assert result_file.exit_code == 0, result_file.output
    assert result.stdout == (tmp_path / "preds.csv").read_text()
    assert list(pd.read_csv(io.StringIO(result.stdout)).columns) == [
        "prediction",
        "proba_common",
        "proba_rare",
    ]
    result = _run("predict", str(small_model), new)
    assert result.exit_code == 2
    assert "Missing option '--output'" in result.stderr


def test_dash_is_refused_where_files_are_written(small_model, tmp_path, monkeypatch):
    """compare's --output (a folder) and fit's --model-out (a binary file)
    cannot be standard output: '-' is a usage error that says what to give;
    both wrote a file named '-'."""
    monkeypatch.chdir(tmp_path)
    train = str(small_model.parent / "train.csv")
    cases = [
        (
            ["compare", "--strategies", "none", "--quiet", "--output", "-"],
            "Invalid value for '--output': '-' would be standard output, but "
            "--output is the folder for results.json and pr_curve.png",
            "give a name instead, such as --output results",
        ),
        (
            ["fit", train, "--target", "label", "--model-out", "-"],
            "Invalid value for '--model-out': '-' would be standard output, but "
            "the model is a binary joblib file",
            "give a name instead, such as --model-out model.joblib",
        ),
    ]
    for args, message, instead in cases:
        result = _run(*args)
        assert result.exit_code == 2, result.output
        assert "Usage: " in result.stderr
        assert message in result.stderr and instead in result.stderr
        assert not (tmp_path / "-").exists()


def test_predict_reads_standard_input(small_model, tmp_path):
    """DATA - reads the CSV table from standard input (with --output -, the
    predictions go to standard output): the same predictions as from the
    file. '-' was "DATA - does not exist"."""
    text = "a,b,c\n0.1,0.2,0.3\n-1,0.5,2\n"
    new = _write(tmp_path / "new.csv", text)
    from_file = _run("predict", str(small_model), new, "--output", "-")
    assert from_file.exit_code == 0, from_file.output
    result = _run("predict", str(small_model), "-", "--output", "-", input=text)
    assert result.exit_code == 0, result.output
    assert result.stdout == from_file.stdout
    output = tmp_path / "preds.csv"
    result = _run("predict", str(small_model), "-", "--output", str(output), input=text)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote 2 predictions to {output}\n"
    assert output.read_text() == from_file.stdout


def test_fit_and_compare_read_standard_input(small_model, tmp_path):
    """fit - and compare - (or compare --csv -) read the training table from
    standard input, and name it so; the model is the one fitted on the file."""
    import joblib

    train = small_model.parent / "train.csv"
    text = train.read_text()
    model = tmp_path / "m.joblib"
    args = ["--target", "label", "--strategy", "none", "--model-out", str(model)]
    result = _run("fit", "-", *args, input=text)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"fitted 'none' on 40 rows; saved to {model}\n"
    saved = joblib.load(model)
    assert saved["target"] == "label"
    assert list(saved["model"].feature_names_in_) == ["a", "b", "c"]
    predictions = [
        _run("predict", str(path), str(train), "--output", "-").stdout
        for path in (small_model, model)
    ]
    assert predictions[0] == predictions[1]
    quick = ["--strategies", "none", "--folds", "2", "--n-jobs", "1", "--quiet"]
    for data in (["-"], ["--csv", "-"]):
        result = _run("compare", *data, "--target", "label", *quick, input=text)
        assert result.exit_code == 0, result.output
        title = " ".join(result.stdout.split())
        assert "skimb compare: standard input (target 'label'), 2-fold" in title


def test_semicolon_table_with_decimal_commas_from_standard_input(small_model):
    """A ';' table with decimal commas and pandas's index column, on standard
    input, is read as the same file is: numbers, the index left out with a
    note that names standard input."""
    new = pd.read_csv(small_model.parent / "train.csv").drop(columns="label")[:5]
    plain = _run(
        "predict", str(small_model), "-", "--output", "-", input=new.to_csv(index=False)
    )
    assert plain.exit_code == 0, plain.output
    european = new.to_csv(sep=";", decimal=",")  # 0,1257;-1,5 and an index
    assert ";" in european and "," in european
    result = _run("predict", str(small_model), "-", "--output", "-", input=european)
    assert result.exit_code == 0, result.output
    assert result.stdout == plain.stdout
    assert (
        "note: the first column of standard input has no name; it is read as "
        "the row index" in result.stderr
    )


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "the CSV table on standard input is empty"),
        (b"\n\n", "the CSV table on standard input is empty"),
        (b"a,b,c\n", "the CSV table on standard input has no rows"),
        (
            "a,b,c\n1,2,caf\xe9\n".encode("latin-1"),
            "standard input is not UTF-8 text (invalid continuation byte at byte "
            "13); convert it to UTF-8 first",
        ),
        (
            b"a,b,a\n1,2,3\n",
            "standard input has more than one column of the same name: 'a'",
        ),
        (b"a,b,c\n1,2,inf\n", "the column 'c' of standard input holds inf"),
        (b"a,c\n1,2\n", "standard input lacks the column 'b'"),
    ],
    ids=["empty", "blank lines", "no rows", "latin-1", "repeated", "inf", "lacks"],
)
def test_bad_standard_input_is_named(small_model, tmp_path, data, message):
    """The checks of a CSV file hold for standard input, whose messages say
    "standard input" (not '-'), and nothing is written."""
    output = tmp_path / "preds.csv"
    result = _run("predict", str(small_model), "-", "--output", str(output), input=data)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {message}"), result.stderr
    assert not output.exists()
    if message.endswith("is empty"):  # fit says the same
        model = tmp_path / "m.joblib"
        args = ["--target", "label", "--model-out", str(model)]
        result = _run("fit", "-", *args, input=data)
        assert result.exit_code == 2, result.output
        assert result.stderr == f"error: {message}\n"


def test_images_cannot_come_from_standard_input(small_model, tmp_path):
    """A model fitted on images, given DATA -, says that images cannot come
    from standard input (it said that '-' does not exist), and so does
    compare --images -."""
    import joblib
    from sklearn.pipeline import make_pipeline

    from skimb import ImageEmbedder

    saved = joblib.load(small_model)
    embedder = ImageEmbedder("resnet50", weights=None)  # never fitted or run
    saved["model"] = make_pipeline(embedder, saved["model"])
    model = tmp_path / "images.joblib"
    joblib.dump(saved, model)
    result = _run("predict", str(model), "-", "--output", "-", input="a,b,c\n1,2,3\n")
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"error: {model} was fitted on images, but DATA - is standard input, "
        "which can hold a CSV table only: images cannot come from standard "
        "input. Pass a folder of images or one image file\n"
    )
    result = _run("compare", "--images", "-", "--quiet")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(
        "error: --images - would be standard input, but an image folder cannot "
        "come from standard input"
    )


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "a,b,c\n0.1,0.2,0.3\n0.4,inf,0.6\n",
            "the column 'b' of {} holds inf on line 3; numbers must be finite",
        ),
        ("a,c\n0.1,0.3\n", "{} lacks the column 'b' that the model was fitted on"),
        ("a\n0.1\n", "{} lacks the columns 'b', 'c' that the model was fitted on"),
    ],
    ids=["infinite cell", "missing column", "missing columns"],
)
def test_predict_names_the_file_and_column(small_model, tmp_path, text, message):
    """An infinite cell or a missing column: predict names the file and the
    column, as fit does; it gave scikit-learn's "Input X contains infinity
    ..." and "columns are missing: {'b'}"."""
    data = _write(tmp_path / "new.csv", text)
    output = tmp_path / "preds.csv"
    result = _run("predict", str(small_model), data, "--output", str(output))
    assert result.exit_code == 2, result.output
    assert f"error: {message.format(data)}" in result.stderr
    assert not output.exists()


def test_first_column_without_a_name_is_the_row_index(small_model, tmp_path):
    """A CSV file written by pandas's to_csv keeps the index as a first
    column with no name: fit and predict leave it out, with a note (fit
    trained on it as the feature 'Unnamed: 0', and predict then needed it)."""
    import joblib

    train = pd.read_csv(small_model.parent / "train.csv")
    indexed = tmp_path / "indexed.csv"
    train.to_csv(indexed)  # pandas's default: the index is written
    model = tmp_path / "m.joblib"
    args = ["--target", "label", "--strategy", "none", "--model-out", str(model)]
    result = _run("fit", str(indexed), *args)
    assert result.exit_code == 0, result.output
    note = (
        f"note: the first column of {indexed} has no name; it is read as the "
        "row index and not used as a feature"
    )
    assert note in result.stderr
    assert list(joblib.load(model)["model"].feature_names_in_) == ["a", "b", "c"]
    new = train.drop(columns="label").iloc[[3, 1, 2]]
    new.to_csv(tmp_path / "new_indexed.csv")
    new.to_csv(tmp_path / "new.csv", index=False)
    predictions = []
    for name in ("new_indexed.csv", "new.csv"):
        output = tmp_path / f"preds_{name}"
        result = _run(
            "predict", str(model), str(tmp_path / name), "--output", str(output)
        )
        assert result.exit_code == 0, result.output
        assert ("note: the first column of" in result.stderr) == (name != "new.csv")
        predictions.append(pd.read_csv(output))
    pd.testing.assert_frame_equal(*predictions)


def test_target_with_an_image_folder_is_an_error(image_folder, tmp_path):
    """--target names a CSV column; with images it was silently ignored."""
    for args in (
        ["compare", "--images", str(image_folder)],
        ["fit", str(image_folder), "--model-out", str(tmp_path / "m.joblib")],
    ):
        result = _run(*args, "--target", "label", *_OFFLINE_BACKBONE)
        assert result.exit_code == 2
        assert "an image folder's labels are its subfolder names" in result.stderr


def test_backbone_with_table_data_is_an_error(small_model, tmp_path):
    """--backbone and --weights apply to image folders; given with a CSV
    file (fit, compare --csv) or the built-in table they were silently
    ignored. Given means given: the default value spelt out counts too."""
    train = str(small_model.parent / "train.csv")
    model = tmp_path / "m.joblib"
    fit = ["fit", train, "--target", "label", "--model-out", str(model)]
    compare = [
        "compare",
        "--strategies",
        "none",
        "--folds",
        "2",
        "--n-jobs",
        "1",
        "--quiet",
    ]
    csv = ["--csv", train, "--target", "label"]
    not_a_folder = f"and DATA {train} is not a folder"
    cases = [
        (fit + ["--backbone", "resnet50"], "--backbone applies", not_a_folder),
        (fit + ["--weights", "none"], "--weights applies", not_a_folder),
        (fit + ["--backbone", "mobilenet_v2"], "--backbone applies", not_a_folder),
        (
            compare + csv + ["--backbone", "resnet50", "--weights", "none"],
            "--backbone and --weights apply",
            f"and --csv {train} is a CSV table. Leave --backbone and --weights out\n",
        ),
        (
            compare + ["--weights", "imagenet"],
            "--weights applies",
            "and without DATA, --csv or --images compare runs on its built-in table",
        ),
    ]
    for args, options, why in cases:
        result = _run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.startswith(
            f"error: {options} to image folders only, {why}"
        ), result.stderr
        assert "skimb compare:" not in result.output  # nothing was fitted
        assert not model.exists()


def test_compare_takes_data_as_fit_does(small_model, tmp_path, monkeypatch):
    """compare takes DATA as fit does, a CSV file or an image folder, beside
    --csv and --images (which keep working); DATA with either is an error.
    compare took --csv and --images only, fit a positional DATA only."""
    from skimb import cli
    from skimb.datasets import make_imbalanced_table

    train = str(small_model.parent / "train.csv")
    quick = ["--strategies", "none", "--folds", "2", "--n-jobs", "1", "--quiet"]
    result = _run("compare", train, "--target", "label", *quick)
    assert result.exit_code == 0, result.output
    assert f"skimb compare: {train} (target 'label')" in " ".join(result.stdout.split())
    # A folder goes where --images goes (embedding it is the slow test's job).
    calls = []

    def load_images(*args):
        calls.append(args)
        return *make_imbalanced_table(n_samples=60), None, None, "stub images"

    monkeypatch.setattr(cli, "_load_images", load_images)
    result = _run("compare", str(tmp_path), *_OFFLINE_BACKBONE, *quick)
    assert result.exit_code == 0, result.output
    assert calls == [(str(tmp_path), "resnet50", "none")]
    assert "skimb compare: stub images" in result.stdout
    monkeypatch.undo()
    cases = [
        # A folder is an image folder, as for fit: it has no --target.
        (
            [str(tmp_path), "--target", "label"],
            "an image folder's labels are its subfolder names",
        ),
        ([train], f"the CSV file {train} needs --target COLUMN"),
        (
            [train, "--csv", train, "--target", "label"],
            f"DATA {train} and --csv {train} both name the data; give one of them",
        ),
        (
            [train, "--images", str(tmp_path)],
            f"DATA {train} and --images {tmp_path} both name the data",
        ),
        (["--target", "label"], "--target needs a CSV file: DATA or --csv FILE"),
        (
            [train, "--target", "label", "--backbone", "resnet50"],
            f"--backbone applies to image folders only, and DATA {train} is not",
        ),
    ]
    for args, message in cases:
        result = _run("compare", *args, *quick)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.startswith("error: ") and message in result.stderr


@pytest.mark.parametrize("command", ["fit", "compare", "predict"])
def test_data_that_does_not_exist(command, small_model, tmp_path):
    """A mistyped folder was read as a CSV file (fit asked for --target), and
    an empty DATA was the current folder for fit and predict, the built-in
    table for compare; all three say what DATA must be."""
    before, after = [], []
    if command == "fit":
        after = ["--model-out", str(tmp_path / "m.joblib")]
    if command == "predict":
        before, after = [str(small_model)], ["--output", str(tmp_path / "p.csv")]
    missing = str(tmp_path / "photoz")
    for data, message in [
        (missing, f"DATA {missing} does not exist; give a CSV file"),
        ("", "DATA is empty; give a CSV file"),
    ]:
        result = _run(command, *before, data, *after)
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("error: ") and message in result.stderr


def test_csv_header_quoted_over_lines_and_too_long(tmp_path):
    """The header is one CSV record: a quoted name may span lines (a ';' file
    so named was read as one column), and a header field past the csv
    module's size limit is an error line, not csv.Error's traceback."""
    from skimb.cli import _read_csv

    spanning = tmp_path / "spanning.csv"
    spanning.write_text('"a\nb";c;label\n1,5;2;x\n3;4;y\n')
    frame = _read_csv(spanning)
    assert list(frame.columns) == ["a\nb", "c", "label"]
    assert frame["a\nb"].tolist() == [1.5, 3.0]
    repeated = tmp_path / "repeated.csv"
    repeated.write_text('"x\ny",a,a\n1,2,3\n')
    with pytest.raises(ValueError, match="more than one column of the same name"):
        _read_csv(repeated)
    huge = tmp_path / "huge.csv"
    huge.write_text("a" * 200_000 + "\n1\n")
    result = _run("fit", str(huge), "--target", "label", "--model-out", "m.joblib")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: cannot parse the header of {huge}")


def test_csv_header_is_read_once():
    """The header is read from the stream once, for ',' and for the ';' or
    tab found then (the file was opened twice; standard input cannot be)."""
    from skimb.cli import _read_header

    read = []

    class Once(io.StringIO):
        def __next__(self):
            read.append(super().__next__())
            return read[-1]

    text = '\n"a\nb";c;label\n1,5;2;x\n'
    assert _read_header(Once(text), "x.csv") == (["a\nb", "c", "label"], ";")
    assert read == ["\n", '"a\n', 'b";c;label\n']  # each line once


def test_warnings_are_one_line_in_the_option_spelling(image_folder, tmp_path):
    """The library's warnings print as 'warning: ...' in --option terms,
    without Python's file:line prefix and source line."""
    model = tmp_path / "m.joblib"
    args = ["--backbone", "mobilenet_v3_small", "--weights", "none"]
    result = _run("fit", str(image_folder), "--model-out", str(model), *args)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if "close to zero" in line]
    assert len(lines) == 1
    assert lines[0].startswith("warning: The backbone's features are all close")
    assert "(--weights none)" in lines[0] and "Use --weights imagenet" in lines[0]
    assert "UserWarning" not in result.stderr and "weights=None" not in result.stderr


def test_offline_hint_uses_the_option_spelling(image_folder, monkeypatch):
    """When ImageNet weights cannot be downloaded, the hint says --weights none."""
    import keras

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure on https://example.invalid: None")

    monkeypatch.setattr(keras.applications, "MobileNetV3Small", offline)
    args = ["--images", str(image_folder), "--backbone", "mobilenet_v3_small"]
    result = _run("compare", *args, "--quiet")
    assert result.exit_code == 2
    assert "offline, pass --weights none or" in result.stderr
    assert "Cannot load --weights imagenet for backbone" in result.stderr
    assert "weights=None" not in result.stderr


@pytest.mark.parametrize(
    "case, message",
    [
        ("missing file", "file not found"),
        ("unknown target", "target column 'nope' is not in"),
        ("one class", "The target has a single class"),
        ("unknown strategy", "Unknown strategy 'smoth'"),
        ("empty csv", "is empty"),
        ("one image class", "it needs one subfolder per class, at least two"),
        ("csv without target", "--csv needs --target"),
        # These two were scikit-learn's messages, naming neither the column
        # nor the row ("Input X contains infinity", "y must hold class labels").
        ("infinite cell", "the column 'a' of"),
        ("continuous target", "the target column 'y' of"),
    ],
)
def test_bad_input_is_one_line(case, message, tmp_path, hard_csv):
    """Bad input: exit code 2, one 'error:' line on stderr, no traceback."""
    folder = tmp_path / "images"
    (folder / "only_class").mkdir(parents=True)
    (folder / "only_class" / "a.png").write_bytes(b"x")
    args = {
        "missing file": ["--csv", str(tmp_path / "nope.csv"), "--target", "y"],
        "unknown target": ["--csv", str(hard_csv), "--target", "nope"],
        "one class": [
            "--csv",
            _write(tmp_path / "one.csv", "a,y\n1,k\n2,k\n"),
            "--target",
            "y",
        ],
        "unknown strategy": ["--strategies", "none,smoth"],
        "empty csv": ["--csv", _write(tmp_path / "empty.csv", ""), "--target", "y"],
        "one image class": ["--images", str(folder)],
        "csv without target": ["--csv", str(hard_csv)],
        "infinite cell": [
            "--csv",
            _write(tmp_path / "inf.csv", "a,y\n1,k\ninf,k\n2,m\n3,m\n"),
            "--target",
            "y",
        ],
        "continuous target": [
            "--csv",
            _write(tmp_path / "cont.csv", "a,y\n1,0.25\n2,1.5\n3,2.75\n"),
            "--target",
            "y",
        ],
    }[case]
    result = subprocess.run(
        [sys.executable, "-m", "skimb.cli", "compare", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    if case == "infinite cell":
        assert "holds inf on line 3; numbers must be finite" in lines[0]
    if case == "continuous target":
        assert "holds continuous values (such as 0.25), not class" in lines[0]


def test_make_strategy_pipelines():
    """Each strategy is a pipeline starting with a scaler; unknown is an error."""
    for name in STRATEGIES:
        pipe = make_strategy(name)
        assert pipe.steps[0][0] == "standardscaler"
    with pytest.raises(ValueError, match="Valid strategies: none, class_weight"):
        make_strategy("smote2")


def test_compare_strategies_api():
    """compare_strategies keeps per-fold scores and out-of-fold probabilities."""
    X, y = make_classification(n_samples=200, weights=[0.85, 0.15], random_state=0)
    result = compare_strategies(X, y, ["class_weight", "balanced_bagging"], folds=2)
    assert set(result.scores) == {"class_weight", "balanced_bagging"}
    assert all(len(v) == 2 for v in result.scores["class_weight"].values())
    oof = result.oof_scores["class_weight"]
    assert oof.shape == (200,) and np.all((oof >= 0) & (oof <= 1))
    assert result.best() in result.scores
    assert result.pos_label == 1


# ----------------------------------------------------------------------
# CSV files as users have them


def _csv(path, text):
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_question_mark_is_a_missing_value(tmp_path):
    """'?' (UCI and KEEL data) is missing, not a category; so is a '?' label."""
    from skimb.cli import _load_csv

    rows = "".join(f"{i},{i % 3 if i != 4 else '?'},{'ab'[i % 2]}\n" for i in range(10))
    path = _csv(tmp_path / "q.csv", "x,z,label\n" + rows + "11,2,?\n")
    X, y, preprocessor, _, _ = _load_csv(path, "label")
    assert len(X) == 10 and set(y) == {"a", "b"}
    preprocessor.fit(X)
    assert list(preprocessor.transformers_[0][2]) == ["x", "z"]  # numeric
    assert np.isfinite(preprocessor.transform(X)).all()


def test_a_word_among_numbers_is_named(tmp_path):
    """A numeric column with a stray word is an error naming the cell, not a
    column of categories that the saved model would ignore at prediction."""
    from skimb.cli import _load_csv

    values = [str(i) for i in range(10)]
    values[6] = "n.a."
    rows = "".join(f"{v},{i % 2}\n" for i, v in enumerate(values))
    path = _csv(tmp_path / "typo.csv", "x,label\n" + rows)
    with pytest.raises(ValueError, match=r"'x' of .* holds 'n.a.' on line 8, among"):
        _load_csv(path, "label")
    # A column of words with a few numbers in it stays categorical.
    rows = "".join(f"{'red' if i % 3 else 7},{i % 2}\n" for i in range(10))
    X, *_ = _load_csv(_csv(tmp_path / "words.csv", "colour,label\n" + rows), "label")
    assert not pd.api.types.is_numeric_dtype(X["colour"])


def test_semicolon_file_with_decimal_commas(tmp_path):
    """A ';' file with decimal commas (a European spreadsheet's export) has
    numbers, not categories (0,1257 was one-hot encoded); with decimal
    points it is read as before."""
    from skimb.cli import _read_csv

    frame = pd.DataFrame(
        {"a": [0.1257, -1.5, 2.0], "n": [1, 2, 3], "label": ["x", "y", "x"]}
    )
    frame.to_csv(tmp_path / "commas.csv", sep=";", decimal=",", index=False)
    pd.testing.assert_frame_equal(_read_csv(tmp_path / "commas.csv"), frame)
    frame.to_csv(tmp_path / "points.csv", sep=";", index=False)
    pd.testing.assert_frame_equal(_read_csv(tmp_path / "points.csv"), frame)


@pytest.mark.parametrize("separator", [",", ";"])
def test_repeated_column_names_are_an_error(tmp_path, separator):
    """Two columns of one name are an error naming them: pandas renamed the
    second 'label.1', a feature that leaked the target."""
    from skimb.cli import _load_csv

    rows = "".join(f"{i},{i % 2},{i % 2}\n" for i in range(8))
    text = ("x,label,label\n" + rows).replace(",", separator)
    path = _csv(tmp_path / "dup.csv", text)
    message = r"more than one column of the same name: 'label' \(columns 2, 3\)"
    with pytest.raises(ValueError, match=message):
        _load_csv(path, "label")


def test_integer_labels_with_gaps_stay_integers(tmp_path):
    """Rows without a label are dropped, and the labels are ints again."""
    from skimb.cli import _load_csv

    rows = "".join(f"{i},{'' if i in (2, 5) else i % 2}\n" for i in range(12))
    _, y, *_ = _load_csv(_csv(tmp_path / "gaps.csv", "x,label\n" + rows), "label")
    assert y.dtype.kind == "i" and set(y.tolist()) == {0, 1} and len(y) == 10


def test_data_lines_longer_than_the_header(tmp_path, capsys):
    """A separator ending every data line but not the header is no value:
    the columns are read in place (pandas took the first field for a row
    name, so 'a' got b's values and 'b' none, silently). Row names in a
    first field the header does not name (R's write.table) are left out
    with a note."""
    from skimb.cli import _read_csv

    expected = pd.DataFrame({"a": [1, 3], "b": [2, 4], "label": ["x", "y"]})
    trailing = _csv(tmp_path / "t.csv", "a,b,label\n1,2,x,\n3,4,y,\n")
    pd.testing.assert_frame_equal(_read_csv(trailing), expected)
    assert "note" not in capsys.readouterr().err
    semicolons = _csv(tmp_path / "s.csv", "a;b;label\n1;2;x;\n3;4;y;\n")
    pd.testing.assert_frame_equal(_read_csv(semicolons), expected)
    named = _csv(tmp_path / "r.csv", "a,b,label\nr1,1,2,x\nr2,3,4,y\n")
    pd.testing.assert_frame_equal(_read_csv(named), expected)
    assert "one field more than its header; the first field is read as the row" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize("separator", [";", "\t"])
def test_semicolon_and_tab_separators(tmp_path, separator):
    from skimb.cli import _read_csv

    text = separator.join(["a", "b", "label"]) + "\n" + separator.join("12x") + "\n"
    frame = _read_csv(_csv(tmp_path / "s.csv", text))
    assert list(frame.columns) == ["a", "b", "label"]


@pytest.mark.parametrize(
    "content, target, message",
    [
        ("x,label\n1,\n2,\n", "label", "the target column 'label' of .* has no values"),
        ("x, label \n1,a\n", "label", r"its columns are 'x', ' label '"),
    ],
)
def test_target_column_messages(tmp_path, content, target, message):
    from skimb.cli import _load_csv

    with pytest.raises(ValueError, match=message):
        _load_csv(_csv(tmp_path / "t.csv", content), target)


def test_latin1_file_says_save_as_utf8(tmp_path):
    from skimb.cli import _read_csv

    path = tmp_path / "latin1.csv"
    path.write_bytes("x,label\n1,caf\xe9\n".encode("latin-1"))
    with pytest.raises(ValueError, match="is not UTF-8 text .* save it as UTF-8"):
        _read_csv(path)


def test_empty_column_does_not_warn_at_every_fit(tmp_path):
    """A column with no value is a constant, without SimpleImputer's warning."""
    import warnings

    from skimb.cli import _load_csv

    rows = "".join(f"{i},,{i % 2}\n" for i in range(8))
    X, _, preprocessor, _, _ = _load_csv(
        _csv(tmp_path / "e.csv", "x,empty,label\n" + rows), "label"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert preprocessor.fit_transform(X).shape == (8, 2)


def test_true_false_feature_column(tmp_path):
    """A feature column of True/False (pandas writes a bool column so) is a
    column of categories, with or without empty cells: without, pandas reads
    it as bools, which SimpleImputer refused ("does not support data with
    dtype bool"), at fit or, for a model fitted with empty cells, at predict."""
    rows = "".join(
        f"{i},{i % 2 == 1},{'r' if i % 4 == 0 else 'c'}\n" for i in range(16)
    )
    train = _csv(tmp_path / "train.csv", "a,flag,label\n" + rows)
    model = tmp_path / "model.joblib"
    args = ["--strategy", "none", "--model-out", str(model)]
    result = _run("fit", train, "--target", "label", *args)
    assert result.exit_code == 0, result.output
    for cells in ("True\n2,False", "True\n2,"):  # bools; objects
        new = _csv(tmp_path / "new.csv", f"a,flag\n1,{cells}\n")
        result = _run("predict", str(model), new, "--output", "-")
        assert result.exit_code == 0, result.output
        assert len(pd.read_csv(io.StringIO(result.stdout))) == 2
    # Fitted with an empty cell (objects), predicting bools.
    train = _csv(tmp_path / "gaps.csv", "a,flag,label\n1,,r\n" + rows)
    result = _run("fit", train, "--target", "label", *args)
    assert result.exit_code == 0, result.output
    new = _csv(tmp_path / "new.csv", "a,flag\n1,True\n2,False\n")
    result = _run("predict", str(model), new, "--output", "-")
    assert result.exit_code == 0, result.output


def test_separator_at_the_end_of_every_line(tmp_path):
    """A separator at the end of each line (as some spreadsheets export) is
    no column: pandas named it "Unnamed: 3" in the training file and
    "Unnamed: 2" in a file to predict without the target, and predict
    stopped with "lacks the column 'Unnamed: 3'", whichever file it got."""
    rows = "".join(f"{i},{i % 3},{'r' if i % 4 == 0 else 'c'},\n" for i in range(16))
    train = _csv(tmp_path / "train.csv", "a,b,label,\n" + rows)
    model = tmp_path / "model.joblib"
    args = ["--strategy", "none", "--model-out", str(model)]
    result = _run("fit", train, "--target", "label", *args)
    assert result.exit_code == 0, result.output
    for text in ("a,b,\n1,2,\n", "a,b\n1,2\n", "a,b,label,\n1,2,,\n"):
        new = _csv(tmp_path / "new.csv", text)
        result = _run("predict", str(model), new, "--output", "-")
        assert result.exit_code == 0, result.output
        assert "note:" not in result.stderr


def test_a_column_without_a_name_that_holds_values(small_model, tmp_path):
    """A column whose header is empty (not the first, the row index) but
    that holds values is an error for fit and compare, naming its place:
    fit trained on it as "Unnamed: 2", a name by its place, and predict
    then asked a file without the target column, where it is the column 2,
    for "Unnamed: 2". A file to predict may have such a column: like any
    column the model does not know, it is not used."""
    rows = "".join(
        f"{i},{'r' if i % 4 == 0 else 'c'},{i % 3},{i % 5}\n" for i in range(16)
    )
    train = _csv(tmp_path / "train.csv", "a,label,,b\n" + rows)
    model = tmp_path / "model.joblib"
    message = (
        f"error: the column 3 (between 'label' and 'b') of {train} has no name "
        "in the header but holds values; give it a name in the header (the "
        "same in the files to predict), or remove it\n"
    )
    args = ["--target", "label", "--strategy", "none"]
    result = _run("fit", train, *args, "--model-out", str(model))
    assert (result.exit_code, result.stderr) == (2, message)
    assert not model.exists()
    result = _run("compare", train, "--target", "label", "--folds", "2", "--quiet")
    assert (result.exit_code, result.stderr) == (2, message)
    two = _csv(tmp_path / "two.csv", "a,,b,, ,label\n1,2,3,,5,r\n")
    result = _run("fit", two, *args, "--model-out", str(model))
    assert result.stderr.startswith(
        "error: the columns 2 (between 'a' and 'b') and 5 (before 'label') of "
    )  # the column 4, without a value, is left out, and ' ' is no name
    new = _csv(tmp_path / "new.csv", "a,,b,c\n0.1,9,0.2,0.3\n")
    result = _run("predict", str(small_model), new, "--output", "-")
    assert result.exit_code == 0, result.output


# ----------------------------------------------------------------------
# Strategies and options


def test_smote_strategies_with_a_small_class():
    """SMOTE's neighbours shrink to a small class instead of failing the run;
    one row of a class in a training fold is a clear error."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(44, 3))
    y = np.array(["common"] * 40 + ["rare"] * 4)
    params = {"max_iter": 1}
    names = ["smote", "smoteenn", "smotetomek"]
    result = compare_strategies(X, y, names, folds=4, estimator_params=params)
    assert all(len(result.scores[s]["f1"]) == 4 for s in names)
    with pytest.raises(ValueError, match="SMOTE needs at least two samples") as e:
        compare_strategies(X[:42], y[:42], ["none", "smote"], folds=2)
    assert "folds or more" not in str(e.value)  # 2 rows: no folds would do
    # 3 rows of a class in 2 folds leave 1 in a training fold; 3 folds leave
    # 2. The advice was "use fewer folds".
    with pytest.raises(ValueError, match="use 3 folds or more") as e:
        compare_strategies(X[:43], y[:43], ["smote"], folds=2)
    result = compare_strategies(
        X[:43], y[:43], ["smote"], folds=3, estimator_params=params
    )
    assert len(result.scores["smote"]["f1"]) == 3
    steps = dict(make_strategy("smoteenn", k_neighbors=2).steps)
    assert steps["smoteenn"].smote.k_neighbors == 2


def test_strategy_named_twice_runs_once():
    X, y = make_classification(n_samples=60, weights=[0.8], random_state=0)
    result = compare_strategies(
        X, y, ["none", "none"], folds=2, estimator_params={"max_iter": 1}
    )
    assert list(result.config["strategies"]) == ["none"]
    assert len(result.scores["none"]["f1"]) == 2


def test_empty_list_of_strategies_is_an_error():
    """An empty list is no strategy (as --strategies " , "); it ran all ten."""
    X, y = make_classification(n_samples=60, weights=[0.8], random_state=0)
    for strategies in ([], ()):
        with pytest.raises(ValueError, match="No strategy given"):
            compare_strategies(X, y, strategies, folds=2)


def test_one_strategy_by_name():
    """A str is one strategy's name; it was read as letters ("Unknown
    strategy 'n'")."""
    X, y = make_classification(n_samples=60, weights=[0.8], random_state=0)
    result = compare_strategies(X, y, "none", folds=2, estimator_params={"max_iter": 1})
    assert list(result.config["strategies"]) == ["none"]


def test_sparse_X_needs_a_dense_preprocessor():
    """A SciPy sparse X is compared through a preprocessor that makes dense
    features; without one it is a TypeError saying so. It failed either way
    with NumPy's "Input should have at least 1 dimension" (np.asarray made
    a 0-d object array of the matrix)."""
    from scipy.sparse import csr_matrix
    from sklearn.decomposition import TruncatedSVD

    X, y = make_classification(n_samples=60, weights=[0.8], random_state=0)
    with pytest.raises(TypeError, match=r"sparse matrix.*X.toarray\(\)"):
        compare_strategies(csr_matrix(X), y, "none", folds=2)
    params = {"max_iter": 1}
    result = compare_strategies(
        csr_matrix(X),
        y,
        ["none", "smote"],
        folds=2,
        preprocessor=TruncatedSVD(n_components=3, random_state=0),
        estimator_params=params,
    )
    assert list(result.config["strategies"]) == ["none", "smote"]
    assert not result.failed
    assert all(np.isfinite(row["f1"]).all() for row in result.table())


@pytest.mark.parametrize(
    "change, error, message",
    [
        # An IndexError from inside the folds.
        (lambda X, y: (X[:-1], y), ValueError, "inconsistent numbers of samples"),
        # "The class 0.3 has 1 sample(s)".
        (lambda X, y: (X, y + 0.3 * np.arange(len(y))), ValueError, "continuous"),
        (lambda X, y: (X, np.where(y == 1, np.nan, 0.0)), ValueError, "NaN"),
        # Python's "'<' not supported between instances of 'NoneType' and
        # 'str'", or "got a unknown target" when the None came first.
        (
            lambda X, y: (X, [None, *np.where(y[1:] == 1, "a", "b")]),
            ValueError,
            r"y has missing labels .* in 1 row \(first: \[0\]\)",
        ),
        (
            lambda X, y: (X, [*np.where(y[:-1] == 1, "a", "b"), None]),
            ValueError,
            "missing label",
        ),
        (
            lambda X, y: (
                X,
                pd.Series([pd.NA, *np.where(y[1:], "a", "b")], dtype="string"),
            ),
            ValueError,
            "missing label",
        ),
        # Python's "'<' not supported between instances of 'int' and 'str'".
        (lambda X, y: (X, y, {"folds": "5"}), TypeError, "folds must be an instance"),
        # "Every strategy failed: none, fold 1 of 2: The 'max_iter' parameter
        # ...; class_weight, ..." (once per strategy).
        (
            lambda X, y: (X, y, {"estimator_params": {"max_iter": 0}}),
            ValueError,
            r"^The 'max_iter' parameter of MLPClassifier must be",
        ),
        # Checked only at fit, so also failed every strategy, once each.
        (
            lambda X, y: (X, y, {"estimator_params": {"hidden_layer_sizes": (0,)}}),
            ValueError,
            r"^hidden_layer_sizes must contain positive integers",
        ),
        (
            lambda X, y: (
                X,
                y,
                {
                    "estimator_params": {
                        "early_stopping": True,
                        "validation_fraction": 0.0,
                    }
                },
            ),
            ValueError,
            r"^early_stopping=True holds out validation_fraction",
        ),
        # A misspelt label failed only the strategies that weight classes
        # (class_weight and focal); the others ran on.
        (
            lambda X, y: (X, y, {"estimator_params": {"class_weight": {0: 1, 2: 5}}}),
            ValueError,
            r"^class_weight has labels \[2\] that are not in the classes \[0, 1\]",
        ),
        # The network's random_state was silently replaced.
        (
            lambda X, y: (X, y, {"estimator_params": {"random_state": 5}}),
            ValueError,
            r"pass random_state=\.\.\. to compare_strategies",
        ),
    ],
)
def test_compare_strategies_checks_its_inputs(change, error, message):
    X, y = make_classification(n_samples=60, weights=[0.8], random_state=0)
    X, y, *options = change(X, y)
    with pytest.raises(error, match=message):
        compare_strategies(X, y, ["none"], **{"folds": 2, **(options or [{}])[0]})


@pytest.mark.parametrize(
    "loss, message",
    [
        ("nonsense", r"^Unknown loss 'nonsense'\. Use 'auto', 'focal'"),
        ("focall", r"^Unknown loss 'focall'\. Did you mean 'focal'"),
        ("sparse_categorical_crossentropy", None),
        ("logit_adjusted", None),
    ],
)
def test_compare_strategies_checks_the_loss_before_any_fit(loss, message):
    """A bad loss in estimator_params is one ValueError before any strategy
    runs: it was found at fit, so every strategy failed but focal (which
    sets its own loss), and the comparison went on with focal alone."""
    X, y = make_classification(n_samples=60, weights=[0.8], random_state=0)
    fits = []
    run = functools.partial(
        compare_strategies,
        X,
        y,
        ["none", "focal"],
        folds=2,
        estimator_params={"loss": loss, "max_iter": 1},
        progress=lambda strategy, fold: fits.append(strategy),
    )
    if message is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert sorted(run().scores) == ["focal", "none"]
        return
    with pytest.raises(ValueError, match=message):
        run()
    assert fits == []


@pytest.mark.parametrize(
    "change, message",
    [
        # "Every strategy failed: none, fold 1 of 2: could not convert
        # string to float: 'a'; class_weight, fold 1 of 2: ..."
        (lambda X: pd.DataFrame(X).add_prefix("x").assign(c="a"), "could not convert"),
        # sklearn's NaN message from the scoring of the fold that tested it
        (lambda X: np.where(np.arange(X.size).reshape(X.shape) == 0, np.nan, X), "NaN"),
    ],
)
def test_compare_strategies_needs_numbers_without_a_preprocessor(change, message):
    X, y = make_classification(n_samples=60, weights=[0.8], random_state=0)
    with pytest.raises(ValueError, match=f"{message}.* pass a preprocessor"):
        compare_strategies(
            change(X),
            y,
            ["none", "class_weight"],
            folds=2,
            estimator_params={"max_iter": 1},
        )


@pytest.mark.parametrize(
    "args, message",
    [
        (["--strategies", " , "], "No strategy given"),
        (["--n-jobs", "0"], "--n-jobs 0 means no worker"),
    ],
)
def test_bad_options_are_named_as_options(args, message):
    result = _run("compare", *args, "--quiet")
    assert result.exit_code == 2
    assert message in result.stderr


def test_weights_message_uses_the_option_spelling():
    from skimb.cli import _option_spelling
    from skimb.transfer import _check_weights

    with pytest.raises(ValueError) as error:
        _check_weights("nope.h5")
    assert _option_spelling(str(error.value)) == (
        "Use --weights imagenet, --weights none or --weights <path of an existing "
        "weights file>. Got --weights nope.h5, which is not a file."
    )


@pytest.mark.parametrize(
    "message, spelt",
    [
        ("fewer than folds=5: use folds=3", "fewer than --folds 5: use --folds 3"),
        (
            "(weights=None): use weights='imagenet'",
            "(--weights none): use --weights imagenet",
        ),
        ("Got weights='', which is", "Got --weights '', which is"),
        # Paths and longer names stay as they are.
        ("file not found: /data/folds=5/x.csv", "file not found: /data/folds=5/x.csv"),
        ("n_folds=3 and class_weights=None", "n_folds=3 and class_weights=None"),
    ],
)
def test_option_spelling(message, spelt):
    from skimb.cli import _option_spelling

    assert _option_spelling(message) == spelt


def test_compare_shows_each_warning_once_from_any_process():
    """Warnings raised while fitting come back to the calling process, once
    each: with n_jobs=2 each worker printed its own, once per fold, past the
    command's one-line warnings."""
    import warnings

    from skimb.compare import compare_strategies
    from skimb.datasets import make_imbalanced_table

    X, y = make_imbalanced_table(n_samples=200)
    params = {"max_iter": 1, "class_weight": {0: 0.0, 1: 1.0}}  # class 1 alone
    for n_jobs in (1, 2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            compare_strategies(
                X, y, ["class_weight"], folds=3, n_jobs=n_jobs, estimator_params=params
            )
        messages = [str(w.message) for w in caught]
        assert len(messages) == 1, (n_jobs, messages)
        assert messages[0].startswith("After weighting, only class [1] has")
        # At the caller's line, not at library code inside the worker.
        assert caught[0].filename == __file__, (n_jobs, caught[0].filename)


def test_output_paths_are_checked_before_fitting(tmp_path, hard_csv):
    """A folder that cannot be made fails at once; fit creates the parents."""
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    result = _run("compare", "--output", str(blocker / "sub"), "--quiet")
    assert result.exit_code == 2
    assert "cannot create the folder" in result.stderr
    assert "skimb compare:" not in result.output  # nothing was fitted
    model = tmp_path / "new" / "deeper" / "model.joblib"
    args = ["--target", "label", "--strategy", "none", "--model-out", str(model)]
    assert _run("fit", str(hard_csv), *args).exit_code == 0
    assert model.exists()
    result = _run("fit", str(hard_csv), "--model-out", str(model))
    assert f"the CSV file {hard_csv} needs --target" in result.stderr


def test_fit_time_leaves_out_the_backend_start(monkeypatch):
    """Each fold starts the backend before its timer: TensorFlow's start-up
    (seconds, once per worker) made the first strategy's fit time several
    times the others' (6.98 s against 1.16 s in a review's run)."""
    from skimb import _keras, compare
    from skimb.datasets import make_imbalanced_table

    events = []
    monkeypatch.setattr(_keras, "start_backend", lambda: events.append("start"))

    class Recording:
        def fit(self, X, y):
            events.append("fit")
            self.classes_ = np.unique(y)
            return self

        def predict_proba(self, X):
            return np.tile([0.5, 0.5], (len(X), 1))

        def predict(self, X):
            return np.full(len(X), self.classes_[0])

    X, y = make_imbalanced_table(n_samples=60)
    rows = np.arange(len(y))
    scores, _, _, error = compare._fit_and_score(Recording(), X, y, rows, rows, 1)
    assert error is None
    assert events == ["start", "fit"]
    assert scores["fit_time"] >= 0


def test_a_failing_strategy_is_left_out_with_a_warning(monkeypatch):
    """A strategy whose fit fails on a fold (SMOTEENN's cleaning can remove a
    class) is left out with a warning naming it and the fold; the others
    are compared. The run stopped with the fit's message alone."""
    from sklearn.dummy import DummyClassifier

    from skimb import compare
    from skimb.datasets import make_imbalanced_table

    class Failing(DummyClassifier):
        def fit(self, X, y):
            if len(y) % 2 == 0:  # of 99 rows, the second fold's 50
                raise ValueError("y contains only one class.")
            return super().fit(X, y)

    made = compare.make_strategy
    monkeypatch.setattr(
        compare,
        "make_strategy",
        lambda name, **kw: Failing() if name == "smoteenn" else made(name, **kw),
    )
    X, y = make_imbalanced_table(n_samples=99)
    with pytest.warns(UserWarning) as caught:
        result = compare.compare_strategies(
            X, y, ["none", "smoteenn"], folds=2, estimator_params={"max_iter": 1}
        )
    message = (
        "Strategy 'smoteenn' failed on fold 2 of 2: y contains only one class. "
        "It is left out of the results; the others are compared."
    )
    assert message in [str(w.message) for w in caught]
    assert list(result.scores) == list(result.oof_scores) == ["none"]
    assert result.failed == {"smoteenn": "fold 2 of 2: y contains only one class."}
    with pytest.raises(ValueError, match="Every strategy failed: smoteenn, fold 1"):
        compare.compare_strategies(X[:40], y[:40], ["smoteenn"], folds=2)


#: 12 rows whose 3 'rare' ones sit among the 'common' ones: SMOTEENN's
#: cleaning removes every 'common' row.
_CLEANED_AWAY = (
    "a,b,label\n4,5,common\n7,9,common\n0,1,common\n8,9,common\n2,3,common\n"
    "8,4,common\n2,8,common\n2,4,common\n6,5,common\n0,0,rare\n8,7,rare\n"
    "8,5,rare\n"
)

#: 9 rows of three mixed classes: SMOTEENN removes all of them; in the
#: first of 3 folds, SMOTETomek removes the class 2 alone.
_THREE_MIXED = (
    "a,b,label\n-0.9795,-1.5735,0\n-2.925,-0.3532,0\n1.2476,0.0331,0\n"
    "0.5118,1.0232,1\n-0.8821,2.6523,1\n-0.8769,0.3736,1\n"
    "2.7396,-0.1143,2\n0.1143,-0.5119,2\n0.3345,-2.1267,2\n"
)

#: 15 rows of three classes: SMOTEENN removes every row of the class 0
#: and keeps the two others, on which the network fits.
_THREE_ONE_CLEANED = "a,b,label\n" + "".join(
    f"{a},{b},{label}\n"
    for a, b, label in [
        (0.7835, -1.4309, 0), (-0.9365, 0.3939, 0), (-0.5241, 0.5256, 0),
        (0.8073, -1.4435, 0), (1.0171, -0.5956, 0), (2.0941, 0.7287, 0),
        (-0.539, 0.2015, 0), (0.215, 0.3295, 0), (1.3933, 0.5328, 0),
        (1.6606, 0.6342, 1), (-0.1777, -1.5244, 1), (-1.5605, 0.2048, 1),
        (0.691, 1.4433, 2), (-0.6133, 0.0778, 2), (-0.813, -0.4223, 2),
    ]
)  # fmt: skip


@pytest.mark.parametrize(
    "text, message",
    [
        (
            _CLEANED_AWAY,
            "error: SMOTEENN removed every row of the class 'common' (9 of the "
            "12 training rows): its cleaning removes rows close to rows of "
            "another class",
        ),
        (_THREE_MIXED, "error: SMOTEENN removed all 9 training rows, of every class"),
        (
            _THREE_ONE_CLEANED,
            "error: SMOTEENN removed every row of the class 0 (9 of the 15 "
            "training rows)",
        ),
    ],
    ids=["a class", "every row", "one class of three"],
)
def test_fit_says_that_the_sampler_removed_a_class(tmp_path, text, message):
    """A sampler whose cleaning removes every row of a class (or every row)
    is an error that says so and what to do; it was the network's "y
    contains only one class (['rare'])", of a table of two, or
    scikit-learn's "Found array with 0 sample(s) (shape=(0, 2)) while a
    minimum of 1 is required by MLPClassifier"; with three classes, fit
    saved a model of the two left, which never predicts the third."""
    data = _csv(tmp_path / "small.csv", text)
    model = tmp_path / "model.joblib"
    result = _run(
        "fit", data, "--target", "label", "--strategy", "smoteenn",
        "--model-out", str(model),
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(message), result.stderr
    assert "Add rows, or choose a strategy that removes none" in result.stderr
    assert not model.exists()


def test_compare_leaves_out_a_sampler_that_removed_a_class():
    """A fold whose sampler removes one class of three fails that strategy
    with a warning that says so, and the others are compared: the network
    learnt the two other classes, and the run stopped with "shape mismatch:
    value array of shape (3,2) could not be broadcast to indexing result of
    shape (3,3)"."""
    frame = pd.read_csv(io.StringIO(_THREE_MIXED))
    X, y = frame[["a", "b"]].to_numpy(), frame["label"].to_numpy()
    names = ["none", "smoteenn", "smotetomek"]
    with pytest.warns(UserWarning) as caught:
        result = compare_strategies(
            X, y, names, folds=3, estimator_params={"max_iter": 1}
        )
    assert [str(w.message).split(":")[0] for w in caught] == [
        "Strategy 'smoteenn' failed on fold 1 of 3",
        "Strategy 'smotetomek' failed on fold 1 of 3",
    ]
    assert list(result.scores) == ["none"]
    assert result.failed["smoteenn"].startswith(
        "fold 1 of 3: SMOTEENN removed all 6 training rows, of every class: its "
        "cleaning removes rows close to rows of another class"
    )
    assert result.failed["smotetomek"].startswith(
        "fold 1 of 3: SMOTETomek removed every row of the class 2 (2 of the 6 "
        "training rows)"
    )
    for message in result.failed.values():
        assert message.endswith(
            "Add rows, or choose a strategy that removes none (such as smote, "
            "ros or class_weight)."
        )


def test_best_fit_time_is_the_fastest_and_unknown_metrics_are_named():
    """best("fit_time") is the fastest strategy (it was the slowest: every
    metric was maximised); a metric the scores lack is a ValueError naming
    the ones they have (a bare KeyError)."""
    from skimb.compare import CompareResult

    scores = {
        "slow": {"f1": [0.5], "fit_time": [9.0]},
        "fast": {"f1": [0.25], "fit_time": [1.0]},
    }
    result = CompareResult(scores, {}, np.array([0, 1]), {}, 1)
    assert result.best("fit_time") == "fast"
    assert result.best("f1") == "slow"
    with pytest.raises(ValueError, match=r"Unknown metric 'F1'.*\['f1', 'fit_time'\]"):
        result.best("F1")


def test_best_strategy_ties_zero_and_nan(tmp_path):
    """ "best by F1" names every strategy tied with the best and none when
    every F1 is 0 (the first listed was called best); NaN means are passed
    over (max took a NaN listed first)."""
    from skimb.cli import _best_line
    from skimb.compare import CompareResult

    def result(f1):
        scores = {name: {"f1": values} for name, values in f1.items()}
        return CompareResult(scores, {}, np.array([0, 1]), {}, 1)

    nan_first = result({"a": [np.nan, 0.5], "b": [0.2, 0.4], "c": [0.1, 0.1]})
    assert nan_first.best() == "b"
    tied = result({"a": [0.5, 0.5], "b": [0.75, 0.25], "c": [0.1, 0.1]})
    assert _best_line(tied) == "best by F1: [bold]a, b[/bold] (tied)"
    zero = result({"focal": [0.0, 0.0], "none": [0.0, 0.0]})
    assert _best_line(zero).startswith("best by F1: - (every F1 is 0")
    zero.to_json(tmp_path / "results.json")
    document = json.loads((tmp_path / "results.json").read_text())
    assert document["best_by_f1"] is None and document["failed"] == {}
    assert document["tied_best_by_f1"] == []


def test_results_json_lists_the_tied_best_strategies(tmp_path):
    """results.json names every strategy tied for the best F1, as the table
    does: its best_by_f1 named the first alone. best_by_f1 stays (the first
    of them, as CompareResult.best returns)."""
    from skimb.compare import CompareResult

    scores = {
        name: {"f1": values}
        for name, values in {
            "none": [0.1, 0.1],
            "smote": [0.5, 0.5],
            "rus": [0.2, 0.2],
            "smotetomek": [0.75, 0.25],
        }.items()
    }
    result = CompareResult(scores, {}, np.array([0, 1]), {}, 1)
    result.to_json(tmp_path / "results.json")
    document = json.loads((tmp_path / "results.json").read_text())
    assert document["best_by_f1"] == "smote"
    assert document["tied_best_by_f1"] == ["smote", "smotetomek"]
    alone = CompareResult({"none": scores["none"]}, {}, np.array([0, 1]), {}, 1)
    alone.to_json(tmp_path / "alone.json")
    document = json.loads((tmp_path / "alone.json").read_text())
    assert document["best_by_f1"] == "none"
    assert document["tied_best_by_f1"] == ["none"]


def test_true_false_labels_with_empty_cells_stay_bools():
    """pandas reads True/False with empty cells as objects, which scikit-learn
    calls an "unknown" target; once the empty rows are dropped they are
    bools again, as whole numbers become integers."""
    from skimb.cli import _labels

    column = pd.Series([True, None, False, True], dtype=object).dropna()
    labels = _labels(column)
    assert labels.dtype == bool and labels.tolist() == [True, False, True]
    assert _labels(pd.Series([1.0, 0.0])).dtype == np.int64
