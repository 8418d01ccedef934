"""Fit-time arguments, user callbacks and persistence of KerasClassifier and
MLPClassifier: how they combine with skimb's own stopping rule, validation,
partial_fit and warm starts."""

import numpy as np
import pytest

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
