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
