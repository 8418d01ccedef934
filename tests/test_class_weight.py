"""Tests of the class weighting strategies, against hand-computed values."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.utils.class_weight import compute_class_weight as sk_class_weight

from skimb.class_weight import (
    CLASS_WEIGHT_STRATEGIES,
    compute_class_weight,
    compute_sample_weight,
)

#: 8 samples of class 0 and 2 of class 1: balanced weights 10/16 and 10/4.
Y_82 = np.array([0] * 8 + [1] * 2)
CLASSES_01 = np.array([0, 1])


# --------------------------------------------------------------------------
# compute_class_weight
# --------------------------------------------------------------------------


def test_none_gives_ones():
    """class_weight=None weighs every class 1, whatever the counts."""
    got = compute_class_weight(None, classes=CLASSES_01, y=Y_82)
    np.testing.assert_array_equal(got, [1.0, 1.0])


def test_balanced_hand_computed():
    """'balanced' is n_samples / (n_classes * count): 10/16 and 10/4."""
    got = compute_class_weight("balanced", classes=CLASSES_01, y=Y_82)
    np.testing.assert_allclose(got, [10 / 16, 10 / 4], rtol=1e-12)
    np.testing.assert_allclose(got, [0.625, 2.5], rtol=1e-12)


def test_balanced_matches_sklearn():
    """'balanced' equals sklearn's compute_class_weight('balanced')."""
    y = np.array([2, 0, 1, 1, 2, 2, 2, 0, 2, 2, 1])
    classes = np.array([0, 1, 2])
    got = compute_class_weight("balanced", classes=classes, y=y)
    expected = sk_class_weight("balanced", classes=classes, y=y)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(got, [11 / 6, 11 / 9, 11 / 18], rtol=1e-12)


def test_balanced_sqrt_hand_computed():
    """'balanced_sqrt' is the square root of the balanced weights."""
    got = compute_class_weight("balanced_sqrt", classes=CLASSES_01, y=Y_82)
    np.testing.assert_allclose(got, [np.sqrt(10 / 16), np.sqrt(10 / 4)], rtol=1e-12)
    np.testing.assert_allclose(got, [0.790569415, 1.58113883], rtol=1e-8)


def test_effective_beta_09_hand_computed():
    """'effective' with beta=0.9: (1-beta)/(1-beta**n) scaled to sum to 2."""
    # 0.9**8 = 0.43046721 and 0.9**2 = 0.81.
    raw = np.array([0.1 / (1 - 0.43046721), 0.1 / (1 - 0.81)])
    expected = raw * 2 / raw.sum()
    got = compute_class_weight("effective", classes=CLASSES_01, y=Y_82, beta=0.9)
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    np.testing.assert_allclose(got, [0.50030756, 1.49969244], rtol=1e-7)
    assert got.sum() == pytest.approx(2.0, abs=1e-12)


def test_effective_beta_099_hand_computed():
    """'effective' with beta=0.99: (1-beta)/(1-beta**n) scaled to sum to 2."""
    # 0.99**8 = 0.9227446944279201 and 0.99**2 = 0.9801.
    raw = np.array([0.01 / (1 - 0.9227446944279201), 0.01 / (1 - 0.9801)])
    expected = raw * 2 / raw.sum()
    got = compute_class_weight("effective", classes=CLASSES_01, y=Y_82, beta=0.99)
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    np.testing.assert_allclose(got, [0.40965339, 1.59034661], rtol=1e-7)


def test_effective_approaches_balanced_as_beta_goes_to_one():
    """As beta -> 1 the weight ratio rises to the count ratio 8/2 = 4."""
    betas = [0.5, 0.9, 0.99, 0.999, 0.9999, 1 - 1e-9]
    ratios = []
    for beta in betas:
        w = compute_class_weight("effective", classes=CLASSES_01, y=Y_82, beta=beta)
        ratios.append(w[1] / w[0])
    assert np.all(np.diff(ratios) > 0)
    # The ratio is (1 - beta**8) / (1 - beta**2) = 1 + beta**2 + beta**4 + beta**6.
    np.testing.assert_allclose(
        ratios, [1 + b**2 + b**4 + b**6 for b in betas], rtol=1e-6
    )
    assert all(r < 4 for r in ratios[:-1])
    assert ratios[-1] == pytest.approx(4.0, rel=1e-6)
    # The balanced weights scaled to sum to 2 are [0.4, 1.6].
    last = compute_class_weight("effective", classes=CLASSES_01, y=Y_82, beta=betas[-1])
    np.testing.assert_allclose(last, [0.4, 1.6], rtol=1e-6)


def test_effective_beta_zero_is_uniform():
    """With beta=0 every class weighs 1, however many samples it has."""
    y = np.array([0] * 50 + [1] * 3 + [2])
    got = compute_class_weight("effective", classes=np.array([0, 1, 2]), y=y, beta=0)
    np.testing.assert_allclose(got, [1.0, 1.0, 1.0], rtol=1e-12)


def test_three_classes_hand_computed():
    """Three classes with 6, 3 and 1 samples, for every strategy."""
    y = np.array([0] * 6 + [1] * 3 + [2])
    classes = np.array([0, 1, 2])
    balanced = np.array([10 / 18, 10 / 9, 10 / 3])
    np.testing.assert_allclose(
        compute_class_weight("balanced", classes=classes, y=y), balanced, rtol=1e-12
    )
    np.testing.assert_allclose(
        compute_class_weight("balanced_sqrt", classes=classes, y=y),
        np.sqrt(balanced),
        rtol=1e-12,
    )
    raw = np.array([0.1 / (1 - 0.9**6), 0.1 / (1 - 0.9**3), 0.1 / (1 - 0.9)])
    np.testing.assert_allclose(
        compute_class_weight("effective", classes=classes, y=y, beta=0.9),
        raw * 3 / raw.sum(),
        rtol=1e-12,
    )


def test_dict_missing_classes_weigh_one():
    """A dict gives its weights; classes it does not list weigh 1."""
    y = np.array([0, 1, 2, 2])
    got = compute_class_weight({2: 3.5}, classes=np.array([0, 1, 2]), y=y)
    np.testing.assert_array_equal(got, [1.0, 1.0, 3.5])


def test_dict_string_labels():
    """A dict keyed by string labels, in the order of ``classes``."""
    y = np.array(["cat", "dog", "eel", "eel"])
    classes = np.array(["cat", "dog", "eel"])
    got = compute_class_weight({"eel": 5.0, "cat": 0.5}, classes=classes, y=y)
    np.testing.assert_array_equal(got, [0.5, 1.0, 5.0])


def test_string_labels_balanced():
    """'balanced' works with string labels."""
    y = np.array(["rare", "common", "common", "common"])
    got = compute_class_weight("balanced", classes=np.array(["common", "rare"]), y=y)
    np.testing.assert_allclose(got, [4 / 6, 4 / 2], rtol=1e-12)


def test_absent_class_gets_singleton_weight():
    """A class of ``classes`` absent from y counts as one sample, not zero."""
    y = np.array([0, 0, 0, 1])
    got = compute_class_weight("balanced", classes=np.array([0, 1, 2]), y=y)
    np.testing.assert_allclose(got, [4 / 9, 4 / 3, 4 / 3], rtol=1e-12)


# --------------------------------------------------------------------------
# compute_class_weight: errors
# --------------------------------------------------------------------------


def test_unknown_strategy_raises():
    """An unknown strategy name raises a ValueError listing the valid ones."""
    msg = (
        "class_weight must be None, a dict or one of 'balanced', "
        "'balanced_sqrt', 'effective'. Got 'balance' instead."
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        compute_class_weight("balance", classes=CLASSES_01, y=Y_82)


def test_dict_unknown_label_raises():
    """A dict key that is not a class raises a ValueError naming it."""
    msg = "class_weight has labels ['c'] that are not in the classes ['a', 'b']"
    with pytest.raises(ValueError, match=re.escape(msg)):
        compute_class_weight(
            {"a": 1.0, "c": 2.0}, classes=np.array(["a", "b"]), y=np.array(["a", "b"])
        )


def test_dict_keys_of_absent_classes_are_ignored_like_sklearn():
    """Keys of labels y lacks are ignored when every class of y has a key."""
    weights = {"a": 1.0, "b": 3.0, "rare": 10.0}
    classes = np.array(["a", "b"])
    y = np.array(["a", "a", "b"])
    ours = compute_class_weight(weights, classes=classes, y=y)
    np.testing.assert_allclose(ours, [1.0, 3.0])
    np.testing.assert_allclose(ours, sk_class_weight(weights, classes=classes, y=y))


@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf, -np.inf])
def test_dict_negative_or_non_finite_weight_raises(bad):
    """A negative, NaN or infinite dict weight raises a ValueError."""
    msg = "class_weight values must be finite and non-negative."
    with pytest.raises(ValueError, match=re.escape(msg)):
        compute_class_weight({1: bad}, classes=CLASSES_01, y=Y_82)


@pytest.mark.parametrize("beta", [1.0, 1.5, -0.1, np.nan, "0.9"])
def test_effective_beta_out_of_range_raises(beta):
    """beta outside [0, 1) (or not a number) raises a ValueError."""
    msg = f"beta for class_weight='effective' must be in [0, 1). Got {beta!r}"
    with pytest.raises(ValueError, match=re.escape(msg)):
        compute_class_weight("effective", classes=CLASSES_01, y=Y_82, beta=beta)


# --------------------------------------------------------------------------
# compute_sample_weight
# --------------------------------------------------------------------------


@pytest.mark.parametrize("class_weight", [None, *CLASS_WEIGHT_STRATEGIES, {1: 7.0}])
def test_sample_weight_mean_is_one(class_weight):
    """Every strategy gives weights of mean 1 and the length of y."""
    got = compute_sample_weight(class_weight, Y_82)
    assert got.shape == Y_82.shape
    assert abs(got.mean() - 1.0) < 1e-12


def test_sample_weight_balanced_hand_computed():
    """'balanced' sample weights: 10/16 and 10/4 divided by their mean 1.0."""
    got = compute_sample_weight("balanced", Y_82)
    # The mean of 8 * 0.625 + 2 * 2.5 over 10 samples is exactly 1.
    np.testing.assert_allclose(got, [0.625] * 8 + [2.5] * 2, rtol=1e-12)


def test_sample_weight_combined_with_user_weights():
    """Weights are class_weight[y] * sample_weight divided by their mean."""
    y = np.array([0, 0, 0, 1])
    sw = np.array([1.0, 2.0, 1.0, 2.0])
    # Balanced: 4 / (2 * 3) = 2/3 and 4 / (2 * 1) = 2.
    raw = np.array([2 / 3 * 1, 2 / 3 * 2, 2 / 3 * 1, 2 * 2])
    got = compute_sample_weight("balanced", y, sample_weight=sw)
    np.testing.assert_allclose(got, raw / raw.mean(), rtol=1e-12)
    np.testing.assert_allclose(got, [0.4, 0.8, 0.4, 2.4], rtol=1e-12)


def test_sample_weight_none_strategy_is_normalised_user_weights():
    """class_weight=None with sample_weight gives sample_weight / its mean."""
    y = np.array([0, 1, 0, 1])
    sw = np.array([1.0, 2.0, 3.0, 4.0])
    got = compute_sample_weight(None, y, sample_weight=sw)
    np.testing.assert_allclose(got, sw / 2.5, rtol=1e-12)
    np.testing.assert_allclose(got, [0.4, 0.8, 1.2, 1.6], rtol=1e-12)


def test_sample_weight_none_everything_gives_ones():
    """No class weight and no sample weight gives all ones."""
    got = compute_sample_weight(None, Y_82)
    np.testing.assert_array_equal(got, np.ones(10))


def test_negative_sample_weight_raises():
    """A negative sample_weight raises a ValueError."""
    sw = np.ones(10)
    sw[3] = -0.5
    with pytest.raises(ValueError, match=re.escape("Negative values")):
        compute_sample_weight("balanced", Y_82, sample_weight=sw)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_sample_weight_raises(bad):
    """A NaN or infinite sample_weight raises a ValueError."""
    sw = np.ones(10)
    sw[0] = bad
    with pytest.raises(ValueError, match=re.escape("sample_weight")):
        compute_sample_weight("balanced", Y_82, sample_weight=sw)


def test_zero_weight_for_a_whole_class_raises():
    """Zero sample_weight on every sample of one class raises about classes."""
    sw = np.array([1.0] * 8 + [0.0, 0.0])
    with pytest.raises(ValueError, match="class") as excinfo:
        compute_sample_weight("balanced", Y_82, sample_weight=sw)
    assert "[0]" in str(excinfo.value)
    assert "at least two classes" in str(excinfo.value)


def test_zero_dict_weight_for_a_class_raises():
    """A dict weight of 0 on one of two classes leaves one class: ValueError."""
    with pytest.raises(ValueError, match="class"):
        compute_sample_weight({1: 0.0}, Y_82)


def test_single_class_y_raises():
    """A y with only one class raises a ValueError mentioning the class."""
    with pytest.raises(ValueError, match="class"):
        compute_sample_weight("balanced", np.zeros(5, dtype=int))


def test_classes_argument_with_absent_class():
    """A class of ``classes`` missing from y changes nothing for the others."""
    y = np.array([0, 0, 0, 1])
    got = compute_sample_weight("balanced", y, classes=np.array([0, 1, 2]))
    # Class weights 4/9, 4/3, 4/3; sample weights [4/9]*3 + [4/3], mean 2/3.
    np.testing.assert_allclose(got, [2 / 3, 2 / 3, 2 / 3, 2.0], rtol=1e-12)
    assert got.shape == (4,)


def test_sample_weight_string_labels():
    """String labels: 'balanced' gives 2/3 to the three 'a' and 2 to 'b'."""
    y = np.array(["a", "b", "a", "a"])
    got = compute_sample_weight("balanced", y)
    np.testing.assert_allclose(got, [2 / 3, 2.0, 2 / 3, 2 / 3], rtol=1e-12)


def test_sample_weight_string_labels_with_dict_and_user_weights():
    """String labels with a dict and sample_weight, computed by hand."""
    y = np.array(["cat", "dog", "dog", "eel"])
    sw = np.array([2.0, 1.0, 1.0, 0.5])
    got = compute_sample_weight({"eel": 4.0}, y, sample_weight=sw)
    raw = np.array([1 * 2.0, 1 * 1.0, 1 * 1.0, 4.0 * 0.5])
    np.testing.assert_allclose(got, raw / raw.mean(), rtol=1e-12)
    np.testing.assert_allclose(got, [4 / 3, 2 / 3, 2 / 3, 4 / 3], rtol=1e-12)


def test_sample_weight_classes_in_any_order():
    """``classes`` in non-sorted order gives the same weights as sorted."""
    y = np.array(["b", "a", "a", "a"])
    expected = [2.0, 2 / 3, 2 / 3, 2 / 3]
    np.testing.assert_allclose(
        compute_sample_weight("balanced", y, classes=np.array(["a", "b"])),
        expected,
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        compute_sample_weight("balanced", y, classes=np.array(["b", "a"])),
        expected,
        rtol=1e-12,
    )


def test_sample_weight_label_not_in_classes_raises():
    """A label of y missing from ``classes`` raises, not mis-weighs silently."""
    y = np.array([0, 1, 2, 2])
    with pytest.raises(ValueError):
        compute_sample_weight("balanced", y, classes=np.array([0, 2]))


# --------------------------------------------------------------------------
# Property test
# --------------------------------------------------------------------------


@st.composite
def label_arrays(draw):
    """Label arrays of 2 to 5 classes, each with at least one sample."""
    counts = draw(st.lists(st.integers(1, 40), min_size=2, max_size=5))
    y = np.repeat(np.arange(len(counts)), counts)
    order = draw(st.permutations(range(len(y))))
    y = y[np.asarray(order)]
    if draw(st.booleans()):
        y = np.array([f"label_{v}" for v in y])
    return y


@pytest.mark.parametrize("strategy", CLASS_WEIGHT_STRATEGIES)
@settings(max_examples=60, deadline=None)
@given(y=label_arrays(), beta=st.floats(0.0, 0.9999))
def test_property_positive_finite_mean_one(strategy, y, beta):
    """Weights are positive, finite, mean 1; 'balanced' equalises class totals."""
    got = compute_sample_weight(strategy, y, beta=beta)
    assert got.shape == y.shape
    assert np.all(np.isfinite(got))
    assert np.all(got > 0)
    assert abs(got.mean() - 1.0) < 1e-12
    if strategy == "balanced":
        totals = np.array([got[y == c].sum() for c in np.unique(y)])
        np.testing.assert_allclose(totals, totals[0], rtol=1e-10)
        np.testing.assert_allclose(totals, len(y) / len(totals), rtol=1e-10)


@pytest.mark.parametrize(
    "strategy", ["balanced", "balanced_sqrt", "effective", None, {0: 2.0}]
)
def test_labels_missing_from_classes_are_an_error(strategy):
    """As in scikit-learn, for every strategy; the weights of the listed
    classes came back as if the other labels did not exist (None and dicts
    skipped the check)."""
    y = np.array([0, 1, 0, 0])
    with pytest.raises(ValueError, match=re.escape("y has labels [1] that are not")):
        compute_class_weight(strategy, classes=np.array([0]), y=y)


@pytest.mark.parametrize(
    "y, message",
    [
        # numpy's "operands could not be broadcast together".
        (np.zeros((10, 2)), "y should be a 1d array"),
        # "y has labels [nan] that are not in classes [0.0, 1.0, nan]".
        (np.array([0.0, 1.0, np.nan]), "y contains NaN"),
        # NumPy's TypeError "'<' not supported between instances of ...".
        (np.array(["a", None, "b"], dtype=object), r"y has missing labels .* 1 row"),
        (np.array(["a", np.nan, "b"], dtype=object), r"y has missing labels .* 1 row"),
        (
            np.array(["a", 1, "b"], dtype=object),
            re.escape("y mixes string labels with int labels (1)"),
        ),
        # compute_class_weight gave "balanced" weights of 0.
        (np.array([]), "y is empty"),
    ],
)
def test_labels_that_are_not_a_column_of_classes(y, message):
    with pytest.raises(ValueError, match=message):
        compute_sample_weight("balanced", y)
    with pytest.raises(ValueError, match=message):
        compute_class_weight("balanced", classes=CLASSES_01, y=y)


def test_classes_of_mixed_types_are_a_clear_error():
    """Classes that cannot be sorted gave NumPy's TypeError."""
    classes = np.array([0, "a"], dtype=object)
    with pytest.raises(ValueError, match="classes mixes string labels with int labels"):
        compute_class_weight("balanced", classes=classes, y=np.array([0, 0]))


def test_dict_weight_that_is_not_a_number_raises():
    """A str weight gave NumPy's "could not convert string to float"."""
    msg = "class_weight values must be finite and non-negative. Got {1: 'x'}"
    with pytest.raises(ValueError, match=re.escape(msg)):
        compute_class_weight({1: "x"}, classes=CLASSES_01, y=Y_82)


@pytest.mark.parametrize(
    "classes, message",
    [
        # NumPy's IndexError ("index -1 is out of bounds", "too many indices").
        (np.array([]), "non-empty 1-D array"),
        (np.array([[0, 1]]), "non-empty 1-D array"),
        (1, "non-empty 1-D array"),
        # The repeated 0 took the weight of an absent class: [0.42, 3.33, 1.67].
        (np.array([0, 0, 1]), "each label once"),
    ],
)
def test_classes_that_are_not_a_list_of_distinct_labels(classes, message):
    with pytest.raises(ValueError, match=message):
        compute_class_weight("balanced", classes=classes, y=Y_82)
    with pytest.raises(ValueError, match=message):
        compute_sample_weight("balanced", Y_82, classes=classes)
