"""Scoring for imbalanced classification, built on scikit-learn and imblearn.

:func:`imbalanced_scoring` gives a ``scoring`` dict for
:func:`~sklearn.model_selection.cross_validate` and
:class:`~sklearn.model_selection.GridSearchCV` that scores the minority class
by default; :func:`imbalance_report` prints imblearn's per-class report.
"""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import numpy as np
from imblearn.metrics import classification_report_imbalanced, geometric_mean_score
from sklearn import get_config
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    f1_score,
    precision_score,
    recall_score,
)
from sklearn.utils.metadata_routing import (
    UNCHANGED,
    MetadataRequest,
    get_routing_for_object,
)

__all__ = ["SCORER_NAMES", "imbalance_report", "imbalanced_scoring"]

#: The keys of the dict returned by :func:`imbalanced_scoring`, in order.
SCORER_NAMES = (
    "f1",
    "recall",
    "precision",
    "balanced_accuracy",
    "geometric_mean",
    "average_precision",
)

_LABEL_METRICS = {"f1": f1_score, "recall": recall_score, "precision": precision_score}


def imbalanced_scoring(pos_label=None) -> dict:
    """A scoring dict for imbalanced classification.

    Use it as ``scoring=`` of :func:`~sklearn.model_selection.cross_validate`
    or of a search, with ``refit="f1"`` (or another key) in a search.

    Parameters
    ----------
    pos_label : int, str or None, default=None
        The class that F1, recall, precision and average precision score in
        binary problems. ``None`` takes the minority class of each test fold's
        ``y``. A fold of one class scores the estimator's own minority when
        it keeps a ``class_prior_`` or ``class_count_`` (skimb's estimators,
        naive Bayes, dummies), else the class the fold lacks (a fold of
        negatives only scores 0, as scikit-learn's scorers do). With classes
        near balance, or a splitter that does not stratify (``LeaveOneOut``,
        ``GroupKFold``), the minority can differ from fold to fold: give
        ``pos_label`` then. In multiclass problems these four are
        macro-averaged, so every class counts equally (``pos_label`` is not
        used, but one that is no class is still a ``ValueError``): F1,
        recall and precision over the labels of the fold's ``y`` and
        predictions (as scikit-learn's ``"f1_macro"``), average precision
        over the estimator's classes that the fold holds.
        A problem is multiclass when the estimator's classes and the fold's
        ``y`` hold more than two labels together (a training fold may lack a
        class that its test fold has). The geometric mean of a multiclass
        problem takes the recall of each class in the fold's ``y``.

    Returns
    -------
    scoring : dict
        Scorers ``f1``, ``recall``, ``precision``, ``balanced_accuracy``,
        ``geometric_mean`` (imblearn's geometric mean of per-class recalls)
        and ``average_precision`` (from ``predict_proba``, or
        ``decision_function`` when the estimator has no probabilities; one
        of pairs of classes, ``SVC(decision_function_shape="ovo")``, is a
        ``ValueError``). They
        pick their class per fold, so
        :class:`~sklearn.model_selection.TunedThresholdClassifierCV` cannot
        use them (a ``TypeError`` says so): give it ``scoring="f1"``. They
        are picklable, so fitted searches can be saved with joblib. Like
        scikit-learn's scorers they take part in metadata routing: with
        ``sklearn.set_config(enable_metadata_routing=True)``, call
        ``scorer.set_score_request(sample_weight=True)`` to have
        ``sample_weight`` routed to it.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_validate
    >>> from skimb.metrics import imbalanced_scoring
    >>> X, y = make_classification(n_samples=300, weights=[0.9, 0.1],
    ...                            random_state=0)
    >>> scores = cross_validate(LogisticRegression(), X, y, cv=3,
    ...                         scoring=imbalanced_scoring())
    >>> for name in sorted(k for k in scores if k.startswith("test_")):
    ...     print(name)
    test_average_precision
    test_balanced_accuracy
    test_f1
    test_geometric_mean
    test_precision
    test_recall
    """
    return {name: _ImbalancedScorer(name, pos_label) for name in SCORER_NAMES}


def imbalance_report(y_true, y_pred, *, labels=None, digits: int = 3) -> str:
    """A per-class text report of precision, recall, specificity, F1 and G-mean.

    A thin wrapper of imblearn's
    :func:`~imblearn.metrics.classification_report_imbalanced`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.

    y_pred : array-like of shape (n_samples,)
        Predicted labels.

    labels : array-like, default=None
        The labels to include, in order. Defaults to all labels present.

    digits : int, default=3
        Digits shown for each number.

    Returns
    -------
    report : str
        One row per class (``pre``, ``rec``, ``spe``, ``f1``, ``geo``,
        ``iba``, ``sup``) and an average row weighted by support.

    Examples
    --------
    >>> from skimb.metrics import imbalance_report
    >>> print(imbalance_report(["a", "a", "a", "b"], ["a", "a", "b", "b"]))
    ... # doctest: +ELLIPSIS
                       pre       rec       spe        f1       geo       iba       sup
    ...
    """
    return classification_report_imbalanced(
        y_true, y_pred, labels=labels, digits=digits, zero_division=0
    )


class _ImbalancedScorer:
    """A picklable scorer ``scorer(estimator, X, y)`` for one metric.

    It takes part in scikit-learn's metadata routing as the scorers of
    :func:`~sklearn.metrics.make_scorer` do: ``sample_weight`` is its only
    metadata, and is routed to it once requested with
    :meth:`set_score_request`.
    """

    def __init__(self, name: str, pos_label=None):
        self.name = name
        self.pos_label = pos_label

    def __repr__(self) -> str:
        return f"imbalanced_scorer({self.name!r}, pos_label={self.pos_label!r})"

    def set_score_request(self, *, sample_weight=UNCHANGED):
        """Request ``sample_weight`` when the scorer is used under routing.

        Only available with ``sklearn.set_config(enable_metadata_routing=True)``.
        See scikit-learn's :ref:`User Guide <metadata_routing>`.

        Parameters
        ----------
        sample_weight : str, True, False, or None, default=UNCHANGED
            ``True`` to receive the ``sample_weight`` given to
            :func:`~sklearn.model_selection.cross_validate` or a search,
            ``False`` to score unweighted, ``None`` (the default request) to
            raise an error if it is given, or a str to receive the metadata of
            that name instead.

        Returns
        -------
        self : object
            The scorer, with the updated request.
        """
        if not get_config()["enable_metadata_routing"]:
            raise RuntimeError(
                "This method is only available when metadata routing is enabled."
                " You can enable it using"
                " sklearn.set_config(enable_metadata_routing=True)."
            )
        request = self.get_metadata_routing()
        if sample_weight is not UNCHANGED:
            request.score.add_request(param="sample_weight", alias=sample_weight)
        self._metadata_request = request
        return self

    def get_metadata_routing(self) -> MetadataRequest:
        """The metadata this scorer requests: ``sample_weight`` of ``score``.

        Returns
        -------
        routing : MetadataRequest
            A :class:`~sklearn.utils.metadata_routing.MetadataRequest`; the
            ``sample_weight`` request is None (an error if it is passed)
            until set with :meth:`set_score_request`.
        """
        # Unset until set_score_request, and absent from older pickles.
        request = getattr(self, "_metadata_request", None)
        if request is not None:
            return get_routing_for_object(request)  # a copy
        request = MetadataRequest(owner=self)
        request.score.add_request(param="sample_weight", alias=None)
        return request

    # scikit-learn calls these two private hooks on its own scorers: searches
    # without routing ask _accept_sample_weight before weighting the scores,
    # and routing messages name a scorer by _routing_repr.
    def _accept_sample_weight(self) -> bool:
        return True

    @property
    def _score_func(self):
        # TunedThresholdClassifierCV rebuilds a scorer from this private
        # attribute of make_scorer's scorers; a bare AttributeError was its
        # error. An AttributeError still, so that hasattr (LogisticRegressionCV
        # asks it) is False.
        raise _NoScoreFunction(
            f"{self!r} picks the class it scores in each test fold, so "
            "TunedThresholdClassifierCV cannot tune a threshold for it. Give "
            "it a scikit-learn scorer, e.g. scoring='f1', or "
            "make_scorer(f1_score, pos_label=...) for another class."
        )

    def _routing_repr(self) -> str:
        return repr(self)

    def __call__(self, estimator, X, y_true, sample_weight=None) -> float:
        y_true = _one_label_per_sample(y_true)
        classes = np.asarray(getattr(estimator, "classes_", np.unique(y_true)))
        # A test fold may hold a class that the training fold lacked.
        multiclass = len(np.union1d(classes, np.unique(y_true))) > 2
        weight = {"sample_weight": sample_weight}
        if self.name == "average_precision":
            return self._average_precision(
                estimator, X, y_true, classes, multiclass, weight
            )
        y_pred = estimator.predict(X)
        if self.name == "balanced_accuracy":
            return float(balanced_accuracy_score(y_true, y_pred, **weight))
        if self.name == "geometric_mean":
            # The recall of each class in y_true (a class absent from the
            # fold has none), as balanced accuracy takes: a binary fold of
            # one class scored 0.
            labels = np.unique(y_true)
            return float(geometric_mean_score(y_true, y_pred, labels=labels, **weight))
        metric = _LABEL_METRICS[self.name]
        if multiclass:  # over the labels of y_true and y_pred, as "f1_macro"
            self._check_pos_label_of_multiclass(classes, y_true)
            return float(
                metric(y_true, y_pred, average="macro", zero_division=0, **weight)
            )
        pos = self._positive_label(y_true, classes, estimator)
        return float(metric(y_true, y_pred, pos_label=pos, zero_division=0, **weight))

    def _check_pos_label_of_multiclass(self, classes, y_true) -> None:
        """A multiclass score is a macro average that ignores ``pos_label``,
        but one that is no label of the problem (a misspelling) is an error,
        as in binary problems; it was ignored silently. A class that the
        training fold lacked is a label of its test fold."""
        if self.pos_label is None:
            return
        labels = np.union1d(classes, np.unique(y_true)).tolist()
        if self.pos_label not in labels:
            raise ValueError(
                f"pos_label={self.pos_label!r} is not a class of the estimator "
                f"or of y ({labels}). Give imbalanced_scoring one of them as "
                "pos_label (multiclass scores are macro averages, which do "
                "not use it), or None."
            )

    def _positive_label(self, y_true, classes, estimator):
        """The given pos_label, else the least frequent class in y_true (in a
        fold of one class, the estimator's own minority when it tells)."""
        if self.pos_label is not None:
            if self.pos_label not in classes.tolist():
                raise ValueError(
                    f"pos_label={self.pos_label!r} is not a class of the "
                    f"estimator ({classes.tolist()}). Give "
                    "imbalanced_scoring one of them as pos_label."
                )
            return self.pos_label
        # A class of the fold that the training fold lacked counts too: the
        # estimator's one class is not the fold's minority.
        labels = np.union1d(classes, np.unique(y_true))
        counts = np.array([np.count_nonzero(y_true == c) for c in labels])
        if np.count_nonzero(counts) == 1:  # the fold holds one class
            prior = _training_prior(estimator, len(classes))
            if prior is not None and np.sum(prior == prior.min()) == 1:
                return classes[np.argmin(prior)]  # the estimator's minority
        # Otherwise a class the fold lacks is its minority: a fold of
        # negatives only scores 0 (as scikit-learn's scorers with pos_label=1).
        return labels[np.argmin(counts)]

    def _average_precision(
        self, estimator, X, y_true, classes, multiclass, weight
    ) -> float:
        if multiclass:
            self._check_pos_label_of_multiclass(classes, y_true)
        scores = _class_scores(estimator, X, classes)
        if multiclass:  # macro over the estimator's classes present in y_true
            y_bin = (y_true[:, None] == classes[None, :]).astype(int)
            present = y_bin.any(axis=0)
            return float(
                average_precision_score(
                    y_bin[:, present], scores[:, present], average="macro", **weight
                )
            )
        pos = self._positive_label(y_true, classes, estimator)
        if pos in classes.tolist():
            column = scores[:, int(np.flatnonzero(classes == pos)[0])]
        else:  # the training fold lacked it: no score, chance-level AP
            column = np.zeros(len(y_true))
        return float(average_precision_score(y_true == pos, column, **weight))


def _training_prior(estimator, n_classes: int):
    """The class prior or counts the estimator (or a pipeline's last step)
    learnt, if it keeps them (skimb's estimators, naive Bayes, dummies)."""
    for candidate in (estimator, _final_step(estimator)):
        for name in ("class_prior_", "class_count_"):
            value = getattr(candidate, name, None)
            if value is not None and np.shape(value) == (n_classes,):
                return np.asarray(value, dtype=float)
    return None


def _one_label_per_sample(y) -> np.ndarray:
    """``y`` as a 1-D array (a column too). Multilabel or multi-output ``y``
    failed with NumPy's "truth value of an array ... is ambiguous" (average
    precision) or scikit-learn's "average='binary'" (F1)."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        return y.ravel()
    if y.ndim != 1:
        raise ValueError(
            "imbalanced_scoring scores one label per sample: y of shape "
            f"(n_samples,). Got y of shape {y.shape} (multilabel or "
            "multi-output targets). For those use scikit-learn's scorers, "
            "e.g. scoring='f1_macro'."
        )
    return y


def _final_step(estimator):
    """A pipeline's last step, or the estimator itself."""
    steps = getattr(estimator, "steps", None)
    return steps[-1][1] if steps else estimator


class _NoScoreFunction(AttributeError, TypeError):
    """A skimb scorer has no single score function to rebuild."""


def _class_scores(estimator, X, classes) -> np.ndarray:
    """One score column per class: probabilities, else decision values.

    A decision function of pairs of classes (``SVC`` with
    ``decision_function_shape="ovo"``) is a ValueError: its columns were
    taken for classes, a silently wrong score with three classes (as many
    pairs as classes) and NumPy's IndexError with more.
    """
    if hasattr(estimator, "predict_proba"):
        return np.asarray(estimator.predict_proba(X))
    decision = np.asarray(estimator.decision_function(X))
    if decision.ndim == 1:
        return np.column_stack([-decision, decision])
    pairwise = getattr(_final_step(estimator), "decision_function_shape", None)
    if pairwise == "ovo" or decision.shape[1] != len(classes):
        raise ValueError(
            "average_precision needs one score per class, but the "
            f"decision_function of {_final_step(estimator)!r} gives "
            f"{decision.shape[1]} columns for {len(classes)} classes"
            + (
                " (one per pair of classes). Use decision_function_shape='ovr' "
                "(the default) or probability=True."
                if pairwise == "ovo"
                else ". Score an estimator with predict_proba or a "
                "one-vs-rest decision_function."
            )
        )
    return decision
