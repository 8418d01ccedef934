"""scikit-learn's estimator checks on every skimb classifier."""

import pytest
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import parametrize_with_checks

from skimb import ImageEmbedder, KerasClassifier, MLPClassifier, TransferClassifier

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


# The image estimators take images ((n, h, w, c), file paths, or flattened
# rows with input_shape); scikit-learn's checks fit on tables of 1 to 30
# columns, which are not images of any one shape, so most of them cannot run
# (each fails at input validation, and an expected failure would hide real
# ones). The checks of the parameter and construction contract run as they
# are; fitting, pickling, cloning and refitting on images are tested in
# test_transfer.py and test_image_inputs.py.
_CONTRACT_CHECKS = [
    "check_estimator_cloneable",
    "check_estimator_repr",
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
    "check_no_attributes_set_in_init",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_mixin_order",
]


_IMAGE_ESTIMATORS = {
    "TransferClassifier": (
        TransferClassifier(weights=None),
        "check_estimators_unfitted",
    ),
    "ImageEmbedder": (ImageEmbedder(weights=None), "check_transformers_unfitted"),
}


@pytest.mark.parametrize(
    "name, check",
    [
        (name, check)
        for name, (_, unfitted_check) in _IMAGE_ESTIMATORS.items()
        for check in [*_CONTRACT_CHECKS, unfitted_check]
    ],
)
def test_image_estimator_contract(name, check):
    """scikit-learn's contract checks that need no tabular fit."""
    estimator, _ = _IMAGE_ESTIMATORS[name]
    getattr(estimator_checks, check)(name, estimator)
