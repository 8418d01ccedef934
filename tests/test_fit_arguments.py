"""Fit-time arguments, user callbacks and persistence of KerasClassifier and
MLPClassifier: how they combine with skimb's own stopping rule, validation,
partial_fit and warm starts."""

import copy
import pickle

import numpy as np
import pytest
from sklearn.datasets import make_classification

from skimb import KerasClassifier, MLPClassifier

from .conftest import SmallNetwork


def _small_clf(**params):
    defaults = {"epochs": 2, "optimizer__learning_rate": 0.01, "random_state": 0}
    return KerasClassifier(SmallNetwork(), **{**defaults, **params})


def _diverging_mlp(**params):
    """An MLP whose SGD steps blow the weights up within a few epochs."""
    defaults = {
        "hidden_layer_sizes": (8,),
        "solver": "sgd",
        "learning_rate_init": 10.0,
        "max_iter": 50,
        "random_state": 0,
    }
    return MLPClassifier(**{**defaults, **params})


def _decay(epoch, rate=None):
    """A learning-rate schedule by epoch (module level: it pickles)."""
    return 0.1 / (epoch + 1)


# Stopping ---------------------------------------------------------------


@pytest.mark.parametrize("n_iter_no_change", [10, np.inf])
def test_diverged_mlp_fit_stops_at_the_first_non_finite_loss(
    imbalanced_data, n_iter_no_change
):
    """A NaN loss compares false with the best loss, so scikit-learn's rule
    counted it as an improvement and a diverged fit ran all max_iter epochs
    before the divergence error; it now stops at the first NaN epoch."""
    import keras

    X, y = imbalanced_data
    history = keras.callbacks.History()  # a fit-time callback is used as given
    clf = _diverging_mlp(n_iter_no_change=n_iter_no_change)
    with pytest.raises(ValueError, match="Training diverged"):
        clf.fit(X * 1e4, y, callbacks=[history])
    losses = history.history["loss"]
    assert len(losses) < clf.max_iter
    assert np.isfinite(losses[:-1]).all() and not np.isfinite(losses[-1])


@pytest.mark.parametrize("warm", [False, True])
def test_mlp_stopped_at_an_infinite_loss_is_a_divergence_error(imbalanced_data, warm):
    """An infinite loss stops training while the weights may still be
    finite (huge): the fit is the one that diverged and raises, as when it
    trained on until its weights were NaN. It succeeded, and predict_proba
    then failed on the network's non-finite outputs. A warm fit is rolled
    back."""
    import keras

    X, y = imbalanced_data
    clf = _diverging_mlp(learning_rate_init=1e4, warm_start=warm)
    if warm:
        clf.set_params(learning_rate_init=1e-3).fit(X, y)
        clf.set_params(learning_rate_init=1e4)
        weights, proba = clf.model_.get_weights(), clf.predict_proba(X)
    history = keras.callbacks.History()
    with pytest.raises(ValueError, match="Training diverged: the training loss is inf"):
        clf.fit(X, y, callbacks=[history])
    losses = history.history["loss"]
    assert len(losses) < clf.max_iter and np.isposinf(losses[-1])
    if warm:
        for value, saved in zip(clf.model_.get_weights(), weights, strict=True):
            np.testing.assert_array_equal(value, saved)
        np.testing.assert_array_equal(clf.predict_proba(X), proba)
    else:
        assert not hasattr(clf, "model_")


def test_diverged_mlp_with_early_stopping_keeps_its_best_epoch(imbalanced_data):
    """With early_stopping the best validation epoch's weights come back, as
    before, but training stops at the first NaN validation loss instead of
    running all max_iter epochs."""
    X, y = imbalanced_data
    clf = _diverging_mlp(early_stopping=True).fit(X * 1e4, y)
    val_loss = clf.history_["val_loss"]
    assert clf.n_iter_ < clf.max_iter
    assert np.isfinite(val_loss[:-1]).all() and not np.isfinite(val_loss[-1])
    assert np.isfinite(clf.predict_proba(X * 1e4)).all()


def test_early_stopping_after_divergence_resets_the_diverged_momentum():
    """When the momentum itself overflowed (SGD at a huge rate), early
    stopping's best weights come back with the optimizer's NaN or infinite
    variables zeroed, as a new optimizer's: the fit succeeds, and a warm
    fit goes on from the best epoch. The divergence check of the optimizer's
    state refused the fit, though its weights were the best epoch's."""
    import keras

    X, y = make_classification(300, 8, weights=[0.9], random_state=0)
    clf = _diverging_mlp(learning_rate_init=1e5, early_stopping=True)
    clf.fit(X * 100, y)
    assert not np.isfinite(clf.history_["val_loss"][-1])
    assert np.isfinite(clf.predict_proba(X * 100)).all()
    for variable in clf.model_.optimizer.variables:
        assert np.isfinite(keras.ops.convert_to_numpy(variable)).all()
    clf.set_params(warm_start=True, learning_rate_init=1e-3, max_iter=2)
    assert np.isfinite(clf.fit(X * 100, y).predict_proba(X * 100)).all()


def test_a_user_callback_that_stops_training_leaves_right_attributes(
    imbalanced_data,
):
    """A callback given to fit that stops training at the second epoch: the
    MLP's n_iter_, loss_curve_, loss_, best_loss_ and t_ count two epochs."""
    import keras

    class StopAtSecondEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    X, y = imbalanced_data
    clf = MLPClassifier((4,), max_iter=10, random_state=0)
    clf.fit(X, y, callbacks=[StopAtSecondEpoch()])
    assert clf.n_iter_ == 2 and len(clf.loss_curve_) == 2
    assert clf.loss_ == clf.loss_curve_[-1]
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert clf.t_ == 2 * len(X)


# partial_fit --------------------------------------------------------------


def test_partial_fit_numbers_its_epoch_after_those_trained(imbalanced_data):
    """Each partial_fit call is the next epoch for the callbacks, as in
    scikeras (initial_epoch=current_epoch): a LearningRateScheduler goes on
    from call to call. Every call was epoch 0, so the schedule never moved."""
    import keras

    X, y = imbalanced_data
    clf = _small_clf(callbacks=[keras.callbacks.LearningRateScheduler(_decay)])
    for _ in range(3):
        clf.partial_fit(X, y, classes=[0, 1])
    np.testing.assert_allclose(
        clf.history_["learning_rate"], [0.1, 0.05, 0.1 / 3], rtol=1e-6
    )
    assert clf.n_iter_ == 1


def test_partial_fit_after_fit_goes_on_from_its_epochs(imbalanced_data):
    """After a fit of two epochs, partial_fit's epoch is the third."""
    import keras

    seen = []

    class Epochs(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            seen.append(epoch)

    X, y = imbalanced_data
    clf = _small_clf(callbacks=[Epochs]).fit(X, y)
    clf.partial_fit(X, y)
    assert seen == [0, 1, 2]
    assert len(clf.history_["loss"]) == 3


def test_routed_fit_epochs_do_not_make_partial_fit_train_more(imbalanced_data):
    """partial_fit trains one epoch, as documented; fit__epochs made it train
    that many, and fit__initial_epoch made it fail. Both stay fit's."""
    X, y = imbalanced_data
    clf = _small_clf(fit__epochs=3).partial_fit(X, y)
    assert clf.n_iter_ == 1 and len(clf.history_["loss"]) == 1
    clf = _small_clf(epochs=3, fit__initial_epoch=1)
    assert clf.partial_fit(X, y).n_iter_ == 1
    assert clf.fit(X, y).n_iter_ == 2  # epochs 1 and 2 of fit


# history_ ----------------------------------------------------------------


def test_history_stays_aligned_by_epoch_with_validation_freq(imbalanced_data):
    """With validation_freq=2, Keras logs val_loss every other epoch and its
    History list is half as long as loss's: history_ did the same (its i-th
    value was not epoch i's, a DataFrame of it failed). It now has NaN for
    the epochs without validation, also across warm fits."""
    X, y = imbalanced_data
    clf = _small_clf(epochs=4, warm_start=True)
    clf.fit(X, y, validation_data=(X[:60], y[:60]), validation_freq=2)
    val_loss = np.array(clf.history_["val_loss"])
    assert len(val_loss) == len(clf.history_["loss"]) == 4
    assert np.isnan(val_loss[[0, 2]]).all() and np.isfinite(val_loss[[1, 3]]).all()
    clf.fit(X, y, epochs=1)
    assert {len(values) for values in clf.history_.values()} == {5}
    assert np.isnan(clf.history_["val_loss"][4])


def test_mlp_history_aligned_with_validation_freq(imbalanced_data):
    """The MLP's history_ (and loss_curve_) align the same way."""
    X, y = imbalanced_data
    clf = MLPClassifier((4,), max_iter=3, random_state=0)
    clf.fit(X, y, validation_data=(X[:60], y[:60]), validation_freq=3)
    assert len(clf.history_["val_loss"]) == len(clf.loss_curve_) == 3
    assert np.isnan(clf.history_["val_loss"][:2]).all()


# Persistence -------------------------------------------------------------


@pytest.mark.parametrize(
    "copy_of",
    [lambda est: pickle.loads(pickle.dumps(est)), copy.deepcopy],
    ids=["pickle", "deepcopy"],
)
def test_copy_after_partial_fit_trains_on_like_the_original(imbalanced_data, copy_of):
    """A copy made between partial_fit calls keeps the optimizer's state and
    the epoch count: the next call gives the original's result."""
    import keras

    X, y = imbalanced_data
    clf = _small_clf(callbacks=[keras.callbacks.LearningRateScheduler(_decay)])
    clf.partial_fit(X, y, classes=[0, 1])
    copied = copy_of(clf)
    assert int(copied.model_.optimizer.iterations) == int(
        clf.model_.optimizer.iterations
    )
    clf.partial_fit(X, y)
    copied.partial_fit(X, y)
    np.testing.assert_allclose(copied.predict_proba(X), clf.predict_proba(X))
    assert copied.history_ == clf.history_
    assert clf.history_["learning_rate"][-1] == pytest.approx(0.05)


def test_a_lambda_callback_pickles_with_cloudpickle_as_documented(
    imbalanced_data, tmp_path
):
    """docs/persistence.rst: a callback holding a lambda does not pickle with
    pickle, and the estimator saves with cloudpickle; the fitted model_
    also saves with keras.saving. Each copy predicts as the original."""
    import keras

    cloudpickle = pytest.importorskip("cloudpickle")
    X, y = imbalanced_data
    epochs = []
    callback = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: epochs.append(epoch)
    )
    clf = _small_clf(callbacks=[callback]).fit(X, y)
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        pickle.dumps(clf)
    loaded = cloudpickle.loads(cloudpickle.dumps(clf))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    clf.model_.save(tmp_path / "model.keras")
    model = keras.saving.load_model(tmp_path / "model.keras")
    np.testing.assert_allclose(
        model.predict(X, verbose=0), clf.predict_proba(X), rtol=1e-5, atol=1e-6
    )


def test_a_failed_fit_pickles_as_the_estimator_before_it(imbalanced_data):
    """A warm fit that fails after an epoch (a callback raising) leaves the
    estimator as it was, and its pickle predicts as before the failed fit."""
    import keras

    class Fail(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise RuntimeError("stop here")

    X, y = imbalanced_data
    clf = _small_clf(warm_start=True).fit(X, y)
    before = clf.predict_proba(X)
    with pytest.raises(RuntimeError, match="stop here"):
        clf.fit(X, y, callbacks=[Fail()])
    assert clf.n_iter_ == 2 and len(clf.history_["loss"]) == 2
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(clf)).predict_proba(X), before
    )


# Verbosity ---------------------------------------------------------------


@pytest.mark.parametrize("verbose", [2, 5])
def test_verbose_above_two_prints_the_loss_of_each_epoch(
    imbalanced_data, capsys, verbose
):
    """scikit-learn's verbose is "higher is more verbose"; Keras knows 0, 1
    and 2, and at 3 or more printed 'Epoch i/n' lines without the loss."""
    X, y = imbalanced_data
    MLPClassifier((4,), max_iter=2, verbose=verbose, random_state=0).fit(X, y)
    out = capsys.readouterr().out
    assert out.count("loss:") == 2


def test_a_verbose_fit_leaves_logging_as_it_was(imbalanced_data, capsys):
    """Progress output changes no logging level, handler or Keras setting."""
    import logging

    import keras

    def state():
        loggers = [logging.getLogger(name) for name in ("", "tensorflow", "absl")]
        return (
            [(lg.level, list(lg.handlers), list(lg.filters)) for lg in loggers],
            keras.config.is_interactive_logging_enabled(),
        )

    X, y = imbalanced_data
    before = state()
    _small_clf(verbose=1, early_stopping=True).fit(X, y)
    assert "val_loss" in capsys.readouterr().out
    assert state() == before
