"""Tests of KerasClassifier: the scikit-learn contract beyond the common checks."""

import copy
import pickle
import re
import warnings
from functools import partial

import joblib
import numpy as np
import pytest
from scipy.special import expit, softmax
from sklearn import config_context
from sklearn.base import clone, is_classifier
from sklearn.exceptions import NotFittedError, UnsetMetadataPassedError
from sklearn.metrics import balanced_accuracy_score, roc_auc_score
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    cross_val_score,
    cross_validate,
)

from skimb import KerasClassifier, MLPClassifier

from .conftest import SmallNetwork, run_python, uncopyable_scale


def _small_clf(**params):
    defaults = {"epochs": 5, "optimizer__learning_rate": 0.01, "random_state": 0}
    return KerasClassifier(SmallNetwork(), **{**defaults, **params})


@pytest.fixture(scope="module")
def fitted(imbalanced_data):
    """A KerasClassifier fitted once on the imbalanced data."""
    X, y = imbalanced_data
    return _small_clf().fit(X, y)


def test_is_classifier():
    """KerasClassifier is recognised as a classifier by scikit-learn."""
    assert is_classifier(KerasClassifier())
    assert is_classifier(_small_clf())


def test_grid_search_uses_stratified_folds(imbalanced_data, monkeypatch):
    """GridSearchCV(cv=5) splits with StratifiedKFold, even on sorted labels."""
    X, y = imbalanced_data
    order = np.argsort(y, kind="stable")
    X, y = X[order], y[order]
    calls = []
    original_split = StratifiedKFold.split

    def recording_split(self, *args, **kwargs):
        calls.append(type(self))
        return original_split(self, *args, **kwargs)

    monkeypatch.setattr(StratifiedKFold, "split", recording_split)
    search = GridSearchCV(
        _small_clf(epochs=2), {"model__hidden": [4, 8]}, cv=5, error_score="raise"
    ).fit(X, y)
    assert calls == [StratifiedKFold]
    # Plain KFold on sorted labels would leave a fold without the minority.
    assert search.best_params_["model__hidden"] in (4, 8)


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["cat", "dog"]),
        np.array([3, 7]),
        np.array([-1, 5, 9]),
        np.array(["low", "mid", "high", "top"]),
    ],
    ids=["str-binary", "int-binary", "int-3-classes", "str-4-classes"],
)
def test_any_label_type(labels):
    """Labels of any type work; proba columns follow classes_ and sum to one."""
    rng = np.random.RandomState(0)
    n_classes = len(labels)
    centers = rng.normal(scale=6, size=(n_classes, 4))
    codes = np.repeat(np.arange(n_classes), 40)
    X = (centers[codes] + rng.normal(size=(len(codes), 4))).astype(np.float32)
    y = labels[codes]
    clf = _small_clf(epochs=30).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, np.sort(labels))
    proba = clf.predict_proba(X)
    assert proba.shape == (len(y), n_classes)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    # Column j is the probability of classes_[j]: it is highest on class j.
    for j, label in enumerate(clf.classes_):
        assert proba[y == label, j].mean() > 0.8
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(1)])
    assert clf.score(X, y) > 0.95


def test_single_sigmoid_output_binary(imbalanced_data):
    """A model with one sigmoid unit works for binary labels, two proba columns."""
    import keras

    def build(meta):
        return keras.Sequential(
            [
                keras.Input((meta["n_features_in_"],)),
                keras.layers.Dense(1, activation="sigmoid"),
            ]
        )

    X, y = imbalanced_data
    clf = KerasClassifier(
        build, epochs=10, optimizer__learning_rate=0.05, random_state=0
    ).fit(X, np.where(y == 1, "yes", "no"))
    proba = clf.predict_proba(X)
    assert proba.shape == (len(y), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert clf.score(X, np.where(y == 1, "yes", "no")) > 0.9


def test_logits_output_gets_softmax(imbalanced_data):
    """A model ending in a linear layer is trained from logits; proba sums to 1."""
    import keras

    def build(meta):
        return keras.Sequential(
            [
                keras.Input((meta["n_features_in_"],)),
                keras.layers.Dense(meta["n_classes_"]),
            ]
        )

    X, y = imbalanced_data
    clf = KerasClassifier(
        build, epochs=10, optimizer__learning_rate=0.05, random_state=0
    ).fit(X, y)
    proba = clf.predict_proba(X)
    assert np.all(proba >= 0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert balanced_accuracy_score(y, clf.predict(X)) > 0.85


def test_model_instance_is_not_modified(imbalanced_data):
    """A keras.Model passed as `model` is copied; the user's object is untouched."""
    import keras

    X, y = imbalanced_data
    model = keras.Sequential(
        [keras.Input((X.shape[1],)), keras.layers.Dense(2, activation="softmax")]
    )
    before = [w.copy() for w in model.get_weights()]
    clf = KerasClassifier(model, epochs=3, random_state=0).fit(X, y)
    for b, a in zip(before, model.get_weights()):
        np.testing.assert_array_equal(b, a)
    assert clf.model_ is not model
    assert not np.allclose(clf.model_.get_weights()[0], before[0])


def test_routed_parameters_reach_their_destination(imbalanced_data):
    """model__, optimizer__, loss__ and fit__ parameters are routed."""
    X, y = imbalanced_data
    clf = _small_clf(
        model__hidden=7,
        optimizer__learning_rate=0.123,
        loss="sparse_categorical_crossentropy",
        loss__from_logits=False,
        fit__validation_freq=1,
        epochs=1,
    ).fit(X, y)
    assert clf.model_.layers[0].units == 7
    assert np.isclose(float(clf.model_.optimizer.learning_rate), 0.123)
    params = clf.get_params()
    assert params["model__hidden"] == 7
    clone_params = clone(clf).get_params()
    assert clone_params["optimizer__learning_rate"] == 0.123
    clf.set_params(model__hidden=3)
    assert clf.fit(X, y).model_.layers[0].units == 3


class _EpochCounter:
    """A Keras callback class (built lazily) that records its arguments."""

    def __new__(cls, start=0, step=1):
        import keras

        class EpochCounter(keras.callbacks.Callback):
            def __init__(self, start=0, step=1):
                super().__init__()
                self.start, self.step, self.seen = start, step, []

            def on_epoch_end(self, epoch, logs=None):
                self.seen.append(self.start + self.step * epoch)
                self.model.seen_by_callback = list(self.seen)

        return EpochCounter(start, step)


def test_routed_callback_parameters(imbalanced_data):
    """callbacks__name goes to every callback class, callbacks__<i>__name to one."""
    import keras

    X, y = imbalanced_data
    counter = type(_EpochCounter())
    stop = keras.callbacks.EarlyStopping
    clf = _small_clf(
        epochs=3,
        callbacks=[counter, stop],
        callbacks__0__start=10,
        callbacks__0__step=5,
        callbacks__1__monitor="loss",
        callbacks__1__patience=7,
    ).fit(X, y)
    assert clf.model_.seen_by_callback == [10, 15, 20]
    assert clone(clf).get_params()["callbacks__0__start"] == 10
    # A dict of callbacks, a parameter shared by every class, and a named one.
    named = _small_clf(
        epochs=2,
        callbacks={"count": counter},
        callbacks__step=3,
        callbacks__count__start=1,
    ).fit(X, y)
    assert named.model_.seen_by_callback == [1, 4]


@pytest.mark.parametrize("how", ["routed", "fit argument"])
@pytest.mark.parametrize("as_list", [False, True])
def test_fit_time_callbacks_join_the_estimator_callbacks(imbalanced_data, how, as_list):
    """Callbacks given to one fit (fit__callbacks=, fit(callbacks=)), one object
    or a list, run beside the estimator's callbacks and early stopping; one
    object used to replace them all without a word."""
    import keras

    X, y = imbalanced_data
    own, epochs_seen = _EpochCounter(start=100), []
    extra = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: epochs_seen.append(epoch)
    )
    given = [extra] if as_list else extra
    clf = _small_clf(epochs=40, callbacks=[own], early_stopping=True)
    if how == "routed":
        clf.set_params(fit__callbacks=given).fit(X, y)
    else:
        clf.fit(X, y, callbacks=given)
    assert epochs_seen == list(range(clf.n_iter_))  # the fit-time callback ran
    assert clf.model_.seen_by_callback[0] == 100  # a copy of the own one ran
    assert own.seen == []  # (the estimator's own objects are still copied)
    assert clf.n_iter_ < 40  # early stopping ran
    # Routed and fit-argument callbacks together: both run.
    routed = []
    clf.set_params(
        fit__callbacks=keras.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: routed.append(epoch)
        )
    )
    epochs_seen.clear()
    clf.fit(X, y, callbacks=given)
    assert routed == epochs_seen == list(range(clf.n_iter_))


def test_fit_time_callbacks_must_be_callback_objects(imbalanced_data):
    import keras

    X, y = imbalanced_data
    with pytest.raises(TypeError, match="must be Keras callback objects; item 1 is"):
        _small_clf(epochs=1).fit(
            X, y, callbacks=[_EpochCounter(), keras.callbacks.EarlyStopping]
        )


def test_callback_that_cannot_be_copied_is_a_clear_error(imbalanced_data):
    """Each fit copies the callback objects; one holding a lock failed with
    copy's bare "cannot pickle '_thread.lock' object"."""
    import threading

    import keras

    class Locked(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.lock = threading.Lock()

    X, y = imbalanced_data
    message = "the callback 0 (Locked) cannot be copied: cannot pickle"
    with pytest.raises(ValueError, match=re.escape(message)):
        _small_clf(epochs=1, callbacks=[Locked()]).fit(X, y)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"callbacks__0__step": 2}, "match no callback class"),
        ({"callbacks__patience": 2}, "match no callback class"),
        ({"callbacks__0__nonsense": 2, "callbacks": "class"}, "Cannot create the"),
        ({"callbacks__0__step": 2, "callbacks": "object"}, "is an object, not a"),
    ],
)
def test_routed_callback_parameters_errors(imbalanced_data, params, message):
    """Routed callback parameters that reach no class are a clear ValueError."""
    X, y = imbalanced_data
    counter = _EpochCounter()
    callbacks = {"class": [type(counter)], "object": [counter]}
    params = {**params, "callbacks": callbacks.get(params.get("callbacks"))}
    with pytest.raises(ValueError, match=message):
        _small_clf(**params).fit(X, y)


def test_scikeras_style_meta_and_compile_kwargs(imbalanced_data):
    """A scikeras build function taking meta, compile_kwargs and plain kwargs."""
    import keras

    seen = {}

    def get_model(hidden_layer_dim, meta, compile_kwargs):
        seen.update(meta=meta, compile_kwargs=compile_kwargs)
        model = keras.Sequential(
            [
                keras.Input((meta["n_features_in_"],)),
                keras.layers.Dense(hidden_layer_dim, activation="relu"),
                keras.layers.Dense(meta["n_classes_"], activation="softmax"),
            ]
        )
        model.compile(
            loss=compile_kwargs["loss"], optimizer=compile_kwargs["optimizer"]
        )
        return model

    X, y = imbalanced_data
    clf = KerasClassifier(get_model, hidden_layer_dim=12, epochs=2, random_state=0)
    clf.fit(X, y)
    assert clf.model_.layers[0].units == 12
    assert seen["meta"]["n_classes_"] == 2
    assert seen["meta"]["n_features_in_"] == X.shape[1]
    assert seen["meta"]["target_type_"] == "binary"
    assert isinstance(seen["compile_kwargs"]["optimizer"], keras.optimizers.Adam)


def test_scikeras_constructor_and_defaults(imbalanced_data):
    """Every parameter of scikeras's KerasClassifier, with its default, works."""
    import inspect
    import warnings

    import keras

    scikeras = pytest.importorskip("scikeras.wrappers", reason="test extra")
    signature = inspect.signature(scikeras.KerasClassifier.__init__)
    defaults = {
        name: parameter.default
        for name, parameter in signature.parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }
    assert {"build_fn", "loss", "batch_size", "validation_batch_size"} <= set(defaults)
    X, y = imbalanced_data
    params = {**defaults, "model": SmallNetwork(), "verbose": 0, "random_state": 0}
    clf = KerasClassifier(**{**params, "validation_split": 0.2})
    proba = clf.fit(X, y).predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # loss=None is "auto": cross-entropy for the softmax output.
    assert clf.model_.loss is keras.losses.get("sparse_categorical_crossentropy")
    # scikeras's deprecated build_fn= still builds the model, with a warning.
    params = {**params, "model": None, "build_fn": SmallNetwork()}
    with pytest.warns(FutureWarning, match="build_fn is scikeras's deprecated"):
        KerasClassifier(**params).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # model= gives no warning
        KerasClassifier(SmallNetwork(), random_state=0).fit(X, y)


def test_validation_and_predict_batch_sizes(imbalanced_data, fed_arrays, monkeypatch):
    """Batches of validation_batch_size for the validation data, of
    predict__batch_size for Keras's predict."""
    import keras

    X, y = imbalanced_data
    predicted = []
    predict = keras.Model.predict

    def spy_predict(self, *args, **kwargs):
        predicted.append(kwargs.get("batch_size"))
        return predict(self, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "predict", spy_predict)
    clf = _small_clf(
        epochs=1,
        batch_size=16,
        validation_split=0.2,
        validation_batch_size=7,
        predict__batch_size=99,
    ).fit(X, y)
    clf.predict_proba(np.repeat(X, 4, axis=0))  # 1,200 rows: the batched path
    assert [(len(arrays[0]), size) for arrays, size in fed_arrays] == [
        (240, 16),
        (60, 7),
    ]
    assert predicted == [99]


def test_routed_validation_batch_size(imbalanced_data, fed_arrays):
    """fit__validation_batch_size batches the validation data, over the
    validation_batch_size parameter."""
    X, y = imbalanced_data
    _small_clf(
        epochs=1,
        batch_size=16,
        validation_split=0.2,
        validation_batch_size=7,
        fit__validation_batch_size=5,
    ).fit(X, y)
    assert [size for _, size in fed_arrays] == [16, 5]


def test_unknown_build_function_parameter():
    """A routed parameter the build function does not accept is a clear error."""
    X = np.random.RandomState(0).normal(size=(20, 3))
    y = np.arange(20) % 2
    clf = KerasClassifier(SmallNetwork(), model__hiden=4)
    with pytest.raises(ValueError, match="does not accept the parameter"):
        clf.fit(X, y)


def test_early_stopping_validation_is_stratified(imbalanced_data, fed_arrays):
    """On data sorted by class, the validation split keeps the class ratio."""
    X, y = imbalanced_data
    order = np.argsort(y, kind="stable")
    X, y = X[order], y[order]
    clf = _small_clf(epochs=30, early_stopping=True, validation_split=0.2).fit(X, y)
    (_, y_valid, _), _ = fed_arrays[1]
    assert len(y_valid) == 60
    assert np.mean(y_valid == 1) == pytest.approx(np.mean(y == 1), abs=0.02)
    assert "val_loss" in clf.history_
    assert clf.n_iter_ <= 30


def test_validation_split_too_small_for_a_class():
    """A validation split impossible to stratify is a clear ValueError."""
    X = np.random.RandomState(0).normal(size=(21, 3))
    y = np.array([0] * 20 + [1])
    with pytest.raises(ValueError, match="stratified validation set"):
        _small_clf(validation_split=0.2).fit(X, y)


def test_same_random_state_same_predictions(imbalanced_data, fitted):
    """Two fits with random_state=0 give identical probabilities."""
    X, y = imbalanced_data
    again = _small_clf().fit(X, y)
    np.testing.assert_array_equal(fitted.predict_proba(X), again.predict_proba(X))
    other = _small_clf(random_state=1).fit(X, y)
    assert not np.array_equal(fitted.predict_proba(X), other.predict_proba(X))


FRESH_PROCESS_FIT = """
import numpy as np
from sklearn.datasets import make_classification
from skimb import KerasClassifier
from tests.conftest import SmallNetwork
X, y = make_classification(n_samples=200, weights=[0.9, 0.1], random_state=0)
clf = KerasClassifier(SmallNetwork(), epochs=3, random_state=0).fit(X, y)
np.save({path!r}, clf.predict_proba(X))
"""


def test_same_random_state_across_processes(tmp_path):
    """random_state=0 gives identical probabilities in two fresh processes."""
    paths = [str(tmp_path / f"p{i}.npy") for i in range(2)]
    for path in paths:
        run_python(FRESH_PROCESS_FIT.format(path=path))
    np.testing.assert_array_equal(np.load(paths[0]), np.load(paths[1]))


def test_fit_restores_global_random_state(imbalanced_data):
    """A seeded fit leaves Python, NumPy and TensorFlow global RNGs untouched."""
    import random

    import tensorflow as tf

    X, y = imbalanced_data

    def draws():
        return (random.random(), np.random.rand(), float(tf.random.uniform(())))

    random.seed(7)
    np.random.seed(7)
    tf.random.set_seed(7)
    expected = [draws(), draws()]
    random.seed(7)
    np.random.seed(7)
    tf.random.set_seed(7)
    first = draws()
    _small_clf(epochs=1).fit(X, y)
    second = draws()
    assert [first, second] == expected


def test_fresh_process_determinism_not_left_on():
    """In a fresh process, a seeded fit leaves TF op determinism off.

    The fit is TensorFlow's first use in the process, so this catches the
    scikeras leak (determinism switched on and never switched off), after
    which unseeded random ops of the user fail.
    """
    out = run_python(
        """
        import random, numpy as np
        from sklearn.datasets import make_classification
        from skimb import KerasClassifier
        from tests.conftest import SmallNetwork
        X, y = make_classification(n_samples=100, random_state=0)
        KerasClassifier(SmallNetwork(), epochs=1, random_state=0).fit(X, y)
        import tensorflow as tf, keras
        from tensorflow.python.framework import config
        print(config.is_op_determinism_enabled())
        tf.random.uniform((2,))          # unseeded ops still work
        keras.layers.Dropout(0.5)(np.ones((2, 2)), training=True)
        from tensorflow.python.eager import context
        print(context.context()._seed)   # no global seed left behind
        """
    )
    assert out.split() == ["False", "None"]


@pytest.mark.parametrize(
    "roundtrip",
    [
        lambda est: pickle.loads(pickle.dumps(est)),
        copy.deepcopy,
        lambda est: clone(est),
    ],
    ids=["pickle", "deepcopy", "clone"],
)
def test_fitted_estimator_roundtrip(fitted, imbalanced_data, roundtrip):
    """pickle and deepcopy keep predictions; clone gives an unfitted copy."""
    X, _ = imbalanced_data
    copied = roundtrip(fitted)
    if roundtrip is copy.deepcopy or copied is not None and hasattr(copied, "model_"):
        np.testing.assert_array_equal(copied.predict_proba(X), fitted.predict_proba(X))
    else:
        with pytest.raises(NotFittedError):
            copied.predict(X)
        assert copied.get_params()["epochs"] == fitted.epochs


def test_joblib_roundtrip_in_another_process(fitted, imbalanced_data, tmp_path):
    """joblib.dump here, joblib.load in a fresh process: identical proba."""
    X, _ = imbalanced_data
    model_path, X_path, out_path = (
        tmp_path / n for n in ("m.joblib", "X.npy", "p.npy")
    )
    joblib.dump(fitted, model_path)
    np.save(X_path, X)
    run_python(
        f"""
        import joblib, numpy as np
        clf = joblib.load({str(model_path)!r})
        np.save({str(out_path)!r}, clf.predict_proba(np.load({str(X_path)!r})))
        """
    )
    np.testing.assert_array_equal(np.load(out_path), fitted.predict_proba(X))


def test_corrupt_pickle_is_a_clear_error(fitted):
    """A fitted estimator whose saved model bytes are damaged fails clearly,
    in today's pickles and in older ones (bare bytes)."""
    saved = fitted.__getstate__()["model_"]
    truncated = saved.data[: len(saved.data) // 2]
    saved.data = truncated
    for damaged in (saved, truncated):
        state = {**fitted.__getstate__(), "model_": damaged}
        broken = KerasClassifier.__new__(KerasClassifier)
        with pytest.raises(ValueError, match="corrupt or truncated"):
            broken.__setstate__(state)


def test_import_does_not_import_tensorflow():
    """`import skimb` loads neither TensorFlow nor Keras."""
    out = run_python(
        """
        import sys, skimb
        skimb.KerasClassifier, skimb.class_weight, skimb.metrics
        from skimb import *  # the names, not the submodules (skimb.losses)
        print(sorted(m for m in ("tensorflow", "keras") if m in sys.modules))
        """
    )
    assert out.strip() == "[]"


def test_warm_start_continues_training(imbalanced_data):
    """warm_start keeps the model and accumulates history."""
    X, y = imbalanced_data
    clf = _small_clf(epochs=2, warm_start=True).fit(X, y)
    model = clf.model_
    clf.fit(X, y)
    assert clf.model_ is model
    assert len(clf.history_["loss"]) == 4


def test_new_label_in_a_continued_fit_says_how_to_fix_it(imbalanced_data):
    """A label unseen at the first fit: partial_fit points to ``classes``, a
    warm-started fit to warm_start=False."""
    X, y = imbalanced_data
    clf = _small_clf(epochs=1, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match="fit with warm_start=False"):
        clf.fit(X, np.where(y == 1, 2, 0))
    clf.partial_fit(X, y)
    with pytest.raises(ValueError, match="through `classes` at the first partial_fit"):
        clf.partial_fit(X, np.where(y == 1, 2, 0))


def test_warm_fit_without_a_class_is_refused(imbalanced_data):
    """A warm-started fit on y that lacks one of ``classes_`` is a ValueError,
    as in scikit-learn's MLPClassifier: it used to train on, unlearning the
    class, and with ``logit_adjustment`` the class's smoothed prior made it
    the prediction for every row. partial_fit batches may miss classes; a
    different ``classes=`` there names the fitted classes."""
    X, y = imbalanced_data
    clf = _small_clf(epochs=1, warm_start=True).fit(X, y)
    majority = y == 0
    missing = r"no samples of the classes \[1\].*partial_fit"
    with pytest.raises(ValueError, match=missing):
        clf.fit(X[majority], y[majority])
    clf.partial_fit(X[majority], y[majority])  # a batch of one class is fine
    with pytest.raises(ValueError, match=r"the classes \[0, 1\] the model was first"):
        clf.partial_fit(X, y, classes=[0, 1, 2])


def test_one_class_first_partial_fit_points_to_classes(imbalanced_data):
    """A first partial_fit batch of one class, without ``classes``, says to
    list the classes there (as scikit-learn's SGDClassifier does); it only
    said that a classifier needs two classes. fit's message is unchanged."""
    X, y = imbalanced_data
    majority = y == 0
    with pytest.raises(ValueError, match=r"only one class \(\[0\]\).*classes="):
        _small_clf().partial_fit(X[majority], y[majority])
    with pytest.raises(ValueError, match="two classes.$"):
        _small_clf().fit(X[majority], y[majority])
    clf = _small_clf().partial_fit(X[majority], y[majority], classes=[0, 1])
    assert clf.classes_.tolist() == [0, 1]


def test_partial_fit(imbalanced_data):
    """partial_fit learns over several calls; classes come from the first."""
    X, y = imbalanced_data
    clf = _small_clf()
    for start in range(0, len(X), 100):
        clf.partial_fit(X[start : start + 100], y[start : start + 100], classes=[0, 1])
    assert len(clf.history_["loss"]) == 3
    with pytest.raises(ValueError, match="not in the classes"):
        clf.partial_fit(X[:10], np.full(10, 5))


def test_class_weight_dict_fits_folds_without_a_rare_class():
    """A dict naming a class that a training fold lacks fits that fold, as
    scikit-learn's estimators do; the other classes get their weights."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold, cross_val_score

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3)).astype(np.float32)
    y = np.array(["a"] * 30 + ["b"] * 24 + ["rare"] * 6)  # the last fold: all rare
    X[y == "b"] += 2.0
    weights = {"a": 1.0, "b": 2.0, "rare": 10.0}
    clf = KerasClassifier(SmallNetwork(), epochs=2, class_weight=weights)
    for model in (LogisticRegression(class_weight=weights), clf):
        scores = cross_val_score(model, X, y, cv=KFold(3), error_score="raise")
        assert np.isfinite(scores).all()
    clf.fit(X[y != "rare"], y[y != "rare"])
    assert clf.classes_.tolist() == ["a", "b"]
    with pytest.raises(ValueError, match=r"labels \['c'\] that are not in the"):
        clf.set_params(class_weight={"a": 1.0, "c": 2.0}).fit(X, y)


def test_class_weight_is_applied(imbalanced_data, fed_arrays):
    """Balanced weights reach keras fit; None gives ones; mean weight is one."""
    X, y = imbalanced_data
    _small_clf(epochs=1).fit(X, y)
    (_, _, w), _ = fed_arrays[-1]
    assert w.mean() == pytest.approx(1.0, rel=1e-6)
    n, n_minority = len(y), np.sum(y == 1)
    assert w[y == 1][0] == pytest.approx(n / (2 * n_minority), rel=1e-6)
    _small_clf(epochs=1, class_weight=None).fit(X, y)
    (_, _, w), _ = fed_arrays[-1]
    np.testing.assert_allclose(w, 1.0)


def test_balanced_weights_raise_minority_recall(imbalanced_data):
    """Balanced class weights find more of the minority class than none."""
    from sklearn.metrics import recall_score

    rng = np.random.RandomState(0)
    X, y = imbalanced_data
    X = X + rng.normal(scale=2.0, size=X.shape).astype(np.float32)  # overlap
    recalls = {
        cw: recall_score(y, _small_clf(epochs=10, class_weight=cw).fit(X, y).predict(X))
        for cw in (None, "balanced")
    }
    assert recalls["balanced"] > recalls[None]


BAD_INPUTS = [
    (
        "nan",
        lambda X, y: (np.where(np.eye(*X.shape) == 1, np.nan, X), y),
        ValueError,
        "Input X contains NaN",
    ),
    (
        "inf",
        lambda X, y: (np.where(np.eye(*X.shape) == 1, np.inf, X), y),
        ValueError,
        "Input X contains infinity",
    ),
    ("1-d X", lambda X, y: (X[:, 0], y), ValueError, "Expected 2D array"),
    (
        "3-d X",
        lambda X, y: (X[:, :, None], y),
        ValueError,
        "The model takes samples of shape (8,), but X has samples of shape (8, 1)",
    ),
    ("one class", lambda X, y: (X, np.zeros(len(y))), ValueError, "only one class"),
    (
        "multilabel",
        lambda X, y: (X, np.column_stack([y, 1 - y])),
        ValueError,
        "for one-hot rows pass y.argmax(axis=1) (or the labels themselves); "
        "for multilabel problems wrap the classifier in",
    ),
    (
        "continuous",
        lambda X, y: (X, np.linspace(0, 1, len(y))),
        ValueError,
        "Unknown label type",
    ),
    (
        "wrong length",
        lambda X, y: (X, y[:-1]),
        ValueError,
        "X has 300 samples but y has 299",
    ),
    ("negative weight", lambda X, y: (X, y), ValueError, "Negative values"),
]


@pytest.mark.parametrize(
    "name, corrupt, error, message", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS]
)
def test_bad_input_is_a_clear_error(imbalanced_data, name, corrupt, error, message):
    """Bad X, y or sample_weight raise a ValueError that names the problem."""
    X, y = corrupt(*imbalanced_data)
    sample_weight = -np.ones(len(y)) if name == "negative weight" else None
    with pytest.raises(error, match=re.escape(message)):
        _small_clf().fit(X, y, sample_weight=sample_weight)


def test_n_features_mismatch_at_predict(fitted, imbalanced_data):
    """Predicting with another number of features names both numbers."""
    X, _ = imbalanced_data
    with pytest.raises(
        ValueError,
        match="X has 3 features, but KerasClassifier is expecting 8 features as input",
    ):
        fitted.predict(X[:, :3])


@pytest.mark.parametrize(
    "params, message",
    [
        (
            {"class_weight": "balance"},
            "The 'class_weight' parameter of KerasClassifier must be",
        ),
        ({"loss": "focall"}, "Unknown loss 'focall'. Did you mean 'focal'?"),
        ({"optimizer": "adamm"}, "Unknown optimizer 'adamm'"),
        ({"epochs": 0}, "The 'epochs' parameter of KerasClassifier must be"),
    ],
)
def test_bad_parameters(imbalanced_data, params, message):
    """Unknown strategy, loss or optimizer names are clear ValueErrors."""
    X, y = imbalanced_data
    with pytest.raises(ValueError, match=re.escape(message)):
        _small_clf(**params).fit(X, y)


def test_predict_before_fit():
    """predict and predict_proba before fit raise NotFittedError."""
    X = np.zeros((2, 3))
    for method in ("predict", "predict_proba"):
        with pytest.raises(NotFittedError, match="is not fitted yet"):
            getattr(_small_clf(), method)(X)


def test_model_must_be_given(imbalanced_data):
    """A KerasClassifier without a model says how to give one."""
    X, y = imbalanced_data
    with pytest.raises(ValueError, match="needs a model"):
        KerasClassifier().fit(X, y)


def test_build_function_must_return_a_model(imbalanced_data):
    """A build function returning something else is a TypeError."""
    X, y = imbalanced_data
    with pytest.raises(TypeError, match="must return a keras.Model"):
        KerasClassifier(lambda: "not a model").fit(X, y)


@pytest.mark.parametrize(
    "units, activation, n_classes",
    [(1, "sigmoid", 3), (5, "softmax", 2), (2, "softmax", 3), (3, "linear", 2)],
)
def test_model_with_wrong_output_size(imbalanced_data, units, activation, n_classes):
    """An output that does not fit the classes is a ValueError at fit.

    Too many units used to fit and then fail in predict (an IndexError), too
    few ended in a TensorFlow trace.
    """
    import keras

    def build(meta):
        return keras.Sequential(
            [
                keras.Input((meta["n_features_in_"],)),
                keras.layers.Dense(units, activation=activation),
            ]
        )

    X, _ = imbalanced_data
    y = np.arange(len(X)) % n_classes
    message = f"output has {units} unit\\(s\\), but y has {n_classes} classes"
    with pytest.raises(ValueError, match=message):
        KerasClassifier(build, epochs=1).fit(X, y)


@pytest.mark.parametrize(
    "output, message",
    [
        ("squeezed", r"output has shape \(None,\): one value per sample"),
        ("unknown", r"output has shape \(None, None\): its number of units"),
    ],
)
def test_model_with_an_output_of_no_unit_axis(imbalanced_data, output, message):
    """An output without a known last axis of units (a sigmoid squeezed to
    one value per sample, a softmax over inputs of any length) is a
    ValueError at fit; it was Python's bare TypeError (int() argument must
    be ... not 'NoneType')."""
    import keras

    X, y = imbalanced_data

    def build(meta):
        if output == "squeezed":
            inputs = keras.Input((meta["n_features_in_"],))
            unit = keras.layers.Dense(1, activation="sigmoid")(inputs)
            return keras.Model(inputs, keras.layers.Reshape(())(unit))
        inputs = keras.Input((None,))
        return keras.Model(inputs, keras.layers.Softmax()(inputs))

    with pytest.raises(ValueError, match=message):
        KerasClassifier(build, epochs=1).fit(X[:, :2], y)


def test_small_and_large_inputs_give_same_proba(fitted, imbalanced_data):
    """The direct-call fast path and model.predict agree to 1e-6."""
    from skimb import base

    X, _ = imbalanced_data
    big = np.repeat(X, 5, axis=0)[: base._FAST_PATH_MAX_ROWS + 200]
    batched = fitted.predict_proba(big)
    direct = np.vstack(
        [fitted.predict_proba(big[i : i + 500]) for i in range(0, len(big), 500)]
    )
    np.testing.assert_allclose(batched, direct, atol=1e-6)


class _Interrupt:
    """A Keras callback that raises in the middle of the second epoch."""

    def __new__(cls, exception):
        import keras

        class Interrupt(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                if batch == 3:
                    raise exception

        return Interrupt()


@pytest.mark.parametrize("exception", [KeyboardInterrupt(), RuntimeError("boom")])
def test_interrupted_fit_leaves_previous_state(imbalanced_data, exception):
    """An interrupted fit leaves the estimator unfitted or as it was fitted."""
    X, y = imbalanced_data
    clf = _small_clf(callbacks=[_Interrupt(exception)])
    with pytest.raises(type(exception)):
        clf.fit(X, y)
    assert not hasattr(clf, "model_") and not hasattr(clf, "classes_")
    clf.set_params(callbacks=None).fit(X, y)  # a refit afterwards works
    expected = clf.predict_proba(X)
    optimizer = clf.model_.optimizer
    optimizer_state = [np.array(v) for v in optimizer.variables]
    clf.set_params(callbacks=[_Interrupt(exception)], warm_start=True)
    with pytest.raises(type(exception)):
        clf.fit(X, np.where(y == 1, 1, 0))
    np.testing.assert_array_equal(clf.predict_proba(X), expected)
    assert len(clf.history_["loss"]) == 5
    # The optimizer's step count and moments are put back with the weights.
    assert clf.model_.optimizer is optimizer
    for variable, before in zip(optimizer.variables, optimizer_state, strict=True):
        np.testing.assert_array_equal(np.array(variable), before)


def test_diverged_fit_is_an_error(imbalanced_data):
    """A fit whose weights end NaN is a ValueError, as in scikit-learn's MLP,
    not a model that predicts the first class for every row; a partial_fit
    that diverges leaves the previous weights."""
    X, y = imbalanced_data
    # Seeded: unseeded, one fit in four or so has an infinite loss with
    # finite weights at epoch 2 (test_fit_arguments.py tests that one).
    diverging = MLPClassifier(
        solver="sgd", learning_rate_init=1e8, max_iter=5, random_state=0
    )
    with pytest.raises(ValueError, match="Training diverged: the network's weights"):
        diverging.fit(X, y)
    clf = _small_clf()
    with pytest.raises(ValueError, match="Scale the features"):
        clf.fit(X * 1e20, y)
    assert not hasattr(clf, "model_")
    clf.partial_fit(X, y, classes=[0, 1])
    expected = clf.predict_proba(X)
    with pytest.raises(ValueError, match="Training diverged"):
        clf.partial_fit(X * 1e20, y)
    np.testing.assert_array_equal(clf.predict_proba(X), expected)


def test_balanced_batches(imbalanced_data, monkeypatch):
    """batch_sampler='balanced' feeds batches with equal class shares."""
    from skimb import _keras

    X, y = imbalanced_data
    feeds = []
    array_dataset = _keras.array_dataset

    def spy(arrays, **kwargs):
        feeds.append((arrays, kwargs))
        return array_dataset(arrays, **kwargs)

    monkeypatch.setattr(_keras, "array_dataset", spy)
    clf = _small_clf(batch_sampler="balanced", batch_size=10, epochs=2).fit(X, y)
    assert len(clf.history_["loss"]) == 2
    ((arrays, kwargs),) = feeds
    np.testing.assert_array_equal(kwargs["balance_by"], y)
    # The pipeline is stateless: built again, it yields the fit's batches.
    dataset, steps = array_dataset(arrays, **kwargs)
    assert steps == 30  # 300 rows / 10 per batch, as without balancing
    for _, y_batch, w_batch in dataset.take(2 * steps):
        assert np.sum(y_batch == 1) == 5
        np.testing.assert_allclose(w_batch, 1.0)  # no class weights on top
    again = _small_clf(batch_sampler="balanced", batch_size=10, epochs=2).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), again.predict_proba(X))


@pytest.mark.parametrize("validation", ["held out", "given"])
def test_balanced_batches_weigh_validation_classes_equally(
    imbalanced_data, monkeypatch, validation
):
    """With balanced batches, the validation loss of early stopping weighs
    the classes equally, as the batches do; it was unweighted, so dominated
    by the majority while training lowered a balanced loss."""
    from skimb import _keras

    X, y = imbalanced_data
    feeds = []
    array_dataset = _keras.array_dataset

    def spy(arrays, **kwargs):
        feeds.append(arrays)
        return array_dataset(arrays, **kwargs)

    monkeypatch.setattr(_keras, "array_dataset", spy)
    clf = _small_clf(batch_sampler="balanced", early_stopping=True, epochs=2)
    if validation == "given":
        clf.fit(X[:200], y[:200], validation_data=(X[200:], y[200:]))
    else:
        clf.fit(X, y)
    (_, _, w_train), (_, y_valid, w_valid) = feeds
    np.testing.assert_allclose(w_train, 1.0)  # the batches balance training
    totals = np.bincount(y_valid, weights=w_valid)
    assert np.bincount(y_valid)[0] > 3 * np.bincount(y_valid)[1]
    np.testing.assert_allclose(totals[0], totals[1])


@pytest.mark.parametrize("batch_size", [10, 7])
def test_balanced_feed_draws_equal_shares_of_each_class(batch_size):
    """Every batch holds each class's share; within a pass the majority's
    rows do not repeat and a rare class's rows are used in turn."""
    from skimb import _keras

    codes = np.repeat([0, 1, 2], [95, 5, 3])
    X = np.arange(len(codes), dtype=np.float32)[:, None]
    steps = -(-len(codes) // batch_size)

    def batches(seed):
        dataset, n_batches = _keras.array_dataset(
            (X, codes), batch_size=batch_size, seed=seed, balance_by=codes
        )
        assert n_batches == steps
        return [
            (x.numpy()[:, 0].astype(int), y.numpy()) for x, y in dataset.take(3 * steps)
        ]

    first = batches(seed=0)
    share = batch_size // 3
    for rows, y_batch in first:
        np.testing.assert_array_equal(codes[rows], y_batch)
        counts = np.bincount(y_batch, minlength=3)
        assert counts.sum() == batch_size
        assert set(counts) <= {share, share + 1}
    for start in range(0, 3 * steps, steps):
        rows = np.concatenate([rows for rows, _ in first[start : start + steps]])
        majority = rows[codes[rows] == 0]
        assert len(np.unique(majority)) == len(majority)
        for rare in (1, 2):
            uses = np.bincount(rows[codes[rows] == rare], minlength=len(codes))
            uses = uses[codes == rare]
            assert uses.max() - uses.min() <= 1
    # Seeded: the same seed repeats the draws, another seed changes them.
    same, other = batches(seed=0), batches(seed=1)

    def rows_of(draws):
        return np.concatenate([rows for rows, _ in draws])

    np.testing.assert_array_equal(rows_of(first), rows_of(same))
    assert not np.array_equal(rows_of(first), rows_of(other))


# --- Findings of a user review (2026-11-26) --------------------------------


def _dense_logits(meta):
    import keras

    return keras.layers.Dense(meta["n_classes_"], name="logits")


def _nested_head(meta):
    import keras

    inputs = keras.Input((meta["n_features_in_"],))
    head = keras.Sequential([keras.Input((8,)), _dense_logits(meta)], name="head")
    return keras.Model(inputs, head(keras.layers.Dense(8, activation="relu")(inputs)))


def _trailing_dropout(meta):
    import keras

    return keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            _dense_logits(meta),
            keras.layers.Dropout(0.1),
        ]
    )


def _custom_last_layer(meta, softmax=False, zeros=False):
    import keras

    logits = _dense_logits(meta)
    if zeros:  # a zero-initialised last layer: untrained, it outputs 0
        logits = keras.layers.Dense(meta["n_classes_"], kernel_initializer="zeros")
    return keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            logits,
            keras.layers.Lambda(keras.ops.softmax if softmax else lambda t: 2.0 * t),
        ]
    )


def _cast_to_float32(meta, activation="softmax"):
    """Probabilities cast to float32 by a linear Activation layer, the
    mixed-precision recipe for a float32 output."""
    import keras

    units = meta["n_classes_"] if activation == "softmax" else 1
    return keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(units, activation=activation),
            keras.layers.Activation("linear", dtype="float32"),
        ]
    )


@pytest.mark.parametrize(
    "build, logits",
    [
        (_nested_head, True),
        (_trailing_dropout, True),
        (_custom_last_layer, True),
        (partial(_custom_last_layer, softmax=True), False),
        (partial(_custom_last_layer, zeros=True), True),
        (_cast_to_float32, False),
        (partial(_cast_to_float32, activation="sigmoid"), False),
    ],
    ids=[
        "nested-head",
        "trailing-dropout",
        "lambda-logits",
        "lambda-softmax",
        "lambda-zero-logits",
        "softmax-cast",
        "sigmoid-cast",
    ],
)
def test_logits_are_recognised_behind_the_last_layer(imbalanced_data, build, logits):
    """Logits are found through nested models, dropout and custom layers.

    Only a linear Dense as the very last layer used to count as logits: the
    others trained with from_logits=False on raw outputs and predict_proba
    clipped negative outputs to 0, leaving NaN rows. A linear Activation
    layer (a cast) passes the probabilities before it through: it was read
    as logits, and predict_proba applied a second softmax.
    """
    X, y = imbalanced_data
    clf = KerasClassifier(
        build, epochs=5, optimizer__learning_rate=0.05, random_state=0
    ).fit(X, y)
    assert clf._logit_outputs is logits
    loss = clf.model_.loss  # a loss object with logits, else Keras's function
    assert (hasattr(loss, "get_config") and loss.get_config()["from_logits"]) is logits
    proba = clf.predict_proba(X)
    outputs = clf.model_.predict(X, verbose=0)
    if outputs.shape[1] == 1:  # one sigmoid unit
        outputs = np.hstack([1 - outputs, outputs])
    expected = softmax(outputs, axis=1) if logits else outputs
    np.testing.assert_allclose(proba, expected, rtol=1e-5, atol=1e-6)
    assert np.all(np.isfinite(proba))
    # Trained on what it outputs, the network ranks the rare class.
    assert roc_auc_score(y, proba[:, 1]) > 0.7


# The declared logits are a sigmoid's output here, and Keras says so.
@pytest.mark.filterwarnings("ignore:.*received `from_logits=True`:UserWarning")
@pytest.mark.parametrize(
    "params",
    [
        {"loss__from_logits": True},
        {"loss": "binary_crossentropy", "loss__from_logits": True},
        {"loss": "__object__"},
    ],
    ids=["routed", "named-and-routed", "loss-object"],
)
def test_declared_logits_settle_what_the_structure_does_not(imbalanced_data, params):
    """Behind a custom layer, the user's from_logits (routed, or in a loss
    object) decides for predict_proba as it does for the loss. The probe
    decided predict_proba alone: an output declared logits but probed as
    probabilities trained as logits and was predicted as probabilities."""
    import keras

    def build(meta):
        inputs = keras.Input((meta["n_features_in_"],))
        logits = keras.layers.Dense(1, activation="sigmoid")(inputs)
        return keras.Model(inputs, keras.layers.Lambda(lambda t: t)(logits))

    if params.get("loss") == "__object__":
        params = {"loss": keras.losses.BinaryCrossentropy(from_logits=True)}
    X, y = imbalanced_data
    clf = KerasClassifier(build, epochs=1, random_state=0, **params).fit(X, y)
    assert clf._logit_outputs
    outputs = clf.model_.predict(X, verbose=0)[:, 0]
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], expit(outputs), rtol=1e-5)


@pytest.mark.parametrize("seed", range(8))
def test_logit_probe_does_not_depend_on_the_initial_weights(seed):
    """Behind a custom layer, the untrained network is probed. On token ids
    (an embedding), inputs of scale 1 give few distinct ids and so outputs of
    one sign: the logits of some initial weights all fell in [0, 1] and were
    read as probabilities. Inputs 10 and 100 times larger settle it."""
    import keras

    from skimb.base import _outputs_logits

    @keras.saving.register_keras_serializable(package="skimb_tests")
    class Double(keras.layers.Layer):
        def call(self, x):
            return 2.0 * x

    init = keras.initializers.RandomUniform(-0.05, 0.05, seed=seed)
    inputs = keras.Input((8,), dtype="int32")
    tokens = keras.layers.Embedding(50, 8, embeddings_initializer=init)(inputs)
    pooled = keras.layers.GlobalAveragePooling1D()(tokens)
    dense = keras.layers.Dense(
        1, kernel_initializer=keras.initializers.GlorotUniform(seed)
    )
    model = keras.Model(inputs, Double()(dense(pooled)))
    assert _outputs_logits(model, (8,))


@pytest.mark.parametrize("class_weight", [None, "balanced"])
def test_partial_fit_takes_batches_of_one_class(imbalanced_data, class_weight):
    """With the classes known, a partial_fit batch may hold one class only.

    SGDClassifier.partial_fit accepts that; streamed 90:10 data has many such
    batches.
    """
    X, y = imbalanced_data
    order = np.argsort(y, kind="stable")  # all majority rows, then the rest
    clf = MLPClassifier(hidden_layer_sizes=(8,), class_weight=class_weight)
    for batch in np.array_split(order, 15):
        clf.partial_fit(X[batch], y[batch], classes=[0, 1])
    assert len(np.unique(y[order[:20]])) == 1  # the test did feed such batches
    assert clf.predict_proba(X).shape == (len(X), 2)
    majority = order[:5]
    with pytest.raises(ValueError, match="at least one non-zero"):
        clf.partial_fit(X[majority], y[majority], sample_weight=np.zeros(5))
    clf.set_params(class_weight={0: 0.0, 1: 1.0})
    with pytest.raises(ValueError, match="no sample has a positive weight"):
        clf.partial_fit(X[majority], y[majority])


def test_class_prior_is_weighted_by_sample_weight(imbalanced_data):
    """class_prior_ weighs the rows by sample_weight, as GaussianNB's and
    DummyClassifier's do: zero weights drop rows and integer weights repeat
    them, so a BaggingClassifier member (bootstrap counts as weights) gets
    its bag's prior. It counted rows: the logit-adjusted loss and
    logit_adjustment corrected for a prior the weighted data did not have."""
    from sklearn.dummy import DummyClassifier

    X, y = imbalanced_data
    rng = np.random.RandomState(0)
    counts = rng.poisson(1.0, size=len(y)).astype(float)
    counts[y == 1] *= 3  # a bag that drew the minority more often
    clf = MLPClassifier(hidden_layer_sizes=(2,), max_iter=1, loss="logit_adjusted")
    clf.fit(X, y, sample_weight=counts)
    expected = DummyClassifier().fit(X, y, sample_weight=counts).class_prior_
    np.testing.assert_allclose(clf.class_prior_, expected)
    np.testing.assert_allclose(clf.model_.loss.class_prior, expected)
    kept = counts > 0
    repeated = MLPClassifier(hidden_layer_sizes=(2,), max_iter=1).fit(
        np.repeat(X, counts.astype(int), axis=0), np.repeat(y, counts.astype(int))
    )
    np.testing.assert_allclose(repeated.class_prior_, expected)
    assert not np.allclose(expected, np.bincount(y[kept]) / kept.sum())
    # A class weighted zero counts as one row of the smallest weight.
    halves = np.where(y == 1, 0.0, 0.5)
    with pytest.warns(UserWarning, match="only class"):
        clf.set_params(loss="auto").fit(X, y, sample_weight=halves)
    n_major = (y == 0).sum()
    np.testing.assert_allclose(clf.class_prior_, [n_major, 1] / (n_major + 1.0))


def test_partial_fit_prior_counts_every_batch(imbalanced_data):
    """class_prior_ follows all partial_fit batches, as GaussianNB's does; a
    class not seen yet counts as one sample, so that logit adjustment and the
    logit-adjusted loss work from a first batch that lacks it."""
    X, y = imbalanced_data
    order = np.argsort(y, kind="stable")  # majority rows first
    batches = np.array_split(order, 4)
    assert set(y[batches[0]]) == {0}
    clf = MLPClassifier(hidden_layer_sizes=(4,), logit_adjustment=1.0)
    clf.partial_fit(X[batches[0]], y[batches[0]], classes=[0, 1])
    np.testing.assert_allclose(
        clf.class_prior_, np.array([len(batches[0]), 1]) / (len(batches[0]) + 1)
    )
    assert np.isfinite(clf.predict_proba(X)).all()
    for batch in batches[1:]:
        clf.partial_fit(X[batch], y[batch])
    np.testing.assert_allclose(clf.class_prior_, np.bincount(y) / len(y))
    adjusted = MLPClassifier(hidden_layer_sizes=(4,), loss="logit_adjusted")
    adjusted.partial_fit(X[batches[0]], y[batches[0]], classes=[0, 1])
    assert np.isfinite(adjusted.predict_proba(X)).all()
    adjusted.fit(X[batches[-1]], y[batches[-1]])  # fit: the prior of its own y
    np.testing.assert_allclose(
        adjusted.class_prior_, np.bincount(y[batches[-1]]) / len(batches[-1])
    )


def test_partial_fit_refuses_other_classes(imbalanced_data):
    X, y = imbalanced_data
    clf = MLPClassifier(hidden_layer_sizes=(4,)).partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match=r"classes=\[0, 1, 2\] is not the same"):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    clf.partial_fit(X, y, classes=[1, 0])  # the same classes in another order


def test_build_function_gets_scikeras_arguments(imbalanced_data):
    """Like scikeras: **kwargs gets meta, compile_kwargs and params."""
    import keras

    seen = {}

    def build(**kwargs):
        seen.update(kwargs)
        return _custom_last_layer(kwargs["meta"], softmax=True)

    def build_with_params(meta, params):
        seen["named"] = params
        return _custom_last_layer(meta, softmax=True)

    X, y = imbalanced_data
    KerasClassifier(build, epochs=1, hidden=3, model__width=2).fit(X, y)
    assert {"meta", "compile_kwargs", "params", "hidden", "width"} <= set(seen)
    assert seen["meta"]["n_classes_"] == 2
    assert isinstance(seen["compile_kwargs"]["optimizer"], keras.optimizers.Adam)
    assert seen["params"]["epochs"] == 1
    KerasClassifier(build_with_params, epochs=2).fit(X, y)
    assert seen["named"]["epochs"] == 2


def test_model_instance_refuses_parameters_it_cannot_use(imbalanced_data):
    import keras

    X, y = imbalanced_data
    model = keras.Sequential(
        [keras.Input((X.shape[1],)), keras.layers.Dense(2, activation="softmax")]
    )
    for params in ({"model__units": 3}, {"hidden": 3}, {"optimiser__lr": 0.5}):
        name = next(iter(params))
        with pytest.raises(ValueError, match=rf"\['{name}'\] have no effect"):
            KerasClassifier(model, epochs=1, **params).fit(X, y)


def test_validation_data_is_encoded_like_y(imbalanced_data):
    """validation_data with any labels is encoded with classes_ and weighted."""
    X, y = imbalanced_data
    labels = np.where(y == 1, "rare", "common")
    train, valid = slice(0, 200), slice(200, None)
    clf = KerasClassifier(_trailing_dropout, epochs=3, random_state=0)
    clf.fit(X[train], labels[train], validation_data=(X[valid], labels[valid]))
    assert len(clf.history_["val_loss"]) == 3
    # Routed, with sample weights; early stopping uses it instead of a split.
    routed = KerasClassifier(
        _trailing_dropout,
        epochs=3,
        early_stopping=True,
        random_state=0,
        fit__validation_data=(X[valid], labels[valid], np.ones(100)),
    ).fit(X[train], labels[train])
    assert len(routed.history_["val_loss"]) == 3
    with pytest.raises(ValueError, match="must be a tuple"):
        clf.fit(X, labels, validation_data=X)
    with pytest.raises(ValueError, match=r"labels \['odd'\] that are not"):
        clf.fit(X, labels, validation_data=(X[:3], ["rare", "odd", "common"]))
    with pytest.raises(ValueError, match="X has 7 features"):
        clf.fit(X, labels, validation_data=(X[:3, 1:], labels[:3]))


@pytest.mark.parametrize(
    "params, fit_params, message",
    [
        ({"fit__foo": 3}, {}, r"keras.Model.fit has no argument\(s\) \['foo'\]"),
        ({}, {"class_weight": {0: 1}}, "set the estimator's class_weight"),
        ({"fit__validation_split": 0.2}, {}, "validation_split parameter"),
        ({"predict__foo": 1}, {}, r"keras.Model.predict has no argument"),
    ],
)
def test_unknown_keras_arguments_are_named(
    imbalanced_data, params, fit_params, message
):
    """Arguments Keras cannot take get a ValueError naming them, on both
    prediction paths, instead of a Keras TypeError or a misleading message."""
    X, y = imbalanced_data
    clf = KerasClassifier(_trailing_dropout, epochs=1, **params)
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y, **fit_params).predict(X[:2])
    if "predict__foo" in params:
        with pytest.raises(ValueError, match=message):
            clf.predict(np.repeat(X, 5, axis=0))  # over the fast-path limit


def test_fixed_estimators_refuse_routed_set_params():
    """set_params(optimizer__...) on MLPClassifier used to be stored and ignored."""
    from skimb import TransferClassifier

    for estimator in (MLPClassifier(), TransferClassifier(weights=None)):
        with pytest.raises(ValueError, match="takes no routed prefix__name"):
            estimator.set_params(optimizer__learning_rate=0.5)
    assert KerasClassifier().set_params(optimizer__learning_rate=0.5) is not None


def test_keras_fit_error_is_one_line_with_the_advice(imbalanced_data, monkeypatch):
    """Keras's multi-line messages (model configs, weight arrays) are cut to
    their first line, so that the advice after them stays in view (the
    command line shows only an error's first line)."""
    import keras

    def failing_fit(self, *args, **kwargs):
        raise ValueError("Incompatible shapes: [32,2] vs. [32,3]\n" + "x = 1\n" * 50)

    monkeypatch.setattr(keras.Model, "fit", failing_fit)
    X, y = imbalanced_data
    with pytest.raises(ValueError) as error:
        _small_clf().fit(X, y)
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(
        "Keras could not fit the model: Incompatible shapes: [32,2] vs. [32,3]. "
        "Check that the model's input accepts"
    )


# --- Findings of a scikeras migration review (2026-11-26) -------------------


def _self_compiled(meta, compile_kwargs, units=None, activation=None):
    """A scikeras build function that compiles the model itself."""
    import keras

    model = keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(units or meta["n_classes_"], activation=activation),
        ]
    )
    model.compile(**compile_kwargs, weighted_metrics=["accuracy"])
    return model


@pytest.mark.parametrize(
    "units, activation, loss",
    [
        (1, "sigmoid", "binary_crossentropy"),
        (None, None, "sparse_categorical_crossentropy"),  # logits
        (None, "softmax", "sparse_categorical_crossentropy"),
    ],
)
def test_self_compiled_model_gets_the_loss_of_its_output(
    imbalanced_data, units, activation, loss
):
    """compile_kwargs' "auto" loss is picked before the output layer exists; a
    model compiled with it is compiled again with the loss for its output,
    keeping its other compile arguments. One sigmoid unit used to end in a
    TensorFlow error, logits trained as probabilities."""
    X, y = imbalanced_data
    build = partial(_self_compiled, units=units, activation=activation)
    clf = KerasClassifier(build, epochs=3, random_state=0).fit(X, y)
    compiled = clf.model_.loss
    name = getattr(compiled, "__name__", None) or compiled.fn.__name__
    assert name == loss
    logits = activation is None
    if logits:
        assert compiled.get_config()["from_logits"] is True
    assert "weighted_accuracy" in clf.history_ or "accuracy" in clf.history_
    if not logits:  # the same loss given by name: the same training
        explicit = KerasClassifier(build, loss=loss, epochs=3, random_state=0)
        explicit.fit(X, y)
        np.testing.assert_allclose(clf.history_["loss"], explicit.history_["loss"])


def test_a_loss_compiled_by_the_user_is_kept(imbalanced_data):
    """Only skimb's provisional loss is replaced, not one the function chose."""
    import keras

    def build(meta, compile_kwargs):
        model = _self_compiled(meta, compile_kwargs)
        mine = keras.losses.SparseCategoricalCrossentropy(from_logits=True, name="mine")
        model.compile(optimizer="adam", loss=mine)
        return model

    X, y = imbalanced_data
    clf = KerasClassifier(build, epochs=1, random_state=0).fit(X, y)
    assert clf.model_.loss.name == "mine"


def _softmax_model(n_features):
    import keras

    return keras.Sequential(
        [keras.Input((n_features,)), keras.layers.Dense(2, activation="softmax")]
    )


def _compiled_with_own_functions(n_features, *, loss, metrics):
    model = _softmax_model(n_features)
    model.compile(optimizer="adam", loss=loss, metrics=metrics)
    return model


def test_model_compiled_with_lambdas_fits(imbalanced_data):
    """A keras.Model compiled with a lambda loss and a lambda metric: Keras
    rebuilt the lambdas in its copy without their module's names, and the
    fit failed with NameError; the copy is compiled with the lambdas
    themselves, and pickles keep them working."""
    import keras

    X, y = imbalanced_data
    model = _compiled_with_own_functions(
        X.shape[1],
        loss=lambda y_true, y_pred: keras.losses.sparse_categorical_crossentropy(
            y_true, y_pred
        ),
        metrics=[lambda y_true, y_pred: keras.ops.mean(y_pred[:, 1])],
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*includes a `lambda`")
        clf = KerasClassifier(model, epochs=2, random_state=0).fit(X, y)
        fitted_twice = clone(clf).fit(X, y)
    assert len(clf.history_["lambda"]) == 2
    assert np.isfinite(clf.history_["loss"]).all()
    np.testing.assert_allclose(
        fitted_twice.predict_proba(X), clf.predict_proba(X), rtol=1e-5
    )
    # Pickled (as joblib sends it to a worker), the lambdas keep the names of
    # their module and their closure (Keras's rebuilt copy lost them: a
    # NameError, or here an AttributeError on the closure's `keras`).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*includes a `lambda`")
        loaded = pickle.loads(pickle.dumps(clf))
        np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X))
        loaded.partial_fit(X, y)
        assert len(loaded.history_["lambda"]) == 3
        unfitted = pickle.loads(pickle.dumps(clone(clf)))
        unfitted.fit(X, y)
        np.testing.assert_allclose(unfitted.predict_proba(X), clf.predict_proba(X))


def test_lambda_without_source_is_a_clear_error(imbalanced_data):
    """Keras reads a lambda's source code when it copies a model; without
    one it raised OSError from inspect."""
    X, y = imbalanced_data
    no_source = eval("lambda y_true, y_pred: y_pred[:, 0] * 0.0")
    model = _compiled_with_own_functions(
        X.shape[1], loss="sparse_categorical_crossentropy", metrics=[no_source]
    )
    for attempt in (
        lambda: KerasClassifier(model, epochs=1).fit(X, y),
        lambda: clone(KerasClassifier(model)),
    ):  # was OSError
        with pytest.raises(ValueError, match="whose source code Python cannot find"):
            attempt()


def test_users_functions_in_modules_named_like_keras(imbalanced_data):
    """Only Keras's own objects are left for Keras to find: a loss of a user
    module named keras_utils (Could not locate function) and one without a
    module (AttributeError) are carried like any other."""
    import random

    import keras

    def my_loss(y_true, y_pred):
        return keras.losses.sparse_categorical_crossentropy(y_true, y_pred)

    X, y = imbalanced_data
    for module in ("keras_utils", None):
        my_loss.__module__ = module
        model = _compiled_with_own_functions(X.shape[1], loss=my_loss, metrics=None)
        clf = KerasClassifier(model, epochs=1, random_state=0)
        assert np.isfinite(cross_val_score(clf, X, y, cv=StratifiedKFold(2))).all()
    # scikeras's build_fn= holding a keras.Model is copied like model=: clone
    # leaves the user's random stream alone.
    state = random.getstate()
    clone(KerasClassifier(build_fn=model))
    assert random.getstate() == state


def test_model_compiled_with_the_users_own_loss_and_metric(imbalanced_data):
    """A keras.Model compiled with unregistered functions and classes of the
    user's: the copy for the fit, clone (cross-validation) and pickling
    (joblib's workers) raised Keras's "Could not locate function"; the
    functions travel with the model, and a loaded fitted estimator trains on
    with its optimizer state."""
    import keras

    def my_loss(y_true, y_pred):
        return keras.losses.sparse_categorical_crossentropy(y_true, y_pred)

    def my_metric(y_true, y_pred):
        return keras.metrics.sparse_categorical_accuracy(y_true, y_pred)

    class MyLoss(keras.losses.Loss):
        def call(self, y_true, y_pred):
            return my_loss(y_true, y_pred)

    X, y = imbalanced_data
    for loss in (my_loss, MyLoss()):
        model = _compiled_with_own_functions(X.shape[1], loss=loss, metrics=[my_metric])
        clf = KerasClassifier(model, epochs=2, random_state=0)
        scores = cross_val_score(clf, X, y, cv=StratifiedKFold(2))
        assert scores.shape == (2,) and np.isfinite(scores).all()
        unfitted = pickle.loads(pickle.dumps(clf))
        assert type(unfitted.model.loss) is type(loss)
        fitted = clf.fit(X, y)
        assert len(fitted.history_["my_metric"]) == 2
        assert fitted.model_ is not model
        refitted = unfitted.fit(X, y)
        np.testing.assert_allclose(refitted.predict_proba(X), fitted.predict_proba(X))

        loaded = pickle.loads(pickle.dumps(fitted))
        assert int(loaded.model_.optimizer.iterations) == int(
            fitted.model_.optimizer.iterations
        )
        loaded.partial_fit(X, y)
        assert list(loaded.history_) == ["loss", "my_metric"]


def test_model_compiled_with_the_users_own_learning_rate_schedule(imbalanced_data):
    """An unregistered LearningRateSchedule of the user's inside the compiled
    optimizer: copying the model (each fit, clone) and unpickling raised
    "Could not locate class"; the schedule's class travels with the model
    like the user's losses, and a loaded estimator trains on with it."""
    import keras

    class WarmUp(keras.optimizers.schedules.LearningRateSchedule):
        def __init__(self, peak=1e-2, steps=5):
            self.peak, self.steps = peak, steps

        def __call__(self, step):
            warm = (keras.ops.cast(step, "float32") + 1.0) / self.steps
            return self.peak * keras.ops.minimum(1.0, warm)

        def get_config(self):
            return {"peak": self.peak, "steps": self.steps}

    X, y = imbalanced_data
    model = _softmax_model(X.shape[1])
    model.compile(
        optimizer=keras.optimizers.Adam(WarmUp()), loss="categorical_crossentropy"
    )
    clf = KerasClassifier(model, epochs=2, random_state=0)
    assert np.isfinite(cross_val_score(clone(clf), X, y, cv=StratifiedKFold(2))).all()
    fitted = clf.fit(X, y)
    loaded = pickle.loads(pickle.dumps(fitted))
    assert type(loaded.model_.optimizer._learning_rate).__name__ == "WarmUp"
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    fitted.partial_fit(X, y)
    loaded.partial_fit(X, y)
    np.testing.assert_allclose(
        loaded.predict_proba(X), fitted.predict_proba(X), atol=1e-6
    )


def test_cloning_a_compiled_model_parameter_is_quiet(imbalanced_data):
    """clone (each fold of a search) deep-copies a compiled, untrained
    keras.Model through Keras's saving, which warned "Skipping variable
    loading for optimizer" every time."""
    X, y = imbalanced_data
    model = _compiled_with_own_functions(
        X.shape[1], loss="sparse_categorical_crossentropy", metrics=None
    )
    clf = KerasClassifier(model, epochs=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        clone(clf)
        clone(clf.fit(X, y))


def test_model_that_keras_cannot_copy_is_a_clear_error(imbalanced_data):
    """A user's layer whose configuration cannot rebuild it: one ValueError
    that says what to change (it was Keras's error)."""
    import keras

    X, y = imbalanced_data
    inputs = keras.Input((X.shape[1],))
    outputs = keras.layers.Dense(2, activation="softmax")(uncopyable_scale(2.0)(inputs))
    message = (
        "skimb copies the keras.Model given as model= for each fit, and Keras "
        "could not rebuild it from its configuration: Error when deserializing "
        "class 'Scale'"
    )
    advice = (
        "Give your own layers a get_config that returns their constructor's "
        "arguments, or pass a function that builds the model (model=build_fn)."
    )
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        KerasClassifier(keras.Model(inputs, outputs), epochs=1).fit(X, y)
    assert str(caught.value).endswith(advice)


def test_metric_that_needs_one_hot_labels_is_named_in_the_error(imbalanced_data):
    """keras.metrics.AUC on a softmax output fed class indices: the error
    says that metrics must suit the labels (it blamed only the output and
    the loss)."""
    import keras

    def build(meta):
        return _softmax_model(meta["n_features_in_"])

    X, y = imbalanced_data
    clf = KerasClassifier(build, metrics=[keras.metrics.AUC()], epochs=1)
    with pytest.raises(ValueError, match="Metrics must suit the labels too"):
        clf.fit(X, y)


def test_one_softmax_unit_is_an_error(imbalanced_data):
    """One softmax unit always outputs 1; it used to train and predict one
    class for every row."""
    import keras

    def build(meta):
        inputs = keras.Input((meta["n_features_in_"],))
        return keras.Model(inputs, keras.layers.Dense(1, activation="softmax")(inputs))

    X, y = imbalanced_data
    with pytest.raises(ValueError, match="one softmax unit, whose output is always 1"):
        KerasClassifier(build, epochs=1).fit(X, y)


def test_a_tensorflow_runtime_error_is_a_clear_error(imbalanced_data):
    """TensorFlow's InvalidArgumentError (here a user's loss that indexes a
    column the output lacks) becomes a ValueError with its cause and what to
    check; it was a raw graph-execution error."""
    import tensorflow as tf

    def shifted(y_true, y_pred):
        index = tf.cast(tf.reshape(y_true, [-1]), "int32") + 2
        return tf.gather(y_pred, index, axis=1, batch_dims=1)

    X, y = imbalanced_data
    clf = KerasClassifier(_softmax_model(X.shape[1]), loss=shifted, epochs=1)
    message = (
        r"Keras could not fit the model: indices\[0\] = \d is not in \[0, 2\)\. Check"
    )
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y)


@pytest.mark.parametrize(
    "loss",
    ["categorical_crossentropy", "sparse_categorical_crossentropy", "cce_object"],
)
def test_a_per_class_loss_on_one_unit_is_a_clear_error(imbalanced_data, loss):
    """A loss over one probability per class on one sigmoid unit: Keras only
    warned, and the categorical loss was 0 whatever the weights (nothing was
    learnt); the sparse one failed in the first batch."""
    import keras

    if loss == "cce_object":
        loss = keras.losses.CategoricalCrossentropy()

    def build(meta):
        inputs = keras.Input((meta["n_features_in_"],))
        return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(inputs))

    X, y = imbalanced_data
    with pytest.raises(ValueError, match="compares one probability per class, but"):
        KerasClassifier(build, loss=loss, epochs=1).fit(X, y)
    # A warm fit that recompiles with such a loss (its loss was [0.0, 0.0]).
    warm = KerasClassifier(build, warm_start=True, epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="compares one probability per class, but"):
        warm.set_params(loss=loss).fit(X, y)


def test_missing_build_function_argument_names_the_routed_parameter(
    imbalanced_data,
):
    """A build-function argument nobody gives is a ValueError that says how
    to give it; it was Python's bare TypeError."""
    import keras

    def get_model(hidden_layer_dim, meta):
        return keras.Sequential(
            [
                keras.Input((meta["n_features_in_"],)),
                keras.layers.Dense(hidden_layer_dim, activation="relu"),
                keras.layers.Dense(meta["n_classes_"], activation="softmax"),
            ]
        )

    X, y = imbalanced_data
    with pytest.raises(ValueError, match=r"model__hidden_layer_dim=\.\.\."):
        KerasClassifier(get_model, epochs=1).fit(X, y)
    KerasClassifier(get_model, model__hidden_layer_dim=4, epochs=1).fit(X, y)


def test_misspelt_optimizer_parameter_suggests_the_right_one(imbalanced_data):
    """Keras optimizers reject unknown arguments with a ValueError, which
    escaped as Keras's own message."""
    X, y = imbalanced_data
    clf = _small_clf(optimizer__learnig_rate=0.1, epochs=1)
    with pytest.raises(ValueError, match="Did you mean optimizer__learning_rate"):
        clf.fit(X, y)


def test_partial_fit_runs_the_users_callbacks(imbalanced_data):
    """Each partial_fit call runs (a fresh copy of) the user's callbacks, as
    scikeras does; they were dropped. Early stopping stays with fit."""
    import keras

    epochs = []

    class Count(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            epochs.append(logs["loss"])

    X, y = imbalanced_data
    clf = _small_clf(callbacks=[Count])
    clf.partial_fit(X, y, classes=[0, 1]).partial_fit(X, y)
    assert len(epochs) == 2
    np.testing.assert_allclose(epochs, clf.history_["loss"])


def test_initialize_wraps_a_trained_model_without_training(imbalanced_data):
    """scikeras's initialize: a trained keras.Model predicts at once, with its
    own weights; it was missing (AttributeError)."""
    import keras

    X, y = imbalanced_data
    X = X.astype(np.float32)
    trained = keras.Sequential(
        [keras.Input((X.shape[1],)), keras.layers.Dense(2, activation="softmax")]
    )
    trained.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    trained.fit(X, y, epochs=2, verbose=0)
    clf = KerasClassifier(trained).initialize(X, np.where(y == 1, "rare", "common"))
    np.testing.assert_allclose(
        clf.predict_proba(X), trained.predict(X, verbose=0), rtol=1e-5, atol=1e-6
    )
    assert list(clf.classes_) == ["common", "rare"]
    assert (clf.history_, clf.n_iter_) == ({}, 0)
    mlp = MLPClassifier(hidden_layer_sizes=(4,)).initialize(X, y)
    assert (mlp.loss_curve_, mlp.loss_, mlp.n_iter_) == ([], None, 0)
    assert mlp.predict(X).shape == y.shape


# --- Findings of a bad-input review (2026-11-26, a later session) -----------


def _embedding_network(meta):
    """Integer codes 0..9 in five columns, through an Embedding."""
    import keras

    inputs = keras.Input((5,))
    x = keras.layers.Flatten()(keras.layers.Embedding(10, 2)(inputs))
    return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))


def test_a_runtime_error_at_predict_is_a_clear_error():
    """An input the model cannot run (a code outside an Embedding's range) is
    a ValueError with TensorFlow's cause, at predict as at fit, on the fast
    path and through model.predict; predict raised TensorFlow's own error."""
    X = np.random.RandomState(0).randint(0, 10, size=(40, 5)).astype(np.float32)
    y = np.array([0, 1] * 20)
    clf = KerasClassifier(_embedding_network, epochs=1, random_state=0).fit(X, y)
    for n_rows in (3, 2000):
        bad = np.full((n_rows, 5), 12, dtype=np.float32)
        with pytest.raises(ValueError, match=r"could not run the model on X: .*12"):
            clf.predict_proba(bad)


@pytest.mark.parametrize(
    "params, error, message",
    [
        ({"fit__batch_size": -4}, ValueError, "batch_size must be a positive int"),
        ({"fit__batch_size": 0}, ValueError, "batch_size must be a positive int"),
        ({"fit__batch_size": "32"}, TypeError, r"got '32' \(str\)"),
        (
            {"validation_split": 0.5, "fit__validation_batch_size": -4},
            ValueError,
            "validation_batch_size must be a positive int",
        ),
        ({"predict__batch_size": 0}, ValueError, "predict__batch_size must be"),
    ],
)
def test_routed_batch_sizes_are_checked(imbalanced_data, params, error, message):
    """A routed batch size passes no parameter constraint: a negative one
    made fit loop forever, zero divided by zero, text failed in arithmetic."""
    X, y = imbalanced_data
    with pytest.raises(error, match=message):
        _small_clf(epochs=1, **params).fit(X, y).predict(X)


def test_fit_argument_batch_size_is_checked(imbalanced_data):
    X, y = imbalanced_data
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        _small_clf(epochs=1).fit(X, y, batch_size=-4)


@pytest.mark.parametrize(
    "fit_params, error, message",
    [
        # Each of these returned an untrained "fitted" network without a word.
        ({"epochs": 0}, ValueError, "epochs must be a positive int, got 0"),
        ({"epochs": -1}, ValueError, "epochs must be a positive int, got -1"),
        ({"initial_epoch": 3}, ValueError, r"initial_epoch=3 leaves no epoch"),
        ({"initial_epoch": -1}, ValueError, "initial_epoch must be a non-negative"),
        # Keras's message did not name the argument.
        ({"epochs": 2.5}, TypeError, r"epochs must be a positive int, got 2.5"),
        # A bare ZeroDivisionError.
        ({"validation_freq": 0}, ValueError, "validation_freq must be a positive"),
        # Zero was taken for "not given" and replaced by the batch size.
        ({"validation_batch_size": 0}, ValueError, "validation_batch_size must be"),
    ],
)
def test_fit_argument_counts_are_checked(imbalanced_data, fit_params, error, message):
    X, y = imbalanced_data
    with pytest.raises(error, match=message):
        _small_clf(epochs=3).fit(X, y, validation_data=(X, y), **fit_params)


def test_routed_epochs_are_checked(imbalanced_data):
    X, y = imbalanced_data
    with pytest.raises(ValueError, match="epochs must be a positive int, got 0"):
        _small_clf(fit__epochs=0).fit(X, y)


def test_fit_arguments_can_be_routed_as_metadata(imbalanced_data):
    """With metadata routing on, the Keras fit arguments that fit documents
    can be requested and routed (scikit-learn finds requests in fit's
    signature, which has only **fit_params)."""
    X, y = imbalanced_data
    clf = _small_clf(epochs=2)
    assert {"validation_data", "callbacks", "epochs"} <= set(
        clf.get_metadata_routing().fit.requests
    )
    with config_context(enable_metadata_routing=True):
        clf.set_fit_request(validation_data=True, sample_weight=True)
        clf.set_score_request(sample_weight=False)
        result = cross_validate(
            clf,
            X,
            y,
            cv=2,
            params={
                "validation_data": (X[:60], y[:60]),
                "sample_weight": np.ones(len(y)),
            },
            return_estimator=True,
        )
        for fitted in result["estimator"]:
            assert len(fitted.history_["val_loss"]) == 2
        with pytest.raises(UnsetMetadataPassedError, match="validation_data"):
            cross_validate(
                _small_clf(epochs=2), X, y, cv=2, params={"validation_data": (X, y)}
            )


def test_validation_weights_errors_name_validation_data(imbalanced_data):
    """The validation rows' weights were reported as the training
    sample_weight, which was fine."""
    X, y = imbalanced_data
    for weights in (np.ones(3), np.zeros(40)):
        with pytest.raises(ValueError, match=r"sample weights of validation_data"):
            _small_clf(epochs=1).fit(X, y, validation_data=(X[:40], y[:40], weights))


def test_non_finite_outputs_are_an_error(imbalanced_data):
    """A network that outputs NaN gives no probabilities (JAX returns NaN
    for input a layer cannot take, where TensorFlow raises)."""
    X, y = imbalanced_data
    clf = _small_clf(epochs=1).fit(X, y)
    kernel = clf.model_.layers[-1].kernel
    kernel.assign(np.full(kernel.shape, np.nan))
    with pytest.raises(ValueError, match="non-finite outputs"):
        clf.predict_proba(X)


def test_partial_fit_classes_must_be_a_list(imbalanced_data):
    X, y = imbalanced_data
    with pytest.raises(ValueError, match=r"classes must list the labels .*got 5"):
        _small_clf().partial_fit(X, y, classes=5)


@pytest.mark.parametrize(
    "params, message",
    [
        # A valid name with a bad parameter was "Unknown optimizer 'sgd'".
        (
            {"optimizer": "sgd", "optimizer__momentom": 0.9},
            r"optimizer SGD .*Did you mean optimizer__momentum\?",
        ),
        (
            {"optimizer": "sgd", "optimizer__momentum": 1.5},
            r"optimizer SGD .*momentum. must be a float between \[0, 1\]\.$",
        ),
        # Keras takes a negative rate and trains by gradient ascent.
        ({"optimizer__learning_rate": -1.0}, "learning rate must be positive"),
        # Keras's UnimplementedError for a number given as text.
        (
            {"optimizer": "adamw", "optimizer__weight_decay": "0.01"},
            r"could not fit the model: Cast string to float is not supported\.$",
        ),
        # Not about data or shapes: no advice about the input and output.
        ({"metrics": ["acuracy"]}, r"identifier: acuracy\.$"),
    ],
)
def test_bad_routed_parameters_get_their_own_message(imbalanced_data, params, message):
    X, y = imbalanced_data
    with pytest.raises(ValueError, match=message):
        _small_clf(epochs=1, **{"optimizer__learning_rate": 0.01, **params}).fit(X, y)


def test_named_optimizers_take_routed_parameters(imbalanced_data):
    """Names whose class is spelt otherwise ("sgd" is SGD, "rmsprop" RMSprop)
    take routed parameters too."""
    X, y = imbalanced_data
    for name, cls in (("sgd", "SGD"), ("rmsprop", "RMSprop")):
        clf = _small_clf(epochs=1, optimizer=name, optimizer__learning_rate=0.05)
        optimizer = clf.fit(X, y).model_.optimizer
        assert type(optimizer).__name__ == cls
        assert float(optimizer.learning_rate) == pytest.approx(0.05)


@pytest.mark.parametrize("callback", ["early_stopping", print, dict])
def test_callbacks_that_are_not_keras_callbacks(imbalanced_data, callback):
    """A name, a function or another class is a TypeError that says what to
    pass; they failed inside Keras ("'str' object has no attribute
    'set_model'") or were silently accepted (a class)."""
    X, y = imbalanced_data
    with pytest.raises(TypeError, match=r"callbacks\[0\] is .*not a Keras callback"):
        _small_clf(epochs=1, callbacks=[callback]).fit(X, y)


def _subclassed_network(n_classes=2):
    import keras

    class Net(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = keras.layers.Dense(4, activation="relu")
            self.out = keras.layers.Dense(n_classes, activation="softmax")

        def call(self, x):
            return self.out(self.hidden(x))

    return Net()


@pytest.mark.parametrize(
    "make_model, error, message",
    [
        (lambda: _subclassed_network(), ValueError, "wrap a subclassed model"),
        (lambda: lambda meta: _subclassed_network(), ValueError, "no known inputs"),
        (
            lambda: (
                lambda: __import__("keras").Sequential(
                    [__import__("keras").layers.Dense(2, activation="softmax")]
                )
            ),
            ValueError,
            r"Start a Sequential with keras.Input\(\(n_features,\)\)",
        ),
        (
            lambda: __import__("keras").layers.Dense(2),
            TypeError,
            r"model is a Keras layer \(Dense\)",
        ),
        # The class itself: "Sequential.__init__() got an unexpected keyword
        # argument 'meta'" (Keras's classes take **kwargs).
        (
            lambda: __import__("keras").Sequential,
            TypeError,
            "model is the class Sequential, not a keras.Model",
        ),
        (
            lambda: __import__("keras").layers.Dense,
            TypeError,
            "model is the class Dense",
        ),
    ],
)
def test_models_without_inputs_and_outputs(imbalanced_data, make_model, error, message):
    """A subclassed keras.Model (built or not), a Sequential without
    keras.Input and a bare layer get errors that say how to wrap them; they
    were AttributeErrors ("'Net' object has no attribute 'outputs'") or
    "missing a required argument: 'inputs'"."""
    X, y = imbalanced_data
    with pytest.raises(error, match=message):
        KerasClassifier(make_model(), epochs=1).fit(X, y)


def test_a_wrapped_subclassed_model_fits(imbalanced_data):
    """The wrapping that the error above suggests works."""
    import keras

    X, y = imbalanced_data
    inputs = keras.Input((X.shape[1],))
    model = keras.Model(inputs, _subclassed_network()(inputs))
    clf = KerasClassifier(model, epochs=1, random_state=0).fit(X, y)
    assert clf.predict_proba(X).shape == (len(X), 2)


def _lambda_network(meta):
    import keras

    inputs = keras.Input((meta["n_features_in_"],))
    x = keras.layers.Lambda(lambda t: t * 2.0)(inputs)
    return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))


def test_models_with_lambda_layers_fit_and_pickle(imbalanced_data):
    """A Lambda layer of Python code: Keras's safe mode refused to copy the
    user's model object (fit failed) and to unpickle a fitted estimator. Both
    are the user's own code or a pickle, which runs code anyway."""
    import pickle

    X, y = imbalanced_data
    clf = KerasClassifier(_lambda_network, epochs=1, random_state=0).fit(X, y)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    # A model object is copied for the fit, and pickled as a parameter by
    # skimb, not by keras.Model's reducer: importing scikeras replaces that
    # with one that refuses Lambda layers.
    import scikeras.wrappers  # noqa: F401

    model = _lambda_network({"n_features_in_": X.shape[1]})
    clf = KerasClassifier(model, epochs=1, random_state=0).fit(X, y)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    assert again.model is not model and len(again.model.layers) == len(model.layers)


def test_warm_fits_follow_optimizer_and_loss_but_not_model_parameters(imbalanced_data):
    """A warm fit after set_params of the optimizer or the loss compiles the
    network anew with them (they were ignored); a routed model__ parameter
    decides the layers, so changing it is an error."""
    X, y = imbalanced_data

    def build(meta, units=8):
        import keras

        return keras.Sequential(
            [
                keras.Input((meta["n_features_in_"],)),
                keras.layers.Dense(units, activation="relu"),
                keras.layers.Dense(meta["n_classes_"], activation="softmax"),
            ]
        )

    clf = KerasClassifier(
        build, optimizer="sgd", epochs=1, warm_start=True, random_state=0
    ).fit(X, y)
    clf.set_params(optimizer="adam", optimizer__learning_rate=0.02, loss="focal")
    clf.fit(X, y)
    assert type(clf.model_.optimizer).__name__ == "Adam"
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(0.02)
    assert type(clf.model_.loss).__name__ == "FocalLoss"
    clf.set_params(model__units=4)
    with pytest.raises(ValueError, match="after model__units changed"):
        clf.fit(X, y)


def test_continued_fit_after_the_build_function_or_its_plain_params_changed(
    imbalanced_data,
):
    """Plain extra parameters reach the build function as model__ ones do,
    and the function itself builds the layers: a warm fit or partial_fit
    after a change to either went on with the old network, silently."""
    X, y = imbalanced_data
    build = SmallNetwork()
    clf = KerasClassifier(build, hidden=3, epochs=1, warm_start=True).fit(X, y)
    clf.set_params(hidden=5)
    with pytest.raises(ValueError, match="after hidden changed"):
        clf.fit(X, y)
    with pytest.raises(ValueError, match="after hidden changed"):
        clf.partial_fit(X, y)
    clf.set_params(hidden=3, model=SmallNetwork(learning_rate=0.01))
    with pytest.raises(ValueError, match="after model changed"):
        clf.fit(X, y)
    clf.set_params(model=build).fit(X, y)  # as built: goes on
    assert len(clf.history_["loss"]) == 2
    restored = pickle.loads(pickle.dumps(clf))
    restored.partial_fit(X, y)  # a pickled copy is the same network
    restored.set_params(warm_start=False, hidden=5).fit(X, y)  # anew: fine
    assert restored.model_.layers[0].units == 5


def test_build_function_returning_an_already_used_model_is_an_error(imbalanced_data):
    """A build function that returns one model object for every call (a
    closure over a global network) made fits share it: a second estimator's
    fit retrained the first one's model_, and each cross-validation fold
    started from the weights the folds before it had trained."""
    import keras

    network = keras.Sequential(
        [keras.Input((imbalanced_data[0].shape[1],)), keras.layers.Dense(2)]
    )
    X, y = imbalanced_data
    first = KerasClassifier(lambda: network, epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="returned the keras.Model object that"):
        KerasClassifier(lambda: network, epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="returned the keras.Model object that"):
        first.fit(X, y)
    assert first.model_ is network  # left as it was
    # The same network given as model= is copied at each fit: no error.
    second = KerasClassifier(network, epochs=1).fit(X, y)
    assert second.model_ is not network


def test_partial_fit_follows_a_changed_learning_rate(imbalanced_data):
    """partial_fit after set_params(optimizer__learning_rate=...) trains at
    the new rate, keeping the optimizer and its state (it kept the old
    rate, silently); another optimizer compiles the network anew. The
    class prior of the first call stays with loss="logit_adjusted"."""
    X, y = imbalanced_data
    clf = _small_clf(loss="logit_adjusted").partial_fit(X, y)
    optimizer, loss = clf.model_.optimizer, clf.model_.loss
    clf.set_params(optimizer__learning_rate=0.002).partial_fit(X[:150], y[:150])
    assert clf.model_.optimizer is optimizer and clf.model_.loss is loss
    assert float(optimizer.learning_rate) == pytest.approx(0.002)
    clf.set_params(optimizer="sgd").partial_fit(X, y)
    assert type(clf.model_.optimizer).__name__ == "SGD"
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(0.002)


def test_warm_fit_with_logit_adjusted_loss_takes_the_new_prior(imbalanced_data):
    """loss="logit_adjusted" compiles class_prior_ into the loss; a warm fit
    on labels of another prior compiles it anew (the loss kept the first
    fit's prior while class_prior_ followed the new labels). The same prior
    keeps the compiled loss and the optimizer's state."""
    X, y = imbalanced_data
    clf = MLPClassifier(
        hidden_layer_sizes=(4,), max_iter=2, loss="logit_adjusted", warm_start=True
    ).fit(X, y)
    first = clf.model_.loss
    np.testing.assert_allclose(first.class_prior, clf.class_prior_)
    clf.fit(X, y)
    assert clf.model_.loss is first
    balanced = np.r_[np.flatnonzero(y == 1), np.flatnonzero(y == 0)[: (y == 1).sum()]]
    clf.fit(X[balanced], y[balanced])
    np.testing.assert_allclose(clf.class_prior_, [0.5, 0.5])
    np.testing.assert_allclose(clf.model_.loss.class_prior, [0.5, 0.5])


def test_history_stays_aligned_by_epoch_over_warm_fits(imbalanced_data):
    """Keys of some fits only (a validation loss) are NaN for the others'
    epochs; a partial_fit dropped val_loss, and a later validated fit's
    val_loss started at epoch 1."""
    X, y = imbalanced_data
    clf = _small_clf(epochs=2, warm_start=True).fit(X, y)
    clf.set_params(validation_split=0.2).fit(X, y)
    assert len(clf.history_["loss"]) == len(clf.history_["val_loss"]) == 4
    assert np.isnan(clf.history_["val_loss"][:2]).all()
    assert np.isfinite(clf.history_["val_loss"][2:]).all()
    clf.partial_fit(X, y)
    assert len(clf.history_["val_loss"]) == 5 and np.isnan(clf.history_["val_loss"][4])
