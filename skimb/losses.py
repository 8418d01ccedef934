"""Imbalance-aware Keras losses: focal loss and logit-adjusted loss.

Use them by name on any skimb classifier (``loss="focal"``, routed
``loss__gamma=1.0``; ``loss="logit_adjusted"``, ``loss__tau=1.0``, with the
class prior taken from the training labels), or as Keras loss objects. Both
take integer class labels, or one-hot (or soft) label rows shaped as the
outputs, and either probabilities (softmax with one unit per class, or a
single sigmoid unit for binary problems) or logits (``from_logits=True``).
Outputs may have more axes than ``(n_samples, n_classes)`` (one prediction
per time step, with Keras masks), as Keras's own cross-entropies allow. A
label outside ``0..K-1`` gives a NaN loss (as TensorFlow's sparse
cross-entropy does on a GPU), not a silent 0. Written with ``keras.ops``
only, so they run on any Keras backend.
"""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import inspect
from numbers import Real

import keras
import numpy as np
from keras import ops

__all__ = ["FocalLoss", "LogitAdjustedLoss"]

#: The loss names that skimb resolves itself.
_SKIMB_LOSSES = ("focal", "logit_adjusted")


def _check_from_logits(from_logits, loss_name: str) -> bool:
    """``from_logits`` as a bool; any other truthy value (``"no"``) used to
    count as True and change the loss."""
    if not isinstance(from_logits, (bool, np.bool_)):
        raise ValueError(
            f"The 'from_logits' parameter of {loss_name} must be True or False. "
            f"Got {from_logits!r} instead."
        )
    return bool(from_logits)


def _in_float32(y_pred):
    """``y_pred`` in float32 if it is in a half-precision dtype, and its dtype.

    The losses are computed in float32 and cast back: in float16, ``1 - eps``
    rounds to 1, so a sigmoid output of 1 on a row of class 0 gave
    ``log(0)``, an infinite loss (Keras's own cross-entropy does too, which
    is why its mixed-precision policy computes losses in float32).
    """
    y_pred = ops.convert_to_tensor(y_pred)
    dtype = keras.backend.standardize_dtype(y_pred.dtype)
    if dtype in ("float16", "bfloat16"):
        return ops.cast(y_pred, "float32"), dtype
    return y_pred, dtype


def _log_probabilities(y_pred, from_logits):
    """Log-probabilities ``(n, K)`` from softmax/sigmoid outputs or logits."""
    y_pred = ops.convert_to_tensor(y_pred)
    if y_pred.shape[-1] == 1:  # one sigmoid unit: P(class 1)
        if from_logits:
            z = y_pred[..., 0]
            return ops.stack([ops.log_sigmoid(-z), ops.log_sigmoid(z)], axis=-1)
        p = ops.clip(y_pred[..., 0], keras.config.epsilon(), 1 - keras.config.epsilon())
        return ops.stack([ops.log(1 - p), ops.log(p)], axis=-1)
    if from_logits:
        return ops.log_softmax(y_pred, axis=-1)
    p = ops.clip(y_pred, keras.config.epsilon(), 1 - keras.config.epsilon())
    return ops.log(p)


def _true_class_mask(y_true, log_p, loss_name: str):
    """The target distribution of each output, shaped as ``log_p``.

    ``y_true`` holds integer labels (shaped as the outputs without their
    class axis, or with a class axis of size 1), or one-hot (or soft) rows
    shaped as ``log_p``, used as they are. The labels were reshaped to one
    column whatever their shape: one-hot rows became ``n * K`` labels, a
    TensorFlow shape error, or a silently wrong loss for a batch of one row.
    """
    y_true = ops.convert_to_tensor(y_true)
    true_shape, pred_shape = tuple(y_true.shape), tuple(log_p.shape)
    n_classes = pred_shape[-1]
    if len(true_shape) == len(pred_shape) and true_shape[-1] == n_classes:
        return ops.cast(y_true, log_p.dtype)  # one-hot or soft rows
    if len(true_shape) == len(pred_shape) and true_shape[-1] == 1:
        y_true = ops.squeeze(y_true, axis=-1)  # a column of labels
    if len(y_true.shape) != len(pred_shape) - 1:
        raise ValueError(
            f"{loss_name} takes y_true as integer labels of shape "
            f"{pred_shape[:-1]} or one-hot rows of shape {pred_shape} for "
            f"outputs of shape {pred_shape} ({n_classes} classes). Got y_true "
            f"of shape {true_shape} instead."
        )
    labels = ops.cast(y_true, "int32")
    # A label outside 0..K-1 gets an all-zero row (NaN loss, below). PyTorch's
    # one_hot raises for it ("Class values must be smaller than
    # num_classes"), so such labels are encoded as 0 and their rows zeroed.
    known = ops.logical_and(labels >= 0, labels < n_classes)
    rows = ops.one_hot(ops.where(known, labels, 0), n_classes, dtype=log_p.dtype)
    return rows * ops.expand_dims(ops.cast(known, log_p.dtype), -1)


def _nan_for_unknown_labels(loss, mask):
    """``loss`` with NaN where the label is outside ``0..K-1``.

    Such a label has an all-zero one-hot row, so its loss would silently be 0
    and the sample would teach nothing; NaN makes the mistake visible, as
    TensorFlow's own sparse cross-entropy does on a GPU. A given one-hot row
    of zeros names no class either.
    """
    known = ops.sum(mask, axis=-1) > 0
    return ops.where(known, loss, ops.full_like(loss, np.nan))


@keras.saving.register_keras_serializable(package="skimb")
class FocalLoss(keras.losses.Loss):
    """Focal loss of Lin et al. (2017) for class labels or one-hot rows.

    ``-alpha_t * (1 - p_t) ** gamma * log(p_t)``, where ``p_t`` is the
    predicted probability of the true class: well-classified samples weigh
    less, so training focuses on the hard (often minority) ones. At
    ``gamma=0`` without ``alpha`` it is the cross-entropy. One-hot or soft
    label rows (shaped as the outputs) give the sum of this term over the
    classes weighted by the row, as Keras's ``CategoricalFocalCrossentropy``.

    Parameters
    ----------
    gamma : float, default=2.0
        The focusing parameter, >= 0.
    alpha : float, sequence of float or None, default=None
        Class balancing: a float in (0, 1) weighs class 1 by ``alpha`` and
        class 0 by ``1 - alpha`` (binary problems, as in the paper); a
        sequence gives one weight per class. With skimb's default balanced
        class weights you rarely need it.
    from_logits : bool, default=False
        Whether ``y_pred`` are logits rather than probabilities.
    reduction : str, default="sum_over_batch_size"
        Keras's reduction of the per-sample losses.
    name : str, default="focal_loss"
        The loss's name.
    dtype : str, default=None
        Keras's loss dtype. Half precision (``"float16"``, ``"bfloat16"``)
        is computed in float32 and cast back, so that a confident output
        does not give an infinite loss.

    Attributes
    ----------
    gamma : float
        The focusing parameter.
    alpha : float, list of float or None
        The class balancing weights as given (a sequence becomes a list).
    from_logits : bool
        Whether ``y_pred`` are logits.

    References
    ----------
    .. [1] T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollár, "Focal Loss for
       Dense Object Detection", ICCV 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from skimb.losses import FocalLoss
    >>> loss = FocalLoss(gamma=2.0)
    >>> value = loss(np.array([0]), np.array([[0.7, 0.3]]))
    >>> print(round(float(value), 4), round(-(0.3 ** 2) * np.log(0.7), 4))
    0.0321 0.0321
    """

    def __init__(
        self,
        gamma=2.0,
        alpha=None,
        from_logits=False,
        reduction="sum_over_batch_size",
        name="focal_loss",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if not isinstance(gamma, Real) or not 0 <= gamma < np.inf:
            raise ValueError(
                f"The 'gamma' parameter of FocalLoss must be a finite number "
                f">= 0. Got {gamma!r} instead."
            )
        self.gamma = float(gamma)
        self.alpha = _check_alpha(alpha)
        self.from_logits = _check_from_logits(from_logits, "FocalLoss")

    def call(self, y_true, y_pred):
        y_pred, dtype = _in_float32(y_pred)
        log_p = _log_probabilities(y_pred, self.from_logits)
        n_classes = log_p.shape[-1]
        mask = _true_class_mask(y_true, log_p, "FocalLoss")
        # Each class's term, weighted by its share of the target: for a
        # label, -(1 - p_t) ** gamma * log(p_t); for soft rows the sum of
        # Keras's CategoricalFocalCrossentropy.
        terms = -log_p
        if self.gamma > 0:
            # 1 - p, accurate near p = 1 and kept off zero: the slope of
            # x ** gamma at 0 is infinite for gamma < 1, which made the
            # gradient NaN on confidently right rows (logit outputs).
            one_minus_p = ops.maximum(-ops.expm1(log_p), keras.config.epsilon())
            terms = ops.power(one_minus_p, self.gamma) * terms
        if self.alpha is not None:
            alpha = _alpha_vector(self.alpha, n_classes)
            terms = terms * ops.cast(alpha, log_p.dtype)
        loss = ops.sum(mask * terms, axis=-1)
        return ops.cast(_nan_for_unknown_labels(loss, mask), dtype)

    def get_config(self):
        return {
            **super().get_config(),
            "gamma": self.gamma,
            "alpha": self.alpha,
            "from_logits": self.from_logits,
        }


@keras.saving.register_keras_serializable(package="skimb")
class LogitAdjustedLoss(keras.losses.Loss):
    """Logit-adjusted cross-entropy of Menon et al. (2021).

    The cross-entropy of ``softmax(z + tau * log(prior))``: adding the log
    prior to the logits during training makes the unadjusted logits
    favour rare classes, which optimises balanced error. Probabilities are
    turned into logits with ``log(p)`` (logits up to a constant per row,
    which the softmax ignores). At ``tau=0`` it is the cross-entropy.

    Parameters
    ----------
    class_prior : sequence of float
        The frequency of each class in the training data (normalised to sum
        to one). skimb's estimators pass their ``class_prior_``.
    tau : float, default=1.0
        The adjustment's strength.
    from_logits : bool, default=False
        Whether ``y_pred`` are logits rather than probabilities.
    reduction : str, default="sum_over_batch_size"
        Keras's reduction of the per-sample losses.
    name : str, default="logit_adjusted_loss"
        The loss's name.
    dtype : str, default=None
        Keras's loss dtype. Half precision (``"float16"``, ``"bfloat16"``)
        is computed in float32 and cast back, so that a confident output
        does not give an infinite loss.

    Attributes
    ----------
    class_prior : list of float
        The class frequencies, normalised to sum to one.
    tau : float
        The adjustment's strength.
    from_logits : bool
        Whether ``y_pred`` are logits.

    References
    ----------
    .. [1] A. K. Menon, S. Jayasumana, A. S. Rawat, H. Jain, A. Veit,
       S. Kumar, "Long-tail learning via logit adjustment", ICLR 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from skimb.losses import LogitAdjustedLoss
    >>> loss = LogitAdjustedLoss(class_prior=[0.9, 0.1], tau=1.0)
    >>> float(loss(np.array([1]), np.array([[0.5, 0.5]]))) > float(
    ...     loss(np.array([0]), np.array([[0.5, 0.5]])))
    True
    """

    def __init__(
        self,
        class_prior,
        tau=1.0,
        from_logits=False,
        reduction="sum_over_batch_size",
        name="logit_adjusted_loss",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        prior = _float_vector(class_prior, "class_prior", "LogitAdjustedLoss")
        if (
            prior is None
            or prior.size < 2
            or not np.all(np.isfinite(prior))
            or np.any(prior <= 0)
        ):
            raise ValueError(
                "The 'class_prior' parameter of LogitAdjustedLoss must hold a "
                f"positive frequency for each of at least two classes. Got "
                f"{class_prior!r} instead."
            )
        if not isinstance(tau, Real) or not np.isfinite(tau):
            raise ValueError(
                f"The 'tau' parameter of LogitAdjustedLoss must be a finite "
                f"number. Got {tau!r} instead."
            )
        self.class_prior = (prior / prior.sum()).tolist()
        self.tau = float(tau)
        self.from_logits = _check_from_logits(from_logits, "LogitAdjustedLoss")

    def call(self, y_true, y_pred):
        y_pred, dtype = _in_float32(y_pred)
        logits = _log_probabilities(y_pred, self.from_logits)
        n_classes = logits.shape[-1]
        if n_classes != len(self.class_prior):
            raise ValueError(
                f"LogitAdjustedLoss has a prior for {len(self.class_prior)} "
                f"classes but the model outputs {n_classes}."
            )
        shift = ops.cast(self.tau * np.log(self.class_prior), logits.dtype)
        log_p = ops.log_softmax(logits + shift, axis=-1)
        mask = _true_class_mask(y_true, log_p, "LogitAdjustedLoss")
        loss = _nan_for_unknown_labels(-ops.sum(mask * log_p, axis=-1), mask)
        return ops.cast(loss, dtype)

    def get_config(self):
        return {
            **super().get_config(),
            "class_prior": self.class_prior,
            "tau": self.tau,
            "from_logits": self.from_logits,
        }


def _check_alpha(alpha):
    """None, a float in (0, 1), or a list of non-negative class weights."""
    if alpha is None:
        return None
    if isinstance(alpha, Real):
        if not 0 < alpha < 1:
            raise ValueError(
                "The 'alpha' parameter of FocalLoss must be in (0, 1) when it is "
                f"a number. Got {alpha!r} instead."
            )
        return float(alpha)
    weights = _float_vector(alpha, "alpha", "FocalLoss")
    if (
        weights is None
        or weights.size < 2
        or np.any(weights < 0)
        or not np.all(np.isfinite(weights))
    ):
        raise ValueError(
            "The 'alpha' parameter of FocalLoss must be a number in (0, 1) or one "
            "non-negative weight per class (a sequence in the order of the "
            f"classes). Got {alpha!r} instead."
        )
    return weights.tolist()


def _float_vector(values, parameter: str, loss_name: str):
    """``values`` as a 1-D float array, or None if they are not numbers (a
    dict, a string): NumPy's own error (``float() argument must be ... not
    'dict'``) named no parameter. More than one dimension is a ValueError:
    a 2-D array was flattened silently, whatever its rows meant."""
    try:
        vector = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return None
    if vector.ndim > 1:
        raise ValueError(
            f"The {parameter!r} parameter of {loss_name} must be a 1-D sequence, "
            f"one value per class in the order of the classes. Got an array of "
            f"shape {vector.shape} instead; pass np.ravel() of it if its values "
            "are in that order."
        )
    return vector.ravel()  # a 0-D array has one value, too few for a class each


def _alpha_vector(alpha, n_classes):
    if isinstance(alpha, float):
        if n_classes != 2:
            raise ValueError(
                f"A single alpha ({alpha}) applies to binary problems; with "
                f"{n_classes} classes give one alpha per class."
            )
        return np.array([1.0 - alpha, alpha])
    if len(alpha) != n_classes:
        raise ValueError(
            f"alpha has {len(alpha)} weights but the model outputs {n_classes} classes."
        )
    return np.asarray(alpha)


def _resolve_skimb_loss(name, *, class_prior, params):
    """Build skimb's loss ``name`` with routed ``params`` (``loss__*``)."""
    cls = {"focal": FocalLoss, "logit_adjusted": LogitAdjustedLoss}[name]
    accepted = set(inspect.signature(cls).parameters) - {"class_prior"}
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise ValueError(
            f"{cls.__name__} got an unexpected parameter {unknown[0]!r} (routed "
            f"as 'loss__{unknown[0]}'). Valid parameters: "
            f"{', '.join(sorted(accepted - {'reduction', 'name', 'dtype'}))}."
        )
    if cls is LogitAdjustedLoss:
        return cls(class_prior=class_prior, **params)
    return cls(**params)
