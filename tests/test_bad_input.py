"""Bad input on every public estimator: a clear error, never a TensorFlow trace.

Plus property-based tests (hypothesis) over shapes, dtypes, label types and
class ratios: fit/predict either work with valid outputs or raise a
documented error.
"""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skimb import ImageEmbedder, KerasClassifier, MLPClassifier, TransferClassifier

from .conftest import SmallNetwork

# The image estimators use MobileNetV3Small with random weights, whose
# features are near zero; skimb warns about that (tested in test_transfer.py).
# These tests are about bad input, so that warning is silenced here.
pytestmark = pytest.mark.filterwarnings(
    "ignore:The backbone's features are all close to zero"
)

RNG = np.random.RandomState(0)
TABLE = RNG.normal(size=(40, 5)).astype(np.float32)
IMAGES = RNG.uniform(0, 255, size=(40, 32, 32, 3)).astype(np.float32)
Y = np.array([0, 1] * 20)


def _estimators():
    return {
        "MLPClassifier": (MLPClassifier(hidden_layer_sizes=(4,), max_iter=1), TABLE),
        "KerasClassifier": (KerasClassifier(SmallNetwork(), epochs=1), TABLE),
        "TransferClassifier": (
            TransferClassifier("mobilenet_v3_small", weights=None, epochs=1),
            IMAGES,
        ),
        "ImageEmbedder": (
            ImageEmbedder("mobilenet_v3_small", weights=None, cache=False),
            IMAGES,
        ),
    }


def _with_nan(X):
    X = X.copy()
    X.flat[3] = np.nan
    return X


def _with_inf(X):
    X = X.copy()
    X.flat[3] = np.inf
    return X


CASES = {
    # name: (make X, y, sample_weight, error type, message fragment)
    "nan": (_with_nan, Y, None, ValueError, "contains NaN"),
    "inf": (_with_inf, Y, None, ValueError, "infinity"),
    "empty": (lambda X: X[:0], Y[:0], None, ValueError, "0 sample"),
    "zero features": (
        lambda X: X.reshape(len(X), -1)[:, :0],
        Y,
        None,
        ValueError,
        "0 feature",
    ),
    "1-d": (lambda X: X.reshape(len(X), -1)[:, 0], Y, None, ValueError, "1D array"),
    "strings": (
        lambda X: np.full(X.shape, "a", dtype=object),
        Y,
        None,
        ValueError,
        "could not convert string to float",
    ),
    "sparse": (
        lambda X: sp.csr_matrix(X.reshape(len(X), -1)),
        Y,
        None,
        TypeError,
        "Sparse data was passed",
    ),
    "one class": (lambda X: X, np.zeros(40), None, ValueError, "one class"),
    "y too short": (lambda X: X, Y[:-1], None, ValueError, "samples"),
    "multilabel": (
        lambda X: X,
        np.column_stack([Y, 1 - Y]),
        None,
        ValueError,
        "multilabel",
    ),
    "continuous": (
        lambda X: X,
        np.linspace(0, 1, 40),
        None,
        ValueError,
        "Unknown label type",
    ),
    "negative weight": (lambda X: X, Y, -np.ones(40), ValueError, "Negative values"),
    "nan weight": (lambda X: X, Y, np.full(40, np.nan), ValueError, "NaN"),
}

#: What the image estimators say instead, where their message is their own.
_IMAGE_FRAGMENTS = {
    "strings": "X holds text such as 'a' where pixels were expected",
    "1-d": "which is neither an image nor a file path",
}

#: Cases that do not apply: a transformer has no y or sample_weight.
_TRANSFORMER_SKIPS = {
    "one class",
    "y too short",
    "multilabel",
    "continuous",
    "negative weight",
    "nan weight",
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", list(_estimators()))
def test_bad_input_matrix(name, case):
    """Every bad input is a ValueError/TypeError naming the problem."""
    if name == "ImageEmbedder" and case in _TRANSFORMER_SKIPS:
        pytest.skip("ImageEmbedder takes no y and no sample_weight")
    estimator, X = _estimators()[name]
    make_X, y, sample_weight, error, fragment = CASES[case]
    if name in ("TransferClassifier", "ImageEmbedder"):
        fragment = _IMAGE_FRAGMENTS.get(case, fragment)
    with pytest.raises(error) as info:
        if name == "ImageEmbedder":
            estimator.fit(make_X(X))
        else:
            estimator.fit(make_X(X), y, sample_weight=sample_weight)
    assert fragment in str(info.value)
    assert "tensorflow" not in type(info.value).__module__


@pytest.mark.parametrize("name", list(_estimators()))
def test_predict_before_fit_and_feature_mismatch(name):
    """NotFittedError before fit; other inputs after fit are refused clearly."""
    from sklearn.exceptions import NotFittedError

    estimator, X = _estimators()[name]
    method = estimator.transform if name == "ImageEmbedder" else estimator.predict
    with pytest.raises(NotFittedError):
        method(X)
    if name == "ImageEmbedder":
        estimator.fit(X)
    else:
        estimator.fit(X, Y)
    if X.ndim == 2:
        bad, message = X[:, :3], f"X has 3 features, but {name} is expecting 5"
    else:
        bad, message = X[:, :, :, :2], r"Got an array of shape \(40, 32, 32, 2\)"
    with pytest.raises(ValueError, match=message):
        method(bad)


def _labels_with(missing):
    y = np.array(["a", "b"] * 20, dtype=object)
    y[[3, 8]] = missing
    return y


@pytest.mark.parametrize(
    "make_y, message",
    [
        (lambda: _labels_with(None), r"missing labels .* 2 rows \(first: \[3, 8\]\)"),
        (lambda: _labels_with(np.nan), r"missing labels .* 2 rows"),
        (lambda: list(_labels_with(None)), r"missing labels .* 2 rows"),
        (
            lambda: pd.Series(_labels_with(None), dtype="string"),
            r"missing labels .* 2 rows",
        ),
        (
            lambda: pd.Series(pd.Categorical(_labels_with(None))),
            r"missing labels .* 2 rows",
        ),
        (lambda: _labels_with(1), r"mixes string labels with int labels \(1\)"),
    ],
    ids=["None", "NaN", "list", "pd-string", "categorical", "mixed"],
)
@pytest.mark.parametrize("name", ["MLPClassifier", "KerasClassifier"])
def test_missing_or_mixed_labels_say_so(name, make_y, message):
    """Labels with None, NaN or pandas.NA, or strings mixed with numbers, are
    a ValueError that names the rows or the types; they were Python's
    TypeError ('<' not supported between instances of 'NoneType' and 'str',
    'boolean value of NA is ambiguous') or scikit-learn's 'Unknown label
    type: unknown ... regression target with continuous values'."""
    estimator, X = _estimators()[name]
    with pytest.raises(ValueError, match=message):
        estimator.fit(X, make_y())
    if name == "KerasClassifier":  # validation_data's labels too
        with pytest.raises(ValueError, match=message):
            estimator.fit(X, Y, validation_data=(X, make_y()))


@pytest.mark.parametrize(
    "name, shape, message",
    [
        ("MLPClassifier", (40, 5, 1), "Found array with dim 3, while dim <= 2"),
        ("MLPClassifier", (40, 5, 1, 1), "Found array with dim 4, while dim <= 2"),
        ("KerasClassifier", (40, 5, 1), r"model takes samples of shape \(5,\)"),
        ("KerasClassifier", (40, 5, 1, 1), r"model takes samples of shape \(5,\)"),
        ("TransferClassifier", (40, 5), "flattened images need input_shape"),
        ("ImageEmbedder", (40, 5), "flattened images need input_shape"),
        ("TransferClassifier", (40, 2, 4, 4, 3), "Images must have shape"),
        # One RGB image without its batch axis was read as 32 grayscale
        # images 3 pixels wide.
        ("TransferClassifier", (32, 32, 3), r"one image .*X\[np.newaxis\]"),
        ("ImageEmbedder", (32, 32, 3), r"one image .*X\[np.newaxis\]"),
        ("ImageEmbedder", (32, 32, 1), r"one image .*X\[np.newaxis\]"),
    ],
)
def test_wrong_dimensionality(name, shape, message):
    """3-D/4-D X for tabular models, 2-D/5-D X for image models: clear errors."""
    estimator, _ = _estimators()[name]
    X = RNG.uniform(size=shape).astype(np.float32)
    with pytest.raises(ValueError, match=message):
        if name == "ImageEmbedder":
            estimator.fit(X)
        else:
            estimator.fit(X, Y)


def test_mixed_image_shapes_everywhere():
    """Images of mixed shapes in one list are refused by both image estimators."""
    images = [IMAGES[0], IMAGES[1][:20]] * 4
    for estimator in (
        TransferClassifier("mobilenet_v3_small", weights=None),
        ImageEmbedder("mobilenet_v3_small", weights=None),
    ):
        with pytest.raises(ValueError, match="mixed shapes"):
            estimator.fit(images, np.array([0, 1] * 4))


@pytest.mark.parametrize(
    "estimator, message",
    [
        (MLPClassifier(loss="focall"), "Unknown loss 'focall'"),
        (KerasClassifier(SmallNetwork(), optimizer="adamm"), "Unknown optimizer"),
        (MLPClassifier(class_weight="balance"), "'class_weight' parameter"),
        (TransferClassifier("resnet_50", weights=None), "Unknown backbone"),
        (TransferClassifier(weights="/missing/weights.h5"), "not a file"),
    ],
)
def test_unknown_names(estimator, message):
    """Unknown strategy, loss, optimizer or backbone names and missing weights."""
    X = IMAGES if isinstance(estimator, TransferClassifier) else TABLE
    with pytest.raises(ValueError, match=message):
        estimator.fit(X, Y)


_DTYPES = [np.float16, np.float32, np.float64, np.int8, np.int64, np.bool_]


#: The only refusal the property test accepts: a stratified validation split
#: needs at least one sample of each class on both sides.
_VALIDATION_REFUSAL = "Cannot hold out a stratified validation set"


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_features=st.integers(1, 6),
    n_majority=st.integers(6, 40),
    n_minority=st.integers(2, 8),
    n_classes=st.integers(2, 3),
    dtype=st.sampled_from(_DTYPES),
    labels=st.sampled_from(["int", "str", "negative"]),
    model=st.sampled_from(["MLPClassifier", "KerasClassifier"]),
    early_stopping=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_property_fit_predict(
    n_features,
    n_majority,
    n_minority,
    n_classes,
    dtype,
    labels,
    model,
    early_stopping,
    seed,
):
    """Any shape, dtype, label type and ratio down to two minority samples
    either fits with valid outputs or, only when a stratified validation split
    is impossible, raises the documented ValueError."""
    rng = np.random.RandomState(seed)
    codes = np.concatenate(
        [
            np.zeros(n_majority, int),
            *[np.full(n_minority, c) for c in range(1, n_classes)],
        ]
    )
    X = (rng.normal(size=(len(codes), n_features)) * 3 + codes[:, None]).astype(dtype)
    y = {"int": codes, "str": np.array(["a", "b", "c"])[codes], "negative": codes - 5}[
        labels
    ]
    if model == "MLPClassifier":
        clf = MLPClassifier(
            hidden_layer_sizes=(4,), max_iter=2, early_stopping=early_stopping
        )
    else:
        clf = KerasClassifier(SmallNetwork(), epochs=2, early_stopping=early_stopping)
    clf.set_params(random_state=0)
    try:
        clf.fit(X, y)
    except ValueError as exc:
        assert early_stopping and _VALIDATION_REFUSAL in str(exc), str(exc)
        return
    proba = clf.predict_proba(X)
    assert proba.shape == (len(y), n_classes)
    assert np.all(np.isfinite(proba)) and np.all(proba >= 0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    assert set(clf.predict(X)) <= set(np.unique(y))
