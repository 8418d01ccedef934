"""KerasClassifier's checks on the user's model: divergence of the
optimizer's state, networks shared between fits, a model swapped between
warm fits, and a compiled model given with optimizer or loss parameters."""

import numpy as np
import pytest
from sklearn.datasets import make_classification

from skimb import KerasClassifier


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    return X.astype(np.float32), y


def _linear(meta):
    """One softmax layer: on huge features Adam's moments overflow while
    the weights stay finite (one step moves them by the learning rate)."""
    import keras

    return keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(meta["n_classes_"], activation="softmax"),
        ]
    )


def _clf(model=_linear, **params):
    defaults = {"epochs": 1, "batch_size": 60, "random_state": 0}
    return KerasClassifier(model, **{**defaults, **params})


def _state(clf):
    optimizer = clf.model_.optimizer
    return [np.array(v) for v in [*clf.model_.weights, *optimizer.variables]]


# Divergence ------------------------------------------------------------------


def test_a_partial_fit_that_overflows_the_optimizer_raises_and_rolls_back(data):
    """A call whose batch overflows Adam's moments, leaving the weights
    finite, is the one that raises and is rolled back (it succeeded, and
    the next call, on sane data, diverged)."""
    X, y = data
    clf = _clf().partial_fit(X, y, classes=[0, 1])
    before, expected = _state(clf), clf.predict_proba(X)
    with pytest.raises(ValueError, match="Training diverged: the optimizer's state"):
        clf.partial_fit(X * 1e30, y)
    for value, saved in zip(_state(clf), before, strict=True):
        np.testing.assert_array_equal(value, saved)
    np.testing.assert_array_equal(clf.predict_proba(X), expected)
    clf.partial_fit(X, y)  # the next call trains on
    assert all(np.isfinite(w).all() for w in clf.model_.get_weights())


@pytest.mark.parametrize("warm", [False, True])
def test_a_fit_that_overflows_the_optimizer_raises(data, warm):
    X, y = data
    clf = _clf(warm_start=warm)
    if warm:
        clf.fit(X, y)
        before = _state(clf)
    with pytest.raises(ValueError, match="optimizer's state .* NaN or infinite"):
        clf.fit(X * 1e30, y)
    if warm:
        for value, saved in zip(_state(clf), before, strict=True):
            np.testing.assert_array_equal(value, saved)
    else:
        assert not hasattr(clf, "model_")


# Networks shared between fits -----------------------------------------------


def _around(*layers):
    """A build function that returns a new model around ``layers``, created
    once outside it."""
    import keras

    def build(meta):
        inputs = keras.Input((meta["n_features_in_"],))
        outputs = inputs
        for layer in layers:
            outputs = layer(outputs)
        return keras.Model(inputs, outputs)

    return build


def test_a_new_model_around_shared_layers_is_an_error(data):
    """A build function returning a new keras.Model around layers made
    outside it shares their weights between fits, as one global model does
    (each cross-validation fold started from the earlier folds' weights)."""
    import keras

    X, y = data
    build = _around(
        keras.layers.Dense(4, activation="relu"),
        keras.layers.Dense(2, activation="softmax"),
    )
    first = _clf(build).fit(X, y)
    weights = first.model_.get_weights()
    with pytest.raises(ValueError, match="around layers that an earlier fit"):
        _clf(build).fit(X, y)
    for value, saved in zip(first.model_.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(value, saved)
    with pytest.raises(ValueError, match="around layers that an earlier fit"):
        first.fit(X, y)  # a refit of the same estimator, too


def _one_global_model(X):
    """A build function returning one network made outside it."""
    network = _linear({"n_features_in_": X.shape[1], "n_classes_": 2})
    return lambda: network


@pytest.mark.parametrize(
    "failure",
    [{"loss": "no_such_loss"}, {"fit__batch_size": 0}],
    ids=["bad_loss", "bad_fit_argument"],
)
def test_a_fit_that_failed_before_training_does_not_use_the_network(data, failure):
    """A fit that fails before its first training step (a bad loss at
    compile, a bad fit argument) trained nothing: a retry with the same
    network runs. It said "already used (and trained)". A third fit, after
    one that trained, still refuses the network."""
    X, y = data
    build = _one_global_model(X)
    with pytest.raises(ValueError, match="no_such_loss|batch_size"):
        _clf(build, **failure).fit(X, y)
    _clf(build).fit(X, y)
    with pytest.raises(ValueError, match="already used"):
        _clf(build).fit(X, y)


def test_a_fit_that_failed_after_training_started_keeps_the_network_used(data):
    """A fit that fails after a training step changed the weights: the
    network counts as used."""
    import keras

    class Fails(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise RuntimeError("after a step")

    X, y = data
    build = _one_global_model(X)
    with pytest.raises(RuntimeError, match="after a step"):
        _clf(build, callbacks=[Fails()]).fit(X, y)
    with pytest.raises(ValueError, match="already used"):
        _clf(build).fit(X, y)


def test_frozen_shared_layers_are_allowed(data):
    """A frozen layer (a pretrained backbone) may be shared: no fit
    changes it."""
    import keras

    X, y = data
    frozen = keras.layers.Dense(4, activation="relu", trainable=False)
    make = _around(frozen)

    def build(meta):
        inner = make(meta)
        outputs = keras.layers.Dense(2, activation="softmax")(inner.output)
        return keras.Model(inner.input, outputs)

    _clf(build).fit(X, y)
    kernel = np.array(frozen.kernel)
    _clf(build).fit(X, y)
    np.testing.assert_array_equal(np.array(frozen.kernel), kernel)


def test_a_model_instance_is_copied_for_every_fit(data):
    """A keras.Model given as model= (a copy per fit) is not shared."""
    X, y = data
    import keras

    model = _linear({"n_features_in_": X.shape[1], "n_classes_": 2})
    model_with_nested = keras.Sequential([keras.Input((X.shape[1],)), model])
    for given in (model, model_with_nested):
        for _ in range(2):
            _clf(given).fit(X, y)


# A keras.Model swapped between warm fits ------------------------------------


def _network(units, n_features=4):
    import keras

    return keras.Sequential(
        [
            keras.Input((n_features,)),
            keras.layers.Dense(units, activation="relu"),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )


@pytest.mark.parametrize("call", ["fit", "partial_fit"])
def test_another_model_instance_under_a_warm_start_is_an_error(data, call):
    """Replacing the keras.Model given as model by another one between warm
    fits is a ValueError, as a changed build function is: the warm fit went
    on training the first model's copy while model named another."""
    X, y = data
    first = _network(3)
    clf = _clf(first, warm_start=True).fit(X, y)
    expected = clf.predict_proba(X)
    clf.set_params(model=_network(5))
    with pytest.raises(ValueError, match="after model changed"):
        getattr(clf, call)(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), expected)
    clf.set_params(model=first)  # set back: the network goes on
    getattr(clf, call)(X, y)
    clf.set_params(model=_network(3), warm_start=False).fit(X, y)  # fit anew
    assert clf.model_.layers[0].units == 3


def test_a_pickled_estimator_goes_on_with_its_model(data):
    """After pickling (or deep-copying), the loaded model is the one the
    network was built from; a model swapped before pickling is not."""
    import copy
    import pickle

    X, y = data
    clf = _clf(_network(3), warm_start=True).fit(X, y)
    for loaded in (pickle.loads(pickle.dumps(clf)), copy.deepcopy(clf)):
        loaded.fit(X, y)
        loaded.partial_fit(X, y)
    clf.set_params(model=_network(3))
    for loaded in (pickle.loads(pickle.dumps(clf)), copy.deepcopy(clf)):
        with pytest.raises(ValueError, match="after model changed"):
            loaded.partial_fit(X, y)
    # Pickles made before the instance was compared hold "keras.Model".
    old = _clf(_network(3), warm_start=True).fit(X, y)
    builder = {**old._built_with["builder"], "model": "keras.Model"}
    old._built_with = {**old._built_with, "builder": builder}
    pickle.loads(pickle.dumps(old)).partial_fit(X, y)


def test_another_build_fn_under_a_warm_start_is_an_error(data):
    """scikeras's deprecated build_fn= is compared as model= is, and warns
    only when it builds the network."""
    import warnings

    X, y = data
    clf = KerasClassifier(build_fn=_linear, warm_start=True, epochs=1)
    with pytest.warns(FutureWarning, match="build_fn"):
        clf.fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        clf.partial_fit(X, y)
    clf.set_params(build_fn=_around())
    with pytest.raises(ValueError, match="after model changed"):
        clf.partial_fit(X, y)


# A compiled keras.Model with compile parameters ------------------------------


def _compiled(n_features=4):
    import keras

    model = _network(3, n_features)
    model.compile(
        optimizer=keras.optimizers.RMSprop(), loss="sparse_categorical_crossentropy"
    )
    return model


def _unused_warnings(clf, X, y):
    """The messages of the warnings that compile parameters are unused."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X, y)
    return [str(w.message) for w in caught if "have no effect" in str(w.message)]


@pytest.mark.parametrize(
    "params",
    [
        {"optimizer": "sgd"},
        {"loss": "focal", "optimizer__learning_rate": 0.1},
        {"metrics": ["accuracy"]},
    ],
)
def test_a_compiled_model_warns_that_compile_parameters_are_unused(data, params):
    """A compiled keras.Model keeps its compilation; the optimizer, loss or
    metrics set away from their defaults did nothing, silently."""
    X, y = data
    clf = _clf(_compiled(), **params)
    (message,) = _unused_warnings(clf, X, y)
    assert f"The parameter(s) {sorted(params)} have no effect" in message
    assert "model is a compiled keras.Model" in message
    assert "pass the model uncompiled" in message
    assert type(clf.model_.optimizer).__name__ == "RMSprop"


def test_compile_parameters_at_their_defaults_do_not_warn(data):
    X, y = data
    for params in ({}, {"loss": None, "metrics": [], "optimizer": "adam"}):
        assert not _unused_warnings(_clf(_compiled(), **params), X, y)
    # An uncompiled model is compiled with them, silently.
    clf = _clf(_network(3), optimizer="sgd", loss="focal")
    assert not _unused_warnings(clf, X, y)
    assert type(clf.model_.optimizer).__name__ == "SGD"
