"""Tests of MLPClassifier: scikit-learn's parameters on a Keras network."""

import inspect
import re
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import f1_score, recall_score
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLP
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skimb import MLPClassifier


def _fast_mlp(**params):
    defaults = {
        "hidden_layer_sizes": (16,),
        "max_iter": 10,
        "learning_rate_init": 0.01,
        "random_state": 0,
    }
    return MLPClassifier(**{**defaults, **params})


def test_parameters_are_sklearns():
    """Every scikit-learn MLP parameter that applies to Keras has the same name."""
    ours = inspect.signature(MLPClassifier).parameters
    theirs = inspect.signature(SklearnMLP).parameters
    not_applicable = {"power_t", "max_fun"}  # invscaling / lbfgs only
    missing = set(theirs) - set(ours) - not_applicable
    assert not missing
    for name in set(theirs) & set(ours) - {"random_state"}:
        assert ours[name].default == theirs[name].default, name
    assert {"class_weight", "loss", "dropout"} <= set(ours)


def test_same_grid_as_sklearn(imbalanced_data):
    """A grid written for scikit-learn's MLPClassifier runs unchanged."""
    X, y = imbalanced_data
    grid = {
        "mlpclassifier__hidden_layer_sizes": [(8,), (8, 4)],
        "mlpclassifier__alpha": [1e-4, 1e-2],
        "mlpclassifier__activation": ["relu", "tanh"],
    }
    search = GridSearchCV(
        make_pipeline(StandardScaler(), _fast_mlp(max_iter=10, batch_size=32)),
        grid,
        cv=2,
        scoring="f1",
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 8
    assert search.best_score_ > 0.5


def test_architecture_follows_parameters(imbalanced_data):
    """Hidden layers, activation, dropout and the softmax head are as asked."""
    X, y = imbalanced_data
    clf = _fast_mlp(
        hidden_layer_sizes=(12, 6), activation="tanh", dropout=0.25, max_iter=1
    ).fit(X, y)
    layers = clf.model_.layers
    dense = [layer for layer in layers if layer.__class__.__name__ == "Dense"]
    assert [layer.units for layer in dense] == [12, 6, 2]
    assert [layer.activation.__name__ for layer in dense] == ["tanh", "tanh", "softmax"]
    assert sum(layer.__class__.__name__ == "Dropout" for layer in layers) == 2


def test_alpha_is_an_l2_penalty(imbalanced_data):
    """alpha > 0 penalises every layer's kernel, the output layer's too, scaled
    as in scikit-learn; 0 adds no penalty."""
    X, y = imbalanced_data
    clf = _fast_mlp(hidden_layer_sizes=(5, 3), alpha=0.5, batch_size=50, max_iter=1)
    dense = [layer for layer in clf.fit(X, y).model_.layers if layer.weights]
    assert len(dense) == 3
    for layer in dense:
        assert layer.kernel_regularizer.l2 == pytest.approx(0.5 * 0.5 / 50)
    unpenalised = _fast_mlp(alpha=0.0, max_iter=1).fit(X, y).model_.layers
    assert all(layer.kernel_regularizer is None for layer in unpenalised)


@pytest.mark.parametrize("solver, optimizer", [("adam", "Adam"), ("sgd", "SGD")])
def test_solver(imbalanced_data, solver, optimizer):
    """solver picks the Keras optimizer with learning_rate_init."""
    X, y = imbalanced_data
    clf = _fast_mlp(solver=solver, learning_rate_init=0.02, max_iter=2).fit(X, y)
    assert type(clf.model_.optimizer).__name__ == optimizer
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(0.02)


@pytest.mark.parametrize("n_iter_no_change", [1, 3])
def test_stops_on_plateau_like_sklearn(imbalanced_data, n_iter_no_change):
    """With tol=10 no epoch after the first improves: both libraries stop after
    n_iter_no_change + 1 epochs without improvement (Keras's EarlyStopping,
    used before, stopped one epoch earlier)."""
    X, y = imbalanced_data
    params = {"tol": 10.0, "n_iter_no_change": n_iter_no_change, "max_iter": 200}
    clf = _fast_mlp(**params).fit(X, y)
    theirs = SklearnMLP(hidden_layer_sizes=(16,), random_state=0, **params).fit(X, y)
    assert clf.n_iter_ == theirs.n_iter_ == n_iter_no_change + 2
    assert len(clf.loss_curve_) == clf.n_iter_


def _stopping_callback(losses, **params):
    """Feed a sequence of losses to ScikitLearnStopping on a tiny model; the
    epochs it ran, its model and a copy of the weights after each epoch."""
    import keras

    from skimb._callbacks import ScikitLearnStopping

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01))
    callback = ScikitLearnStopping(monitor="loss", **params)
    callback.set_model(model)
    callback.on_train_begin()
    weights = []
    for epoch, loss in enumerate(losses):
        model.set_weights([np.full((2, 1), float(epoch)), np.zeros(1)])
        weights.append(model.get_weights())
        callback.on_epoch_end(epoch, {"loss": loss})
        if model.stop_training:
            break
    callback.on_train_end()
    return epoch + 1, model, weights


def test_slowly_falling_loss_stops_as_in_sklearn():
    """The best loss moves on any decrease, so a loss that falls by less than
    tol per epoch stops training after n_iter_no_change + 1 epochs, though it
    falls by more than tol over several (Keras's EarlyStopping went on)."""
    losses = [1.0 - 4e-5 * epoch for epoch in range(50)]
    epochs, _, _ = _stopping_callback(losses, tol=1e-4, n_iter_no_change=2)
    assert epochs == 4
    epochs, _, _ = _stopping_callback(losses, tol=1e-4, n_iter_no_change=np.inf)
    assert epochs == 50


def test_stopping_restores_the_lowest_loss():
    """restore_best_weights keeps the weights of the epoch with the lowest loss
    (early_stopping), also when that epoch improved by less than tol."""
    losses = [3.0, 2.0, 1.99, 2.5, 2.6, 2.7]
    epochs, model, weights = _stopping_callback(
        losses, tol=0.1, n_iter_no_change=2, restore_best_weights=True
    )
    assert epochs == 5
    np.testing.assert_array_equal(model.get_weights()[0], weights[2][0])


def test_adaptive_learning_rate_as_in_sklearn(imbalanced_data):
    """With sgd, learning_rate='adaptive' divides the rate by 5 where training
    would stop, and stops at a rate of 1e-6: the same epochs and final rate as
    scikit-learn's."""
    X, y = imbalanced_data
    params = {
        "solver": "sgd",
        "learning_rate": "adaptive",
        "learning_rate_init": 0.01,
        "tol": 10.0,
        "n_iter_no_change": 1,
        "max_iter": 200,
    }
    clf = _fast_mlp(**params).fit(X, y)
    theirs = SklearnMLP(hidden_layer_sizes=(16,), random_state=0, **params).fit(X, y)
    assert clf.n_iter_ == theirs.n_iter_
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(
        theirs._optimizer.learning_rate
    )


def test_adaptive_learning_rate_over_partial_fit_as_in_sklearn(imbalanced_data):
    """partial_fit calls, each one epoch, go on counting the epochs without
    improvement (from the fit before them, too), so learning_rate='adaptive'
    divides the rate by 5 on the calls where scikit-learn's does; it used to
    start a fresh count at each call and never lower the rate."""
    X, y = imbalanced_data
    params = {
        "solver": "sgd",
        "learning_rate": "adaptive",
        "learning_rate_init": 0.01,
        "tol": 10.0,  # no epoch improves by 10: a plateau every 2 epochs
        "n_iter_no_change": 1,
    }
    ours = _fast_mlp(**params)
    theirs = SklearnMLP(hidden_layer_sizes=(16,), random_state=0, **params)
    ours_rates, their_rates = [], []
    for _ in range(5):
        ours.partial_fit(X, y, classes=[0, 1])
        theirs.partial_fit(X, y, classes=[0, 1])
        ours_rates.append(float(ours.model_.optimizer.learning_rate))
        their_rates.append(theirs._optimizer.learning_rate)
    assert their_rates == pytest.approx([0.01, 0.01, 0.002, 0.002, 0.0004])
    assert ours_rates == pytest.approx(their_rates)
    # After a fit of 2 epochs (one without improvement), the first call
    # reaches the plateau.
    ours = _fast_mlp(**params, max_iter=2)
    theirs = SklearnMLP(hidden_layer_sizes=(16,), random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 2 epochs only
        ours.fit(X, y)
        theirs.set_params(max_iter=2).fit(X, y)
    ours.partial_fit(X, y)
    theirs.partial_fit(X, y)
    assert float(ours.model_.optimizer.learning_rate) == pytest.approx(0.002)
    assert theirs._optimizer.learning_rate == pytest.approx(0.002)


def test_failed_partial_fit_keeps_the_adaptive_rate(imbalanced_data, monkeypatch):
    """A partial_fit call that fails after its epoch leaves the count of
    epochs without improvement and the learning rate as they were, with the
    weights: the failed call's plateau does not lower the rate."""
    from skimb import base

    X, y = imbalanced_data
    clf = _fast_mlp(solver="sgd", learning_rate="adaptive", tol=10.0)
    clf.set_params(n_iter_no_change=1)
    for _ in range(2):  # the count is at 1: the next epoch lowers the rate
        clf.partial_fit(X, y, classes=[0, 1])
    plateau = dict(clf._loss_plateau)

    def fail(model, history):
        raise RuntimeError("failed after the epoch")

    monkeypatch.setattr(base, "_check_training_converged", fail)
    with pytest.raises(RuntimeError, match="failed after the epoch"):
        clf.partial_fit(X, y)
    assert clf._loss_plateau == plateau
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(0.01)
    monkeypatch.undo()
    clf.partial_fit(X, y)  # the same call, succeeding, lowers it
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(0.002)


def test_adam_ignores_adaptive(imbalanced_data):
    """As in scikit-learn, learning_rate applies to the sgd solver only."""
    X, y = imbalanced_data
    clf = _fast_mlp(learning_rate="adaptive", tol=10.0, max_iter=4).fit(X, y)
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(0.01)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_sklearn_fitted_attributes(imbalanced_data, early_stopping):
    """The fitted attributes of scikit-learn's MLP that code reads after a swap."""
    X, y = imbalanced_data
    clf = _fast_mlp(hidden_layer_sizes=(5, 3), early_stopping=early_stopping)
    assert not hasattr(clf, "coefs_")
    clf.fit(X, y)
    shapes = [(X.shape[1], 5), (5, 3), (3, 2)]
    assert [coef.shape for coef in clf.coefs_] == shapes
    assert [bias.shape for bias in clf.intercepts_] == [(5,), (3,), (2,)]
    hidden = np.maximum(X @ clf.coefs_[0] + clf.intercepts_[0], 0)
    hidden = np.maximum(hidden @ clf.coefs_[1] + clf.intercepts_[1], 0)
    logits = hidden @ clf.coefs_[2] + clf.intercepts_[2]
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(clf.predict_proba(X), proba, rtol=1e-4, atol=1e-6)
    assert clf.loss_ == clf.loss_curve_[-1]
    if early_stopping:
        assert clf.best_loss_ is None
    else:
        assert clf.best_loss_ == min(clf.loss_curve_)
    assert (clf.n_layers_, clf.n_outputs_, clf.out_activation_) == (4, 2, "softmax")
    np.testing.assert_allclose(
        clf.predict_log_proba(X), np.log(clf.predict_proba(X)), rtol=1e-12
    )


def test_early_stopping_uses_validation_loss(imbalanced_data):
    """early_stopping holds out validation_fraction and monitors val_loss."""
    X, y = imbalanced_data
    clf = _fast_mlp(early_stopping=True, validation_fraction=0.2, max_iter=5).fit(X, y)
    assert len(clf.history_["val_loss"]) == clf.n_iter_


def test_validation_data_alone_does_not_stop_training(imbalanced_data):
    """Without early_stopping, validation_data is only reported: training
    stops on the training loss (scikit-learn watches held-out data only for
    early_stopping). It used to stop on a rising val_loss, keeping the last
    weights."""
    X, y = imbalanced_data
    # Flipped labels: the validation loss rises while the training loss falls.
    clf = _fast_mlp(max_iter=20, n_iter_no_change=2, tol=0.0)
    clf.fit(X, y, validation_data=(X[:60], 1 - y[:60]))
    assert clf.n_iter_ == 20
    assert clf.history_["val_loss"][-1] > clf.history_["val_loss"][0]


def test_batch_size_auto(imbalanced_data, monkeypatch):
    """batch_size='auto' is min(200, n_samples), as in scikit-learn."""
    X, y = imbalanced_data
    assert _fast_mlp()._batch_size(1000) == 200
    assert _fast_mlp()._batch_size(50) == 50
    assert _fast_mlp(batch_size=7)._batch_size(1000) == 7


def test_bad_hidden_layer_sizes(imbalanced_data):
    """Non-positive layer sizes are a clear ValueError."""
    X, y = imbalanced_data
    with pytest.raises(
        ValueError, match=re.escape("hidden_layer_sizes must contain positive integers")
    ):
        _fast_mlp(hidden_layer_sizes=(8, 0)).fit(X, y)


def test_lbfgs_is_refused(imbalanced_data):
    """solver='lbfgs' is a clear parameter error, not a Keras failure."""
    X, y = imbalanced_data
    with pytest.raises(ValueError, match="The 'solver' parameter of MLPClassifier"):
        _fast_mlp(solver="lbfgs").fit(X, y)


@pytest.mark.slow
# The peer, scikit-learn's MLPClassifier, stops at its max_iter=200 here.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_defaults_competitive_with_sklearn():
    """With defaults, skimb's MLP matches scikit-learn's on minority F1 and beats
    it on minority recall, on the built-in 90:10 problem."""
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=1000,
        n_features=20,
        n_informative=3,
        n_redundant=1,
        n_clusters_per_class=1,
        weights=[0.9, 0.1],
        class_sep=2,
        flip_y=0,
        random_state=42,
    )
    rng = np.random.RandomState(1)
    X = X + rng.normal(scale=1.5, size=X.shape)  # make the problem not trivial
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, stratify=y, test_size=0.3, random_state=0
    )
    scores = {}
    for name, clf in {
        "skimb": MLPClassifier(random_state=0),
        "sklearn": SklearnMLP(random_state=0),
    }.items():
        pipe = make_pipeline(StandardScaler(), clf).fit(X_train, y_train)
        pred = pipe.predict(X_test)
        scores[name] = (f1_score(y_test, pred), recall_score(y_test, pred))
    assert scores["skimb"][0] >= scores["sklearn"][0] - 0.05, scores
    assert scores["skimb"][1] >= scores["sklearn"][1], scores


@pytest.mark.parametrize(
    "shape, message",
    [
        ((30,), "Expected 2D array, got 1D array instead"),
        ((30, 4, 2), "Found array with dim 3"),
    ],
)
def test_tabular_model_refuses_other_ranks(shape, message):
    """MLPClassifier takes 2-D tables: 1-D and 3-D X are clear ValueErrors."""
    X = np.random.RandomState(0).normal(size=shape)
    y = np.arange(30) % 2
    with pytest.raises(ValueError, match=re.escape(message)):
        _fast_mlp().fit(X, y)


def test_t_counts_the_training_samples_seen(imbalanced_data):
    """scikit-learn's t_: samples per epoch times epochs, summed over warm
    starts and partial_fit calls (it was missing)."""
    X, y = imbalanced_data
    clf = _fast_mlp(max_iter=3, n_iter_no_change=np.inf).fit(X, y)
    assert clf.t_ == 3 * len(X)
    clf.set_params(warm_start=True).fit(X, y)
    assert clf.t_ == 6 * len(X)
    clf.partial_fit(X[:100], y[:100])
    assert clf.t_ == 6 * len(X) + 100
    held_out = _fast_mlp(max_iter=2, early_stopping=True, validation_fraction=0.2)
    assert held_out.fit(X, y).t_ == 2 * round(0.8 * len(X))


def test_scikit_learn_values_that_turn_things_off(imbalanced_data):
    """n_iter_no_change=np.inf (never stop early) and validation_fraction=0.0
    without early stopping are valid in scikit-learn, so here too (both used
    to be an InvalidParameterError); with early stopping, a fraction of 0 is
    a clear error."""
    X, y = imbalanced_data
    never = _fast_mlp(max_iter=6, tol=10.0, n_iter_no_change=np.inf).fit(X, y)
    assert never.n_iter_ == 6  # tol=10 stops at once otherwise
    assert _fast_mlp(max_iter=1, validation_fraction=0.0).fit(X, y).n_iter_ == 1
    with pytest.raises(ValueError, match="validation_fraction=0.0 holds out nothing"):
        _fast_mlp(early_stopping=True, validation_fraction=0.0).fit(X, y)


@pytest.mark.parametrize(
    "params",
    [
        {"solver": "sgd", "momentum": 0, "learning_rate_init": 1},
        {"solver": "sgd", "momentum": 1, "learning_rate_init": np.float32(0.5)},
        {"learning_rate_init": 1, "beta_1": 0, "beta_2": np.float32(0.9)},
    ],
)
def test_any_real_number_for_rates_and_momentum(imbalanced_data, params):
    """scikit-learn takes ints and NumPy floats for the learning rate and
    momentum (its own example trains with momentum=0); Keras's optimizers
    refused anything but a Python float with their own ValueError."""
    X, y = imbalanced_data
    clf = _fast_mlp(max_iter=1, **params).fit(X, y)
    rate = float(params["learning_rate_init"])
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(rate)
    if "momentum" in params:
        assert clf.model_.optimizer.momentum == params["momentum"]


def test_partial_fit_refuses_early_stopping(imbalanced_data):
    """As scikit-learn's MLPClassifier; it was silently ignored."""
    X, y = imbalanced_data
    with pytest.raises(ValueError, match="partial_fit does not support early_st"):
        _fast_mlp(early_stopping=True).partial_fit(X, y)


@pytest.mark.parametrize(
    "change",
    [{"hidden_layer_sizes": (4, 4)}, {"activation": "tanh"}, {"dropout": 0.2}],
)
@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_continuing_after_the_network_changed_is_an_error(imbalanced_data, change, how):
    """A warm fit or partial_fit after a change of the network's parameters
    went on with the old network (n_layers_ described the new one);
    scikit-learn fails too (with an AttributeError)."""
    X, y = imbalanced_data
    clf = _fast_mlp(max_iter=1, warm_start=how == "warm_start").fit(X, y)
    clf.set_params(**change)
    (name,) = change
    with pytest.raises(ValueError, match=f"after {name} changed"):
        clf.fit(X, y) if how == "warm_start" else clf.partial_fit(X, y)


def test_warm_fit_uses_changed_optimizer_parameters(imbalanced_data):
    """A warm fit after set_params of the solver or its rates trains with
    them, as scikit-learn's MLP (a new optimizer per fit); they were
    ignored. Without a change, the optimizer's state goes on."""
    X, y = imbalanced_data
    clf = _fast_mlp(max_iter=2, warm_start=True).fit(X, y)
    optimizer = clf.model_.optimizer
    clf.fit(X, y)
    assert clf.model_.optimizer is optimizer
    clf.set_params(solver="sgd", learning_rate_init=0.05, momentum=0.5).fit(X, y)
    assert type(clf.model_.optimizer).__name__ == "SGD"
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(0.05)
    assert clf.model_.optimizer.momentum == 0.5
    assert clf.n_layers_ == 3


def test_partial_fit_uses_a_changed_learning_rate(imbalanced_data):
    """partial_fit after set_params(learning_rate_init=...) goes on with the
    optimizer's state, at the new rate: the same Adam step as at the old
    rate, ten times as long. It went on at the old rate, silently (as
    scikit-learn's MLP does; its SGDClassifier takes a changed eta0). A
    change of another optimizer parameter makes a new optimizer."""
    X, y = imbalanced_data
    X, y = X[:100], y[:100]  # one batch

    def step(rate):
        clf = _fast_mlp(learning_rate_init=0.001).partial_fit(X, y, classes=[0, 1])
        before = clf.coefs_
        clf.set_params(learning_rate_init=rate).partial_fit(X, y)
        return clf, [b - a for a, b in zip(before, clf.coefs_)]

    clf, steps = step(0.01)
    _, slow_steps = step(0.001)
    for fast, slow in zip(steps, slow_steps):
        np.testing.assert_allclose(fast, 10 * slow, rtol=1e-3, atol=1e-7)
    optimizer = clf.model_.optimizer
    assert float(optimizer.learning_rate) == pytest.approx(0.01)
    assert int(optimizer.iterations) == 2
    clf.set_params(beta_1=0.5).partial_fit(X, y)
    assert clf.model_.optimizer is not optimizer
    assert clf.model_.optimizer.beta_1 == 0.5


def test_l2_penalty_follows_each_fits_batch_size(imbalanced_data):
    """The penalty is 0.5 * alpha / min(200, rows) for each fit or
    partial_fit call, and follows alpha across warm fits. The first call's
    stayed for good: 0.1 after a first partial_fit of 5 rows, 40 times
    scikit-learn's 0.0025 for a later call of 300 rows."""
    X, y = imbalanced_data

    def factors(clf):
        return [
            layer.kernel.regularizer and layer.kernel.regularizer.l2
            for layer in clf._dense_layers()
        ]

    clf = _fast_mlp(alpha=1.0)
    clf.partial_fit(X[:5], y[:5], classes=[0, 1])
    assert factors(clf) == pytest.approx([0.1, 0.1])
    first = clf.loss_
    clf.partial_fit(X, y)
    assert factors(clf) == pytest.approx([0.5 / 200] * 2)
    assert clf.loss_ < first  # the lighter penalty reached the loss
    clf.set_params(alpha=0.0, warm_start=True, max_iter=1).fit(X, y)
    assert factors(clf) == [None, None]


def test_batch_size_above_the_rows_is_the_rows(imbalanced_data):
    """As in scikit-learn, a batch_size above the training rows is clipped
    to them, so batch_size=200 and "auto" are one setting. The penalty was
    divided by the parameter: on 50 rows, 0.5 * alpha / 200 instead of
    scikit-learn's 0.5 * alpha / 50."""
    X, y = imbalanced_data
    assert _fast_mlp(batch_size=200)._batch_size(50) == 50
    clf = _fast_mlp(alpha=1.0, batch_size=200)
    clf.partial_fit(X[:50], y[:50], classes=[0, 1])
    factors = [layer.kernel.regularizer.l2 for layer in clf._dense_layers()]
    assert factors == pytest.approx([0.5 / 50] * 2)


def test_sample_weight_given_by_position_to_partial_fit(imbalanced_data):
    """partial_fit's third argument is classes (as in SGDClassifier), not
    sample_weight (scikit-learn 1.9's MLP): mask weights given by position
    were read as the classes [0, 1] and ignored. Repeated values are now an
    error that says so."""
    X, y = imbalanced_data
    mask = (np.arange(len(y)) % 2).astype(float)
    with pytest.raises(ValueError, match="pass sample_weight by name"):
        _fast_mlp().partial_fit(X, y, mask)


def test_too_small_validation_fraction_asks_for_a_larger_one(imbalanced_data):
    """A hold-out too small for one row of each class asks to raise the
    fraction; the message said "of 0% of 300 samples ... Lower the
    validation fraction"."""
    X, y = imbalanced_data
    clf = _fast_mlp(early_stopping=True, validation_fraction=0.001)
    with pytest.raises(ValueError, match=r"of 0\.001 of 300 samples \(1 rows\)"):
        clf.fit(X, y)
    with pytest.raises(ValueError, match="Raise the validation fraction"):
        clf.fit(X, y)
    with pytest.raises(ValueError, match="Lower the validation fraction"):
        clf.set_params(validation_fraction=0.999).fit(X, y)
    y_single = y.copy()
    y_single[0] = 2  # a class of one sample: no fraction can stratify it
    with pytest.raises(ValueError, match="Give every class at least two samples"):
        clf.set_params(validation_fraction=0.1).fit(X, y_single)
