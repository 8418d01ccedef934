"""Tests of the imbalanced scorers and report, against sklearn/imblearn calls.

Only scikit-learn estimators are used, so this file does not import TensorFlow.
"""

import pickle

import joblib
import numpy as np
import pytest
from imblearn.metrics import classification_report_imbalanced, geometric_mean_score
from sklearn import config_context
from sklearn.base import clone
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    f1_score,
    precision_score,
    recall_score,
)
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    cross_validate,
    train_test_split,
)
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC

from skimb.metrics import SCORER_NAMES, imbalance_report, imbalanced_scoring

LABEL_METRICS = {"f1": f1_score, "recall": recall_score, "precision": precision_score}


def _binary_data(majority="common", minority="rare", seed=1):
    """A 90:10 binary problem with string labels, split into train and test."""
    X, y = make_classification(
        n_samples=600,
        n_features=6,
        n_informative=3,
        n_redundant=1,
        weights=[0.9, 0.1],
        class_sep=1.0,
        flip_y=0.02,
        random_state=seed,
    )
    y = np.where(y == 1, minority, majority)
    return train_test_split(X, y, test_size=0.4, stratify=y, random_state=seed)


def _multiclass_data(seed=0):
    """A 70:20:10 three-class problem with integer labels, train and test."""
    X, y = make_classification(
        n_samples=600,
        n_features=8,
        n_informative=4,
        n_classes=3,
        n_clusters_per_class=1,
        weights=[0.7, 0.2, 0.1],
        class_sep=0.8,
        random_state=seed,
    )
    return train_test_split(X, y, test_size=0.4, stratify=y, random_state=seed)


def _hand_binary_scores(estimator, X, y, pos, sample_weight=None):
    """Every metric of imbalanced_scoring computed directly, scoring ``pos``."""
    w = {"sample_weight": sample_weight}
    pred = estimator.predict(X)
    column = list(estimator.classes_).index(pos)
    if hasattr(estimator, "predict_proba"):
        score = estimator.predict_proba(X)[:, column]
    else:
        decision = estimator.decision_function(X)
        score = decision if column == 1 else -decision
    return {
        "f1": f1_score(y, pred, pos_label=pos, zero_division=0, **w),
        "recall": recall_score(y, pred, pos_label=pos, zero_division=0, **w),
        "precision": precision_score(y, pred, pos_label=pos, zero_division=0, **w),
        "balanced_accuracy": balanced_accuracy_score(y, pred, **w),
        "geometric_mean": geometric_mean_score(y, pred, **w),
        "average_precision": average_precision_score(y == pos, score, **w),
    }


@pytest.fixture(scope="module")
def binary_fit():
    """A LogisticRegression fitted on the common/rare problem, and test data."""
    X_train, X_test, y_train, y_test = _binary_data()
    model = LogisticRegression().fit(X_train, y_train)
    return model, X_test, y_test


def test_scoring_keys_are_scorer_names():
    """imbalanced_scoring() has exactly the keys of SCORER_NAMES, in order."""
    scoring = imbalanced_scoring()
    assert tuple(scoring) == SCORER_NAMES
    assert set(SCORER_NAMES) == {
        "f1",
        "recall",
        "precision",
        "balanced_accuracy",
        "geometric_mean",
        "average_precision",
    }
    assert all(callable(s) for s in scoring.values())


def test_scorers_pickle_round_trip(binary_fit):
    """Each scorer survives pickle and gives the same score afterwards."""
    model, X, y = binary_fit
    for name, scorer in imbalanced_scoring().items():
        restored = pickle.loads(pickle.dumps(scorer))
        assert restored(model, X, y) == scorer(model, X, y), name
    with_label = imbalanced_scoring(pos_label="common")["f1"]
    restored = pickle.loads(pickle.dumps(with_label))
    assert restored.pos_label == "common"
    assert restored(model, X, y) == with_label(model, X, y)


@pytest.mark.parametrize(
    ("majority", "minority"), [("common", "rare"), ("usual", "rare")]
)
def test_binary_scores_match_hand_calls(majority, minority):
    """String labels: each scorer equals the sklearn/imblearn call on the minority.

    With "usual"/"rare" the minority is the first column of predict_proba.
    """
    X_train, X_test, y_train, y_test = _binary_data(majority, minority)
    model = LogisticRegression().fit(X_train, y_train)
    assert np.count_nonzero(y_test == minority) < np.count_nonzero(y_test == majority)
    expected = _hand_binary_scores(model, X_test, y_test, minority)
    got = {name: s(model, X_test, y_test) for name, s in imbalanced_scoring().items()}
    assert all(isinstance(v, float) for v in got.values())
    for name in SCORER_NAMES:
        assert got[name] == pytest.approx(expected[name], rel=1e-12), name
    # The minority scores differ from the majority ones: the choice matters.
    majority_f1 = f1_score(y_test, model.predict(X_test), pos_label=majority)
    assert got["f1"] != pytest.approx(majority_f1)


def test_geometric_mean_hand_computed(binary_fit):
    """geometric_mean is sqrt(sensitivity * specificity) of the predictions."""
    model, X, y = binary_fit
    pred = model.predict(X)
    sensitivity = np.mean(pred[y == "rare"] == "rare")
    specificity = np.mean(pred[y == "common"] == "common")
    got = imbalanced_scoring()["geometric_mean"](model, X, y)
    assert got == pytest.approx(np.sqrt(sensitivity * specificity), rel=1e-12)
    ba = imbalanced_scoring()["balanced_accuracy"](model, X, y)
    assert ba == pytest.approx((sensitivity + specificity) / 2, rel=1e-12)


def test_explicit_pos_label_overrides_minority(binary_fit):
    """pos_label='common' scores the majority class instead of the minority."""
    model, X, y = binary_fit
    expected = _hand_binary_scores(model, X, y, "common")
    minority = _hand_binary_scores(model, X, y, "rare")
    scoring = imbalanced_scoring(pos_label="common")
    for name in SCORER_NAMES:
        assert scoring[name](model, X, y) == pytest.approx(expected[name], rel=1e-12)
    for name in ("f1", "recall", "precision", "average_precision"):
        assert expected[name] != pytest.approx(minority[name]), name


@pytest.mark.parametrize("name", SCORER_NAMES)
def test_pos_label_that_is_not_a_class(binary_fit, name):
    """A pos_label the estimator does not have is a ValueError naming the
    classes, for every scorer that uses it (average precision raised a bare
    IndexError)."""
    model, X, y = binary_fit
    scorer = imbalanced_scoring(pos_label="Rare")[name]
    if name in ("balanced_accuracy", "geometric_mean"):  # take no pos_label
        assert scorer(model, X, y) == imbalanced_scoring()[name](model, X, y)
        return
    with pytest.raises(ValueError, match=r"pos_label='Rare' is not a class of"):
        scorer(model, X, y)


def test_geometric_mean_of_a_binary_fold_with_one_class(binary_fit):
    """A binary test fold holding one class: G-mean is that class's recall,
    as balanced accuracy takes it (it was 0: the other class's recall, with
    no sample, counted as zero)."""
    model, X, y = binary_fit
    common = y == "common"
    assert 0 < (model.predict(X[common]) == "common").mean() < 1
    scoring = imbalanced_scoring()
    got = scoring["geometric_mean"](model, X[common], y[common])
    recall = (model.predict(X[common]) == "common").mean()
    assert got == pytest.approx(recall, rel=1e-12)
    with pytest.warns(UserWarning, match="y_pred contains classes not in y_true"):
        balanced = scoring["balanced_accuracy"](model, X[common], y[common])
    assert got == pytest.approx(balanced, rel=1e-12)


def test_binary_fold_without_the_minority_scores_it_zero(binary_fit):
    """A binary test fold of the majority only: f1, recall, precision and AP
    score the minority it lacks (0, as scikit-learn's scorers with
    pos_label="rare"), not the majority (F1 near 1)."""
    model, X, y = binary_fit
    common = y == "common"
    scoring = imbalanced_scoring()
    for name, metric in LABEL_METRICS.items():
        expected = metric(
            y[common], model.predict(X[common]), pos_label="rare", zero_division=0
        )
        assert scoring[name](model, X[common], y[common]) == expected == 0
    with pytest.warns(UserWarning, match="No positive class found"):
        assert scoring["average_precision"](model, X[common], y[common]) == 0


@pytest.mark.parametrize("prior", [True, False])
def test_minority_the_training_fold_lacked_is_scored(prior):
    """An estimator fitted on the majority alone (a training fold without
    the minority), scored on a fold of both: the fold's minority is scored,
    never predicted (F1 0, chance-level AP), not the estimator's one class
    (F1 0.89, "precision" 0.8 for the majority)."""
    from sklearn.dummy import DummyClassifier

    X = np.zeros((10, 1))
    y = np.array(["common"] * 8 + ["rare"] * 2)
    model = DummyClassifier(strategy="constant", constant="common")
    model.fit(X[:8], y[:8])
    if not prior:  # the branch for estimators that keep no class prior
        model.class_prior_ = None
    scoring = imbalanced_scoring()
    for name in ("f1", "recall", "precision"):
        assert scoring[name](model, X, y) == 0
    assert scoring["average_precision"](model, X, y) == pytest.approx(0.2)


def test_fold_of_one_class_scores_the_estimators_minority(binary_fit):
    """A fold of the minority only (LeaveOneOut, GroupKFold): an estimator
    that keeps its class prior names its minority, so the fold scores the
    class present, as make_scorer(f1_score, pos_label="rare") does; without
    a prior the class the fold lacks is scored."""
    from sklearn.naive_bayes import GaussianNB
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    _, X, y = binary_fit
    rare = y == "rare"
    for model in (GaussianNB(), make_pipeline(StandardScaler(), GaussianNB())):
        model.fit(X, y)
        predicted = model.predict(X[rare])
        assert 0 < np.mean(predicted == "rare") < 1
        expected = f1_score(y[rare], predicted, pos_label="rare")
        assert imbalanced_scoring()["f1"](model, X[rare], y[rare]) == expected > 0


def test_scorers_in_threshold_tuning_say_what_to_pass(binary_fit):
    """TunedThresholdClassifierCV reads make_scorer's private _score_func;
    skimb's scorers, which pick their class per fold, say to pass a
    scikit-learn scorer (it was an AttributeError)."""
    from sklearn.model_selection import TunedThresholdClassifierCV

    model, X, y = binary_fit
    tuner = TunedThresholdClassifierCV(model, scoring=imbalanced_scoring()["f1"])
    with pytest.raises(TypeError, match="give it a scikit-learn scorer|scoring='f1'"):
        tuner.fit(X, y)
    # hasattr is False, so LogisticRegressionCV (which asks it) still works.
    from sklearn.linear_model import LogisticRegressionCV

    # Newer scikit-learn warns that the defaults of these two will change.
    new_api = "use_legacy_attributes" in LogisticRegressionCV().get_params()
    settings = {"l1_ratios": (0.0,), "use_legacy_attributes": False} if new_api else {}
    search = LogisticRegressionCV(
        Cs=2, cv=2, scoring=imbalanced_scoring()["f1"], **settings
    ).fit(X, y)
    scores = search.scores_ if new_api else np.stack(list(search.scores_.values()))
    assert scores.size and np.isfinite(scores).all()


def test_multiclass_scores_are_macro_averages():
    """Three classes: f1/recall/precision macro, AP the macro one-vs-rest AP."""
    X_train, X_test, y_train, y_test = _multiclass_data()
    model = LogisticRegression().fit(X_train, y_train)
    pred = model.predict(X_test)
    proba = model.predict_proba(X_test)
    scoring = imbalanced_scoring()
    for name, metric in LABEL_METRICS.items():
        expected = metric(y_test, pred, average="macro", zero_division=0)
        assert scoring[name](model, X_test, y_test) == pytest.approx(
            expected, rel=1e-12
        ), name
        # Macro = plain mean of the per-class values.
        per_class = metric(y_test, pred, average=None, zero_division=0)
        assert expected == pytest.approx(per_class.mean(), rel=1e-12)
    per_class_ap = [
        average_precision_score(y_test == c, proba[:, i])
        for i, c in enumerate(model.classes_)
    ]
    got_ap = scoring["average_precision"](model, X_test, y_test)
    assert got_ap == pytest.approx(np.mean(per_class_ap), rel=1e-12)
    assert scoring["balanced_accuracy"](model, X_test, y_test) == pytest.approx(
        balanced_accuracy_score(y_test, pred), rel=1e-12
    )
    assert scoring["geometric_mean"](model, X_test, y_test) == pytest.approx(
        geometric_mean_score(y_test, pred), rel=1e-12
    )


def test_multiclass_ignores_pos_label_and_stays_macro():
    """In multiclass problems pos_label does not change the macro scores."""
    X_train, X_test, y_train, y_test = _multiclass_data()
    model = LogisticRegression().fit(X_train, y_train)
    default = imbalanced_scoring()
    given = imbalanced_scoring(pos_label=2)
    for name in SCORER_NAMES:
        assert given[name](model, X_test, y_test) == default[name](
            model, X_test, y_test
        )


def test_multiclass_pos_label_that_is_not_a_class():
    """A pos_label that is no label of a multiclass problem (a misspelling)
    is a ValueError, as in binary problems; it was ignored silently."""
    X_train, X_test, y_train, y_test = _multiclass_data()
    model = LogisticRegression().fit(X_train, y_train)
    for name, scorer in imbalanced_scoring(pos_label="2").items():
        if name in ("balanced_accuracy", "geometric_mean"):  # take no pos_label
            continue
        with pytest.raises(ValueError, match=r"pos_label='2' is not a class of"):
            scorer(model, X_test, y_test)


def test_fold_without_a_class_scores_like_sklearn_macro():
    """A class missing from the training fold, or from the test fold, is
    scored as scikit-learn's macro scorers score it: not a binary score of a
    three-class y (an error, so NaN), nor a zero for a class with no test
    sample."""
    X_train, X_test, y_train, y_test = _multiclass_data()
    scoring = imbalanced_scoring()
    rare = np.unique(y_train)[-1]
    lacking = LogisticRegression().fit(
        X_train[y_train != rare], y_train[y_train != rare]
    )
    full = LogisticRegression().fit(X_train, y_train)
    for model, X, y in [
        (lacking, X_test, y_test),  # the test fold has a class the model lacks
        (full, X_test[y_test != rare], y_test[y_test != rare]),  # and vice versa
    ]:
        pred = model.predict(X)
        for name, metric in LABEL_METRICS.items():
            expected = metric(y, pred, average="macro", zero_division=0)
            assert scoring[name](model, X, y) == pytest.approx(expected), name
        present = np.isin(model.classes_, y)
        expected_ap = np.mean(
            [
                average_precision_score(y == c, model.predict_proba(X)[:, i])
                for i, c in enumerate(model.classes_)
                if present[i]
            ]
        )
        assert scoring["average_precision"](model, X, y) == pytest.approx(expected_ap)
        assert scoring["geometric_mean"](model, X, y) == pytest.approx(
            geometric_mean_score(y, pred, labels=np.unique(y))
        )
    # Without the rare class in its test fold, the full model's G-mean is
    # that of the two classes scored, not zero.
    assert (
        scoring["geometric_mean"](full, X_test[y_test != rare], y_test[y_test != rare])
        > 0.5
    )


@pytest.mark.parametrize(
    ("majority", "minority"), [("common", "rare"), ("usual", "rare")]
)
def test_average_precision_from_decision_function(majority, minority):
    """LinearSVC has no predict_proba: AP comes from decision_function."""
    X_train, X_test, y_train, y_test = _binary_data(majority, minority)
    model = LinearSVC().fit(X_train, y_train)
    assert not hasattr(model, "predict_proba")
    decision = model.decision_function(X_test)
    # decision_function is positive towards classes_[1].
    sign = 1 if model.classes_[1] == minority else -1
    expected = average_precision_score(y_test == minority, sign * decision)
    got = imbalanced_scoring()["average_precision"](model, X_test, y_test)
    assert got == pytest.approx(expected, rel=1e-12)
    hand = _hand_binary_scores(model, X_test, y_test, minority)
    for name, scorer in imbalanced_scoring().items():
        assert scorer(model, X_test, y_test) == pytest.approx(hand[name], rel=1e-12)


def test_multiclass_average_precision_from_decision_function():
    """Multiclass LinearSVC: macro AP over the decision_function columns."""
    X_train, X_test, y_train, y_test = _multiclass_data()
    model = LinearSVC().fit(X_train, y_train)
    decision = model.decision_function(X_test)
    expected = np.mean(
        [
            average_precision_score(y_test == c, decision[:, i])
            for i, c in enumerate(model.classes_)
        ]
    )
    got = imbalanced_scoring()["average_precision"](model, X_test, y_test)
    assert got == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("n_classes", [3, 4])
@pytest.mark.parametrize("in_pipeline", [False, True])
def test_average_precision_of_a_pairwise_decision_function(n_classes, in_pipeline):
    """SVC(decision_function_shape="ovo") scores pairs of classes, not
    classes: AP is a ValueError that says what to use. Its columns were taken
    for classes, a silently wrong AP with three classes (three pairs) and
    NumPy's IndexError with four (six pairs). The one-vs-rest default works."""
    X, y = make_classification(
        n_samples=200,
        n_features=8,
        n_informative=5,
        n_classes=n_classes,
        n_clusters_per_class=1,
        random_state=0,
    )

    def fitted(svc):
        model = make_pipeline(StandardScaler(), svc) if in_pipeline else svc
        return model.fit(X, y)

    scorer = imbalanced_scoring()["average_precision"]
    with pytest.raises(ValueError, match="one per pair of classes"):
        scorer(fitted(SVC(decision_function_shape="ovo")), X, y)
    assert 0 < scorer(fitted(SVC()), X, y) <= 1
    # In cross_validate only AP fails (a warning and NaN); the others score.
    with pytest.warns(UserWarning, match="one per pair of classes"):
        scores = cross_validate(
            fitted(SVC(decision_function_shape="ovo")),
            X,
            y,
            cv=2,
            scoring=imbalanced_scoring(),
        )
    assert np.isnan(scores["test_average_precision"]).all()
    assert np.isfinite(scores["test_f1"]).all()


def test_multilabel_targets_are_a_clear_error(binary_fit):
    """Multilabel y is a ValueError saying what to use; average precision
    failed with NumPy's "truth value of an array ... is ambiguous". A column
    of labels is scored as its 1-D array."""
    X, Y = make_multilabel_classification(n_samples=60, n_classes=3, random_state=0)
    model = KNeighborsClassifier().fit(X, Y)
    for scorer in imbalanced_scoring().values():
        with pytest.raises(ValueError, match=r"Got y of shape \(60, 3\)"):
            scorer(model, X, Y)
    model, X, y = binary_fit
    for name, scorer in imbalanced_scoring().items():
        assert scorer(model, X, y.reshape(-1, 1)) == scorer(model, X, y), name


def test_scorer_uses_sample_weight(binary_fit):
    """A sample_weight given to a scorer weighs the score, as sklearn's do."""
    model, X, y = binary_fit
    pred = model.predict(X)
    weights = np.where(np.arange(len(y)) % 2 == 0, 3.0, 0.5)
    scoring = imbalanced_scoring()
    got = scoring["f1"](model, X, y, sample_weight=weights)
    expected = f1_score(y, pred, pos_label="rare", sample_weight=weights)
    assert expected != pytest.approx(f1_score(y, pred, pos_label="rare"))
    assert got == pytest.approx(expected, rel=1e-12)
    got = scoring["balanced_accuracy"](model, X, y, sample_weight=weights)
    expected = balanced_accuracy_score(y, pred, sample_weight=weights)
    assert got == pytest.approx(expected, rel=1e-12)


def test_cross_validate_matches_per_fold_hand_scores():
    """cross_validate with imbalanced_scoring gives the hand scores of each fold."""
    X_train, X_test, y_train, y_test = _binary_data()
    X = np.vstack([X_train, X_test])
    y = np.concatenate([y_train, y_test])
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    result = cross_validate(
        LogisticRegression(), X, y, cv=cv, scoring=imbalanced_scoring()
    )
    assert {f"test_{name}" for name in SCORER_NAMES} <= set(result)
    for fold, (train, test) in enumerate(cv.split(X, y)):
        model = clone(LogisticRegression()).fit(X[train], y[train])
        hand = _hand_binary_scores(model, X[test], y[test], "rare")
        for name in SCORER_NAMES:
            assert result[f"test_{name}"][fold] == pytest.approx(
                hand[name], rel=1e-12
            ), (fold, name)


def test_grid_search_refit_f1_and_joblib(tmp_path, binary_fit):
    """GridSearchCV(refit='f1') picks the best mean F1 and survives joblib."""
    X_train, X_test, y_train, y_test = _binary_data()
    search = GridSearchCV(
        LogisticRegression(),
        {"C": [0.001, 0.1, 10.0]},
        scoring=imbalanced_scoring(),
        refit="f1",
        cv=3,
    )
    search.fit(X_train, y_train)
    means = search.cv_results_["mean_test_f1"]
    assert search.best_index_ == int(np.argmax(means))
    assert search.best_score_ == pytest.approx(means.max())
    for name in SCORER_NAMES:
        assert np.all(np.isfinite(search.cv_results_[f"mean_test_{name}"]))
    expected_f1 = f1_score(
        y_test, search.best_estimator_.predict(X_test), pos_label="rare"
    )
    assert search.score(X_test, y_test) == pytest.approx(expected_f1, rel=1e-12)

    path = tmp_path / "search.joblib"
    joblib.dump(search, path)
    loaded = joblib.load(path)
    np.testing.assert_array_equal(loaded.predict(X_test), search.predict(X_test))
    assert loaded.best_params_ == search.best_params_
    assert loaded.score(X_test, y_test) == pytest.approx(expected_f1, rel=1e-12)
    for name in SCORER_NAMES:
        assert loaded.scorer_[name](loaded, X_test, y_test) == search.scorer_[name](
            search, X_test, y_test
        )


def _weights(n):
    """Uneven sample weights that change every weighted score."""
    return np.where(np.arange(n) % 3 == 0, 4.0, 0.5)


def test_set_score_request():
    """set_score_request returns the scorer and sets what it requests, like
    the scorers of make_scorer; the request survives pickling."""
    scorer = imbalanced_scoring()["f1"]
    default = scorer.get_metadata_routing()
    assert default.score.requests == {"sample_weight": None}
    with config_context(enable_metadata_routing=True):
        assert scorer.set_score_request(sample_weight=True) is scorer
        assert scorer.get_metadata_routing().score.requests == {"sample_weight": True}
        restored = pickle.loads(pickle.dumps(scorer))
        assert restored.get_metadata_routing().score.requests == {"sample_weight": True}
        assert repr(restored) == "imbalanced_scorer('f1', pos_label=None)"
        # Unchanged keeps the request; other scorers keep theirs.
        assert scorer.set_score_request() is scorer
        assert scorer.get_metadata_routing().score.requests == {"sample_weight": True}
        assert imbalanced_scoring()["f1"].get_metadata_routing().score.requests == {
            "sample_weight": None
        }
        with pytest.raises(ValueError, match="alias you're setting"):
            scorer.set_score_request(sample_weight=3)
    with pytest.raises(RuntimeError, match="metadata routing is enabled"):
        scorer.set_score_request(sample_weight=True)


def test_cross_validate_routes_sample_weight():
    """With routing on and sample_weight requested, cross_validate weighs each
    fold's scores; unrequested, it is an error as with sklearn's scorers."""
    X_train, X_test, y_train, y_test = _binary_data()
    X = np.vstack([X_train, X_test])
    y = np.concatenate([y_train, y_test])
    weights = _weights(len(y))
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    with config_context(enable_metadata_routing=True):
        model = LogisticRegression().set_fit_request(sample_weight=False)
        with pytest.raises(UnsetMetadataPassedError, match="imbalanced_scorer"):
            cross_validate(
                model,
                X,
                y,
                cv=cv,
                scoring=imbalanced_scoring(),
                params={"sample_weight": weights},
            )
        scoring = {
            name: scorer.set_score_request(sample_weight=True)
            for name, scorer in imbalanced_scoring().items()
        }
        result = cross_validate(
            model, X, y, cv=cv, scoring=scoring, params={"sample_weight": weights}
        )
    changed = set()  # the metrics that the weights change in some fold
    for fold, (train, test) in enumerate(cv.split(X, y)):
        fitted = LogisticRegression().fit(X[train], y[train])
        weighted = _hand_binary_scores(fitted, X[test], y[test], "rare", weights[test])
        unweighted = _hand_binary_scores(fitted, X[test], y[test], "rare")
        for name in SCORER_NAMES:
            assert result[f"test_{name}"][fold] == pytest.approx(
                weighted[name], rel=1e-12
            ), (fold, name)
            if weighted[name] != pytest.approx(unweighted[name]):
                changed.add(name)
    assert changed == set(SCORER_NAMES)


def test_grid_search_weighs_scores_without_routing():
    """Without routing, a search fitted with sample_weight weighs the scores
    of imbalanced_scoring, as it does sklearn's scorers."""
    X, _, y, _ = _binary_data()
    weights = _weights(len(y))
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    search = GridSearchCV(
        LogisticRegression(),
        {"C": [1.0]},
        scoring=imbalanced_scoring(),
        refit="f1",
        cv=cv,
    )
    search.fit(X, y, sample_weight=weights)
    for fold, (train, test) in enumerate(cv.split(X, y)):
        fitted = LogisticRegression().fit(
            X[train], y[train], sample_weight=weights[train]
        )
        hand = _hand_binary_scores(fitted, X[test], y[test], "rare", weights[test])
        for name in SCORER_NAMES:
            got = search.cv_results_[f"split{fold}_test_{name}"][0]
            assert got == pytest.approx(hand[name], rel=1e-12), (fold, name)


def _parse_report(report):
    """The rows of a report as {label: [pre, rec, spe, f1, geo, iba, sup]}."""
    rows = {}
    for line in report.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 8:
            label = " ".join(parts[:-7])
            rows[label] = [float(v) for v in parts[-7:]]
    return rows


def test_imbalance_report_hand_computed():
    """A tiny report: labels, headers and the values computed by hand."""
    report = imbalance_report(["a", "a", "a", "b"], ["a", "a", "b", "b"])
    assert isinstance(report, str)
    header = report.splitlines()[0].split()
    for column in ("pre", "rec", "spe", "f1", "geo"):
        assert column in header
    rows = _parse_report(report)
    assert set(rows) == {"a", "b", "avg / total"}
    g = np.sqrt(2 / 3)
    # a: precision 2/2, recall 2/3, specificity 1/1, F1 0.8, G-mean sqrt(2/3).
    np.testing.assert_allclose(rows["a"][:5], [1.0, 2 / 3, 1.0, 0.8, g], atol=5e-4)
    # b: precision 1/2, recall 1/1, specificity 2/3, F1 2/3, G-mean sqrt(2/3).
    np.testing.assert_allclose(rows["b"][:5], [0.5, 1.0, 2 / 3, 2 / 3, g], atol=5e-4)
    assert rows["a"][6] == 3
    assert rows["b"][6] == 1


def test_imbalance_report_matches_imblearn(binary_fit):
    """Numbers of the report equal classification_report_imbalanced's."""
    model, X, y = binary_fit
    pred = model.predict(X)
    report = imbalance_report(y, pred)
    for label in ("common", "rare"):
        assert label in report
    for column in ("pre", "rec", "spe", "f1", "geo"):
        assert column in report.splitlines()[0].split()
    expected = classification_report_imbalanced(
        y, pred, output_dict=True, zero_division=0
    )
    rows = _parse_report(report)
    for label in ("common", "rare"):
        values = [expected[label][k] for k in ("pre", "rec", "spe", "f1", "geo")]
        np.testing.assert_allclose(rows[label][:5], values, atol=5e-4)
        assert rows[label][6] == expected[label]["sup"]
    assert report == classification_report_imbalanced(
        y, pred, digits=3, zero_division=0
    )


def test_imbalance_report_labels_and_digits():
    """labels= selects and orders the rows; digits= sets the decimals."""
    y_true = [0, 0, 0, 1, 1, 2]
    y_pred = [0, 0, 1, 1, 2, 2]
    report = imbalance_report(y_true, y_pred, labels=[2, 0], digits=2)
    rows = _parse_report(report)
    assert list(rows)[:2] == ["2", "0"]
    assert "1" not in rows
    assert " 1.00 " in report or "1.00" in report.split()
    # class 2: precision 1/2, recall 1/1; class 0: precision 2/2, recall 2/3.
    np.testing.assert_allclose(rows["2"][:2], [0.5, 1.0], atol=5e-3)
    np.testing.assert_allclose(rows["0"][:2], [1.0, 2 / 3], atol=5e-3)
