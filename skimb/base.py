"""KerasClassifier: any Keras model as a scikit-learn classifier.

The fit loop is a chain of small steps that subclasses override:
``_validate_fit_inputs`` -> ``_prepare_targets`` -> ``_sample_weight`` ->
``_learn_class_prior`` -> ``_split_validation`` -> ``_build_and_compile``
-> ``_fit_keras_model``. Everything Keras-specific that touches global
state (seeding, saving) lives in :mod:`skimb._keras`.
"""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import copy
import difflib
import inspect
import weakref
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _keras
from ._labels import check_label_values
from ._messages import reason, warn_user
from .class_weight import CLASS_WEIGHT_STRATEGIES, _combined_weights, _entries_for

__all__ = ["KerasClassifier"]

#: Prefixes of the routed ``prefix__name`` parameters and where they go.
_ROUTING_PREFIXES = ("model", "optimizer", "loss", "callbacks", "fit", "predict")

#: Up to this many rows, ``predict_proba`` calls the model directly instead of
#: ``model.predict``, which costs a graph trace and a data pipeline per call.
_FAST_PATH_MAX_ROWS = 1024

#: The fast path pads 2-D inputs with zero rows to a multiple of this. CPU
#: matrix kernels work on blocks of rows and sum the last, partial block in
#: another order, so without padding a row's probabilities could change in
#: the last float32 bits with its position in X.
_ROW_BLOCK = 64

#: Keras's own default batch size, for ``batch_size=None``.
_KERAS_BATCH_SIZE = 32

#: scikeras's deprecated name of the ``model`` parameter, still accepted.
_BUILD_FN = "build_fn"

#: Losses of skimb, resolved by :mod:`skimb.losses`.
_SKIMB_LOSSES = ("focal", "logit_adjusted")

#: Keras losses that need one-hot targets rather than integer labels.
_ONE_HOT_LOSSES = {
    "categorical_crossentropy",
    "categoricalcrossentropy",
    "categorical_focal_crossentropy",
    "categoricalfocalcrossentropy",
}


#: The keras.Model.fit arguments that KerasClassifier.fit passes on (the
#: others are skimb's: _FIT_ARGS_OF_THE_ESTIMATOR).
_KERAS_FIT_ARGUMENTS = (
    "validation_data",
    "callbacks",
    "epochs",
    "initial_epoch",
    "batch_size",
    "validation_batch_size",
    "validation_freq",
    "shuffle",
    "verbose",
)


class KerasClassifier(_keras.KerasModelsMixin, ClassifierMixin, BaseEstimator):
    """A Keras model as a scikit-learn classifier, balanced by default.

    The constructor follows scikeras's ``KerasClassifier``, so scikeras code
    migrates by changing the import; unlike scikeras, it is a real
    scikit-learn classifier (stratified cross-validation, calibration,
    threshold tuning) and weighs classes as ``"balanced"`` by default.

    Parameters
    ----------
    model : keras.Model or callable, default=None
        The network. Either a ``keras.Model`` (copied at each fit, with its
        current weights as the starting point, so the object you pass is never
        changed) or a function returning one. The function may take any of
        ``meta`` (a dict with ``n_features_in_``, ``classes_``,
        ``n_classes_``, ``target_type_``, ...), ``compile_kwargs`` (the
        resolved ``optimizer``, ``loss`` and ``metrics``) and its own keyword
        arguments, given to this estimator as ``model__name=value`` (or as
        plain ``name=value``). The model's output must be one probability
        per class (softmax), or a single probability of the second class
        (sigmoid) for binary problems; a final linear Dense layer is read as
        logits (a linear Activation after a softmax or sigmoid, such as the
        mixed-precision cast to float32, is not). If the model is already
        compiled, its compilation is kept; for a compiled ``keras.Model``
        given here, ``optimizer``, ``loss`` and ``metrics`` (and their
        routed parameters) set away from their defaults then have no
        effect, and ``fit`` warns: pass the model uncompiled to use them.

    warm_start : bool, default=False
        If True, ``fit`` continues training the fitted model instead of
        building a new one. Its ``y`` must hold every class of ``classes_``
        (``partial_fit`` batches may miss classes). What builds the network
        (``model``, another ``keras.Model`` instance included, and
        ``model__*`` or extra parameters) cannot change in between: that is
        a ValueError.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout, shuffling and the validation
        split. With an int, two fits give identical predictions, in one
        process or in two. Global random states (Python, NumPy, TensorFlow,
        Keras) are restored after each fit.

    optimizer : str, keras.optimizers.Optimizer or class, default="adam"
        Optimizer name, class or instance (an instance is copied per fit).
        Routed ``optimizer__learning_rate=...`` parameters configure it.

    loss : str, keras.losses.Loss, callable or None, default="auto"
        ``"auto"`` (or None, scikeras's default) is cross-entropy matched to
        the model's output
        (sparse categorical for one unit per class, binary for one sigmoid
        unit). ``"focal"`` and ``"logit_adjusted"`` are skimb's imbalance
        losses (see :mod:`skimb.losses`); any Keras loss name, class or object
        works too. Routed ``loss__gamma=...`` parameters configure it. The
        losses picked by name (``"auto"``, ``"focal"``, ``"logit_adjusted"``)
        are given ``from_logits=True`` when the network outputs logits; a
        Keras loss you name or build yourself is used as given. The
        logit-adjusted loss corrects for the class prior itself, so
        ``class_weight`` is not applied with it; it takes ``class_prior_``
        when the network is compiled (a warm fit on labels of another prior
        compiles anew; ``partial_fit`` takes the prior of its first call: for
        the prior of a whole stream, pass
        ``loss=skimb.losses.LogitAdjustedLoss(class_prior=...)``).

    metrics : list, default=None
        Keras metrics to compile the model with; they appear in ``history_``.

    batch_size : int or None, default=32
        Samples per gradient update (and per prediction batch); None is
        Keras's default, 32.

    validation_batch_size : int or None, default=None
        Samples per batch when evaluating the validation data; None uses
        ``batch_size``.

    epochs : int, default=1
        Passes over the training data (scikeras's default). With
        ``early_stopping``, the maximum number of passes.

    validation_split : float, default=0.0
        Fraction of the training data held out as validation data, stratified
        by class (Keras's own ``validation_split`` takes the last rows, which
        on sorted data is a single class).

    early_stopping : bool, default=False
        Stop when the validation loss stops improving for 5 epochs and keep
        the best weights. When True and ``validation_split`` is 0, 10% of the
        data is held out.

    class_weight : {"balanced", "balanced_sqrt", "effective"}, dict or None, \
            default="balanced"
        Class weighting, computed on the ``y`` given to ``fit`` (after a
        sampler in a pipeline, the resampled ``y``), multiplied into
        ``sample_weight`` and normalised to mean one. See
        :func:`skimb.class_weight.compute_class_weight`.

    class_weight_beta : float, default=0.999
        The ``beta`` of ``class_weight="effective"`` (Cui et al., 2019).

    callbacks : list or dict of keras.callbacks.Callback, default=None
        Keras callbacks, as objects (copied at each fit, so the objects you
        pass are not bound to a model) or as classes, created at each fit
        with the routed parameters: ``callbacks__name=value`` goes to every
        class, ``callbacks__<index or key>__name=value`` to one of them.
        Callback objects routed as ``fit__callbacks`` or passed to
        ``fit(callbacks=...)`` run in addition to these.

    verbose : int, default=0
        Keras's verbosity during fit (0 silent, 1 progress bar, 2 or more
        one line per epoch).

    shuffle : bool, default=True
        Shuffle the training data at each epoch.

    run_eagerly : bool, default=False
        Run Keras in eager mode (slow; for debugging).

    batch_sampler : {None, "balanced"}, default=None
        ``"balanced"`` draws every mini-batch with equal class shares (an
        epoch has as many batches as without it; the majority's rows do not
        repeat within an epoch, a rare class's rows recur in turn), so no
        class is missing from a batch however rare it is. The classes are
        then already balanced, so ``class_weight`` is not applied
        (``sample_weight`` still is).

    logit_adjustment : float, default=0.0
        Post-hoc logit adjustment (Menon et al., 2021): at prediction the
        log-probabilities are shifted by ``-logit_adjustment *
        log(class_prior_)``, favouring rare classes without retraining
        (``set_params`` on a fitted estimator takes effect at once). ``1.0``
        is the paper's choice for a model trained without class weights.

    **kwargs : dict
        Routed parameters: ``model__*`` (to the build function),
        ``optimizer__*``, ``loss__*``, ``fit__*`` (to ``keras.Model.fit``),
        ``predict__*`` (to ``keras.Model.predict``). Plain names are passed
        to the build function.

    Attributes
    ----------
    model_ : keras.Model
        The fitted Keras model.

    classes_ : ndarray of shape (n_classes,)
        The class labels.

    n_classes_ : int
        The number of classes.

    n_features_in_ : int
        The number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    history_ : dict
        Keras's training history (``loss``, ``val_loss``, metrics per epoch),
        accumulated over warm-started fits. Every list has one value per
        epoch, NaN where an epoch did not log the key (``val_loss`` with
        ``validation_freq=2``, or in a warm fit without validation).

    n_iter_ : int
        The number of epochs run by the last fit.

    class_prior_ : ndarray of shape (n_classes,)
        The share of each class in the ``y`` of the last fit, or of every
        ``partial_fit`` batch so far, weighted by ``sample_weight`` (a class
        not seen yet, or weighted zero, counts as one row of the smallest
        positive weight). Used by ``loss="logit_adjusted"`` and
        ``logit_adjustment``.

    See Also
    --------
    skimb.MLPClassifier : A ready-made network with scikit-learn's
        ``MLPClassifier`` parameters.

    Notes
    -----
    Fitted estimators pickle through the Keras saving format in memory, so
    they survive ``pickle``, ``copy.deepcopy``, ``clone`` and
    ``joblib.dump``; custom layers must be registered with
    ``keras.saving.register_keras_serializable``.

    Examples
    --------
    >>> import keras
    >>> from sklearn.datasets import make_classification
    >>> from skimb import KerasClassifier
    >>> X, y = make_classification(n_samples=200, weights=[0.9, 0.1],
    ...                            random_state=0)
    >>> def build(meta, hidden=16):
    ...     return keras.Sequential([
    ...         keras.Input((meta["n_features_in_"],)),
    ...         keras.layers.Dense(hidden, activation="relu"),
    ...         keras.layers.Dense(meta["n_classes_"], activation="softmax"),
    ...     ])
    >>> clf = KerasClassifier(build, model__hidden=8, epochs=5, random_state=0)
    >>> clf.fit(X, y).predict_proba(X[:2]).shape
    (2, 2)
    """

    #: The fitted Keras model, pickled as ``.keras`` bytes.
    _fitted_model_attr = "model_"

    # The Keras fit arguments that fit takes (**fit_params), declared so that
    # metadata routing can route them: scikit-learn reads a method's requests
    # from its signature. None: passing one unrequested is an error.
    __metadata_request__fit = dict.fromkeys(_KERAS_FIT_ARGUMENTS)

    _parameter_constraints: dict = {
        "model": [callable, None],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "optimizer": [str, type, HasMethods(["apply_gradients"])],
        "loss": [str, callable, None],
        "metrics": [list, tuple, None],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "validation_batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "validation_split": [Interval(Real, 0, 1, closed="left")],
        "early_stopping": ["boolean"],
        "class_weight": [StrOptions(set(CLASS_WEIGHT_STRATEGIES)), dict, None],
        "class_weight_beta": [Interval(Real, 0, 1, closed="left")],
        "callbacks": [list, tuple, dict, None],
        "verbose": ["verbose"],
        "shuffle": ["boolean"],
        "run_eagerly": ["boolean"],
        "batch_sampler": [StrOptions({"balanced"}), None],
        "logit_adjustment": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        model=None,
        *,
        warm_start=False,
        random_state=None,
        optimizer="adam",
        loss="auto",
        metrics=None,
        batch_size=32,
        validation_batch_size=None,
        epochs=1,
        validation_split=0.0,
        early_stopping=False,
        class_weight="balanced",
        class_weight_beta=0.999,
        callbacks=None,
        verbose=0,
        shuffle=True,
        run_eagerly=False,
        batch_sampler=None,
        logit_adjustment=0.0,
        **kwargs,
    ):
        self.model = model
        self.warm_start = warm_start
        self.random_state = random_state
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
        self.batch_size = batch_size
        self.validation_batch_size = validation_batch_size
        self.epochs = epochs
        self.validation_split = validation_split
        self.early_stopping = early_stopping
        self.class_weight = class_weight
        self.class_weight_beta = class_weight_beta
        self.callbacks = callbacks
        self.verbose = verbose
        self.shuffle = shuffle
        self.run_eagerly = run_eagerly
        self.batch_sampler = batch_sampler
        self.logit_adjustment = logit_adjustment
        vars(self).update(kwargs)

    # ------------------------------------------------------------------
    # Parameters: the constructor's plus the routed ``prefix__name`` ones.

    def _get_param_names(self):
        """Constructor parameters plus the routed ones stored on the object."""
        names = set(type(self)._get_param_names_from_init())
        routed = {
            name
            for name in vars(self)
            if not name.startswith("_") and not name.endswith("_")
        }
        return sorted(names | routed)

    @classmethod
    def _get_param_names_from_init(cls):
        return BaseEstimator._get_param_names.__func__(cls)

    def set_params(self, **params):
        """Set parameters, including routed ones such as ``model__units``.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator instance
            The estimator.
        """
        routed = {key: value for key, value in params.items() if _is_routed_name(key)}
        if routed and not _takes_extra_params(type(self)):
            # Subclasses with a fixed set of parameters (MLPClassifier,
            # TransferClassifier) build their own optimizer and model, so a
            # routed name would be stored and silently ignored.
            raise ValueError(
                f"Invalid parameter(s) {sorted(routed)} for estimator "
                f"{type(self).__name__}: it takes no routed prefix__name "
                "parameters. Valid parameters are: "
                f"{sorted(self._get_param_names_from_init())}."
            )
        for key, value in routed.items():
            setattr(self, key, value)
        rest = {key: value for key, value in params.items() if key not in routed}
        return super().set_params(**rest) if rest else self

    def _routed_params(self, prefix: str) -> dict:
        """The parameters routed with ``prefix__``, without the prefix."""
        return _strip_prefix(self.get_params(deep=False), prefix + "__")

    def _unrouted_extra_params(self) -> dict:
        """Extra parameters without a routing prefix (for the build function)."""
        init_names = {*type(self)._get_param_names_from_init(), _BUILD_FN}
        return {
            name: value
            for name, value in self.get_params(deep=False).items()
            if name not in init_names and not _is_routed_name(name)
        }

    # ------------------------------------------------------------------
    # scikit-learn protocol

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags

    def _expected_failed_checks(self) -> dict:
        """Checks of ``check_estimator`` expected to fail, with the reason."""
        failures = {
            "check_sample_weight_equivalence_on_dense_data": (
                "Networks are trained by mini-batch gradient descent: an integer "
                "sample weight scales a sample's gradient, while repeating the "
                "sample changes the batches and the number of steps per epoch, "
                "so the two fits differ (as for scikit-learn's MLPClassifier "
                "and SGDClassifier). The default balanced class weights count "
                "rows, so repeating rows changes them and integer weights do not."
            ),
        }
        if self._get_param_names() != type(self)._get_param_names_from_init():
            failures["check_no_attributes_set_in_init"] = (
                "Routed parameters such as model__units are keyword arguments "
                "of __init__ stored as attributes (as in scikeras and skorch); "
                "the check only knows the named constructor arguments."
            )
        return failures

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit the network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.

        y : array-like of shape (n_samples,)
            Class labels of any type (strings, integers), two or more classes.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights, multiplied with the class weights.

        **fit_params : dict
            Extra arguments for ``keras.Model.fit`` (take precedence over the
            routed ``fit__*`` parameters). ``callbacks`` given here (one
            callback object or a list) run in addition to the estimator's
            ``callbacks``, a routed ``fit__callbacks`` and early stopping;
            they are used as given, not copied.

        Returns
        -------
        self : KerasClassifier
            The fitted estimator.
        """
        warm = self.warm_start and hasattr(self, "model_")
        return self._fit(
            X,
            y,
            sample_weight=sample_weight,
            warm=warm,
            epochs=self._epochs(),
            fit_params=fit_params,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def initialize(self, X, y):
        """Build and compile the network for ``X`` and ``y`` without training.

        scikeras's ``initialize``: for a model that is already trained (a
        ``keras.Model`` passed as ``model``), it sets ``classes_`` and the
        other fitted attributes so that the estimator predicts at once.
        Training zero epochs, it leaves ``history_`` empty and ``n_iter_``
        at 0.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data of the shape the network takes.

        y : array-like of shape (n_samples,)
            Class labels; their sorted unique values become ``classes_``,
            one per output unit.

        Returns
        -------
        self : KerasClassifier
            The estimator, ready to predict.
        """
        return self._fit(X, y, sample_weight=None, warm=False, epochs=0, fit_params={})

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch on a batch, keeping the model between calls.

        Class weights are computed on each batch's labels (a class missing
        from the batch counts as one sample). The epoch is numbered after
        the epochs trained so far (``len(history_["loss"])``), as in
        scikeras, so callbacks that go by the epoch (a
        ``LearningRateScheduler``) go on from call to call; the routed
        ``fit__epochs`` and ``fit__initial_epoch`` are ``fit``'s only.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.

        y : array-like of shape (n_samples,)
            Class labels.

        classes : array-like of shape (n_classes,), default=None
            All class labels. Required at the first call unless ``y`` holds
            every class.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self : KerasClassifier
            The updated estimator.
        """
        if getattr(self, "early_stopping", False):
            raise ValueError(
                "partial_fit does not support early_stopping=True (as in "
                "scikit-learn): it trains one epoch on the batch it is given. "
                "Set early_stopping=False, or use fit."
            )
        first = not hasattr(self, "model_")
        return self._fit(
            X,
            y,
            sample_weight=sample_weight,
            warm=not first,
            epochs=1,
            classes=classes,
            fit_params={},
            incremental=True,
        )

    def predict_proba(self, X):
        """Class probabilities, one column per class of ``classes_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities; each row sums to one.
        """
        check_is_fitted(self, "model_")
        X = self._validate_X(X, reset=False)
        with _keras.predicting(self.model_):
            outputs = self._forward(X)
        if not np.isfinite(outputs).all():
            # TensorFlow raises for input a layer cannot take (an Embedding
            # index out of range); JAX returns NaN instead.
            raise ValueError(
                "The model returned non-finite outputs (NaN or inf) for X, so "
                "there are no probabilities to give. Check that X holds data "
                "like the training data (the same features, category codes "
                "within the ranges the model's layers take, and value ranges)."
            )
        return self._outputs_to_proba(outputs)

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``; a probability of exactly 0 gives -inf.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The class of highest probability, with the labels of ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    # ------------------------------------------------------------------
    # The fit loop, as small steps.

    def _fit(self, X, y, *, warm, **kwargs):
        """Fit, or leave the estimator exactly as it was if fitting fails.

        An error, a failing callback or a KeyboardInterrupt during fit puts
        back the previous attributes (and, when warm-starting, the previous
        weights and optimizer state: step count, learning rate, moments), so
        the estimator is never half-fitted.
        """
        state = dict(vars(self))
        restore_model = (
            _keras.training_state_restorer(
                self.model_, self._trained_model(self.model_)
            )
            if warm
            else None
        )
        try:
            return self._fit_steps(X, y, warm=warm, **kwargs)
        except BaseException:
            vars(self).clear()
            vars(self).update(state)
            if restore_model is not None:
                restore_model()
            raise

    def _fit_steps(
        self,
        X,
        y,
        *,
        sample_weight,
        warm,
        epochs,
        fit_params,
        classes=None,
        incremental=False,
    ):
        X, y = self._validate_fit_inputs(X, y, reset=not warm)
        y_encoded = self._prepare_targets(
            y, classes=classes, warm=warm, incremental=incremental
        )
        weights = self._sample_weight(y_encoded, sample_weight, incremental)
        self._learn_class_prior(
            y_encoded, sample_weight, accumulate=incremental and warm
        )
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        fit_params = dict(fit_params)
        validation_data = fit_params.pop(
            "validation_data", self._routed_params("fit").get("validation_data")
        )
        validation_fraction = (
            0.0
            if incremental or validation_data is not None
            else self._validation_fraction()
        )
        train, valid = self._split_validation(
            X, y_encoded, weights, validation_fraction, seed
        )
        if validation_data is not None:
            valid = self._validation_arrays(validation_data)
        self._n_fit_samples = len(train[0])
        self._fit_seed = seed
        warm_model = self.model_ if warm else None
        with (
            _keras.seeded(
                seed,
                warm_model=warm_model,
                trained_model=self._trained_model(warm_model) if warm else None,
            ) as seeding,
            _keras.releasing_fit_memory() as fitted,
            _keras.quiet_retracing(),
        ):
            model, history = self._train(
                train,
                valid,
                warm=warm,
                epochs=epochs,
                fit_params=fit_params,
                incremental=incremental,
            )
            fitted.append(model)
            if not warm:
                seeding.track(model)
        _check_training_converged(model, history)
        _check_optimizer_state_finite((model, self._trained_model(model)), history)
        self._store_fit_results(model, history, warm)
        return self

    def _trained_model(self, model):
        """The model whose train step a warm fit of ``model`` (``model_``)
        runs: ``model`` itself, unless a subclass trains a part of it.
        Seeding looks at it to tell whether TensorFlow's kernel cache may
        be kept (see ``_keras.seeded``)."""
        return model

    def _train(self, train, valid, *, warm, epochs, fit_params, incremental):
        """Build (unless warm) and fit the network; returns (model, history)."""
        if warm:
            model = self.model_
            self._check_same_network()
            self._recompile_if_changed(model, incremental=incremental)
        else:
            model = self._build_and_compile()
        steps = None if warm else _optimizer_steps(model)
        try:
            history = self._fit_keras_model(
                model,
                train,
                valid,
                epochs=epochs,
                fit_params=fit_params,
                incremental=incremental,
            )
        except BaseException:
            # A new network whose fit failed before its first training step
            # (a bad fit argument, data Keras refused) is as it was built: a
            # retry may use it (see _check_not_used_before).
            if steps is not None and _optimizer_steps(model) == steps:
                _forget_used(model)
            raise
        return model, history.history

    def _validate_fit_inputs(self, X, y, *, reset):
        """Validate X and y at the start of fit."""
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the "
                "target y is None."
            )
        X = self._validate_X(X, reset=reset)
        y = _validate_classification_target(y, n_samples=X.shape[0])
        return X, y

    def _validate_X(self, X, *, reset):
        """Validate X as a finite float32 array: 2-D, or n-D for n-D models.

        A user's model may take images or sequences, so KerasClassifier
        accepts arrays of any rank >= 2; the rank is checked against the
        model's input once the model is built.
        """
        X = validate_data(
            self,
            X,
            reset=reset,
            dtype=np.float32,
            ensure_all_finite=True,
            ensure_min_samples=1,
            allow_nd=self._allow_nd,
        )
        if reset:
            self._sample_shape = X.shape[1:]
        elif X.shape[1:] != self._sample_shape:
            raise ValueError(
                f"X has samples of shape {X.shape[1:]}, but {type(self).__name__} "
                f"was fitted on samples of shape {self._sample_shape}."
            )
        return X

    #: Whether X may have more than two dimensions.
    _allow_nd = True

    def _prepare_targets(self, y, *, classes, warm, incremental):
        """Learn or check ``classes_`` and encode ``y`` as integers."""
        if classes is not None and np.ndim(classes) != 1:
            raise ValueError(
                "classes must list the labels in a 1-D array-like, e.g. "
                f"classes=[0, 1]; got {classes!r}."
            )
        if classes is not None and len(np.unique(classes)) < len(classes):
            # scikit-learn 1.9's MLPClassifier.partial_fit takes sample_weight
            # third; given by position here, it would be read as classes.
            raise ValueError(
                "classes has repeated values; it must list each class once. "
                "(partial_fit's order is X, y, classes, sample_weight: pass "
                "sample_weight by name.)"
            )
        changed = classes is not None and not np.array_equal(
            np.unique(classes), getattr(self, "classes_", None)
        )
        if warm and incremental and changed:
            raise ValueError(
                f"classes={np.unique(classes).tolist()} is not the same as "
                f"the classes {self.classes_.tolist()} the model was first "
                "trained with. To change the classes, fit again from scratch."
            )
        if not warm:
            labels = np.unique(y) if classes is None else np.unique(classes)
            self._label_encoder = LabelEncoder().fit(labels)
            self.classes_ = self._label_encoder.classes_
            self.n_classes_ = len(self.classes_)
            self.target_type_ = type_of_target(self.classes_)
        unseen = np.setdiff1d(np.unique(y), self.classes_)
        if unseen.size:
            fix = (
                "Pass every label through `classes` at the first partial_fit."
                if incremental
                else "To learn new classes, fit with warm_start=False."
            )
            raise ValueError(
                f"y contains labels {unseen.tolist()} that are not in the "
                f"classes {self.classes_.tolist()} seen at the first fit. {fix}"
            )
        missing = np.setdiff1d(self.classes_, np.unique(y))
        if warm and not incremental and missing.size:
            # As scikit-learn's MLPClassifier: a warm fit trains on every
            # class. Without a class's rows it would unlearn the class, and
            # its class_prior_ would drop to the smoothing floor.
            raise ValueError(
                f"y has no samples of the classes {missing.tolist()}, which "
                f"the model was fitted with ({self.classes_.tolist()}); a "
                "warm-start fit must see every class. Fit with "
                "warm_start=False to learn only the classes in y, or use "
                "partial_fit, whose batches may miss classes."
            )
        if self.n_classes_ < 2:
            # A stream's first batch may hold one class: classes= lists all.
            fix = (
                " At the first partial_fit call, list every class of the "
                "stream in classes=, e.g. partial_fit(X, y, classes=[0, 1])."
                if incremental
                else ""
            )
            raise ValueError(
                f"y contains only one class ({self.classes_.tolist()}); a "
                f"classifier needs samples of at least two classes.{fix}"
            )
        if not incremental and np.unique(y).size < 2:
            raise ValueError(
                "y contains only one class; a classifier needs samples of at "
                "least two classes in each fit."
            )
        return self._label_encoder.transform(y)

    def _learn_class_prior(self, y_encoded, sample_weight, *, accumulate):
        """Set ``class_prior_``: each class's share of the rows, weighted by
        ``sample_weight`` (already validated), as scikit-learn's GaussianNB
        and DummyClassifier weigh theirs. A ``BaggingClassifier`` member then
        takes the prior of its bag, given as bootstrap counts.
        ``accumulate`` (partial_fit) adds the earlier batches' totals."""
        weights = np.ones(len(y_encoded))
        if sample_weight is not None:
            weights = np.broadcast_to(np.asarray(sample_weight, float), weights.shape)
        totals = np.bincount(y_encoded, weights=weights, minlength=self.n_classes_)
        if accumulate:
            totals = totals + self._class_counts
        self._class_counts = totals
        # A class not seen yet (partial_fit with ``classes``, or weighted
        # zero) counts as one row of the smallest weight, as the class
        # weights count it as one row, so that its log-prior is finite.
        floor = weights[weights > 0].min()
        totals = np.maximum(totals, floor)
        self.class_prior_ = totals / totals.sum()

    def _sample_weight(self, y_encoded, sample_weight, incremental=False):
        """Class weights times sample weights, normalised to mean one.

        Balanced batches and the logit-adjusted loss already correct for the
        class imbalance, so with ``batch_sampler="balanced"`` or the
        logit-adjusted loss (by name, class or object) only
        ``sample_weight`` is applied.

        Weights that leave a single class (a bootstrap bag of
        ``BaggingClassifier`` that drew no row of a rare class) are fitted
        as scikit-learn's estimators fit them, with a warning at ``fit``; a
        ``partial_fit`` batch may hold a single class anyway (the classes are
        known from the first call). Weights that are all zero are an error.
        """
        corrected = self.batch_sampler == "balanced" or _is_logit_adjusted(self.loss)
        class_weight = None if corrected else self.class_weight
        weights = _combined_weights(
            _encode_class_weight(class_weight, self.classes_),
            y_encoded,
            np.arange(self.n_classes_),
            sample_weight,
            self.class_weight_beta,
            min_classes=1,
        )
        weighted = np.unique(y_encoded[weights > 0])
        if not incremental and weighted.size < 2:
            warn_user(
                f"After weighting, only class {self.classes_[weighted].tolist()} "
                "has a positive total weight, so the network learns to "
                "predict it alone. (Inside BaggingClassifier this is a bag "
                "that drew no sample of the other classes.) Check "
                "sample_weight and class_weight if this is not intended.",
            )
        return weights

    def _validation_arrays(self, validation_data):
        """Validate and encode a user's ``validation_data`` like the training data.

        ``(X_val, y_val)`` or ``(X_val, y_val, sample_weight_val)``: ``X_val``
        is checked like ``X``, ``y_val`` is encoded with ``classes_``, and the
        class weights (computed on ``y_val``) multiply the sample weights, as
        for the validation set skimb holds out itself.
        """
        if not isinstance(validation_data, (tuple, list)) or len(
            validation_data
        ) not in (2, 3):
            raise ValueError(
                "validation_data must be a tuple (X_val, y_val) or (X_val, "
                "y_val, sample_weight_val). Got "
                f"{type(validation_data).__name__} instead."
            )
        X_valid = self._validate_X(validation_data[0], reset=False)
        y_valid = _validate_classification_target(
            validation_data[1], n_samples=X_valid.shape[0]
        )
        unseen = np.setdiff1d(np.unique(y_valid), self.classes_)
        if unseen.size:
            raise ValueError(
                f"validation_data has labels {unseen.tolist()} that are not in "
                f"the training classes {self.classes_.tolist()}."
            )
        y_valid = self._label_encoder.transform(y_valid)
        sample_weight = validation_data[2] if len(validation_data) == 3 else None
        try:
            w_valid = self._sample_weight(y_valid, sample_weight, incremental=True)
        except ValueError as exc:  # scikit-learn's message names sample_weight
            raise ValueError(
                "The sample weights of validation_data (its third item) are not "
                f"valid for its {len(y_valid)} rows: {reason(exc)}."
            ) from exc
        return X_valid, y_valid, self._validation_weights(y_valid, w_valid)

    def _validation_weights(self, y_valid, weights):
        """The validation rows' weights, with balanced batches weighing the
        classes equally, as the batches do: early stopping then watches the
        loss that training lowers (the plain validation loss was dominated
        by the majority)."""
        if self.batch_sampler != "balanced":
            return weights
        return _combined_weights(
            "balanced",
            y_valid,
            np.arange(self.n_classes_),
            weights,
            self.class_weight_beta,
            min_classes=1,
        )

    def _validation_fraction(self) -> float:
        """The share of the data held out for validation."""
        if self.early_stopping and self.validation_split == 0:
            return 0.1
        return self.validation_split

    def _split_validation(self, X, y, weights, fraction, seed):
        """Split off a stratified validation set; returns (train, valid)."""
        if fraction == 0:
            return (X, y, weights), None
        try:
            splits = train_test_split(
                X, y, weights, test_size=fraction, stratify=y, random_state=seed
            )
        except ValueError as exc:
            # train_test_split holds out ceil(fraction * n) rows. The advice
            # was always to lower the fraction (and 0.001 read as "0%"), also
            # where it was too small or a class had a single sample.
            n_valid = int(np.ceil(fraction * len(y)))
            counts = np.bincount(y)
            if counts[counts > 0].min() < 2:
                advice = "Give every class at least two samples"
            elif n_valid < np.count_nonzero(counts):
                advice = "Raise the validation fraction"
            else:
                advice = "Lower the validation fraction, give more samples"
            raise ValueError(
                f"Cannot hold out a stratified validation set of {fraction:g} "
                f"of {len(y)} samples ({n_valid} rows): {reason(exc)}. {advice}, "
                "or turn early_stopping off."
            ) from exc
        X_train, X_valid, y_train, y_valid, w_train, w_valid = splits
        w_valid = self._validation_weights(y_valid, w_valid)
        return (X_train, y_train, w_train), (X_valid, y_valid, w_valid)

    def _epochs(self) -> int:
        return self.epochs

    def _batch_size(self, n_samples: int) -> int:
        return _KERAS_BATCH_SIZE if self.batch_size is None else self.batch_size

    # Building and compiling ------------------------------------------------

    def _meta(self) -> dict:
        """What a build function may need to know about the data."""
        return {
            "n_features_in_": self.n_features_in_,
            "X_shape_": (None, *self._input_shape()),
            "X_dtype_": np.dtype(np.float32),
            "classes_": self.classes_,
            "n_classes_": self.n_classes_,
            "n_outputs_": 1,
            "n_outputs_expected_": 1,
            "target_type_": "binary" if self.n_classes_ == 2 else "multiclass",
            "y_dtype_": self.classes_.dtype,
            "y_ndim_": 1,
        }

    def _input_shape(self) -> tuple:
        return tuple(self._sample_shape)

    def _build_and_compile(self):
        model = self._build_model()
        _check_is_keras_model(model)
        _check_not_used_before(model)  # registered below, once all checks pass
        _check_input_shape(model, self._input_shape())
        _check_output_units(model, self.n_classes_)
        # Decided once, on the untrained network: the loss is compiled with it
        # and predict_proba reads it.
        self._logit_outputs = _outputs_logits(
            model, self._input_shape(), declared=self._declared_logits()
        )
        provisional = vars(self).pop("_provisional_loss", None)
        compiled_here = not getattr(model, "compiled", False)
        if compiled_here:
            model.compile(**self._compile_kwargs(model))
        elif provisional is not None and model.loss is provisional:
            # The build function compiled with compile_kwargs, whose loss was
            # picked before the output layer existed: pick it for this output.
            _recompile_with_loss(model, self._make_loss(model))
        elif isinstance(self._given_model(), _keras.import_keras().Model):
            self._warn_compile_params_unused()
        _check_loss_fits_output(model)
        _register_used(model)
        # What warm starts check against (see _check_same_network).
        self._built_with = {
            "network": self._network_params(),
            "builder": self._builder_params(),
            "compile": self._compile_state() if compiled_here else None,
        }
        return model

    def _warn_compile_params_unused(self) -> None:
        """Warn that the compile parameters set away from their defaults do
        nothing: ``model`` is a compiled keras.Model, which keeps its
        compilation."""
        defaults = {
            name: parameter.default
            for name, parameter in inspect.signature(
                KerasClassifier.__init__
            ).parameters.items()
        }
        unused = []
        for name, value in {**self._compile_params(), "metrics": self.metrics}.items():
            default = defaults.get(name)
            if "__" not in name and (
                value is default
                or (isinstance(value, str) and value == default)
                or (name == "loss" and value is None)  # scikeras's "auto"
                or (name == "metrics" and not value)
            ):
                continue
            unused.append(name)
        if unused:
            warn_user(
                f"The parameter(s) {unused} have no effect: model is a compiled "
                "keras.Model, which keeps its own compilation (optimizer, loss "
                "and metrics). To train with them, pass the model uncompiled "
                "(or a function that builds it); to keep its compilation, leave "
                "them at their defaults.",
                UserWarning,
            )

    # Warm starts: the network goes on; its parameters must not change, the
    # optimizer's and the loss's may.

    def _network_params(self) -> dict:
        """The parameters that decide the network's layers."""
        return {f"model__{k}": v for k, v in self._routed_params("model").items()}

    def _builder_params(self) -> dict:
        """The build function and the plain (unrouted) parameters it is
        given: they decide the layers as ``model__*`` parameters do. A
        ``keras.Model`` given as ``model`` counts as the object it is (see
        ``_GivenModel``): another instance is another network."""
        model = self._given_model()
        if isinstance(model, _keras.import_keras().Model):
            model = _GivenModel(model)
        return {"model": model, **self._unrouted_extra_params()}

    def _compile_params(self) -> dict:
        """The parameters that decide the compiled optimizer and loss."""
        return {
            name: value
            for name, value in self.get_params(deep=False).items()
            if name.partition("__")[0] in ("optimizer", "loss")
        }

    def _compile_state(self) -> dict:
        """What the compiled optimizer and loss were made from: their
        parameters and, for ``loss="logit_adjusted"``, the class prior."""
        state = self._compile_params()
        if isinstance(self.loss, str) and self.loss == "logit_adjusted":
            state["class_prior_"] = self.class_prior_
        return state

    def _declared_logits(self) -> bool | None:
        """Whether the user declares the network's outputs logits (where its
        structure does not say): by a routed ``loss__from_logits``, or the
        ``from_logits`` of a Keras loss object they built; None if they do
        not say."""
        routed = self._routed_params("loss")
        if "from_logits" in routed:
            return bool(routed["from_logits"])
        get_config = getattr(self.loss, "get_config", None)
        if not isinstance(self.loss, type) and callable(get_config):
            declared = get_config().get("from_logits")
            return None if declared is None else bool(declared)
        return None

    def _check_same_network(self) -> None:
        """Raise if a warm start or partial_fit would go on with a network
        that its parameters no longer describe (it did, silently)."""
        built = getattr(self, "_built_with", None)  # absent in older pickles
        changed = _changed_params(built and built["network"], self._network_params())
        # "builder" is absent in pickles made before 2026-11-28 (and for
        # TransferClassifier, which builds its own network).
        builder = built and built.get("builder")
        now = self._builder_params()
        if (
            builder
            and _is_the_string(builder.get("model"), _PICKLED_GIVEN_MODEL)
            and isinstance(now["model"], _GivenModel)
        ):
            # Pickled while model was the keras.Model the network was built
            # from, so it is that model now (and in pickles made before
            # 2026-11-28, which did not compare keras.Model instances).
            builder = {**builder, "model": now["model"]}
        changed += _changed_params(builder, now)
        if changed:
            raise ValueError(
                f"{type(self).__name__} cannot continue training (warm_start or "
                f"partial_fit) after {', '.join(changed)} changed: the fitted "
                "network was built with the earlier values. Set them back, or "
                "fit anew (warm_start=False, or a fresh estimator)."
            )

    def _recompile_if_changed(self, model, *, incremental=False) -> None:
        """A warm fit after the optimizer's or the loss's parameters changed,
        or with ``loss="logit_adjusted"`` on labels of another class prior,
        compiles the network anew with them, as scikit-learn's MLP makes a
        new optimizer for each fit; otherwise the optimizer's state goes on.

        A ``partial_fit`` call (``incremental``) goes on with the optimizer,
        as scikit-learn's MLP keeps its own between calls, but at a learning
        rate set since the last call (that MLP kept the first call's rate,
        silently); after a change of another optimizer or loss parameter,
        it compiles anew. It keeps the class prior of its first call.
        A network compiled by the user's build function keeps its
        compilation."""
        built = getattr(self, "_built_with", None)
        if not built or built["compile"] is None:
            return
        state = self._compile_state()
        if incremental and "class_prior_" in state.keys() & built["compile"].keys():
            state["class_prior_"] = built["compile"]["class_prior_"]
        changed = _changed_params(built["compile"], state)
        if not changed:
            return
        if not (incremental and self._set_learning_rate(model, changed)):
            model.compile(**self._compile_kwargs(model))
            _check_loss_fits_output(model)
        # A new dict: a call that fails puts the old one back (see _fit).
        self._built_with = {**built, "compile": state}

    def _set_learning_rate(self, model, changed) -> bool:
        """Give ``model``'s optimizer the learning rate of the parameters,
        keeping its state (step count, moments), when the ``changed``
        parameters change nothing else of it; whether it did."""
        if any(name.partition("__")[0] in ("loss", "class_prior_") for name in changed):
            return False
        compiled = getattr(model.optimizer, "inner_optimizer", model.optimizer)
        wanted = self._make_optimizer()
        rate = _keras.plain_learning_rate(wanted)
        if (
            type(wanted) is not type(compiled)
            or rate is None
            or _keras.plain_learning_rate(compiled) is None
            or _without_rate(wanted.get_config())
            != _without_rate(compiled.get_config())
        ):
            return False
        compiled.learning_rate = rate  # assigned to its variable
        return True

    def _build_model(self):
        """Return a new, uncompiled (or self-compiled) Keras model."""
        keras = _keras.import_keras()
        model = self._model_or_build_fn()
        if model is None:
            raise ValueError(
                "KerasClassifier needs a model: pass a keras.Model or a function "
                "that builds one, e.g. KerasClassifier(model=build_fn)."
            )
        if isinstance(model, keras.Model):
            unused = sorted(self._unrouted_extra_params()) + sorted(
                f"model__{name}" for name in self._routed_params("model")
            )
            if unused:
                raise ValueError(
                    f"The parameter(s) {unused} have no effect: model is a "
                    "keras.Model instance, and extra or model__ parameters only "
                    "reach a function that builds the model. Pass such a "
                    "function as model=, or remove the parameters (routing "
                    f"prefixes are {list(_ROUTING_PREFIXES)})."
                )
            return _copy_model(model)
        if isinstance(model, keras.layers.Layer):  # callable, but not a builder
            raise TypeError(
                f"model is a Keras layer ({type(model).__name__}), not a "
                "keras.Model or a function that builds one. Wrap it, e.g. "
                "keras.Sequential([keras.Input((n_features,)), layer])."
            )
        if isinstance(model, type) and issubclass(
            model, (keras.Model, keras.layers.Layer)
        ):  # Keras's classes take **kwargs, so meta= reached their __init__
            raise TypeError(
                f"model is the class {model.__name__}, not a keras.Model or a "
                "function that builds one. Pass a model, e.g. "
                "keras.Sequential([keras.Input((n_features,)), "
                "keras.layers.Dense(n_classes, activation='softmax')]), or a "
                "function that returns one."
            )
        return self._call_build_function(model)

    def __getstate__(self):
        """The pickled state; a keras.Model given as ``model`` that the
        network was built from is recorded as whether ``model`` still is it
        (see ``_GivenModel``)."""
        state = super().__getstate__()
        built = state.get("_built_with")
        given = built and (built.get("builder") or {}).get("model")
        if isinstance(given, _GivenModel):  # a weak reference: not pickled
            same = given.refers_to(self._given_model())
            marker = _PICKLED_GIVEN_MODEL if same else "another keras.Model"
            builder = {**built["builder"], "model": marker}
            state["_built_with"] = {**built, "builder": builder}
        return state

    def _model_or_build_fn(self):
        """``model``, or scikeras's deprecated ``build_fn`` with a warning."""
        model = self._given_model()
        if model is not self.model:
            warn_user(
                "build_fn is scikeras's deprecated name of the model parameter; "
                "use KerasClassifier(model=...) instead.",
                FutureWarning,
            )
        return model

    def _given_model(self):
        """``model``, or scikeras's deprecated ``build_fn`` when only that is
        set; without a warning (``_model_or_build_fn`` warns, at build)."""
        model = getattr(self, "model", None)
        if model is None:
            model = vars(self).get(_BUILD_FN)
        return model

    def _call_build_function(self, build_fn):
        """Call the user's build function with the arguments it accepts."""
        params = inspect.signature(build_fn).parameters
        takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
        available = {**self._unrouted_extra_params(), **self._routed_params("model")}
        unknown = [k for k in available if k not in params and not takes_any]
        if unknown:
            name = getattr(build_fn, "__name__", build_fn)
            raise ValueError(
                f"The model function {name!r} does not accept the "
                f"parameter(s) {unknown}. Its parameters are {list(params)}; "
                "routed parameters are written model__name=value."
            )
        kwargs = dict(available)
        # As in scikeras: meta, compile_kwargs and params go to a function
        # that names them or takes **kwargs.
        if "meta" in params or takes_any:
            kwargs["meta"] = self._meta()
        if "compile_kwargs" in params or takes_any:
            kwargs["compile_kwargs"] = self._compile_kwargs(None)
            if self._loss_depends_on_output():
                # Chosen before the output layer exists: _build_and_compile
                # matches it to the output if the function compiled with it.
                self._provisional_loss = kwargs["compile_kwargs"]["loss"]
        if "params" in params or takes_any:
            kwargs["params"] = self.get_params()
        missing = [
            name
            for name, p in params.items()
            if p.default is p.empty
            and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            and name not in kwargs
        ]
        if missing:
            name = getattr(build_fn, "__name__", build_fn)
            raise ValueError(
                f"The model function {name!r} needs the argument(s) {missing}. "
                "Give them to the estimator as routed parameters, e.g. "
                f"{type(self).__name__}(model=..., model__{missing[0]}=...)."
            )
        return build_fn(**kwargs)

    def _loss_depends_on_output(self) -> bool:
        """True if the loss is picked, or told about logits, from the output."""
        loss = self.loss
        return loss is None or (
            isinstance(loss, str) and loss in (*_SKIMB_LOSSES, "auto")
        )

    def _compile_kwargs(self, model) -> dict:
        """The optimizer, loss and metrics to compile ``model`` with."""
        return {
            "optimizer": self._make_optimizer(),
            "loss": self._make_loss(model),
            "metrics": list(self.metrics) if self.metrics else None,
            "run_eagerly": self.run_eagerly,
        }

    def _make_optimizer(self):
        keras = _keras.import_keras()
        optimizer = _instantiate(
            self.optimizer,
            self._routed_params("optimizer"),
            keras.optimizers,
            kind="optimizer",
        )
        rate = _keras.plain_learning_rate(optimizer)
        if rate is not None and rate <= 0:  # Keras takes it, and ascends
            raise ValueError(
                f"The optimizer's learning rate must be positive, got {rate} "
                "(optimizer__learning_rate)."
            )
        return optimizer

    def _make_loss(self, model):
        """Resolve ``loss`` for a model whose output is ``model`` (or unknown)."""
        keras = _keras.import_keras()
        params = self._routed_params("loss")
        loss = self.loss
        if self._loss_depends_on_output() and model is not None and self._logit_outputs:
            # The losses skimb picks by name are told what the network
            # outputs; a routed loss__from_logits still wins.
            params = {"from_logits": True, **params}
        if isinstance(loss, str) and loss in _SKIMB_LOSSES:
            from .losses import _resolve_skimb_loss

            return _resolve_skimb_loss(
                loss, class_prior=self.class_prior_, params=params
            )
        if loss is None or (isinstance(loss, str) and loss == "auto"):
            n_units = _output_units(model) if model is not None else self.n_classes_
            loss = (
                "binary_crossentropy"
                if n_units == 1
                else ("sparse_categorical_crossentropy")
            )
        return _instantiate(loss, params, keras.losses, kind="loss")

    # Training ------------------------------------------------------------

    def _fit_keras_model(
        self, model, train, valid, *, epochs, fit_params, incremental, resume=None
    ):
        """Run ``model.fit``; Keras errors become ValueErrors. ``resume``
        (``best``, ``best_weights``) starts early stopping from an earlier
        phase's best.

        The one place that sets a fit's callbacks, epochs (``partial_fit``'s
        numbered on), verbosity and history; the training and validation
        feeds come from :meth:`_training_dataset` and
        :meth:`_validation_dataset`, which a subclass may make of other
        data (TransferClassifier's image files)."""
        routed = self._routed_params("fit")
        user_kwargs = {**routed, **fit_params}
        user_kwargs.pop("validation_data", None)  # already in ``valid``
        _check_fit_kwargs(user_kwargs, model)
        initial_epoch = 0
        if incremental:
            # One epoch, numbered on from the epochs trained so far (scikeras's
            # current_epoch), so that a LearningRateScheduler goes on; routed
            # fit__epochs and fit__initial_epoch are fit's.
            user_kwargs.pop("epochs", None)
            user_kwargs.pop("initial_epoch", None)
            initial_epoch = len(getattr(self, "history_", {}).get("loss", []))
        # partial_fit runs the user's callbacks and the estimator's
        # incremental ones (MLPClassifier's adaptive rate), without early
        # stopping.
        callbacks = (
            self._user_callbacks() + self._incremental_callbacks()
            if incremental
            else self._make_callbacks(valid, resume=resume)
        )
        # Callbacks given to this fit (fit__callbacks and fit(callbacks=...),
        # both) join the estimator's own; they do not replace early stopping.
        user_kwargs.pop("callbacks", None)
        for given in (routed, fit_params):
            callbacks += _fit_time_callbacks(given.get("callbacks"))
        from ._callbacks import EpochLogs, reset_diverged_state

        epoch_logs = EpochLogs()  # last: it records what the others logged
        kwargs = {
            "epochs": initial_epoch + epochs,
            "initial_epoch": initial_epoch,
            "verbose": _keras.fit_verbosity(self.verbose),
            "callbacks": [*callbacks, epoch_logs],
            **user_kwargs,
        }
        _check_fit_counts(user_kwargs, epochs=kwargs["epochs"])
        batch_size = _checked_positive_int(
            kwargs.pop("batch_size", self._batch_size(len(train[0]))), "batch_size"
        )
        shuffle = kwargs.pop("shuffle", self.shuffle)
        data, steps = self._training_dataset(
            model, train, batch_size=batch_size, shuffle=shuffle
        )
        kwargs = {"steps_per_epoch": steps, "shuffle": False, **kwargs}
        if valid is not None:
            # A routed fit__validation_batch_size wins over the parameter,
            # which subclasses with parameters of their own (MLPClassifier) lack.
            valid_batch = kwargs.pop("validation_batch_size", None)
            if valid_batch is None:
                valid_batch = getattr(self, "validation_batch_size", None)
            valid_batch = _checked_positive_int(
                batch_size if valid_batch is None else valid_batch,
                "validation_batch_size",
            )
            kwargs["validation_data"], kwargs["validation_steps"] = (
                self._validation_dataset(model, valid, valid_batch)
            )
        try:
            history = model.fit(data, **kwargs)
        except (ValueError, TypeError, *_keras.invalid_argument_errors()) as exc:
            raise ValueError(
                f"Keras could not fit the model: {reason(exc)}.{self._shape_hint(exc)}"
            ) from exc
        reset_diverged_state(model, callbacks)
        # Keras's lists skip the epochs that did not log a key (validation
        # every validation_freq epochs): NaN there keeps them aligned.
        history.history = epoch_logs.history()
        return history

    def _training_dataset(self, model, train, *, batch_size, shuffle):
        """The training set ``(X, y, w)`` as a ``tf.data`` feed for
        ``model.fit`` (shuffled by ``_fit_seed`` if ``shuffle``), and its
        steps per epoch (None: the feed ends each epoch, Keras counts them)."""
        X, y, weights = train
        return _keras.array_dataset(
            (X, self._targets_for_model(model, y), weights.astype(np.float32)),
            batch_size=batch_size,
            shuffle=shuffle,
            seed=self._fit_seed,
            balance_by=y if self.batch_sampler == "balanced" else None,
        )

    def _validation_dataset(self, model, valid, batch_size):
        """The validation set ``(X, y, w)`` as a ``tf.data`` feed for
        ``model.fit``, and its number of steps (None: Keras counts them)."""
        X_valid, y_valid, w_valid = valid
        return _keras.array_dataset(
            (X_valid, self._targets_for_model(model, y_valid), w_valid),
            batch_size=batch_size,
        )

    def _shape_hint(self, exc: Exception) -> str:
        """What to check after a Keras error about data that does not fit the
        model (a TensorFlow runtime error, or a message about shapes); other
        errors (a misspelt metric, a bad callback setting) get none."""
        # TensorFlow's InvalidArgumentError: a label or index out of range,
        # shapes that do not fit (its UnimplementedError is a wrong type);
        # PyTorch's IndexError: an index out of range.
        data_error = type(exc).__name__ in ("InvalidArgumentError", "IndexError")
        # "dimension": PyTorch's words for shapes that do not fit
        if not data_error and not any(w in str(exc) for w in ("shape", "dimension")):
            return ""
        hint = (
            f" Check that the model's input accepts {self._input_shape()}, that "
            f"its output has one unit per class ({self.n_classes_}) or one "
            "sigmoid unit for binary targets, and that the loss suits that "
            "output (loss='auto' picks one that does)."
        )
        if self.metrics:
            hint += (
                " Metrics must suit the labels too: with one unit per class the "
                "labels are class indices, which keras.metrics.AUC, Precision "
                "and Recall cannot take (use loss='categorical_crossentropy', "
                "fed one-hot labels, or a sparse metric)."
            )
        return hint

    def _targets_for_model(self, model, y_encoded):
        """Integer labels, or one-hot rows for categorical losses."""
        if _output_units(model) == 1:  # binary: checked by _check_output_units
            return y_encoded.astype(np.float32).reshape(-1, 1)
        if _loss_name(getattr(model, "loss", None)) in _ONE_HOT_LOSSES:
            return np.eye(self.n_classes_, dtype=np.float32)[y_encoded]
        return y_encoded

    def _user_callbacks(self) -> list:
        """The user's callbacks, copied or created for this fit."""
        return _instantiate_callbacks(self.callbacks, self._routed_params("callbacks"))

    def _incremental_callbacks(self) -> list:
        """skimb's own callbacks for a ``partial_fit`` call: none here."""
        return []

    def _make_callbacks(self, valid, resume=None) -> list:
        """The user's callbacks, plus early stopping (from ``resume``)."""
        callbacks = self._user_callbacks()
        if self.early_stopping:
            callbacks.append(self._early_stopping_callback(valid, **(resume or {})))
        return callbacks

    def _early_stopping_callback(self, valid, **resume):
        """Keras's early stopping on the validation loss (the training loss
        without validation data), keeping the best weights; ``resume``
        (``best``, ``best_weights``) goes on from an earlier phase's best."""
        params = {
            "monitor": "val_loss" if valid is not None else "loss",
            "patience": 5,
            "restore_best_weights": True,
        }
        if resume:
            from ._callbacks import ResumedEarlyStopping

            return ResumedEarlyStopping(**resume, **params)
        return _keras.import_keras().callbacks.EarlyStopping(**params)

    def _store_fit_results(self, model, history, warm):
        self.model_ = model
        previous = self.history_ if warm and hasattr(self, "history_") else {}
        # Every key of every fit, NaN for the epochs of fits that lacked it
        # (a validation loss in some warm fits only), so that the lists stay
        # aligned by epoch.
        done = len(previous.get("loss", []))
        epochs = len(history.get("loss", []))
        self.history_ = {}
        for key in {**previous, **history}:
            before = list(previous.get(key, [np.nan] * done))
            now = [float(v) for v in history.get(key, [np.nan] * epochs)]
            self.history_[key] = before + now
        self.n_iter_ = len(history.get("loss", []))

    # ------------------------------------------------------------------
    # Prediction

    def _forward(self, X) -> np.ndarray:
        """Run the model on X: directly for small inputs, batched otherwise."""
        n_rows = len(X)
        if any(name.startswith("predict__") for name in vars(self)):
            predict_params = self._routed_params("predict")
            _check_method_kwargs(predict_params, self.model_.predict, "predict")
        kwargs = {
            "batch_size": self._batch_size(len(X)),
            "verbose": 0,
            **self._routed_params("predict"),
        }
        _checked_positive_int(kwargs["batch_size"], "predict__batch_size")
        try:
            if n_rows <= self._fast_path_max_rows():
                outputs = _keras.call_on_small_input(self.model_, _pad_rows(X))
                return outputs[:n_rows]
            return np.asarray(self.model_.predict(X, **kwargs))
        except _keras.invalid_argument_errors() as exc:
            raise ValueError(
                f"Keras could not run the model on X: {reason(exc)}. Check that "
                "X holds data like the training data (the same features, "
                "codes and value ranges)."
            ) from exc

    def _fast_path_max_rows(self) -> int:
        """Inputs up to this many rows skip ``model.predict``."""
        return _FAST_PATH_MAX_ROWS

    def _outputs_to_proba(self, outputs) -> np.ndarray:
        """Turn the network's outputs into rows of probabilities."""
        outputs = np.asarray(outputs, dtype=np.float64).reshape(len(outputs), -1)
        logits = getattr(self, "_logit_outputs", None)
        if logits is None:  # pickled before skimb stored the decision
            logits = _outputs_logits(self.model_)
        if outputs.shape[1] == 1:
            p = 1.0 / (1.0 + np.exp(-outputs[:, 0])) if logits else outputs[:, 0]
            p = np.clip(p, 0.0, 1.0)
            proba = np.column_stack([1.0 - p, p])
        else:
            if logits:
                outputs = np.exp(outputs - outputs.max(axis=1, keepdims=True))
            proba = np.clip(outputs, 0.0, None)
        if self.logit_adjustment:
            # Menon et al. (2021): logits - tau * log(prior), i.e. p / prior**tau,
            # in log space: prior**-tau overflows for a large tau (NaN rows).
            tau = float(self.logit_adjustment)
            with np.errstate(divide="ignore"):  # log(0) = -inf: stays 0
                shifted = np.log(proba) - tau * np.log(self.class_prior_)
            proba = np.exp(shifted - shifted.max(axis=1, keepdims=True))
        return proba / proba.sum(axis=1, keepdims=True)


# ----------------------------------------------------------------------
# Private helpers


def _pad_rows(X: np.ndarray) -> np.ndarray:
    """Pad a 2-D X with zero rows to a multiple of ``_ROW_BLOCK`` rows."""
    if X.ndim != 2:
        return X
    return _keras.pad_rows_to(X, len(X) + -len(X) % _ROW_BLOCK)


#: keras.Model.fit arguments that skimb sets, and where a user sets them.
_FIT_ARGS_OF_THE_ESTIMATOR = {
    "x": "pass X to fit",
    "y": "pass y to fit",
    "sample_weight": "pass sample_weight to fit",
    "class_weight": "set the estimator's class_weight parameter",
    "validation_split": (
        "set the estimator's validation_split parameter (validation_fraction "
        "with early_stopping=True for MLPClassifier), or pass validation_data"
    ),
    "steps_per_epoch": "skimb passes one pass over the data per epoch",
    "validation_steps": "skimb passes one pass over the validation data",
}


def _checked_positive_int(value, name: str) -> int:
    """A batch size or count given to fit or predict (routed or a fit
    argument) as a positive int: the parameter's own constraint does not see
    those, a negative batch size made the fit loop forever, and ``epochs=0``
    left the network untrained without a word."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(
            f"{name} must be a positive int, got {value!r} ({type(value).__name__})."
        )
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value}.")
    return int(value)


def _check_fit_counts(kwargs: dict, *, epochs: int) -> None:
    """Check the Keras fit arguments that count epochs (given to fit or routed
    as ``fit__*``): an untrained network must not pass for a fitted one."""
    for name in ("epochs", "validation_freq"):
        if name in kwargs:
            _checked_positive_int(kwargs[name], name)
    if "initial_epoch" in kwargs:
        start = kwargs["initial_epoch"]
        if isinstance(start, bool) or not isinstance(start, Integral) or start < 0:
            raise ValueError(
                f"initial_epoch must be a non-negative int, got {start!r}."
            )
        if start >= epochs:
            raise ValueError(
                f"initial_epoch={start} leaves no epoch to train: Keras trains "
                f"epochs initial_epoch to epochs ({epochs}) - 1. Give "
                "more epochs, or a smaller initial_epoch."
            )


def _check_fit_kwargs(kwargs: dict, model) -> None:
    """Raise on ``fit__*`` / fit arguments that keras.Model.fit cannot take."""
    for name in kwargs:
        if name in _FIT_ARGS_OF_THE_ESTIMATOR:
            raise ValueError(
                f"The fit argument {name!r} is set by skimb: "
                f"{_FIT_ARGS_OF_THE_ESTIMATOR[name]}."
            )
    _check_method_kwargs(kwargs, model.fit, "fit")


def _check_method_kwargs(kwargs: dict, method, prefix: str) -> None:
    """Raise if ``kwargs`` has names that ``method`` does not take."""
    parameters = inspect.signature(method).parameters
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return
    unknown = sorted(set(kwargs) - set(parameters))
    if unknown:
        skip = ("kwargs", *_FIT_ARGS_OF_THE_ESTIMATOR)
        valid = [name for name in parameters if name not in skip]
        raise ValueError(
            f"keras.Model.{method.__name__} has no argument(s) {unknown} (given "
            f"as {prefix}__* parameters or to {prefix}). Its arguments are "
            f"{valid}."
        )


def _takes_extra_params(cls) -> bool:
    """Whether ``cls.__init__`` takes ``**kwargs`` (routed parameters)."""
    parameters = inspect.signature(cls.__init__).parameters.values()
    return any(p.kind is p.VAR_KEYWORD for p in parameters)


def _is_routed_name(name: str) -> bool:
    prefix, sep, _ = name.partition("__")
    return bool(sep) and prefix in _ROUTING_PREFIXES


def _validate_classification_target(y, *, n_samples: int) -> np.ndarray:
    """Check that y is a 1-D binary or multiclass target of the right length."""
    y_array = np.asarray(y) if not hasattr(y, "dtype") else y
    if getattr(y_array, "ndim", 1) == 2 and y_array.shape[1] > 1:
        raise ValueError(
            f"y has shape {y_array.shape}: a multilabel or multi-output target. "
            "skimb classifiers take one label per sample (a 1-D y): for "
            "one-hot rows pass y.argmax(axis=1) (or the labels themselves); "
            "for multilabel problems wrap the classifier in "
            "sklearn.multioutput.MultiOutputClassifier."
        )
    check_label_values(y)
    from sklearn.utils.validation import _check_y

    y = _check_y(y, multi_output=False)
    check_classification_targets(y)
    target_type = type_of_target(y)
    if target_type not in ("binary", "multiclass"):
        raise ValueError(
            f"Unknown label type: {target_type!r}. skimb classifiers take binary "
            "or multiclass labels."
        )
    if len(y) != n_samples:
        raise ValueError(
            f"X has {n_samples} samples but y has {len(y)}. Pass one label per "
            "row of X."
        )
    return y


def _check_training_converged(model, history: dict) -> None:
    """Raise if training left non-finite weights (the fit diverged).

    A diverged network predicts NaN probabilities, whose argmax is always
    the first class. scikit-learn's MLP raises in this case too.
    """
    ops = _keras.import_keras().ops
    # In the backend: NumPy's conversion of a TensorFlow variable warns.
    if all(bool(ops.all(ops.isfinite(weight))) for weight in model.trainable_weights):
        return
    losses = history.get("loss", [])
    where = f" (training loss {losses[-1]} at epoch {len(losses)})" if losses else ""
    raise ValueError(
        f"Training diverged: the network's weights are NaN or infinite{where}, "
        "so its predictions would be NaN. Scale the features (e.g. "
        "StandardScaler in a pipeline) or lower the learning rate."
    )


def _check_optimizer_state_finite(models, history: dict) -> None:
    """Raise if training left the optimizer's state of one of ``models``
    (Adam's moments) NaN or infinite, although the weights are finite.

    A batch of huge features or sample weights can overflow the moments
    and leave the weights finite: the call succeeded, and the next one
    diverged, far from its cause, with the broken state in the estimator.
    Raising here makes the call that broke the state fail (a warm one
    puts back the weights and the optimizer as they were).
    """
    keras = _keras.import_keras()
    ops = keras.ops
    optimizers = {id(opt): opt for m in models if (opt := _optimizer_of(m))}
    variables = [
        variable
        for optimizer in optimizers.values()
        for variable in optimizer.variables
        if keras.backend.is_float_dtype(variable.dtype)
    ]
    if not variables:
        return
    # One reduction, read once: a device round trip per call, not per variable.
    finite = ops.all(ops.stack([ops.all(ops.isfinite(v)) for v in variables]))
    if bool(finite):
        return
    losses = history.get("loss", [])
    where = f" (training loss {losses[-1]} at epoch {len(losses)})" if losses else ""
    raise ValueError(
        "Training diverged: the optimizer's state (such as Adam's moments) is "
        f"NaN or infinite{where}, so the next training step would make the "
        "network's weights NaN. Scale the features (e.g. StandardScaler in a "
        "pipeline), keep sample weights moderate, or lower the learning rate."
    )


def _optimizer_of(model):
    """``model``'s optimizer, once it has variables; else None."""
    optimizer = getattr(model, "optimizer", None)
    return optimizer if getattr(optimizer, "variables", None) else None


def _encode_class_weight(class_weight, classes):
    """Translate a ``{label: weight}`` dict to the encoded integer labels."""
    if not isinstance(class_weight, dict):
        return class_weight
    index = {label: i for i, label in enumerate(classes.tolist())}
    known = _entries_for(class_weight, classes)
    return {index[label]: weight for label, weight in known.items()}


def _instantiate(spec, params, module, *, kind):
    """Make a Keras optimizer or loss from a name, class or object."""
    if isinstance(spec, str) and params:
        # A name with routed parameters: create its class with them, so that
        # a bad parameter is reported as such, not as an unknown name.
        spec = _class_named(spec, module) or spec
    if isinstance(spec, str):
        identifier = {"class_name": spec, "config": params} if params else spec
        try:
            obj = module.get(identifier)
        except (ValueError, TypeError) as exc:
            raise ValueError(_unknown_name_message(spec, params, module, kind)) from exc
        if obj is None:
            raise ValueError(_unknown_name_message(spec, params, module, kind))
        return obj
    if isinstance(spec, type):
        return _create(spec, params, kind=kind)
    if hasattr(spec, "get_config") and hasattr(spec, "from_config"):
        config = {**spec.get_config(), **params}
        return type(spec).from_config(config)
    if params:
        raise ValueError(
            f"The {kind} {spec!r} is a plain function; it cannot take the routed "
            f"parameters {params}. Pass a name or class instead."
        )
    return spec


def _check_callback(key, callback) -> None:
    """A callback is a ``keras.callbacks.Callback`` object or subclass."""
    base = _keras.import_keras().callbacks.Callback
    if isinstance(callback, base) or (
        isinstance(callback, type) and issubclass(callback, base)
    ):
        return
    raise TypeError(
        f"callbacks[{key!r}] is {callback!r}, not a Keras callback. Pass "
        "keras.callbacks.Callback objects or subclasses, e.g. "
        "keras.callbacks.EarlyStopping(patience=5) or the class itself with "
        "callbacks__patience=5."
    )


#: A ``_GivenModel`` in a pickle, when it was the estimator's ``model``: the
#: loaded ``model`` is then the network's. (Before 2026-11-28 any keras.Model
#: given as ``model`` was this string, and another instance was not seen.)
_PICKLED_GIVEN_MODEL = "keras.Model"


class _GivenModel:
    """A ``keras.Model`` given as ``model``, as a warm start compares it:
    equal to another ``_GivenModel`` of the same object only. Held weakly,
    so that a model replaced by another is not kept alive for the check.
    An instance replaced by another under ``warm_start`` or between
    ``partial_fit`` calls went on training the network copied from the
    first one, while ``model`` named another."""

    __slots__ = ("_ref",)

    def __init__(self, model) -> None:
        self._ref = weakref.ref(model)

    def refers_to(self, model) -> bool:
        return model is not None and self._ref() is model

    def __eq__(self, other):
        if isinstance(other, _GivenModel):
            return self.refers_to(other._ref())
        return NotImplemented

    __hash__ = None

    def __repr__(self) -> str:
        model = self._ref()
        name = "a deleted model" if model is None else repr(model.name)
        return f"<keras.Model given as model: {name}>"


def _is_the_string(value, string: str) -> bool:
    return isinstance(value, str) and value == string


def _changed_params(before: dict | None, now: dict) -> list:
    """The names whose values differ between two parameter dicts (none if
    ``before`` is None). Values that cannot be compared count as changed
    unless they are the same object."""
    if before is None:
        return []
    changed = []
    for name in sorted(set(before) | set(now)):
        old, new = before.get(name), now.get(name)
        if old is new:
            continue
        try:
            same = bool(np.all(old == new)) and np.shape(old) == np.shape(new)
        except (TypeError, ValueError):
            same = False
        if not same:
            changed.append(name)
    return changed


def _without_rate(config: dict) -> dict:
    """An optimizer's configuration without its learning rate and name."""
    return {k: v for k, v in config.items() if k not in ("learning_rate", "name")}


def _is_logit_adjusted(loss) -> bool:
    """Whether ``loss`` is the logit-adjusted loss: by name, class or object."""
    if isinstance(loss, str):
        return loss == "logit_adjusted"
    if loss is None:
        return False
    from .losses import LogitAdjustedLoss

    return isinstance(loss, LogitAdjustedLoss) or (
        isinstance(loss, type) and issubclass(loss, LogitAdjustedLoss)
    )


def _fit_time_callbacks(callbacks) -> list:
    """Callback objects given to one fit, as a list (one object or several)."""
    if callbacks is None:
        return []
    base = _keras.import_keras().callbacks.Callback
    items = list(callbacks) if isinstance(callbacks, (list, tuple)) else [callbacks]
    for index, callback in enumerate(items):
        if not isinstance(callback, base):
            raise TypeError(
                f"The callbacks given to fit (fit__callbacks or fit(callbacks=...)) "
                f"must be Keras callback objects; item {index} is {callback!r}. "
                "To have skimb create a callback class with parameters, use the "
                "estimator's callbacks parameter and callbacks__* instead."
            )
    return items


def _class_named(name: str, module) -> type | None:
    """The Keras class that ``name`` stands for in ``module``, or None.

    "sparse_categorical_crossentropy" names a function, whose class
    (``SparseCategoricalCrossentropy``) takes parameters; "sgd" or "rmsprop"
    name an optimizer whose class is spelt otherwise (``SGD``, ``RMSprop``).
    """
    cls = getattr(module, _camel_case(name), None)
    if isinstance(cls, type):
        return cls
    try:
        obj = module.get(name)
    except (ValueError, TypeError):
        return None
    return type(obj) if hasattr(obj, "get_config") else None


def _instantiate_callbacks(callbacks, routed: dict) -> list:
    """Copies of callback objects, and callback classes created with params.

    As in scikeras, ``callbacks__name=value`` goes to every callback given as
    a class, and ``callbacks__<key>__name=value`` only to the one at that
    list index or dict key.
    """
    if isinstance(callbacks, dict):
        pairs = list(callbacks.items())
    else:
        pairs = list(enumerate(callbacks or []))
    shared = {name: value for name, value in routed.items() if "__" not in name}
    unused = set(routed) - set(shared)
    result = []
    for key, callback in pairs:
        _check_callback(key, callback)
        own = _strip_prefix(routed, f"{key}__")
        unused -= {f"{key}__{name}" for name in own}
        if isinstance(callback, type):
            result.append(_create(callback, {**shared, **own}, kind="callback"))
        elif own:
            raise ValueError(
                f"Parameters callbacks__{key}__* ({sorted(own)}) were given, but "
                f"the callback {key!r} is an object, not a class. Pass its "
                "class to have the parameters routed to it."
            )
        else:
            result.append(_copied_callback(callback, key))
    has_class = any(isinstance(callback, type) for _, callback in pairs)
    if unused or (shared and not has_class):
        names = sorted(unused) if unused else sorted(shared)
        raise ValueError(
            f"The routed parameters {['callbacks__' + n for n in names]} match "
            "no callback class. Pass callbacks as classes (callbacks=[Class]) "
            "and address one with callbacks__<index or key>__name."
        )
    return result


def _copied_callback(callback, key):
    """A deep copy of a callback object, so that fits do not share its
    state (an EarlyStopping's best epoch), with a clear error if it cannot
    be copied."""
    try:
        return copy.deepcopy(callback)
    except (TypeError, copy.Error, AttributeError) as exc:
        raise ValueError(
            f"skimb copies each callback object for every fit, and the callback "
            f"{key!r} ({type(callback).__name__}) cannot be copied: {reason(exc)}. "
            "Pass its class instead (callbacks=[Class], with callbacks__name=... "
            "for its parameters) or keep what cannot be copied (locks, open "
            "files) out of it."
        ) from exc


def _strip_prefix(params: dict, prefix: str) -> dict:
    """The entries of ``params`` whose name starts with ``prefix``, without it."""
    return {
        name[len(prefix) :]: value
        for name, value in params.items()
        if name.startswith(prefix)
    }


def _create(cls: type, params: dict, *, kind: str):
    """Instantiate ``cls(**params)`` with a clear error on bad parameters."""
    try:
        return cls(**params)
    except (TypeError, ValueError) as exc:  # Keras optimizers raise ValueError
        accepted = list(inspect.signature(cls).parameters)
        unknown = [name for name in params if name not in accepted]
        hints = [
            f"{kind}__{match}"
            for name in unknown
            for match in difflib.get_close_matches(name, accepted, n=1)
        ]
        hint = f" Did you mean {' or '.join(hints)}?" if hints else ""
        raise ValueError(
            f"Cannot create the {kind} {cls.__name__} with the routed "
            f"parameters {params}: {reason(exc)}.{hint}"
        ) from exc


def _camel_case(name: str) -> str:
    """``"binary_crossentropy"`` -> ``"BinaryCrossentropy"``."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _unknown_name_message(name, params, module, kind) -> str:
    choices = [n for n in dir(module) if not n.startswith("_")]
    close = difflib.get_close_matches(name, choices + list(_SKIMB_LOSSES), n=3)
    hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
    extra = f" with parameters {params}" if params else ""
    choices_hint = (
        "'auto', 'focal', 'logit_adjusted' or a Keras loss name"
        if kind == "loss"
        else "a Keras optimizer name such as 'adam' or 'sgd'"
    )
    return f"Unknown {kind} {name!r}{extra}.{hint} Use {choices_hint}."


def _loss_name(loss) -> str:
    if loss is None:
        return ""
    if isinstance(loss, str):
        name = loss
    else:
        name = getattr(loss, "name", None) or getattr(loss, "__name__", "")
    return str(name).lower()


def _output_units(model) -> int:
    """The number of units in the model's (single) output."""
    shape = model.outputs[0].shape if getattr(model, "outputs", None) else None
    if shape is None:
        raise ValueError(
            "The model has no defined output shape. Build it with an Input "
            "layer (keras.Input) or a functional model."
        )
    shape = tuple(shape)
    if len(shape) < 2:
        raise ValueError(
            f"The model's output has shape {shape}: one value per sample, "
            "without an axis of units. End the model with one unit per class, "
            "or one sigmoid unit for binary targets, of shape (None, units): "
            "do not squeeze or reshape that axis away."
        )
    if shape[-1] is None:
        raise ValueError(
            f"The model's output has shape {shape}: its number of units is not "
            "known. End the model with a layer of one unit per class (e.g. "
            "keras.layers.Dense(meta['n_classes_'], activation='softmax')), "
            "or one sigmoid unit for binary targets."
        )
    return int(shape[-1])


#: Layers that pass their input's meaning (logits or probabilities) through.
_PASS_THROUGH_LAYERS = (
    "ActivityRegularization",
    "AlphaDropout",
    "Dropout",
    "Flatten",
    "GaussianDropout",
    "GaussianNoise",
    "Identity",
    "Reshape",
)


def _outputs_logits(model, sample_shape=None, declared=None) -> bool:
    """True if the model outputs logits, False if it outputs probabilities.

    The layer that makes the output decides: a linear activation means
    logits, softmax or sigmoid means probabilities. Nested models and
    layers that pass values through (dropout, noise, reshaping) are looked
    through. When the structure does not tell (a custom layer, another
    activation) and ``sample_shape`` is given, the untrained model is run on
    random inputs of three scales: outputs outside [0, 1], all zero, or rows
    that do not sum to one, are logits; but first, what the user
    ``declared`` (a loss's ``from_logits``), if anything, decides.
    """
    activation = _output_activation(model)
    if activation is not None:
        return activation == "linear"
    if declared is not None:
        return declared
    if sample_shape is None:
        return False
    rng = np.random.default_rng(0)
    for scale in _PROBE_SCALES:
        x = scale * rng.normal(size=(16, *sample_shape)).astype(np.float32)
        try:
            outputs = _keras.to_numpy(model(x, training=False)).reshape(16, -1)
        except Exception:  # the model may need other inputs (or smaller ones)
            continue
        if not np.all((outputs >= 0) & (outputs <= 1)) or not np.any(outputs):
            return True  # probabilities are never all zero
        if outputs.shape[1] > 1 and not np.allclose(outputs.sum(axis=1), 1, atol=1e-3):
            return True
    return False


#: Input scales of the probe: untrained logits can all fall in [0, 1] on
#: inputs of one scale (a model whose inputs are token ids sees few ids at
#: scale 1), but not on inputs 10 and 100 times larger; probabilities do.
_PROBE_SCALES = (1.0, 10.0, 100.0)


def _output_activation(model) -> str | None:
    """The name of the activation that makes ``model``'s output, if known."""
    keras = _keras.import_keras()
    layer = _producer(model.outputs[0]) if getattr(model, "outputs", None) else None
    while layer is not None:
        if isinstance(layer, keras.Model):
            outputs = getattr(layer, "outputs", None)
            layer = _producer(outputs[0]) if outputs and len(outputs) == 1 else None
        elif isinstance(layer, keras.layers.Softmax):
            return "softmax"
        elif isinstance(layer, keras.layers.Activation) and _is_linear(layer):
            layer = _producer(layer.input)  # a no-op, or a cast to float32
        elif hasattr(layer, "activation"):
            name = getattr(layer.activation, "__name__", None)
            return name if name in ("linear", "softmax", "sigmoid") else None
        elif type(layer).__name__ in _PASS_THROUGH_LAYERS:
            layer = _producer(layer.input)
        else:
            return None
    return None


def _is_linear(layer) -> bool:
    return getattr(layer.activation, "__name__", None) == "linear"


def _producer(tensor):
    """The layer that made a symbolic Keras tensor, or None."""
    history = getattr(tensor, "_keras_history", None)
    return getattr(history, "operation", None)


def _check_output_units(model, n_classes: int) -> None:
    """Raise unless the output has one unit per class (or one for binary)."""
    n_units = _output_units(model)
    if n_units == 1 and _output_activation(model) == "softmax":
        raise ValueError(
            "The model ends in one softmax unit, whose output is always 1, so "
            "it cannot learn. End it with one sigmoid unit for binary targets, "
            "or with one softmax unit per class (meta['n_classes_'])."
        )
    if n_units == n_classes or (n_units == 1 and n_classes == 2):
        return
    raise ValueError(
        f"The model's output has {n_units} unit(s), but y has {n_classes} "
        "classes. End the model with one unit per class (softmax, or linear "
        "for logits; meta['n_classes_'] holds the count), or with one "
        "sigmoid unit for binary targets."
    )


def _check_loss_fits_output(model) -> None:
    """Raise for a loss over one probability per class on a one-unit output.

    Keras only warns: a categorical cross-entropy of one unit is 0 whatever
    the weights, so nothing is learnt; the sparse one fails in the first
    batch with a label out of range.
    """
    name = _loss_name(getattr(model, "loss", None))
    per_class = name in _ONE_HOT_LOSSES or name.startswith("sparse_categorical")
    if per_class and _output_units(model) == 1:
        raise ValueError(
            f"The loss {name!r} compares one probability per class, but the "
            "model has one output unit: with it the loss is 0 or fails, and "
            "nothing is learnt. Use loss='auto' (binary cross-entropy for one "
            "sigmoid unit) or 'binary_crossentropy', or end the model with one "
            "softmax unit per class."
        )


def _recompile_with_loss(model, loss) -> None:
    """Compile ``model`` again with ``loss`` and its other compile arguments.

    Keras 3 keeps the arguments of ``compile`` in ``_compile_config``; the
    model has not trained yet, so its fresh optimizer is reused as it is.
    """
    arguments = dict(model._compile_config.config)
    model.compile(**{**arguments, "loss": loss})


def _check_is_keras_model(model) -> None:
    keras = _keras.import_keras()
    if not isinstance(model, keras.Model):
        raise TypeError(
            "The model function must return a keras.Model. Got "
            f"{type(model).__name__} instead."
        )
    try:
        outputs = model.outputs
    except AttributeError:  # a Sequential model without keras.Input
        outputs = None
    if outputs is None:  # a subclassed keras.Model has no graph of layers
        raise ValueError(
            f"The model {type(model).__name__!r} has no known inputs and outputs "
            "(a subclassed keras.Model, or a Sequential without keras.Input): "
            "skimb reads its output layer to pick the loss and the "
            "probabilities. Start a Sequential with keras.Input((n_features,)), "
            "or wrap a subclassed model in a functional one: inputs = "
            "keras.Input(shape); keras.Model(inputs, net(inputs)) (to pickle it, "
            "register its class with keras.saving.register_keras_serializable "
            "and give it a get_config)."
        )
    if len(outputs) != 1:
        raise ValueError(
            f"The model has {len(outputs)} outputs; skimb classifiers "
            "need exactly one output."
        )


#: The networks that skimb's fits have built or been given, held weakly: a
#: build function that returns one of them again would share it between fits.
_USED_MODELS = weakref.WeakSet()

#: Their trainable weights, by ``id``, held weakly (Keras variables are not
#: hashable): a new model around layers created once, outside the build
#: function, shares them between fits as one global model does.
_USED_WEIGHTS = weakref.WeakValueDictionary()


def _check_not_used_before(model) -> None:
    """Raise if an earlier fit used ``model`` (a build function returning
    one global network), or trained weights of it (a new model around
    layers made outside the function): estimators would share them, and
    each fit (each cross-validation fold) would start from the weights of
    the ones before. Frozen layers (``trainable=False``), such as a
    pretrained backbone, may be shared: no fit changes them."""
    advice = (
        "Create the layers and the model inside the function, or pass the "
        "untrained model itself as model=, which skimb copies at every fit."
    )
    if model in _USED_MODELS:
        raise ValueError(
            "The model function returned the keras.Model object that an earlier "
            "fit already used (and trained): fits would share one network, and "
            "each would start from the weights of the fits before it (in "
            f"cross-validation, from folds that saw its test rows). {advice}"
        )
    weights = model.trainable_weights
    shared = [w for w in weights if _USED_WEIGHTS.get(id(w)) is w]
    if shared:
        names = sorted({w.path.rpartition("/")[0] or w.path for w in shared})
        raise ValueError(
            "The model function returned a new keras.Model around layers that "
            f"an earlier fit already used (and trained): {names}. Fits would "
            "share their weights, and each would start from the weights of the "
            "fits before it (in cross-validation, from folds that saw its test "
            f"rows). {advice} To start every fit from a pretrained part, copy it "
            "in the function (keras.models.clone_model(part), then "
            "set_weights(part.get_weights())); frozen layers (trainable=False) "
            "may be shared."
        )


def _register_used(model) -> None:
    """Record ``model`` and its trainable weights as used by a fit (see
    ``_check_not_used_before``). Done once the network passed its checks
    and compiled: a fit that failed before (a wrong output layer, a bad
    loss) trained nothing, and a retry with the same objects is no reuse."""
    _USED_MODELS.add(model)
    for weight in model.trainable_weights:
        _USED_WEIGHTS[id(weight)] = weight


def _forget_used(model) -> None:
    """Undo ``_register_used(model)``."""
    _USED_MODELS.discard(model)
    for weight in model.trainable_weights:
        if _USED_WEIGHTS.get(id(weight)) is weight:
            del _USED_WEIGHTS[id(weight)]


def _optimizer_steps(model) -> int | None:
    """The training steps ``model``'s optimizer has taken, or None if it
    has none that counts."""
    try:
        # int() of the variable: convert_to_numpy makes NumPy 2 warn that
        # Keras's __array__ takes no copy keyword (a DeprecationWarning).
        return int(model.optimizer.iterations)
    except Exception:  # not compiled, or an optimizer of another kind
        return None


def _check_input_shape(model, sample_shape) -> None:
    """Raise if the model's input cannot take samples of ``sample_shape``."""
    inputs = getattr(model, "inputs", None)
    if not inputs or len(inputs) != 1:
        return
    expected = tuple(inputs[0].shape[1:])
    fits = len(expected) == len(sample_shape) and all(
        e is None or e == s for e, s in zip(expected, sample_shape)
    )
    if not fits:
        raise ValueError(
            f"The model takes samples of shape {expected}, but X has samples of "
            f"shape {tuple(sample_shape)}. Reshape X, or build the model from "
            "meta['X_shape_'] (or meta['n_features_in_'] for 2-D X)."
        )


def _copy_model(model, parameter: str = "model"):
    """A copy of a user's Keras model, with its weights and compilation.

    Keras rebuilds the copy's layers and compile arguments from their
    configuration; the user's own Lambda layers, loss and metric functions
    and classes need not be registered for that, and the copy is compiled
    with the user's functions themselves.
    """
    keras = _keras.import_keras()
    compiled = getattr(model, "compiled", False)
    with _keras.rebuilding(model):  # clone_model: no optimizer state
        try:
            clone = keras.models.clone_model(model)
            if compiled and not getattr(clone, "compiled", False):  # older Keras
                clone.compile_from_config(model.get_compile_config())
        except Exception as exc:  # Keras's errors of deserialization vary
            builder = (
                ", or pass a function that builds the model (model=build_fn)"
                if parameter == "model"
                else ""
            )
            raise ValueError(
                f"skimb copies the keras.Model given as {parameter}= for each "
                "fit, and Keras could not rebuild it from its configuration: "
                f"{reason(exc)}. Give your own layers a get_config that returns "
                f"their constructor's arguments{builder}."
            ) from exc
    _keras.compile_with_functions(clone, _keras.compile_functions(model))
    clone.set_weights(model.get_weights())
    return clone
