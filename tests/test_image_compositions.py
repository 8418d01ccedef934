"""ImageEmbedder and TransferClassifier inside scikit-learn and
imbalanced-learn compositions: a ColumnTransformer mixing a column of image
paths with numeric columns, a FeatureUnion of embedders, calibration,
threshold tuning, stacking, bagging, a parallel grid search, cloning, and
scikit-learn's inspection tools (tags, parameters, reprs).

The backbone is a tiny convolutional network with random weights, and the
images are small PNG files written by the tests: no test downloads weights.
"""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import Pipeline as ImbPipeline
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import BaggingClassifier, StackingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    TunedThresholdClassifierCV,
    cross_val_predict,
)
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from skimb import ImageEmbedder, MLPClassifier, TransferClassifier

from .conftest import tiny_conv_backbone

# Keras's deep copy of a model (sklearn.clone copies a model backbone) makes
# NumPy 2 warn about an __array__ without a copy keyword, in Keras's code.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy:DeprecationWarning"
)


def _tiny_backbone():
    """The tiny test backbone, its feature map left for skimb to pool."""
    return tiny_conv_backbone(pooled=False)


def _write_images(folder, count, seed):
    """``count`` 16x16 PNG files, a third of them bright ('cat'), the others
    dark ('dog'): a table of their paths, labels and a numeric column, with
    an index that is not 0..n-1."""
    import tensorflow as tf

    folder.mkdir()
    rng = np.random.RandomState(seed)
    rows = []
    for i in range(count):
        label = "cat" if i % 3 == 0 else "dog"
        pixels = rng.randint(0, 56, (16, 16, 3)) + (200 if label == "cat" else 60)
        path = folder / f"{i}.png"
        path.write_bytes(tf.io.encode_png(pixels.astype(np.uint8)).numpy())
        rows.append((str(path), label, rng.uniform(20, 80)))
    table = pd.DataFrame(rows, columns=["path", "label", "age"])
    return table.set_axis(np.arange(count)[::-1] * 10 + 5)


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """A training table of 24 images (8 'cat', 16 'dog'), a table of 6 new
    images, the training pixels as an array, and the backbone."""
    import tensorflow as tf

    root = tmp_path_factory.mktemp("compositions")
    train = _write_images(root / "train", 24, seed=0)
    new = _write_images(root / "new", 6, seed=1)
    pixels = np.stack(
        [tf.io.decode_png(tf.io.read_file(path)).numpy() for path in train["path"]]
    ).astype(np.float32)
    return train, new, pixels, _tiny_backbone()


def _embedder(backbone, **params):
    return ImageEmbedder(backbone, weights=None, input_shape=(16, 16), **params)


def _classifier(backbone, **params):
    return TransferClassifier(
        backbone,
        weights=None,
        input_shape=(16, 16),
        hidden_units=(),
        epochs=2,
        random_state=0,
        **params,
    )


# Tags -------------------------------------------------------------------


@pytest.mark.parametrize("make", [_embedder, _classifier])
def test_input_tags_say_paths_are_strings(images, make):
    """File paths are strings, in one dimension (a list, a Series) or in a
    one-column table: the input tags say so, as a text vectorizer's say it
    takes strings."""
    tags = make(images[3]).__sklearn_tags__().input_tags
    assert tags.string and tags.one_d_array
    assert tags.two_d_array and tags.three_d_array
    assert not tags.sparse


# A column that is not images ----------------------------------------------


def test_a_numeric_column_is_not_taken_for_images(images):
    """A ColumnTransformer that gives the embedder a numeric column (a
    slip of the selector), or image ids, is told so; scikit-learn's message
    asked for a 2-D container or a reshape to one feature, which would be
    flattened images of one pixel."""
    train, _, _, backbone = images
    message = "neither an image nor a file path.*column of file paths"
    mistaken = ColumnTransformer([("img", _embedder(backbone), "age")])
    with pytest.raises(ValueError, match=message):
        mistaken.fit_transform(train)
    with pytest.raises(ValueError, match=r"shape \(24,\).* such as 0 \("):
        _embedder(backbone).fit(np.arange(24))
    with pytest.raises(ValueError, match="X is a single value, 7 "):
        _embedder(backbone).fit(7)
    with pytest.raises(ValueError, match="X is empty"):
        _embedder(backbone).fit(np.array([]))
    with pytest.raises(ValueError, match=message):
        _classifier(backbone).fit(train["age"], train["label"])
    fitted = _embedder(backbone).fit(list(train["path"]))
    with pytest.raises(ValueError, match=message):
        fitted.transform(train["age"].to_list())


# ColumnTransformer, FeatureUnion --------------------------------------------


@pytest.mark.parametrize("selector", ["path", ["path"]])
def test_column_transformer_mixes_image_paths_and_numbers(images, selector):
    """A str selector gives the embedder a Series of paths, a list selector
    a one-column DataFrame: both embed as the list of paths does, name the
    features, keep the table's index in pandas output, and feed SMOTE and a
    classifier in an imbalanced-learn pipeline."""
    train, new, _, backbone = images
    X, y = train[["path", "age"]], train["label"]
    columns = ColumnTransformer(
        [("img", _embedder(backbone), selector), ("num", StandardScaler(), ["age"])]
    )
    expected = _embedder(backbone).fit_transform(list(train["path"]))
    out = clone(columns).fit_transform(X)
    np.testing.assert_allclose(out[:, :-1], expected, rtol=1e-6)
    fitted = clone(columns).fit(X)
    names = [f"img__embedding{i}" for i in range(expected.shape[1])]
    assert list(fitted.get_feature_names_out()) == [*names, "num__age"]

    frame = clone(columns).set_output(transform="pandas").fit_transform(X)
    assert list(frame.columns) == [*names, "num__age"]
    assert frame.index.equals(X.index)
    np.testing.assert_allclose(frame[names].to_numpy(), expected, rtol=1e-6)

    for classifier in (
        LogisticRegression(),
        MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0),
    ):
        pipeline = ImbPipeline(
            [
                ("columns", clone(columns)),
                ("smote", SMOTE(k_neighbors=2, random_state=0)),
                ("clf", classifier),
            ]
        )
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no feature-name warnings
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            pipeline.fit(X, y)
            proba = pipeline.predict_proba(new[["path", "age"]])
        assert proba.shape == (6, 2)
        assert set(pipeline.predict(new[["path", "age"]])) <= {"cat", "dog"}


def test_image_embedder_pandas_output_alone(images):
    """set_output(transform="pandas") on the embedder alone: columns named
    embedding0..., the index of a Series or DataFrame of paths, or 0..n-1
    for a list."""
    train, _, _, backbone = images
    embedder = _embedder(backbone).set_output(transform="pandas")
    from_list = embedder.fit_transform(list(train["path"]))
    assert list(from_list.columns) == [f"embedding{i}" for i in range(4)]
    assert list(from_list.index) == list(range(24))
    for container in (train["path"], train[["path"]]):
        frame = embedder.fit_transform(container)
        assert frame.index.equals(train.index)
        np.testing.assert_allclose(frame.to_numpy(), from_list.to_numpy())


def test_feature_union_of_two_poolings(images):
    """Two embedders of one backbone, average and max pooling, side by side:
    each part equals its embedder alone, with prefixed names."""
    train, _, _, backbone = images
    paths = list(train["path"])
    union = FeatureUnion(
        [
            ("avg", _embedder(backbone, pooling="avg")),
            ("max", _embedder(backbone, pooling="max")),
        ]
    )
    out = union.fit_transform(paths)
    average = _embedder(backbone, pooling="avg").fit_transform(paths)
    maximum = _embedder(backbone, pooling="max").fit_transform(paths)
    np.testing.assert_allclose(out, np.hstack([average, maximum]), rtol=1e-6)
    assert not np.allclose(average, maximum)
    names = list(union.get_feature_names_out())
    assert names[0] == "avg__embedding0" and names[4] == "max__embedding0"
    frame = union.set_output(transform="pandas").fit_transform(train[["path"]])
    assert list(frame.columns) == names and frame.index.equals(train.index)


# Meta-estimators over TransferClassifier ------------------------------------


@pytest.mark.parametrize("layout", ["paths", "path_column", "pixels"])
def test_meta_estimators_over_transfer_classifier(images, layout):
    """CalibratedClassifierCV, TunedThresholdClassifierCV, cross_val_predict
    and StackingClassifier over a TransferClassifier, on file paths (a list,
    a one-column DataFrame) or pixel arrays; paths and pixels of the same
    images give the same probabilities."""
    train, _, pixels, backbone = images
    y = train["label"].to_numpy()
    X = {
        "paths": list(train["path"]),
        "path_column": train[["path"]],
        "pixels": pixels,
    }[layout]
    cv = StratifiedKFold(2, shuffle=True, random_state=0)

    calibrated = CalibratedClassifierCV(_classifier(backbone), cv=cv).fit(X, y)
    proba = calibrated.predict_proba(X)
    assert proba.shape == (24, 2) and np.allclose(proba.sum(axis=1), 1)

    tuned = TunedThresholdClassifierCV(
        _classifier(backbone), cv=cv, scoring="balanced_accuracy"
    ).fit(X, y)
    assert 0 <= tuned.best_threshold_ <= 1
    assert set(tuned.predict(X)) <= {"cat", "dog"}

    oof = cross_val_predict(_classifier(backbone), X, y, cv=cv, method="predict_proba")
    on_pixels = cross_val_predict(
        _classifier(backbone), pixels, y, cv=cv, method="predict_proba"
    )
    np.testing.assert_allclose(oof, on_pixels, atol=1e-5)

    stack = StackingClassifier(
        [
            ("transfer", _classifier(backbone)),
            ("embedded", make_pipeline(_embedder(backbone), LogisticRegression())),
        ],
        cv=cv,
    ).fit(X, y)
    assert stack.predict_proba(X).shape == (24, 2)


def test_bagging_takes_paths_as_a_column(images):
    """BaggingClassifier checks X as a table itself: paths go in as a
    one-column DataFrame (or (n, 1) array), which it samples by rows."""
    train, new, _, backbone = images
    bagging = BaggingClassifier(_classifier(backbone), n_estimators=2, random_state=0)
    bagging.fit(train[["path"]], train["label"])
    assert bagging.predict_proba(new[["path"]]).shape == (6, 2)


# Search, clone -------------------------------------------------------------


def test_grid_search_in_two_processes_then_predict_new_paths(images):
    """GridSearchCV(n_jobs=2) over ImageEmbedder -> SMOTE -> LogisticRegression
    on paths: each worker embeds with its own cache, the scores equal those
    of a serial search, and the refitted pipeline predicts new paths."""
    train, new, _, backbone = images
    paths, y = list(train["path"]), train["label"].to_numpy()
    pipeline = ImbPipeline(
        [
            ("embed", _embedder(backbone)),
            ("smote", SMOTE(k_neighbors=2, random_state=0)),
            ("clf", LogisticRegression()),
        ]
    )
    grid = {"clf__C": [0.1, 10.0]}
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    searches = [
        GridSearchCV(pipeline, grid, cv=cv, n_jobs=n_jobs, scoring="balanced_accuracy")
        for n_jobs in (1, 2)
    ]
    for search in searches:
        search.fit(paths, y)
    serial, parallel = searches
    np.testing.assert_allclose(
        parallel.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )
    np.testing.assert_allclose(
        parallel.predict_proba(list(new["path"])),
        serial.predict_proba(new["path"]),
        rtol=1e-5,
    )


def test_clone_of_a_fitted_pipeline_fits_again(images):
    """clone gives an unfitted copy with a copy of the model backbone, which
    fits and predicts as the original."""
    train, new, _, backbone = images
    paths, y = list(train["path"]), train["label"]
    fitted = make_pipeline(_embedder(backbone), LogisticRegression()).fit(paths, y)
    copy = clone(fitted)
    with pytest.raises(NotFittedError):
        check_is_fitted(copy[0])
    assert copy[0].backbone is not backbone
    copy.fit(paths, y)
    np.testing.assert_allclose(
        copy.predict_proba(list(new["path"])),
        fitted.predict_proba(list(new["path"])),
        rtol=1e-6,
    )


# Inspection -----------------------------------------------------------------


@pytest.mark.parametrize("make", [_embedder, _classifier])
def test_inspection_with_a_model_backbone(images, make):
    """check_is_fitted, get_params(deep=True), repr and the HTML repr with a
    keras.Model backbone: the model is one parameter (not expanded), shown
    by Keras's short repr, escaped in HTML."""
    train, _, _, backbone = images
    estimator = make(backbone)
    with pytest.raises(NotFittedError):
        check_is_fitted(estimator)
    params = estimator.get_params(deep=True)
    assert params["backbone"] is backbone
    assert not any(name.startswith("backbone__") for name in params)
    text = repr(estimator)
    assert "<Functional name=tiny" in text and len(text) < 300
    html = estimator._repr_html_()
    assert "&lt;Functional name=tiny" in html
    assert not re.search(r"<Functional", html)

    if isinstance(estimator, ImageEmbedder):
        estimator.fit(list(train["path"]))
    else:
        estimator.fit(list(train["path"]), train["label"])
    check_is_fitted(estimator)
    assert "&lt;Functional name=tiny" in estimator._repr_html_()
