"""Imbalance strategies side by side: the library behind ``skimb compare``.

Each strategy is a fresh scikit-learn / imbalanced-learn estimator around a
skimb network; :func:`compare_strategies` scores them all with the same
stratified folds and keeps every per-fold number.
"""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import json
import math
import time
import warnings
from dataclasses import dataclass, field
from numbers import Integral
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from scipy.sparse import issparse
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold
from sklearn.utils import check_array, check_consistent_length, check_scalar
from sklearn.utils.multiclass import type_of_target

from . import _keras
from ._labels import check_label_values
from ._messages import warn_user
from .metrics import SCORER_NAMES, imbalanced_scoring

__all__ = [
    "FAST_NETWORK",
    "STRATEGIES",
    "CompareResult",
    "compare_strategies",
    "make_strategy",
]

#: The network every strategy trains: small and quick, so that the default
#: comparison (10 strategies x 5 folds) runs in about a minute on two cores.
FAST_NETWORK = {
    "hidden_layer_sizes": (32,),
    "learning_rate_init": 0.01,
    "max_iter": 10,
}

#: Members of the bagging ensembles.
_N_ESTIMATORS = 3

#: Strategy name -> one-line description.
STRATEGIES = {
    "none": "no imbalance handling (class_weight=None)",
    "class_weight": "skimb's default: balanced class weights",
    "ros": "random over-sampling, then the network",
    "rus": "random under-sampling, then the network",
    "smote": "SMOTE, then the network",
    "smoteenn": "SMOTE + edited nearest neighbours, then the network",
    "smotetomek": "SMOTE + Tomek links, then the network",
    "focal": "focal loss with balanced class weights",
    "balanced_bagging": "bagging of networks on balanced bootstrap samples",
    "easy_ensemble": "EasyEnsemble: networks on balanced random subsets",
}


def make_strategy(
    name: str,
    *,
    preprocessor=None,
    random_state: int = 0,
    estimator_params: dict | None = None,
    k_neighbors: int = 5,
):
    """A fresh, unfitted estimator for one strategy.

    Parameters
    ----------
    name : str
        A key of :data:`STRATEGIES`.
    preprocessor : transformer, default=None
        The first step of the pipeline; default ``StandardScaler()``.
    random_state : int, default=0
        Seeds the network, the samplers and the ensembles.
    estimator_params : dict, default=None
        :class:`skimb.MLPClassifier` parameters, over :data:`FAST_NETWORK`.
    k_neighbors : int, default=5
        The neighbours SMOTE interpolates between (``smote``, ``smoteenn``,
        ``smotetomek``); it needs ``k_neighbors + 1`` samples of each class
        to fit. :func:`compare_strategies` and ``skimb fit`` lower it for
        classes smaller than that.

    Returns
    -------
    estimator : imblearn.pipeline.Pipeline
        ``preprocessor -> [sampler] -> network`` (or an ensemble of them).

    Examples
    --------
    >>> from skimb.compare import make_strategy
    >>> [step for step, _ in make_strategy("smote").steps]
    ['standardscaler', 'smote', 'mlpclassifier']
    """
    from imblearn import over_sampling, under_sampling
    from imblearn.combine import SMOTEENN, SMOTETomek
    from imblearn.ensemble import BalancedBaggingClassifier, EasyEnsembleClassifier
    from imblearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from .mlp import MLPClassifier

    _check_strategies([name])
    params = {**FAST_NETWORK, **(estimator_params or {}), "random_state": random_state}
    plain = MLPClassifier(**{**params, "class_weight": None})
    rs = {"random_state": random_state}
    smote = over_sampling.SMOTE(k_neighbors=k_neighbors, **rs)
    last = {
        "none": [plain],
        "class_weight": [MLPClassifier(**params)],
        "ros": [over_sampling.RandomOverSampler(**rs), plain],
        "rus": [under_sampling.RandomUnderSampler(**rs), plain],
        "smote": [smote, plain],
        "smoteenn": [SMOTEENN(smote=smote, **rs), plain],
        "smotetomek": [SMOTETomek(smote=smote, **rs), plain],
        "focal": [MLPClassifier(**{**params, "loss": "focal"})],
        "balanced_bagging": [
            BalancedBaggingClassifier(plain, n_estimators=_N_ESTIMATORS, **rs)
        ],
        # EasyEnsemble (Liu et al. 2009): each member sees all minority
        # samples and an equal-sized random subset of the majority.
        "easy_ensemble": [
            EasyEnsembleClassifier(estimator=plain, n_estimators=_N_ESTIMATORS, **rs)
        ],
    }[name]
    return make_pipeline(
        clone(preprocessor) if preprocessor is not None else StandardScaler(), *last
    )


def _check_strategies(names) -> list[str]:
    """Known strategy names, each once, in the order given."""
    unknown = [name for name in names if name not in STRATEGIES]
    if unknown:
        raise ValueError(
            f"Unknown strategy {unknown[0]!r}. Valid strategies: "
            f"{', '.join(STRATEGIES)}."
        )
    if not names:
        raise ValueError(
            f"No strategy given. Valid strategies: {', '.join(STRATEGIES)}."
        )
    return list(dict.fromkeys(names))


@dataclass
class CompareResult:
    """Per-fold scores of each strategy, with the configuration that made them.

    :func:`compare_strategies` returns it; its fields are also its
    attributes.

    Parameters
    ----------
    scores : dict
        ``scores[strategy][metric]`` is the list of per-fold values; metrics
        are those of :func:`skimb.metrics.imbalanced_scoring` plus
        ``fit_time`` (seconds).
    config : dict
        Strategies, folds, random state, network parameters, versions.
    y_true : ndarray
        The labels, for the precision-recall curves.
    oof_scores : dict
        ``oof_scores[strategy]``: the out-of-fold probability of the positive
        (minority) class for every sample.
    pos_label : object, default=None
        The minority class.
    oof_proba : dict, default=None
        ``oof_proba[strategy]``: the out-of-fold probabilities of every class,
        of shape (n_samples, n_classes), columns in the order of
        ``np.unique(y_true)``. :meth:`plot_pr` needs them for multiclass
        labels.
    failed : dict, default={}
        ``failed[strategy]``: the fold and the error of a strategy whose fit
        raised a ValueError; such strategies are not in the other fields.

    Examples
    --------
    >>> import numpy as np
    >>> from skimb.compare import CompareResult
    >>> result = CompareResult(
    ...     scores={"none": {"f1": [0.5, 0.5]}, "smote": {"f1": [0.75, 0.25]}},
    ...     config={}, y_true=np.array([0, 1]), oof_scores={}, pos_label=1)
    >>> result.table()
    [{'strategy': 'none', 'f1': (0.5, 0.0)}, {'strategy': 'smote', 'f1': (0.5, 0.25)}]
    >>> result.best("f1")
    'none'
    """

    scores: dict
    config: dict
    y_true: np.ndarray
    oof_scores: dict = field(repr=False)
    pos_label: object = None
    oof_proba: dict | None = field(default=None, repr=False)
    failed: dict = field(default_factory=dict)

    def table(self) -> list[dict]:
        """One row per strategy: mean and standard deviation of each metric.

        The standard deviation is over the folds, with ``ddof=0``, as
        scikit-learn's ``std_test_score`` of a search.

        Returns
        -------
        rows : list of dict
            ``{"strategy": name, metric: (mean, std), ...}`` per strategy.
        """
        rows = []
        for strategy, metrics in self.scores.items():
            row = {"strategy": strategy}
            for metric, values in metrics.items():
                row[metric] = (float(np.mean(values)), float(np.std(values)))
            rows.append(row)
        return rows

    def best(self, metric: str = "f1") -> str:
        """The strategy with the highest mean ``metric`` (the lowest for
        ``"fit_time"``).

        Parameters
        ----------
        metric : str, default="f1"
            A key of the scores, such as ``"recall"`` or ``"fit_time"``.

        Returns
        -------
        strategy : str
            The best strategy's name (the first one on a tie; strategies
            whose mean is NaN are passed over).
        """
        known = list(
            dict.fromkeys(m for scores in self.scores.values() for m in scores)
        )
        if metric not in known:
            raise ValueError(f"Unknown metric {metric!r}; the scores have {known}.")
        means = {s: np.mean(scores[metric]) for s, scores in self.scores.items()}
        scored = [s for s, mean in means.items() if not np.isnan(mean)]
        if not scored:
            raise ValueError(f"No strategy has a {metric} score that is a number.")
        fastest_or_highest = min if metric == "fit_time" else max
        return fastest_or_highest(scored, key=means.get)

    def _best_by_f1(self) -> list[str]:
        """The strategies tied for the best mean F1 (``np.isclose`` to
        :meth:`best`'s), in the order of :attr:`scores`; none when every F1
        is 0 (no strategy finds the class). ``skimb compare`` highlights and
        names these, and ``results.json`` lists them."""
        means = {s: np.mean(scores["f1"]) for s, scores in self.scores.items()}
        top = means[self.best("f1")]
        if np.isclose(top, 0):
            return []
        return [s for s, mean in means.items() if np.isclose(mean, top)]

    def to_json(self, path) -> None:
        """Write every per-fold number and the configuration as JSON.

        The keys are ``config``, ``best_by_f1`` (:meth:`best`, the first of
        tied strategies; null when every F1 is 0), ``tied_best_by_f1``
        (every strategy tied for the best F1, ``best_by_f1`` among them;
        empty when every F1 is 0), ``summary`` (:meth:`table`, each metric
        a ``[mean, std]`` pair), ``per_fold`` (:attr:`scores`) and
        ``failed``.

        Parameters
        ----------
        path : str or path-like
            The JSON file to write.
        """
        tied = self._best_by_f1()
        document = {
            "config": self.config,
            "best_by_f1": self.best("f1") if tied else None,
            "tied_best_by_f1": tied,
            "summary": self.table(),
            "per_fold": self.scores,
            "failed": self.failed,
        }
        Path(path).write_text(json.dumps(document, indent=2, default=_jsonable))

    def plot_pr(self, path) -> None:
        """Save the out-of-fold precision-recall curves of each strategy (PNG).

        Binary labels give one plot, of the minority class. Multiclass labels
        give one plot per class, that class against the others (one-vs-rest,
        as the macro-averaged ``average_precision`` scores them), drawn from
        :attr:`oof_proba`.

        Parameters
        ----------
        path : str or path-like
            The image file to write.
        """
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        classes = np.unique(self.y_true)
        if len(classes) <= 2:
            fig, ax = plt.subplots(figsize=(7, 5))
            self._plot_curves(ax, self.y_true, self.oof_scores, self.pos_label)
            ax.set_title(f"Precision-recall of the minority class ({self.pos_label})")
        else:
            if self.oof_proba is None:
                raise ValueError(
                    "Plotting multiclass precision-recall curves needs oof_proba, "
                    "the out-of-fold probabilities of every class."
                )
            n_cols = min(3, len(classes))
            n_rows = -(-len(classes) // n_cols)
            fig, axes = plt.subplots(
                n_rows, n_cols, figsize=(5 * n_cols, 4.5 * n_rows), squeeze=False
            )
            for j, (label, ax) in enumerate(zip(classes, axes.flat)):
                scores = {s: proba[:, j] for s, proba in self.oof_proba.items()}
                self._plot_curves(ax, self.y_true == label, scores, True)
                ax.set(
                    title=f"class {_plain(label)!r} vs the rest",
                    xlabel="Recall",
                    ylabel="Precision",
                )
            for ax in axes.flat[len(classes) :]:
                ax.set_visible(False)
            fig.suptitle("Precision-recall of each class (one-vs-rest)")
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)

    @staticmethod
    def _plot_curves(ax, y_true, scores, pos_label):
        """One precision-recall curve per strategy of ``scores``."""
        from sklearn.metrics import PrecisionRecallDisplay

        for strategy, strategy_scores in scores.items():
            PrecisionRecallDisplay.from_predictions(
                y_true, strategy_scores, pos_label=pos_label, name=strategy, ax=ax
            )


def compare_strategies(
    X,
    y,
    strategies=None,
    *,
    folds: int = 5,
    n_jobs: int = 1,
    random_state: int = 0,
    estimator_params: dict | None = None,
    preprocessor=None,
    progress=None,
) -> CompareResult:
    """Cross-validate imbalance strategies on one data set.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The data (a DataFrame if ``preprocessor`` needs column names; a
        sparse matrix only with a ``preprocessor`` that makes dense
        features, such as ``TruncatedSVD``).
    y : array-like of shape (n_samples,)
        Binary or multiclass labels.
    strategies : str or list of str, default=None
        Keys of :data:`STRATEGIES` (one name or a list); all by default
        (an empty list is a ``ValueError``).
    folds : int, default=5
        Folds of the stratified, shuffled k-fold.
    n_jobs : int, default=1
        Parallel (strategy, fold) fits with joblib.
    random_state : int, default=0
        Seeds the folds, samplers, ensembles and networks.
    estimator_params : dict, default=None
        MLPClassifier parameters over :data:`FAST_NETWORK`.
    preprocessor : transformer, default=None
        First pipeline step; default ``StandardScaler()``.
    progress : callable, default=None
        Called as ``progress(strategy, fold)`` after each fit.

    Returns
    -------
    result : CompareResult
        Per-fold scores, the configuration and out-of-fold probabilities.

    Examples
    --------
    >>> from skimb.compare import compare_strategies
    >>> from skimb.datasets import make_imbalanced_table
    >>> X, y = make_imbalanced_table(n_samples=200)
    >>> result = compare_strategies(X, y, ["none", "class_weight"], folds=2)
    >>> sorted(result.scores)
    ['class_weight', 'none']
    """
    if isinstance(strategies, str):  # one strategy's name
        strategies = [strategies]
    # An empty list is none given (an error), not all of them.
    strategies = _check_strategies(
        list(STRATEGIES) if strategies is None else list(strategies)
    )
    X, y = _as_arrays(X), np.asarray(y)
    _check_inputs(X, y, folds, estimator_params)
    if preprocessor is None:
        _check_numbers(X)
    _check_folds(y, folds)
    splits = list(
        StratifiedKFold(folds, shuffle=True, random_state=random_state).split(
            np.zeros(len(y)), y
        )
    )
    pos_label, minority_count = _smallest_class(y)
    smallest_in_training = min(_smallest_class(y[train])[1] for train, _ in splits)
    k_neighbors = _smote_neighbors(
        strategies,
        smallest_in_training,
        "training fold",
        enough_folds=_folds_for_smote(minority_count, folds),
    )
    tasks = [(s, k) for s in strategies for k in range(folds)]
    labels = np.unique(y)
    run = delayed(_fit_and_score)
    outputs = Parallel(n_jobs=n_jobs, return_as="generator")(
        run(
            make_strategy(
                s,
                preprocessor=preprocessor,
                random_state=random_state,
                estimator_params=estimator_params,
                k_neighbors=k_neighbors,
            ),
            X,
            y,
            *splits[k],
            pos_label,
        )
        for s, k in tasks
    )
    scores = {s: {m: [] for m in (*SCORER_NAMES, "fit_time")} for s in strategies}
    oof = {s: np.zeros((len(y), len(labels))) for s in strategies}
    shown, failed = set(), {}
    for (strategy, fold), (fold_scores, proba, caught, error) in zip(tasks, outputs):
        _show_once(caught, shown)
        if error is not None:
            failed.setdefault(strategy, f"fold {fold + 1} of {folds}: {error}")
        elif strategy not in failed:
            for metric, value in fold_scores.items():
                scores[strategy][metric].append(value)
            oof[strategy][splits[fold][1]] = proba
        if progress is not None:
            progress(strategy, fold)
    _drop_failed(failed, scores, oof)
    config = _config(strategies, folds, random_state, estimator_params, len(y))
    config["minority_class"] = pos_label
    config["smote_k_neighbors"] = k_neighbors
    minority = int(np.flatnonzero(labels == pos_label)[0])
    oof_scores = {s: proba[:, minority] for s, proba in oof.items()}
    return CompareResult(scores, config, y, oof_scores, pos_label, oof, failed)


def _drop_failed(failed: dict, scores: dict, oof: dict) -> None:
    """Leave the strategies that failed out of ``scores`` and ``oof``, with a
    warning each; raise if none is left."""
    if len(failed) == len(scores):
        reasons = "; ".join(f"{s}, {message}" for s, message in failed.items())
        raise ValueError(f"Every strategy failed: {reasons}")
    for strategy, message in failed.items():
        del scores[strategy], oof[strategy]
        warn_user(
            f"Strategy {strategy!r} failed on {message.rstrip('.')}. It is left "
            "out of the results; the others are compared."
        )


def _fit_and_score(estimator, X, y, train, test, pos_label):
    """Fit on one fold; return its scores, the test-set probabilities, the
    warnings raised and None, or, if the fit raised a ValueError (a
    sampler's cleaning can remove a class), None, None, the warnings and
    its message.

    Every training set holds every class (:func:`_check_folds`), so the
    columns of the probabilities are the sorted labels of ``y``. The
    warnings go back to the calling process (:func:`_show_once`): a worker
    process would print its own, once per fold, past the caller's handling.
    """
    X_train, X_test = _take(X, train), _take(X, test)
    _keras.start_backend()  # not part of the first fit's time in a worker
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        try:
            _fit_strategy(estimator, X_train, y[train])
        except ValueError as exc:  # e.g. a cleaning step removed a class
            raised = [(str(w.message), w.category) for w in caught]
            return None, None, raised, str(exc)
        fit_time = time.perf_counter() - start
        scoring = imbalanced_scoring(pos_label=pos_label)
        scores = {
            name: scorer(estimator, X_test, y[test]) for name, scorer in scoring.items()
        }
        proba = estimator.predict_proba(X_test)
    scores["fit_time"] = fit_time
    raised = [(str(w.message), w.category) for w in caught]
    return scores, proba, raised, None


def _fit_strategy(estimator, X, y):
    """Fit ``estimator`` on ``X``, ``y``; a sampler that removes every row of
    a class is a ValueError that says so.

    The cleaning of SMOTEENN and SMOTETomek removes rows close to rows of
    another class, which on a small table can be a whole class, or every
    row. The network then failed with scikit-learn's "Found array with 0
    sample(s)" or with "y contains only one class" (of a table of two), or,
    with three classes or more, learnt the others and left that class out
    of its predictions.
    """
    classes = np.unique(y)
    try:
        estimator.fit(X, y)
    except ValueError as exc:
        message = _removed_classes(estimator, X, y, classes)
        if message is None:
            raise
        raise ValueError(message) from exc
    fitted = getattr(estimator, "classes_", classes)
    if len(fitted) < len(classes):
        message = _removed_classes(estimator, X, y, classes)
        raise ValueError(
            message
            or f"The fitted estimator knows {len(fitted)} of the {len(classes)} "
            "classes of y."
        )
    return estimator


def _removed_classes(estimator, X, y, classes) -> str | None:
    """Why the pipeline ``estimator`` lacks classes after its fit: its
    sampler, run again on ``X``, ``y`` as the fit ran it, removes every row
    of them. None if it has no sampler or the sampler keeps every class."""
    steps = getattr(estimator, "steps", None) or []
    samplers = [i for i, (_, step) in enumerate(steps) if hasattr(step, "fit_resample")]
    if not samplers:
        return None
    Xt = X
    try:
        for _, step in steps[: samplers[0]]:
            if step is not None and step != "passthrough":
                Xt = clone(step).fit_transform(Xt, y)
        sampler = steps[samplers[0]][1]
        _, resampled = clone(sampler).fit_resample(Xt, y)
    except ValueError:  # the sampler's own failure: its message says more
        return None
    removed = [c for c in classes if c not in set(resampled.tolist())]
    if not removed:
        return None
    if len(removed) == len(classes):
        what = f"all {len(y)} training rows, of every class"
    else:
        es = "es" if len(removed) > 1 else ""
        names = [repr(_plain(c)) for c in removed]
        names = " and ".join([", ".join(names[:-1]), names[-1]] if es else names)
        n_removed = int(np.isin(y, removed).sum())
        what = (
            f"every row of the class{es} {names} ({n_removed} of the {len(y)} "
            "training rows)"
        )
    return (
        f"{type(sampler).__name__} removed {what}: its cleaning "
        "removes rows close to rows of another class, which in a small table "
        "can be a whole class, and the network needs rows of every class. Add "
        "rows, or choose a strategy that removes none (such as smote, ros or "
        "class_weight)."
    )


def _show_once(caught, shown: set) -> None:
    """Warn again, in this process, each warning not shown yet, at the
    user's line (where it was raised, inside a worker, is library code)."""
    for message, category in caught:
        if (message, category) not in shown:
            shown.add((message, category))
            warn_user(message, category)


def _as_arrays(X):
    """A DataFrame as it is, a sparse matrix as CSR (its rows can be taken),
    anything else as a NumPy array."""
    if hasattr(X, "iloc"):
        return X
    if issparse(X):
        return X.tocsr()
    return np.asarray(X)


def _take(X, rows):
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


def _smallest_class(y) -> tuple:
    """The least frequent label of ``y`` and its count."""
    labels, counts = np.unique(y, return_counts=True)
    return labels[np.argmin(counts)], int(counts.min())


#: The strategies that interpolate with SMOTE.
_SMOTE_STRATEGIES = ("smote", "smoteenn", "smotetomek")


def _smote_neighbors(
    strategies, smallest: int, where: str = "training set", enough_folds=None
) -> int:
    """SMOTE's ``k_neighbors``: 5, or fewer if a class has fewer samples.

    SMOTE interpolates between a sample and one of its ``k_neighbors``
    nearest neighbours of the same class, so it needs ``k_neighbors + 1``
    samples of each class. ``smallest`` is the smallest class's count in
    any ``where`` that a sampler fits on; ``enough_folds``, if any, is a
    number of folds whose training folds would hold two.
    """
    if smallest < 2 and any(name in _SMOTE_STRATEGIES for name in strategies):
        more_folds = (
            f" use {enough_folds} folds or more (larger training folds),"
            if enough_folds
            else ""
        )
        raise ValueError(
            f"SMOTE needs at least two samples of every class in each {where}, "
            f"to interpolate between; the smallest class has {smallest}. Add "
            f"samples of that class,{more_folds} or choose a strategy without "
            "SMOTE (smote, smoteenn and smotetomek use it)."
        )
    return max(1, min(5, smallest - 1))


def _folds_for_smote(n_smallest: int, folds: int) -> int | None:
    """The fewest folds, more than ``folds`` and at most ``n_smallest`` (each
    test fold needs one), whose stratified training folds keep two samples
    of a class of ``n_smallest``; None if there are none."""
    for more in range(folds + 1, n_smallest + 1):
        if n_smallest - math.ceil(n_smallest / more) >= 2:
            return more
    return None


def _check_inputs(X, y, folds, estimator_params) -> None:
    """X and y of one length, class labels, an int number of folds, and no
    random_state among the network's parameters (``random_state`` sets it)."""
    check_consistent_length(X, y)
    check_label_values(y)  # None and pd.NA are not NaN to check_array
    check_array(y, ensure_2d=False, dtype=None, input_name="y")  # NaN, inf
    target = type_of_target(y, input_name="y")
    if target not in ("binary", "multiclass"):
        raise ValueError(
            f"y must hold class labels (binary or multiclass), got a {target} "
            "target: compare_strategies compares classifiers."
        )
    check_scalar(folds, "folds", Integral, min_val=2)
    if "random_state" in (estimator_params or {}):
        raise ValueError(
            "estimator_params sets random_state, which compare_strategies sets "
            "for every strategy: pass random_state=... to compare_strategies."
        )
    if estimator_params:  # once here, not once per strategy as each fit fails
        _check_network_params(estimator_params, np.unique(y))


def _check_network_params(estimator_params, classes) -> None:
    """Check the network's parameters as its fit would, before any strategy
    runs: its parameter constraints, then what MLPClassifier checks only at
    fit (the hidden layers, early stopping's validation fraction, the loss,
    the labels of a ``class_weight`` dict against ``classes``).

    A bad value failed every strategy, its message repeated per strategy;
    a bad loss or class_weight failed only the strategies that use it (a
    loss every strategy but ``focal``, which sets its own, a class_weight
    ``class_weight`` and ``focal``), so the comparison went ahead without
    them.
    """
    from .base import _encode_class_weight
    from .mlp import MLPClassifier, _hidden_sizes

    network = MLPClassifier(**{**FAST_NETWORK, **estimator_params})
    network._validate_params()
    _hidden_sizes(network.hidden_layer_sizes)
    network._validation_fraction()
    _encode_class_weight(network.class_weight, classes)
    n_classes = len(classes)
    if "loss" in estimator_params:
        # The resolver of the fit; the logit-adjusted loss needs a prior
        # (here a uniform one: only its parameters are checked).
        network.n_classes_ = n_classes
        network.class_prior_ = np.full(n_classes, 1.0 / n_classes)
        network._make_loss(None)


def _check_numbers(X) -> None:
    """X is finite numbers, as the default preprocessor (StandardScaler) and
    the network take: text columns failed every strategy's fit, one message
    per strategy, and a NaN in a test fold stopped the run."""
    if issparse(X):
        raise TypeError(
            "X is a sparse matrix; without a preprocessor compare_strategies "
            "needs dense numbers (StandardScaler centres them and the network "
            "takes dense arrays): pass X.toarray(), or a preprocessor that "
            "turns X into dense features."
        )
    try:
        check_array(X, input_name="X")
    except ValueError as exc:
        raise ValueError(
            f"{str(exc).splitlines()[0].rstrip('.: ')}. Without a preprocessor, "
            "compare_strategies needs X as a 2-D table of finite numbers "
            "(it scales it with StandardScaler): encode text columns and impute "
            "missing values first, or pass a preprocessor (e.g. a "
            "ColumnTransformer with SimpleImputer and OneHotEncoder)."
        ) from None


def _check_folds(y, folds):
    """Two classes at least, each with a sample in every test fold.

    With fewer samples than folds, some test folds cannot score the class,
    and with one sample a training set lacks it and its fit fails. (The
    ``skimb`` command spells ``folds=3`` in these messages as ``--folds 3``.)
    """
    labels = np.unique(y)
    if len(labels) < 2:
        raise ValueError(
            f"The target has a single class ({[_plain(v) for v in labels]}); "
            "a classifier needs at least two."
        )
    label, count = _smallest_class(y)
    if count < folds:
        fix = f"use folds={count} or add" if count >= 2 else "add"
        raise ValueError(
            f"The class {_plain(label)!r} has {count} sample(s), fewer than "
            f"folds={folds}: stratified cross-validation needs at least that "
            f"many samples of every class; {fix} samples of that class."
        )


def _plain(value):
    """A NumPy scalar as the Python value it holds (for display)."""
    return value.item() if hasattr(value, "item") else value


def _config(strategies, folds, random_state, estimator_params, n_samples) -> dict:
    import imblearn
    import keras
    import sklearn

    from . import __version__

    return {
        "strategies": {s: STRATEGIES[s] for s in strategies},
        "folds": folds,
        "cv": "StratifiedKFold(shuffle=True)",
        "random_state": random_state,
        "n_samples": n_samples,
        "network": {**FAST_NETWORK, **(estimator_params or {})},
        "ensemble_members": _N_ESTIMATORS,
        "versions": {
            "skimb": __version__,
            "scikit-learn": sklearn.__version__,
            "imbalanced-learn": imblearn.__version__,
            "keras": keras.__version__,
        },
    }


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
