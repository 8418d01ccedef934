"""MLPClassifier: scikit-learn's MLPClassifier parameters on Keras."""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import check_is_fitted

from . import _keras
from .base import KerasClassifier
from .class_weight import CLASS_WEIGHT_STRATEGIES

__all__ = ["MLPClassifier"]

#: scikit-learn's batch_size="auto": min(200, n_samples).
_AUTO_BATCH_SIZE = 200


class MLPClassifier(KerasClassifier):
    """Multi-layer perceptron on Keras, balanced by default.

    It takes the parameter names of
    :class:`sklearn.neural_network.MLPClassifier`, so a user swaps the import
    and keeps the grid, and adds ``class_weight``, ``loss`` and ``dropout``
    for imbalanced data.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers,), default=(100,)
        Units of each hidden layer.

    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Activation of the hidden layers (scikit-learn's names).

    solver : {"adam", "sgd"}, default="adam"
        The optimizer. scikit-learn's ``"lbfgs"`` has no Keras counterpart.

    alpha : float, default=0.0001
        L2 penalty on the weights of every layer: ``0.5 * alpha * ||W||^2``
        divided by the batch size, added to each batch's mean loss, as in
        scikit-learn. The batch size is the parameter's (scikit-learn divides
        a short last batch's penalty by that batch's own size).

    batch_size : int or "auto", default="auto"
        Samples per gradient update; ``"auto"`` is ``min(200, n_samples)``,
        and a number above ``n_samples`` is ``n_samples``, as in scikit-learn.

    learning_rate : {"constant", "adaptive"}, default="constant"
        With ``solver="sgd"``, ``"adaptive"`` divides the learning rate by 5
        where training would stop (see ``tol``), and stops once the rate is
        at or below 1e-6, as in scikit-learn. ``partial_fit`` calls count
        their epochs towards that plateau, going on from earlier calls and
        the fit, and lower the rate likewise. Like there, the ``"adam"``
        solver ignores it.

    learning_rate_init : float, default=0.001
        The initial learning rate. Changed between ``partial_fit`` calls, it
        takes effect at the next call, the optimizer's state going on
        (scikit-learn's MLP keeps the first call's rate).

    max_iter : int, default=200
        The maximum number of epochs.

    shuffle : bool, default=True
        Shuffle the samples at each epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, dropout, shuffling and the validation split.
        Global random states are restored after each fit.

    tol : float, default=1e-4
        The improvement of the loss (training loss, or validation loss with
        ``early_stopping``) below which an epoch counts as no improvement.
        The rule is scikit-learn's: an epoch improves when its loss is at
        least ``tol`` below the best loss so far (the best moves on any
        decrease), and training stops after more than ``n_iter_no_change``
        epochs in a row without improvement, or at once at a NaN or
        infinite loss (the weights have diverged).

    verbose : int, default=0
        Keras's verbosity during fit: 0 silent, 1 (or ``True``) a progress
        bar, 2 or more one line per epoch with the loss.

    warm_start : bool, default=False
        Continue training the fitted network at the next ``fit``, whose
        ``y`` must hold every class of ``classes_``, as in scikit-learn.

    momentum : float, default=0.9
        Momentum of the ``"sgd"`` solver.

    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with ``"sgd"``.

    early_stopping : bool, default=False
        Hold out a stratified ``validation_fraction`` of the data and stop
        when the validation loss stops improving (see ``tol``); the weights
        of the epoch with the lowest validation loss are kept. scikit-learn
        watches the validation accuracy instead. Not with ``partial_fit``.

    validation_fraction : float, default=0.1
        The share of the training data held out when ``early_stopping``.

    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Parameters of the ``"adam"`` solver.

    n_iter_no_change : int or np.inf, default=10
        Epochs without an improvement of ``tol`` that are tolerated; one
        more stops training (see ``tol``). ``np.inf`` never stops before
        ``max_iter``.

    class_weight : {"balanced", "balanced_sqrt", "effective"}, dict or None, \
            default="balanced"
        Class weighting, computed on the ``y`` given to ``fit``, see
        :func:`skimb.class_weight.compute_class_weight`.

    class_weight_beta : float, default=0.999
        The ``beta`` of ``class_weight="effective"``.

    loss : str, keras.losses.Loss or callable, default="auto"
        ``"auto"`` (cross-entropy), ``"focal"``, ``"logit_adjusted"`` or a
        Keras loss.

    dropout : float, default=0.0
        Dropout rate after each hidden layer.

    batch_sampler : {None, "balanced"}, default=None
        ``"balanced"`` draws every mini-batch with equal class shares; then
        ``class_weight`` is not applied (the batches are already balanced).

    logit_adjustment : float, default=0.0
        Post-hoc logit adjustment strength ``tau`` (Menon et al., 2021):
        predictions use ``log p - tau * log(class_prior_)``; no retraining.

    Attributes
    ----------
    model_ : keras.Model
        The fitted network.

    classes_ : ndarray of shape (n_classes,)
        The class labels.

    n_classes_ : int
        The number of classes.

    n_features_in_ : int
        The number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    class_prior_ : ndarray of shape (n_classes,)
        The share of each class in the ``y`` of the last fit, or of every
        ``partial_fit`` batch so far, weighted by ``sample_weight`` (a class
        not seen yet, or weighted zero, counts as one row of the smallest
        positive weight).

    history_ : dict
        Keras's training history per epoch, one value per epoch in every
        list (NaN for an epoch that did not log the key).

    n_iter_ : int
        The number of epochs run by the last fit.

    loss_curve_ : list of float
        The training loss at each epoch (as scikit-learn's attribute).

    loss_ : float
        The training loss at the last epoch.

    best_loss_ : float or None
        The lowest training loss of the fit; None with ``early_stopping=True``
        (as in scikit-learn, which then tracks the validation set).

    t_ : int
        The number of training samples seen, over warm starts and
        ``partial_fit`` calls too (as scikit-learn's attribute).

    coefs_ : list of ndarray
        The weight matrix of each layer, ``coefs_[i]`` of shape
        (units of layer i, units of layer i + 1), read from ``model_``.

    intercepts_ : list of ndarray
        The bias vector of each layer, read from ``model_``.

    n_layers_ : int
        The number of layers, input and output included.

    n_outputs_ : int
        The number of output units: one per class, binary included
        (scikit-learn's binary network has a single logistic unit).

    out_activation_ : str
        The output activation, always ``"softmax"``.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : The scikit-learn original.
    skimb.KerasClassifier : Any Keras model as a classifier.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skimb import MLPClassifier
    >>> X, y = make_classification(n_samples=200, weights=[0.9, 0.1],
    ...                            random_state=0)
    >>> clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=5,
    ...                     random_state=0).fit(X, y)
    >>> clf.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "solver": [StrOptions({"adam", "sgd"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions({"constant", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "class_weight": [StrOptions(set(CLASS_WEIGHT_STRATEGIES)), dict, None],
        "class_weight_beta": [Interval(Real, 0, 1, closed="left")],
        "loss": [str, callable],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "batch_sampler": [StrOptions({"balanced"}), None],
        "logit_adjustment": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=0,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        class_weight="balanced",
        class_weight_beta=0.999,
        loss="auto",
        dropout=0.0,
        batch_sampler=None,
        logit_adjustment=0.0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.class_weight_beta = class_weight_beta
        self.loss = loss
        self.dropout = dropout
        self.batch_sampler = batch_sampler
        self.logit_adjustment = logit_adjustment

    # The hooks of KerasClassifier's fit loop -------------------------------

    # MLPClassifier takes 2-D tables only; it has no routed parameters,
    # metrics or user callbacks.
    _allow_nd = False
    metrics = None
    callbacks = None
    run_eagerly = False

    def _epochs(self) -> int:
        return self.max_iter

    def _batch_size(self, n_samples: int) -> int:
        if self.batch_size == "auto":
            return min(_AUTO_BATCH_SIZE, n_samples)
        # scikit-learn clips a batch_size above the rows to the rows, so that
        # 200 and "auto" are one setting (the L2 penalty is divided by it).
        return min(self.batch_size, n_samples)

    def _validation_fraction(self) -> float:
        if not self.early_stopping:
            return 0.0
        if self.validation_fraction == 0:
            raise ValueError(
                "early_stopping=True holds out validation_fraction of the data "
                "to watch; validation_fraction=0.0 holds out nothing. Use a "
                "fraction such as 0.1, or early_stopping=False."
            )
        return self.validation_fraction

    def _build_model(self):
        keras = _keras.import_keras()
        sizes = _hidden_sizes(self.hidden_layer_sizes)
        regularizer = self._l2_penalty()
        layers = [keras.Input((self.n_features_in_,))]
        for units in sizes:
            layers.append(
                keras.layers.Dense(
                    units,
                    activation=_ACTIVATIONS[self.activation],
                    kernel_regularizer=regularizer,
                )
            )
            if self.dropout:
                layers.append(keras.layers.Dropout(self.dropout))
        layers.append(
            keras.layers.Dense(
                self.n_classes_, activation="softmax", kernel_regularizer=regularizer
            )
        )
        return keras.Sequential(layers)

    def _l2_penalty(self):
        """scikit-learn's penalty ``0.5 * alpha * ||W||^2 / batch rows`` on
        this fit's batch size, or None for ``alpha=0``."""
        keras = _keras.import_keras()
        if not self.alpha:
            return None
        return keras.regularizers.L2(
            0.5 * self.alpha / self._batch_size(self._n_fit_samples)
        )

    def _train(self, train, valid, *, warm, **kwargs):
        if warm:
            self._refresh_l2_penalty(self.model_)
        return super()._train(train, valid, warm=warm, **kwargs)

    def _refresh_l2_penalty(self, model) -> None:
        """Put this fit's penalty on the weights of a fitted network. It was
        the first fit's for good: a first partial_fit of 5 rows made every
        later call's penalty 40 times scikit-learn's, and a change of alpha
        between warm fits did nothing."""
        regularizer = self._l2_penalty()
        changed = False
        for layer in self._dense_layers():
            old = layer.kernel.regularizer
            if (old and old.get_config()) != (regularizer and regularizer.get_config()):
                # The variable's regularizer makes the loss; the layer's is
                # what its config (and a reader) sees.
                layer.kernel.regularizer = layer.kernel_regularizer = regularizer
                changed = True
        if changed:  # the traced train step holds the old penalty
            model.train_function = None

    def _network_params(self) -> dict:
        return {
            "hidden_layer_sizes": tuple(_hidden_sizes(self.hidden_layer_sizes)),
            "activation": self.activation,
            "dropout": self.dropout,
        }

    def _compile_params(self) -> dict:
        # _make_optimizer reads its parameters from here, so that a warm fit
        # recompiles after any of them changes.
        names = (
            "solver",
            "learning_rate_init",
            "momentum",
            "nesterovs_momentum",
            "beta_1",
            "beta_2",
            "epsilon",
            "loss",
        )
        return {name: getattr(self, name) for name in names}

    def _make_optimizer(self):
        # float(): Keras takes only Python floats for the learning rate and
        # momentum, where scikit-learn takes any real number (momentum=0).
        keras = _keras.import_keras()
        params = self._compile_params()
        if params["solver"] == "sgd":
            return keras.optimizers.SGD(
                learning_rate=float(params["learning_rate_init"]),
                momentum=float(params["momentum"]),
                nesterov=params["nesterovs_momentum"],
            )
        return keras.optimizers.Adam(
            learning_rate=float(params["learning_rate_init"]),
            beta_1=float(params["beta_1"]),
            beta_2=float(params["beta_2"]),
            epsilon=float(params["epsilon"]),
        )

    def _make_callbacks(self, valid, resume=None) -> list:
        """Stop on a loss plateau by scikit-learn's rule (see ``tol``); the
        MLP has one phase, so ``resume`` is always None."""
        from ._callbacks import ScikitLearnStopping

        # validation_data alone is only reported (as val_loss), as
        # scikit-learn watches held-out data only for early_stopping.
        watch_validation = self.early_stopping and valid is not None
        # A fit starts the count of epochs without improvement afresh;
        # partial_fit calls go on from it (_incremental_callbacks).
        self._loss_plateau = {}
        return [
            ScikitLearnStopping(
                monitor="val_loss" if watch_validation else "loss",
                tol=self.tol,
                n_iter_no_change=self.n_iter_no_change,
                adaptive=self._adaptive_rate(),
                restore_best_weights=self.early_stopping,
                state=self._loss_plateau,
            )
        ]

    def _incremental_callbacks(self) -> list:
        """With ``learning_rate="adaptive"``, as in scikit-learn, each
        ``partial_fit`` call counts its epoch towards the plateau that divides
        the rate by 5, going on from the earlier calls (and the fit)."""
        if not self._adaptive_rate():
            return []
        from ._callbacks import ScikitLearnStopping

        # A copy (absent: a first call, or an older pickle): a call that
        # fails puts the attribute back, and with it the count before it.
        self._loss_plateau = dict(getattr(self, "_loss_plateau", {}))
        return [
            ScikitLearnStopping(
                monitor="loss",
                tol=self.tol,
                n_iter_no_change=self.n_iter_no_change,
                adaptive=True,
                state=self._loss_plateau,
            )
        ]

    def _adaptive_rate(self) -> bool:
        return self.solver == "sgd" and self.learning_rate == "adaptive"

    def _store_fit_results(self, model, history, warm):
        losses = history.get("loss", [])
        if losses and not self.early_stopping and not np.isfinite(losses[-1]):
            # ScikitLearnStopping stopped at it; an infinite loss can leave
            # the weights finite (huge), past the check of non-finite weights.
            raise ValueError(
                f"Training diverged: the training loss is {losses[-1]} at epoch "
                f"{len(losses)}, so the network's predictions would be NaN or "
                "infinite. Scale the features (e.g. StandardScaler in a "
                "pipeline) or lower the learning rate."
            )
        super()._store_fit_results(model, history, warm)
        self.loss_curve_ = list(self.history_.get("loss", []))  # [] after initialize
        trained = bool(self.loss_curve_)
        self.loss_ = self.loss_curve_[-1] if trained else None
        self.best_loss_ = (
            min(self.loss_curve_) if trained and not self.early_stopping else None
        )
        # Training samples seen, over warm starts and partial_fit calls too.
        seen = self._n_fit_samples * len(history.get("loss", []))
        self.t_ = (self.t_ if warm and hasattr(self, "t_") else 0) + seen
        self.n_layers_ = len(self._dense_layers()) + 1  # input layer included
        self.n_outputs_ = self.n_classes_
        self.out_activation_ = "softmax"

    # scikit-learn's weight attributes, read from the network so that they
    # never go stale (warm starts, partial_fit) and are not pickled twice.

    @property
    def coefs_(self) -> list:
        """The weight matrix of each layer (scikit-learn's ``coefs_``)."""
        return [_keras.to_numpy(layer.kernel) for layer in self._dense_layers()]

    @property
    def intercepts_(self) -> list:
        """The bias vector of each layer (scikit-learn's ``intercepts_``)."""
        return [_keras.to_numpy(layer.bias) for layer in self._dense_layers()]

    def _dense_layers(self) -> list:
        check_is_fitted(self, "model_")
        keras = _keras.import_keras()
        return [
            layer
            for layer in self.model_.layers
            if isinstance(layer, keras.layers.Dense)
        ]


_ACTIVATIONS = {
    "identity": "linear",
    "logistic": "sigmoid",
    "tanh": "tanh",
    "relu": "relu",
}


def _hidden_sizes(sizes, name: str = "hidden_layer_sizes") -> list[int]:
    """Hidden layer sizes (an int or a sequence) as a list of positive ints."""
    listed = [sizes] if isinstance(sizes, Integral) else list(sizes)
    if any(not isinstance(s, Integral) or s < 1 for s in listed):
        raise ValueError(
            f"{name} must contain positive integers. Got {sizes!r} instead."
        )
    return [int(s) for s in listed]
