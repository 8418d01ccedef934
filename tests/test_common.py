"""scikit-learn's estimator checks on every skimb classifier."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skimb import KerasClassifier, MLPClassifier

from .conftest import SmallNetwork

ESTIMATORS = [
    KerasClassifier(SmallNetwork(learning_rate=0.01), epochs=30),
    KerasClassifier(
        SmallNetwork(), model__hidden=32, epochs=20, optimizer__learning_rate=0.01
    ),
    MLPClassifier(hidden_layer_sizes=(32,), max_iter=20, learning_rate_init=0.01),
]


# check_classifiers_one_label_sample_weights zeroes the weights of a class:
# skimb fits and warns, which the check accepts (the warning itself is tested
# in test_ecosystem.py).
@pytest.mark.filterwarnings("ignore:After weighting, only class:UserWarning")
@parametrize_with_checks(
    ESTIMATORS, expected_failed_checks=lambda est: est._expected_failed_checks()
)
def test_sklearn_compatible_estimator(estimator, check):
    """Each skimb classifier passes scikit-learn's estimator checks."""
    check(estimator)
