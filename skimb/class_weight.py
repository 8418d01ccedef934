"""Class weighting strategies for imbalanced classification.

The estimators of skimb turn their ``class_weight`` parameter into one weight
per training sample with :func:`compute_sample_weight`: the weight of the
sample's class times its ``sample_weight``, normalised so that the mean weight
is one (so the learning rate means the same whatever the strategy).
"""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.utils.validation import _check_sample_weight, column_or_1d

from ._labels import check_label_values

__all__ = ["CLASS_WEIGHT_STRATEGIES", "compute_class_weight", "compute_sample_weight"]

#: The names accepted by ``class_weight``, besides ``None`` and a dict.
CLASS_WEIGHT_STRATEGIES = ("balanced", "balanced_sqrt", "effective")


def compute_class_weight(
    class_weight: str | dict | None,
    *,
    classes: np.ndarray,
    y: np.ndarray,
    beta: float = 0.999,
) -> np.ndarray:
    """Compute one weight per class.

    Parameters
    ----------
    class_weight : {"balanced", "balanced_sqrt", "effective"}, dict or None
        The strategy:

        - ``None``: every class weighs 1.
        - ``"balanced"``: ``n_samples / (n_classes * count[c])``, as
          :func:`sklearn.utils.class_weight.compute_class_weight`.
        - ``"balanced_sqrt"``: the square root of the balanced weights, a
          milder correction for extreme ratios.
        - ``"effective"``: the inverse effective number of samples of Cui et
          al. (2019), ``(1 - beta) / (1 - beta ** count[c])``, scaled so the
          weights sum to ``n_classes``.
        - a dict ``{label: weight}``: classes not listed weigh 1. As in
          scikit-learn, keys of labels that are not in ``classes`` are
          ignored when every class has a key (a fold may lack a rare
          class), and are an error otherwise (a misspelt label).

    classes : ndarray of shape (n_classes,)
        The class labels, in the order of the returned weights.

    y : array-like of shape (n_samples,)
        The training labels.

    beta : float, default=0.999
        The ``beta`` of the ``"effective"`` strategy, in ``[0, 1)``. Values
        closer to one move the weights towards ``"balanced"``.

    Returns
    -------
    weights : ndarray of shape (n_classes,)
        The weight of each class in ``classes``.

    References
    ----------
    .. [1] Y. Cui, M. Jia, T.-Y. Lin, Y. Song, S. Belongie, "Class-Balanced
       Loss Based on Effective Number of Samples", CVPR 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from skimb.class_weight import compute_class_weight
    >>> y = np.array([0] * 8 + [1] * 2)
    >>> compute_class_weight("balanced", classes=np.array([0, 1]), y=y)
    array([0.625, 2.5  ])
    """
    classes = _checked_classes(classes)
    index = _class_index(classes, _checked_labels(y))
    return _weights_of_classes(class_weight, classes, index, beta)


def compute_sample_weight(
    class_weight: str | dict | None,
    y: np.ndarray,
    *,
    classes: np.ndarray | None = None,
    sample_weight: np.ndarray | None = None,
    beta: float = 0.999,
) -> np.ndarray:
    """Combine class weights and sample weights into one weight per sample.

    Each sample's weight is the weight of its class times its
    ``sample_weight``; the result is divided by its mean so that it averages
    one.

    Parameters
    ----------
    class_weight : {"balanced", "balanced_sqrt", "effective"}, dict or None
        The class weighting strategy, see :func:`compute_class_weight`.

    y : array-like of shape (n_samples,)
        The training labels.

    classes : ndarray of shape (n_classes,), default=None
        All class labels. Defaults to the labels present in ``y``.

    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights given by the user. ``None`` means all ones.

    beta : float, default=0.999
        The ``beta`` of the ``"effective"`` strategy.

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,)
        The combined weights, with mean one.

    Raises
    ------
    ValueError
        If ``sample_weight`` is negative or not finite, or if fewer than two
        classes keep a positive total weight.

    Examples
    --------
    >>> import numpy as np
    >>> from skimb.class_weight import compute_sample_weight
    >>> compute_sample_weight("balanced", np.array(["a", "a", "a", "b"]))
    array([0.66666667, 0.66666667, 0.66666667, 2.        ])
    """
    return _combined_weights(class_weight, y, classes, sample_weight, beta)


def _combined_weights(
    class_weight, y, classes, sample_weight, beta, *, min_classes: int = 2
) -> np.ndarray:
    """`compute_sample_weight`, needing ``min_classes`` weighted classes.

    The estimators pass ``min_classes=1`` (weights that are all zero stay an
    error) and warn themselves when one class is left: a ``partial_fit``
    batch or a bootstrap bag may hold a single class.
    """
    y = _checked_labels(y)
    classes = np.unique(y) if classes is None else _checked_classes(classes)
    sample_weight = _check_sample_weight(
        sample_weight, y, dtype=np.float64, ensure_non_negative=True
    )
    index = _class_index(classes, y)
    weights = _weights_of_classes(class_weight, classes, index, beta)[index]
    weights = weights * sample_weight
    _check_weighted_classes(classes, index, weights, min_classes)
    return weights / weights.mean()


def _weights_of_classes(class_weight, classes, index, beta) -> np.ndarray:
    """`compute_class_weight` for labels given by their ``index`` in ``classes``."""
    if class_weight is None:
        return np.ones(len(classes))
    if isinstance(class_weight, dict):
        return _weights_from_dict(class_weight, classes)
    if class_weight not in CLASS_WEIGHT_STRATEGIES:
        raise ValueError(
            "class_weight must be None, a dict or one of "
            f"{', '.join(map(repr, CLASS_WEIGHT_STRATEGIES))}. "
            f"Got {class_weight!r} instead."
        )
    # A class absent from y (possible in partial_fit) counts as one sample:
    # the weight of a singleton rather than an infinite one.
    counts = np.maximum(np.bincount(index, minlength=len(classes)), 1.0)
    if class_weight == "effective":
        return _effective_number_weights(counts, beta)
    balanced = len(index) / (len(classes) * counts)
    return np.sqrt(balanced) if class_weight == "balanced_sqrt" else balanced


def _checked_labels(y) -> np.ndarray:
    """``y`` as a non-empty 1-D array of comparable labels, none missing.

    An empty ``y`` gave "balanced" weights of zero; missing (None) or
    mixed-type labels NumPy's "'<' not supported between instances".
    """
    y = column_or_1d(y)
    if y.size == 0:
        raise ValueError(
            "y is empty: class weights need the labels of the training samples."
        )
    if y.dtype.kind == "f" and np.isnan(y).any():
        raise ValueError("y contains NaN: a class label cannot be NaN.")
    check_label_values(y, "y")
    return y


def _checked_classes(classes) -> np.ndarray:
    """``classes`` as a 1-D array of distinct labels. A scalar, a 2-D array
    or an empty one gave NumPy's bare IndexError, and a repeated label
    silently took the weight of an absent class."""
    classes = np.asarray(classes)
    if classes.ndim != 1 or classes.size == 0:
        raise ValueError(
            "classes must be a non-empty 1-D array of the class labels, e.g. "
            f"classes=[0, 1]. Got {classes.tolist()!r} instead."
        )
    check_label_values(classes, "classes")
    if len(np.unique(classes)) < len(classes):
        raise ValueError(
            f"classes must list each label once. Got {classes.tolist()!r} instead."
        )
    return classes


def _class_index(classes: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The position in ``classes`` (in any order) of each label of ``y``."""
    order = np.argsort(classes, kind="stable")
    sorted_classes = classes[order]
    positions = np.clip(np.searchsorted(sorted_classes, y), 0, len(classes) - 1)
    unknown = sorted_classes[positions] != y
    if np.any(unknown):
        raise ValueError(
            f"y has labels {np.unique(y[unknown]).tolist()} that are not in "
            f"classes {classes.tolist()}. Pass every label of y in classes."
        )
    return order[positions]


def _effective_number_weights(counts: np.ndarray, beta: float) -> np.ndarray:
    """Weights of Cui et al. (2019), summing to the number of classes."""
    if not isinstance(beta, Real) or not 0 <= beta < 1:
        raise ValueError(
            f"beta for class_weight='effective' must be in [0, 1). Got {beta!r} "
            "instead. Typical values are 0.9, 0.99, 0.999 and 0.9999."
        )
    weights = (1.0 - beta) / (1.0 - np.power(beta, counts))
    return weights * len(counts) / weights.sum()


def _weights_from_dict(class_weight: dict, classes: np.ndarray) -> np.ndarray:
    """Per-class weights from a ``{label: weight}`` dict; others weigh 1."""
    class_weight = _entries_for(class_weight, classes)
    message = (
        "class_weight values must be finite and non-negative. "
        f"Got {class_weight!r} instead."
    )
    try:  # a str value gave NumPy's "could not convert string to float"
        weights = np.array([class_weight.get(c, 1.0) for c in classes.tolist()], float)
    except (TypeError, ValueError):
        raise ValueError(message) from None
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(message)
    return weights


def _entries_for(class_weight: dict, classes: np.ndarray) -> dict:
    """The entries of a ``class_weight`` dict that name one of ``classes``.

    As in scikit-learn, keys of labels that ``y`` lacks are ignored when
    every class of ``y`` has a key: a cross-validation fold or a bootstrap
    bag may miss a rare class that the dict names. Otherwise an unknown key
    is most likely a misspelt label, and an error.
    """
    labels = classes.tolist()
    unknown = [label for label in class_weight if label not in set(labels)]
    if unknown and any(label not in class_weight for label in labels):
        raise ValueError(
            f"class_weight has labels {unknown} that are not in the classes "
            f"{labels} of y. Use the labels of y as keys."
        )
    return {label: w for label, w in class_weight.items() if label not in unknown}


def _check_weighted_classes(classes, index, weights, min_classes: int) -> None:
    """Raise if fewer than ``min_classes`` classes keep a positive total weight."""
    totals = np.bincount(index, weights=weights, minlength=len(classes))
    if np.count_nonzero(totals > 0) >= min_classes:
        return
    if min_classes == 1:
        raise ValueError(
            "After weighting, no sample has a positive weight. Check "
            "sample_weight and class_weight."
        )
    kept = classes[totals > 0].tolist()
    raise ValueError(
        "After weighting, only the class(es) "
        f"{kept} have a positive total weight; a classifier needs at least "
        "two classes with positive weight. Check sample_weight and "
        "class_weight."
    )
