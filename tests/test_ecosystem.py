"""skimb estimators inside the scikit-learn and imbalanced-learn ecosystem.

Each test fits real (small) imbalanced data through a tool of the ecosystem
(samplers in pipelines, searches, ensembles, calibration, threshold tuning,
persistence) and checks an outcome: a score, a shape, identical predictions.
"""

import re
from collections import Counter

import joblib
import numpy as np
import pytest
from imblearn.combine import SMOTEENN, SMOTETomek
from imblearn.ensemble import (
    BalancedBaggingClassifier,
    EasyEnsembleClassifier,
    RUSBoostClassifier,
)
from imblearn.over_sampling import ADASYN, SMOTE, RandomOverSampler
from imblearn.pipeline import Pipeline, make_pipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import (
    AdaBoostClassifier,
    BaggingClassifier,
    StackingClassifier,
    VotingClassifier,
)
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    balanced_accuracy_score,
    brier_score_loss,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import (
    GridSearchCV,
    RandomizedSearchCV,
    StratifiedKFold,
    TunedThresholdClassifierCV,
    cross_validate,
    learning_curve,
    train_test_split,
)
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_sample_weight

from skimb import KerasClassifier, MLPClassifier
from skimb.metrics import SCORER_NAMES, imbalance_report, imbalanced_scoring

from .conftest import SmallNetwork, run_python


def _mlp(**params):
    """A small, fast MLPClassifier."""
    defaults = {
        "hidden_layer_sizes": (16,),
        "max_iter": 15,
        "learning_rate_init": 0.01,
        "batch_size": 32,
        "random_state": 0,
    }
    return MLPClassifier(**{**defaults, **params})


def _keras(**params):
    """A small, fast KerasClassifier on the SmallNetwork build function."""
    defaults = {"epochs": 10, "optimizer__learning_rate": 0.01, "random_state": 0}
    return KerasClassifier(SmallNetwork(), **{**defaults, **params})


@pytest.fixture(scope="module")
def data():
    """A harder 90:10 problem (overlapping classes, 2% label noise), split 2:1."""
    X, y = _hard_problem()
    return train_test_split(X, y, test_size=1 / 3, stratify=y, random_state=0)


def _hard_problem(n_samples=450):
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=n_samples,
        n_features=8,
        n_informative=3,
        n_redundant=1,
        n_clusters_per_class=1,
        weights=[0.9, 0.1],
        class_sep=1.0,
        flip_y=0.02,
        random_state=0,
    )
    return X.astype(np.float32), y


def _minority_f1(estimator, X, y):
    return f1_score(y, estimator.predict(X), pos_label=1)


def _fed_fits(fed_arrays):
    """The ``y`` and ``sample_weight`` skimb fed Keras, one dict per fit
    (none of these fits holds out validation data)."""
    return [{"y": np.asarray(y), "w": np.asarray(w)} for (_, y, w), _ in fed_arrays]


# ----------------------------------------------------------------------
# Samplers in imblearn pipelines


SAMPLERS = [
    RandomOverSampler(random_state=0),
    RandomUnderSampler(random_state=0),
    SMOTE(random_state=0),
    ADASYN(random_state=0),
    SMOTEENN(random_state=0),
    SMOTETomek(random_state=0),
]


@pytest.mark.parametrize("sampler", SAMPLERS, ids=lambda s: type(s).__name__)
def test_sampler_pipeline_weights_resampled_y(data, sampler, fed_arrays):
    """Behind a sampler, class weights are computed on the resampled y."""
    X_train, X_test, y_train, y_test = data
    pipe = make_pipeline(StandardScaler(), clone(sampler), _mlp()).fit(X_train, y_train)
    # The network saw exactly what the sampler makes of the scaled data.
    _, y_resampled = clone(sampler).fit_resample(
        StandardScaler().fit_transform(X_train), y_train
    )
    (call,) = _fed_fits(fed_arrays)
    assert Counter(call["y"].tolist()) == Counter(y_resampled.tolist())
    assert len(call["y"]) != len(y_train)
    # Its weights are "balanced" weights of the resampled y, mean one.
    expected = compute_sample_weight("balanced", call["y"])
    np.testing.assert_allclose(call["w"], expected / expected.mean(), rtol=1e-6)
    if type(sampler) in (RandomOverSampler, RandomUnderSampler, SMOTE):
        # These balance the classes exactly, so every weight is one.
        np.testing.assert_allclose(call["w"], 1.0, rtol=1e-6)
    # The resampled training balances recall: most minority samples are found.
    y_pred = pipe.predict(X_test)
    assert recall_score(y_test, y_pred) >= 0.6
    assert balanced_accuracy_score(y_test, y_pred) >= 0.7


def test_named_pipeline_with_keras_classifier(data, fed_arrays):
    """Pipeline([...]) with SMOTE before a KerasClassifier; params route through."""
    X_train, X_test, y_train, y_test = data
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("smote", SMOTE(random_state=0)),
            ("net", _keras()),
        ]
    )
    pipe.set_params(net__model__hidden=8).fit(X_train, y_train)
    assert pipe.named_steps["net"].model_.layers[0].units == 8
    (call,) = _fed_fits(fed_arrays)
    assert np.bincount(call["y"]).tolist() == [np.sum(y_train == 0)] * 2
    np.testing.assert_allclose(call["w"], 1.0, rtol=1e-6)
    assert pipe.predict_proba(X_test).shape == (len(X_test), 2)
    assert balanced_accuracy_score(y_test, pipe.predict(X_test)) >= 0.7


# ----------------------------------------------------------------------
# Model selection


def _assert_same_cv_results(serial, parallel):
    for key, values in serial.cv_results_.items():
        if re.fullmatch(r"(split\d+|mean|std)_test_\w+|rank_test_\w+|params", key):
            assert list(parallel.cv_results_[key]) == list(values), key


@pytest.mark.slow
def test_grid_search_imbalanced_scoring_serial_equals_parallel(data):
    """GridSearchCV over MLP parameters: n_jobs=1 and n_jobs=2 score alike."""
    X_train, X_test, y_train, y_test = data
    grid = {
        "hidden_layer_sizes": [(8,), (16,)],
        "class_weight": [None, "balanced"],
        "max_iter": [10],
    }
    searches = [
        GridSearchCV(
            _mlp(),
            grid,
            scoring=imbalanced_scoring(),
            refit="f1",
            cv=3,
            n_jobs=n_jobs,
            error_score="raise",
        ).fit(X_train, y_train)
        for n_jobs in (1, 2)
    ]
    serial, parallel = searches
    _assert_same_cv_results(serial, parallel)
    assert set(f"mean_test_{name}" for name in SCORER_NAMES) <= set(serial.cv_results_)
    assert serial.best_index_ == np.argmax(serial.cv_results_["mean_test_f1"])
    assert serial.best_score_ == serial.cv_results_["mean_test_f1"][serial.best_index_]
    assert serial.best_score_ >= 0.5
    np.testing.assert_array_equal(
        serial.predict_proba(X_test), parallel.predict_proba(X_test)
    )
    assert _minority_f1(serial, X_test, y_test) >= 0.5


@pytest.mark.slow
def test_randomized_search_routed_parameters_serial_equals_parallel(data):
    """RandomizedSearchCV over model__hidden and epochs: n_jobs=1 equals 2."""
    X_train, X_test, y_train, y_test = data
    distributions = {
        "model__hidden": [4, 8, 16],
        "epochs": [5, 10],
        "class_weight": [None, "balanced"],
    }
    searches = [
        RandomizedSearchCV(
            _keras(),
            distributions,
            n_iter=3,
            scoring=imbalanced_scoring(),
            refit="f1",
            cv=3,
            n_jobs=n_jobs,
            random_state=0,
            error_score="raise",
        ).fit(X_train, y_train)
        for n_jobs in (1, 2)
    ]
    serial, parallel = searches
    _assert_same_cv_results(serial, parallel)
    best = serial.best_estimator_
    assert best.model_.layers[0].units == serial.best_params_["model__hidden"]
    assert best.n_iter_ == serial.best_params_["epochs"]
    assert serial.best_score_ >= 0.5
    assert _minority_f1(serial, X_test, y_test) >= 0.5


def test_cross_validate_imbalanced_scoring(data):
    """cross_validate with imbalanced_scoring gives every score for each fold."""
    X_train, _, y_train, _ = data
    scores = cross_validate(
        _mlp(), X_train, y_train, cv=3, scoring=imbalanced_scoring()
    )
    for name in SCORER_NAMES:
        assert scores[f"test_{name}"].shape == (3,)
        assert np.all((scores[f"test_{name}"] >= 0) & (scores[f"test_{name}"] <= 1))
    assert scores["test_f1"].mean() >= 0.4
    assert scores["test_balanced_accuracy"].mean() >= 0.7
    assert scores["test_average_precision"].mean() >= 0.5


@pytest.mark.slow
def test_learning_curve(data):
    """learning_curve with the minority-F1 scorer: shapes, and scores far
    above chance (predicting the minority class everywhere scores F1 ~0.18;
    balanced class weights trade precision for recall, so F1 stays near 0.5,
    as for a class-weighted logistic regression on this data)."""
    X_train, _, y_train, _ = data
    sizes, train_scores, test_scores = learning_curve(
        _mlp(),
        X_train,
        y_train,
        train_sizes=[0.3, 0.6, 1.0],
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        scoring=imbalanced_scoring()["f1"],
        shuffle=True,
        random_state=0,
    )
    assert sizes.tolist() == [60, 120, 200]
    assert train_scores.shape == test_scores.shape == (3, 3)
    assert np.all(np.isfinite(test_scores))
    assert test_scores[-1].mean() >= 0.4


# ----------------------------------------------------------------------
# Ensembles


@pytest.mark.parametrize(
    "make_ensemble",
    [
        lambda: BalancedBaggingClassifier(_mlp(), n_estimators=3, random_state=0),
        lambda: EasyEnsembleClassifier(
            n_estimators=3, estimator=_mlp(), random_state=0
        ),
        lambda: RUSBoostClassifier(_mlp(), n_estimators=3, random_state=0),
        lambda: BaggingClassifier(_keras(), n_estimators=3, random_state=0),
    ],
    ids=["BalancedBagging", "EasyEnsemble", "RUSBoost", "Bagging"],
)
def test_ensemble_of_skimb_estimators(data, make_ensemble):
    """imblearn's and scikit-learn's ensembles fit skimb base estimators."""
    X_train, X_test, y_train, y_test = data
    ensemble = make_ensemble().fit(X_train, y_train)
    assert 1 <= len(ensemble.estimators_) <= 3
    fitted = ensemble.estimators_[0]
    assert hasattr(fitted, "classes_")
    proba = ensemble.predict_proba(X_test)
    assert proba.shape == (len(X_test), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert balanced_accuracy_score(y_test, ensemble.predict(X_test)) >= 0.75
    assert _minority_f1(ensemble, X_test, y_test) >= 0.4


def test_bagging_with_bags_missing_the_rare_class():
    """Bags that drew no row of a rare class fit, with a warning, as in sklearn.

    BaggingClassifier passes bootstrap counts as sample_weight; with two rare
    rows in 100, some bags give that class no weight. skimb used to raise
    there, so the whole ensemble failed where LogisticRegression fits.
    """
    rng = np.random.RandomState(0)
    X = rng.randn(100, 4)
    y = np.zeros(100, dtype=int)
    y[:2] = 1
    X[:2] += 3
    bagging = BaggingClassifier(
        _mlp(hidden_layer_sizes=(4,), max_iter=3), n_estimators=4, random_state=2
    )
    with pytest.warns(UserWarning, match=r"only class \[0\] has a positive"):
        bagging.fit(X, y)
    rare_per_bag = [np.count_nonzero(y[rows]) for rows in bagging.estimators_samples_]
    assert min(rare_per_bag) == 0 < max(rare_per_bag)  # the test made such bags
    proba = bagging.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # Weights that are zero everywhere are still an error.
    with pytest.raises(ValueError, match="at least one non-zero"):
        _mlp().fit(X, y, sample_weight=np.zeros(len(y)))


def test_adaboost_reweights_samples(data, fed_arrays):
    """AdaBoost's sample_weight reaches Keras, times the balanced class weights."""
    X_train, X_test, y_train, y_test = data
    boost = AdaBoostClassifier(_mlp(), n_estimators=3, random_state=0).fit(
        X_train, y_train
    )
    fits = _fed_fits(fed_arrays)
    assert len(fits) == len(boost.estimators_) >= 2
    first, second = fits[0]["w"], fits[1]["w"]
    # First round: uniform boosting weights, so each class has one weight.
    for label in (0, 1):
        assert np.ptp(first[y_train == label]) < 1e-5
    # Second round: the misclassified samples weigh more than the others.
    assert max(np.ptp(second[y_train == label]) for label in (0, 1)) > 0.1
    assert balanced_accuracy_score(y_test, boost.predict(X_test)) >= 0.75


def test_stacking_mlp_and_keras(data):
    """StackingClassifier over an MLPClassifier and a KerasClassifier."""
    X_train, X_test, y_train, y_test = data
    stack = StackingClassifier(
        [("mlp", _mlp()), ("net", _keras())],
        final_estimator=LogisticRegression(class_weight="balanced"),
        cv=StratifiedKFold(2, shuffle=True, random_state=0),
    ).fit(X_train, y_train)
    # One probability column per base estimator for a binary problem.
    assert stack.transform(X_test).shape == (len(X_test), 2)
    assert balanced_accuracy_score(y_test, stack.predict(X_test)) >= 0.75


def test_soft_voting_averages_probabilities(data):
    """VotingClassifier(voting="soft") averages the skimb probabilities."""
    X_train, X_test, y_train, y_test = data
    vote = VotingClassifier([("mlp", _mlp()), ("net", _keras())], voting="soft").fit(
        X_train, y_train
    )
    expected = np.mean([est.predict_proba(X_test) for est in vote.estimators_], 0)
    np.testing.assert_allclose(vote.predict_proba(X_test), expected, rtol=1e-12)
    assert balanced_accuracy_score(y_test, vote.predict(X_test)) >= 0.75


# ----------------------------------------------------------------------
# Calibration, threshold tuning, frozen estimators


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_calibrated_classifier(data, method):
    """CalibratedClassifierCV: calibrated probabilities beat the weighted ones."""
    X_train, X_test, y_train, y_test = data
    calibrated = CalibratedClassifierCV(
        _mlp(), method=method, cv=StratifiedKFold(3, shuffle=True, random_state=0)
    ).fit(X_train, y_train)
    assert len(calibrated.calibrated_classifiers_) == 3
    proba = calibrated.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # Balanced weights inflate the minority probability; calibration undoes
    # that, so the Brier score drops.
    raw = _mlp().fit(X_train, y_train).predict_proba(X_test)[:, 1]
    assert brier_score_loss(y_test, proba[:, 1]) < brier_score_loss(y_test, raw)
    assert brier_score_loss(y_test, proba[:, 1]) < 0.08


def test_tuned_threshold_classifier(data):
    """TunedThresholdClassifierCV(scoring="f1") moves the threshold of skimb."""
    X_train, X_test, y_train, y_test = data
    tuned = TunedThresholdClassifierCV(
        _mlp(),
        scoring="f1",
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        random_state=0,
    ).fit(X_train, y_train)
    assert 0 < tuned.best_threshold_ < 1
    proba = tuned.estimator_.predict_proba(X_test)[:, 1]
    np.testing.assert_array_equal(
        tuned.predict(X_test), (proba >= tuned.best_threshold_).astype(int)
    )
    untuned = f1_score(y_test, tuned.estimator_.predict(X_test))
    tuned_f1 = f1_score(y_test, tuned.predict(X_test))
    assert tuned.best_threshold_ != 0.5 or tuned_f1 >= untuned
    assert tuned_f1 >= 0.5


def test_frozen_estimator(data):
    """FrozenEstimator keeps a fitted skimb estimator as it is, even when refit."""
    X_train, X_test, y_train, y_test = data
    X_fit, X_calib, y_fit, y_calib = train_test_split(
        X_train, y_train, test_size=0.5, stratify=y_train, random_state=0
    )
    clf = _mlp().fit(X_fit, y_fit)
    frozen = FrozenEstimator(clf)
    expected = clf.predict_proba(X_test)
    np.testing.assert_array_equal(frozen.predict_proba(X_test), expected)
    np.testing.assert_array_equal(frozen.predict(X_test), clf.predict(X_test))
    # Calibration on held-out data (the successor of cv="prefit").
    calibrated = CalibratedClassifierCV(frozen, method="sigmoid").fit(X_calib, y_calib)
    np.testing.assert_array_equal(clf.predict_proba(X_test), expected)
    assert calibrated.calibrated_classifiers_[0].estimator is frozen
    # The sigmoid is monotonic: the ranking (ROC AUC) is kept, while the
    # probabilities inflated by the balanced weights come closer to the truth.
    calibrated_proba = calibrated.predict_proba(X_test)
    np.testing.assert_allclose(calibrated_proba.sum(axis=1), 1.0)
    calibrated_proba = calibrated_proba[:, 1]
    assert roc_auc_score(y_test, calibrated_proba) == pytest.approx(
        roc_auc_score(y_test, expected[:, 1]), abs=1e-9
    )
    assert roc_auc_score(y_test, calibrated_proba) >= 0.8
    assert brier_score_loss(y_test, calibrated_proba) < brier_score_loss(
        y_test, expected[:, 1]
    )


# ----------------------------------------------------------------------
# Persistence


@pytest.mark.slow
def test_fitted_pipeline_and_search_load_in_another_process(data, tmp_path):
    """A fitted SMOTE pipeline and GridSearchCV reload elsewhere, same proba."""
    X_train, X_test, y_train, _ = data
    pipe = make_pipeline(StandardScaler(), SMOTE(random_state=0), _mlp())
    pipe.fit(X_train, y_train)
    search = GridSearchCV(
        clone(pipe),
        {"mlpclassifier__hidden_layer_sizes": [(8,), (16,)]},
        scoring=imbalanced_scoring(),
        refit="f1",
        cv=3,
    ).fit(X_train, y_train)
    joblib.dump(pipe, tmp_path / "pipe.joblib")
    joblib.dump(search, tmp_path / "search.joblib")
    np.save(tmp_path / "X.npy", X_test)
    run_python(
        """
        import joblib, numpy as np
        X = np.load("X.npy")
        for name in ("pipe", "search"):
            model = joblib.load(name + ".joblib")
            np.save(name + "_proba.npy", model.predict_proba(X))
        search = joblib.load("search.joblib")
        print(sorted(search.scorer_))
        """,
        cwd=tmp_path,
    )
    np.testing.assert_array_equal(
        np.load(tmp_path / "pipe_proba.npy"), pipe.predict_proba(X_test)
    )
    np.testing.assert_array_equal(
        np.load(tmp_path / "search_proba.npy"), search.predict_proba(X_test)
    )


# ----------------------------------------------------------------------
# Reporting


def test_imbalance_report_on_real_predictions(data):
    """imbalance_report shows each class, matching scikit-learn's metrics."""
    X_train, X_test, y_train, y_test = data
    y_pred = _mlp().fit(X_train, y_train).predict(X_test)
    report = imbalance_report(y_test, y_pred, digits=3)
    rows = {
        line.split()[0]: line.split()[1:]
        for line in report.splitlines()
        if line.strip() and line.split()[0] in ("0", "1")
    }
    assert set(rows) == {"0", "1"}
    pre, rec, _, f1, *_, support = rows["1"]
    assert float(pre) == pytest.approx(precision_score(y_test, y_pred), abs=5e-4)
    assert float(rec) == pytest.approx(recall_score(y_test, y_pred), abs=5e-4)
    assert float(f1) == pytest.approx(f1_score(y_test, y_pred), abs=5e-4)
    assert int(support) == np.sum(y_test == 1)
    assert float(rec) >= 0.6
