"""Keras callbacks that skimb adds to its fits (private).

This module imports Keras: import it lazily.
"""

# SPDX-License-Identifier: BSD-3-Clause

import math

import keras

#: scikit-learn's "adaptive" learning rate stops training below this rate.
_MIN_ADAPTIVE_RATE = 1e-6


class ScikitLearnStopping(keras.callbacks.Callback):
    """scikit-learn MLP's stopping rule, and its ``"adaptive"`` learning rate.

    After each epoch, as in ``sklearn.neural_network.MLPClassifier``: an
    epoch whose loss is not at least ``tol`` below the best loss so far is
    one without improvement, and the best loss moves on any decrease. After
    more than ``n_iter_no_change`` such epochs in a row, training stops;
    with ``adaptive=True`` the learning rate is divided by 5 instead and the
    count starts again, and training stops once the rate is at or below
    1e-6. With ``restore_best_weights``, the weights of the epoch with the
    lowest loss are restored when training ends.

    A loss that is NaN or infinite stops training at once: the weights
    have diverged, and no later epoch, at any learning rate, brings them
    back. (Counted by the rule, NaN would count as an improvement, as no
    comparison with it holds, and a diverged fit ran all its epochs.)

    Parameters
    ----------
    monitor : str
        The loss in Keras's logs: ``"loss"`` or ``"val_loss"``.
    tol : float
        The improvement below which an epoch counts as no improvement.
    n_iter_no_change : int or float
        Epochs without improvement that are tolerated; ``math.inf`` never
        stops.
    adaptive : bool, default=False
        Divide the learning rate by 5 instead of stopping.
    restore_best_weights : bool, default=False
        Keep the weights of the best epoch.
    state : dict or None, default=None
        Where the best loss and the count of epochs without improvement are
        kept (keys ``"best_loss"`` and ``"no_improvement_count"``). A dict
        that already holds them is gone on from, as ``partial_fit`` calls
        do; an empty one starts afresh. ``None`` starts afresh too.
    """

    def __init__(
        self,
        monitor,
        tol,
        n_iter_no_change,
        adaptive=False,
        restore_best_weights=False,
        state=None,
    ):
        super().__init__()
        self.monitor = monitor
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.adaptive = adaptive
        self.restore_best_weights = restore_best_weights
        self.state = {} if state is None else state

    def on_train_begin(self, logs=None):
        self.state.setdefault("best_loss", math.inf)
        self.state.setdefault("no_improvement_count", 0)
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get(self.monitor)
        if loss is None:
            return
        if not math.isfinite(loss):
            self.model.stop_training = True
            return
        state = self.state
        if loss > state["best_loss"] - self.tol:
            state["no_improvement_count"] += 1
        else:
            state["no_improvement_count"] = 0
        if loss < state["best_loss"]:
            state["best_loss"] = loss
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
        if state["no_improvement_count"] > self.n_iter_no_change:
            self._on_plateau()

    def _on_plateau(self):
        rate = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        if not self.adaptive or rate <= _MIN_ADAPTIVE_RATE:
            self.model.stop_training = True
            return
        self.model.optimizer.learning_rate = rate / 5.0
        self.state["no_improvement_count"] = 0

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)


def reset_diverged_state(model, callbacks) -> None:
    """After a fit in which early stopping put back the best epoch's
    weights (skimb's ``ScikitLearnStopping`` or Keras's ``EarlyStopping``,
    with ``restore_best_weights``), zero the optimizer's variables that
    hold NaN or infinity (momentum, Adam's moments), as a new optimizer's
    are.

    The weights are good again, but the moments of diverged epochs would
    make the next warm fit or ``partial_fit`` diverge at its first step
    (and the estimator's check of the optimizer's state refuse the fit).
    """
    restored = any(
        getattr(callback, "restore_best_weights", False)
        and getattr(callback, "best_weights", None) is not None
        for callback in callbacks
    )
    optimizer = getattr(model, "optimizer", None)
    if not restored or optimizer is None:
        return
    ops = keras.ops
    for variable in optimizer.variables:
        if keras.backend.is_float_dtype(variable.dtype) and not bool(
            ops.all(ops.isfinite(variable))
        ):
            variable.assign(ops.zeros_like(variable))


class ResumedEarlyStopping(keras.callbacks.EarlyStopping):
    """Keras's ``EarlyStopping`` that goes on from an earlier phase's best.

    ``best`` and ``best_weights`` (the monitored value and the model's
    weights at the best epoch of the earlier phase) are where this phase
    starts: an epoch must beat them to count as the best, and when none
    does, the earlier phase's weights are restored at the end.
    """

    def __init__(self, *, best, best_weights, **kwargs):
        super().__init__(**kwargs)
        self._earlier = (best, best_weights)

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.best, self.best_weights = self._earlier


class EpochLogs(keras.callbacks.Callback):
    """Every epoch's logs, for a history whose lists align by epoch.

    Keras's ``History`` appends a key's value only in the epochs that log
    it: with ``validation_freq=2``, ``val_loss`` has half as many values as
    ``loss``, and its ``i``-th value is not epoch ``i``'s. :meth:`history`
    gives NaN for an epoch that lacks the key. Put it after the callbacks
    that add to the logs (``ReduceLROnPlateau`` adds ``learning_rate``).
    """

    def __init__(self):
        super().__init__()
        self.epochs = []

    def on_train_begin(self, logs=None):
        self.epochs = []

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(dict(logs or {}))

    def history(self) -> dict:
        """``{key: [value per epoch]}``, NaN where an epoch lacks the key."""
        keys = dict.fromkeys(key for logs in self.epochs for key in logs)
        return {key: [logs.get(key, math.nan) for logs in self.epochs] for key in keys}
