"""Tests of the containers of image file paths that skimb accepts.

Paths come as lists, arrays, pandas Series (``df["path"]`` of a CSV) or
one-column DataFrames (``df[["path"]]``), at fit and at predict or transform.
The backbone is a tiny convolutional network with random weights: no test
downloads weights.
"""

import contextlib
import os
import pathlib
import re
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from skimb import ImageEmbedder, TransferClassifier
from skimb._images import check_paths, is_path_input
from skimb.datasets import load_image_folder

from .conftest import tiny_conv_backbone as _tiny_backbone


@pytest.fixture(scope="module")
def image_table(tmp_path_factory):
    """A CSV of 16x16 PNG paths and labels (4 'cat', 8 'dog'), read back with
    pandas, and the paths and labels as load_image_folder lists them."""
    import tensorflow as tf

    root = tmp_path_factory.mktemp("imgs")
    rng = np.random.RandomState(0)
    for label, count, brightness in (("cat", 4, 200), ("dog", 8, 60)):
        (root / label).mkdir()
        for i in range(count):
            pixels = rng.randint(0, 56, (16, 16, 3)) + brightness
            png = tf.io.encode_png(pixels.astype(np.uint8)).numpy()
            (root / label / f"{i}.png").write_bytes(png)
    paths, labels = load_image_folder(root)
    csv = root / "images.csv"
    pd.DataFrame({"path": paths, "label": labels}).to_csv(csv, index=False)
    return pd.read_csv(csv), list(paths), labels


@pytest.fixture(scope="module")
def fitted(image_table):
    """A TransferClassifier and an ImageEmbedder fitted on a list of paths."""
    _, paths, labels = image_table
    backbone = _tiny_backbone()
    clf = TransferClassifier(
        backbone, weights=None, epochs=1, input_shape=(32, 32), random_state=0
    ).fit(paths, labels)
    embedder = ImageEmbedder(backbone, weights=None, input_shape=(32, 32))
    return clf, embedder.fit(paths)


_PATH_CONTAINERS = {
    "series": lambda df: df["path"],
    "dataframe": lambda df: df[["path"]],
    "series_of_pathlib": lambda df: df["path"].map(pathlib.Path),
    "shuffled_index": lambda df: df["path"].set_axis(np.arange(len(df))[::-1] * 7),
    "column_array": lambda df: df[["path"]].to_numpy(),
}


@pytest.mark.parametrize("container", _PATH_CONTAINERS)
def test_predict_and_transform_take_path_columns(image_table, fitted, container):
    """A Series or one-column DataFrame of paths gives what the list gives."""
    df, paths, _ = image_table
    clf, embedder = fitted
    X = _PATH_CONTAINERS[container](df)
    np.testing.assert_array_equal(clf.predict_proba(X), clf.predict_proba(paths))
    np.testing.assert_array_equal(clf.predict(X), clf.predict(paths))
    np.testing.assert_array_equal(embedder.transform(X), embedder.transform(paths))
    assert is_path_input(X)
    np.testing.assert_array_equal(check_paths(X), np.asarray(paths))


@pytest.mark.parametrize("container", ["series", "dataframe"])
def test_fit_takes_path_columns(image_table, fitted, container):
    """fit on df["path"] or df[["path"]] (labels a Series) learns what fit on
    the list of paths learns."""
    df, paths, _ = image_table
    clf, embedder = fitted
    X = _PATH_CONTAINERS[container](df)
    from_table = TransferClassifier(
        _tiny_backbone(), weights=None, epochs=1, input_shape=(32, 32), random_state=0
    ).fit(X, df["label"])
    np.testing.assert_array_equal(from_table.classes_, clf.classes_)
    # Predicting from the same container: after a fit on df[["path"]], a
    # list of paths warns that X has no feature names, as scikit-learn does.
    np.testing.assert_allclose(
        from_table.predict_proba(X), clf.predict_proba(paths), atol=1e-6
    )
    table_embedder = ImageEmbedder(
        _tiny_backbone(), weights=None, input_shape=(32, 32)
    ).fit(X)
    np.testing.assert_allclose(
        table_embedder.transform(X), embedder.transform(paths), atol=1e-6
    )


@pytest.mark.skipif(
    os.name != "posix" or sys.getfilesystemencoding() != "utf-8",
    reason="file names of arbitrary bytes are a POSIX file system's",
)
def test_file_names_that_are_not_utf8(image_table, fitted, tmp_path):
    """A file named in Latin-1 ("café.png" as bytes, listed by Python with
    surrogate escapes) is read like any other; TensorFlow refused such a
    name with "Unable to convert element to UTF-8", naming no file."""
    _, paths, labels = image_table
    clf, embedder = fitted
    for label in np.unique(labels):
        os.mkdir(os.path.join(os.fsencode(tmp_path), label.encode()))
    for i, (path, label) in enumerate(zip(paths, labels)):
        name = os.path.join(os.fsencode(tmp_path), label.encode(), b"caf\xe9%d.png" % i)
        with open(path, "rb") as source, open(name, "wb") as target:
            target.write(source.read())
    latin1, latin1_labels = load_image_folder(tmp_path)
    assert len(latin1) == len(paths) and "\udce9" in latin1[0]
    order = np.argsort([int(os.path.basename(p)[4:-4]) for p in latin1])
    latin1, latin1_labels = latin1[order], latin1_labels[order]
    np.testing.assert_array_equal(latin1_labels, labels)
    np.testing.assert_array_equal(clf.predict_proba(latin1), clf.predict_proba(paths))
    np.testing.assert_array_equal(embedder.transform(latin1), embedder.transform(paths))
    refit = TransferClassifier(
        _tiny_backbone(), weights=None, epochs=1, input_shape=(32, 32), random_state=0
    ).fit(latin1, latin1_labels)
    np.testing.assert_allclose(
        refit.predict_proba(paths), clf.predict_proba(paths), atol=1e-6
    )


def test_webp_files_read_like_png(image_table, fitted, tmp_path):
    """load_image_folder lists WebP files, which TensorFlow decodes: a
    lossless WebP gives the embeddings of the PNG with the same pixels."""
    Image = pytest.importorskip(
        "PIL.Image", reason="writes WebP with Pillow (matplotlib installs it)"
    )
    _, paths, labels = image_table
    _, embedder = fitted
    for label in np.unique(labels):
        (tmp_path / label).mkdir()
    for i, (path, label) in enumerate(zip(paths, labels)):
        with Image.open(path) as image:
            image.save(tmp_path / label / f"{i:02d}.webp", lossless=True)
    webp, webp_labels = load_image_folder(tmp_path)
    assert [os.path.splitext(p)[1] for p in webp] == [".webp"] * len(paths)
    np.testing.assert_array_equal(webp_labels, labels)
    np.testing.assert_array_equal(embedder.transform(webp), embedder.transform(paths))


def test_missing_file_in_a_series_is_named(image_table, fitted, tmp_path):
    """A missing file in a Series is the error that a list gives."""
    df, _, _ = image_table
    clf, _ = fitted
    missing = str(tmp_path / "gone.png")
    X = pd.concat([df["path"], pd.Series([missing])], ignore_index=True)
    with pytest.raises(
        ValueError, match=re.escape(f"Image file not found: '{missing}'")
    ):
        clf.predict(X)


def test_a_folder_among_the_paths_is_named(image_table, fitted, tmp_path):
    """A folder among the image paths is called a folder (it was "Image
    file not found", though the path exists), pointing at load_image_folder."""
    df, _, _ = image_table
    clf, _ = fitted
    X = [*df["path"][:2], str(tmp_path)]
    message = f"'{tmp_path}' is a folder, not an image file. For a folder"
    with pytest.raises(ValueError, match=re.escape(message)):
        clf.predict(X)


def test_tables_that_are_not_paths(image_table):
    """Several columns, numbers, or missing values are not paths: pixels, or
    an error from the pixel checks."""
    df, paths, _ = image_table
    assert not is_path_input(df)  # path and label: two columns
    assert not is_path_input(df[["path", "path"]])
    assert not is_path_input(pd.Series([0.5, 1.5]))
    assert not is_path_input(pd.DataFrame({"pixel": [0.5, 1.5]}))
    assert not is_path_input(pd.Series([paths[0], None]))
    assert not is_path_input(np.full((3, 16, 16), 128.0))
    assert not is_path_input(paths[0])
    with pytest.raises(ValueError, match="X holds text such as .* where pixels"):
        TransferClassifier(_tiny_backbone(), weights=None, epochs=1).fit(
            df, df["label"]
        )


_NOT_A_SEQUENCE_OF_PATHS = {
    "one path": (lambda df, paths: paths[0], "X is a single path, '.*0.png'"),
    "a folder": (
        lambda df, paths: str(pathlib.Path(paths[0]).parents[1]),
        "X is a single path.*load_image_folder",
    ),
    "path and label columns": (
        lambda df, paths: df,
        r"X holds text such as '.*png' where pixels were expected "
        r".*shape \(12, 2\).*df\[\['path'\]\]",
    ),
    "bytes paths": (
        lambda df, paths: [os.fsencode(p) for p in paths],
        "X holds text such as b'.*png'.*Decode bytes paths to str",
    ),
    # An empty cell of a CSV's path column: the message blamed the form of
    # X ("pass a pandas Series"), which was one.
    "a Series with an empty cell": (
        lambda df, paths: df["path"].where(df.index != 3),
        r"X mixes file paths with other values: item 3 is nan \(float\).*dropna",
    ),
    "a one-column DataFrame with an empty cell": (
        lambda df, paths: df[["path"]].assign(path=df["path"].where(df.index != 0)),
        r"item 0 is nan \(float\), not a path",
    ),
    "a list with a None": (
        lambda df, paths: [*paths[:2], None],
        r"item 2 is None \(NoneType\), not a path",
    ),
    # numpy's "setting an array element with a sequence ... inhomogeneous".
    "a list with an array": (
        lambda df, paths: [*paths[:2], np.zeros((4, 4, 3))],
        r"item 2 is an array of shape \(4, 4, 3\), not a path",
    ),
    "empty list": (lambda df, paths: [], "X is empty"),
    # An empty array or Series of text used to pass as paths and end in an
    # "unreadable file" error or numpy's "need at least one array to stack".
    "empty str array": (lambda df, paths: np.array([], dtype=str), "X is empty"),
    "empty Series": (lambda df, paths: df["path"].iloc[:0], "X is empty"),
}


@pytest.mark.parametrize(
    "make_X, message",
    _NOT_A_SEQUENCE_OF_PATHS.values(),
    ids=_NOT_A_SEQUENCE_OF_PATHS.keys(),
)
def test_paths_in_another_form_get_a_clear_error(image_table, fitted, make_X, message):
    """Paths in a form skimb does not read say which forms it reads.

    They used to end in numpy's "could not convert string to float".
    """
    df, paths, _ = image_table
    clf, embedder = fitted
    for method in (clf.predict, embedder.transform):
        with pytest.raises(ValueError, match=message):
            method(make_X(df, paths))


def test_a_failure_that_is_not_a_file_is_not_blamed_on_one(
    image_table, fitted, monkeypatch
):
    """Any error while the network ran on files used to read "Cannot read
    image file one of the files: it is not a valid PNG..." although every
    file was fine."""
    _, paths, _ = image_table
    clf, _ = fitted

    def broken(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(clf.model_, "predict", broken)
    with pytest.raises(ValueError) as error:
        clf.predict(paths)
    assert str(error.value) == (
        "Running the network on the image files failed: RuntimeError: out of "
        "memory. Every file decodes as an image, so the files are not the cause."
    )


# ---------------------------------------------------------------------------
# Pixels and paths side by side, and odd containers (a review, 2026-11-27).


def _pixels(paths) -> np.ndarray:
    """The PNG files' pixels, as the arrays a user would pass instead."""
    import tensorflow as tf

    return np.stack(
        [tf.io.decode_png(tf.io.read_file(path)).numpy() for path in paths]
    ).astype(np.float32)


@pytest.mark.parametrize(
    "setting",
    [{"augmentation": "default"}, {"trainable_layers": 1, "fine_tune_epochs": 1}],
    ids=["augmentation", "fine_tuning"],
)
@pytest.mark.parametrize("train_on", ["paths", "pixels"])
def test_validation_images_need_not_be_of_the_training_kind(
    image_table, setting, train_on
):
    """Training on files with validation pixels, or the reverse, when the
    network trains on images (not on cached embeddings)."""
    _, paths, labels = image_table
    pixels = _pixels(paths)
    X, X_val = (paths, pixels) if train_on == "paths" else (pixels, paths)
    clf = TransferClassifier(
        _tiny_backbone(),
        weights=None,
        epochs=1,
        input_shape=(16, 16),
        random_state=0,
        **setting,
    )
    clf.fit(X, labels, validation_data=(X_val, labels))
    assert np.isfinite(clf.history_["val_loss"]).all()
    assert clf.predict(X_val).shape == (len(labels),)


def test_an_unreadable_validation_file_is_named(image_table, tmp_path):
    _, paths, labels = image_table
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    clf = TransferClassifier(
        _tiny_backbone(),
        weights=None,
        epochs=1,
        input_shape=(16, 16),
        augmentation="default",
        random_state=0,
    )
    with pytest.raises(
        ValueError, match=re.escape(f"Cannot read image file {str(bad)!r}")
    ):
        clf.fit(paths, labels, validation_data=([*paths[:3], str(bad)], labels[:4]))


def test_initialize_does_not_run_the_backbone(image_table, monkeypatch):
    """initialize builds the network; it embeds no image (a folder of
    thousands of files would be read for nothing)."""
    import skimb.transfer

    _, paths, labels = image_table

    def refuse(*args, **kwargs):
        raise AssertionError("initialize embedded the images")

    monkeypatch.setattr(skimb.transfer, "_embed_images", refuse)
    clf = TransferClassifier(_tiny_backbone(), weights=None, input_shape=(16, 16))
    clf.initialize(paths, labels)
    assert clf.n_iter_ == 0
    monkeypatch.undo()
    assert clf.predict_proba(paths).shape == (len(paths), 2)


def test_an_empty_augmentation_list_trains_on_embeddings(image_table, monkeypatch):
    """augmentation=[] augments nothing, so the head trains on embeddings,
    as with None: the backbone runs once per image, not once per epoch."""
    import skimb.transfer

    _, paths, labels = image_table
    calls = []
    embed = skimb.transfer._embed_images
    monkeypatch.setattr(
        skimb.transfer,
        "_embed_images",
        lambda *args, **kwargs: calls.append(1) or embed(*args, **kwargs),
    )
    probas = []
    for augmentation in (None, []):
        clf = TransferClassifier(
            _tiny_backbone(),
            weights=None,
            epochs=3,
            input_shape=(16, 16),
            augmentation=augmentation,
            random_state=0,
        ).fit(paths, labels)
        probas.append(clf.predict_proba(paths))
    assert len(calls) == 2  # one pass over the images in each fit
    np.testing.assert_allclose(probas[0], probas[1], rtol=1e-6)


@pytest.mark.parametrize("channels", [2, 4])
def test_one_image_with_an_alpha_channel_is_refused(fitted, channels):
    """np.asarray(PIL.Image.open(png)) of a PNG with transparency is
    (h, w, 4); read as 16 grayscale images 4 pixels wide it gave 16
    predictions."""
    clf, embedder = fitted
    image = np.full((16, 16, channels), 128.0)
    for method in (clf.predict, embedder.transform):
        with pytest.raises(ValueError, match="alpha channel"):
            method(image)


def test_images_without_pixels_are_refused(fitted):
    clf, embedder = fitted
    for X in (np.zeros((2, 16, 0, 3)), np.zeros((2, 0, 16))):
        for method in (clf.predict, embedder.transform):
            with pytest.raises(ValueError, match="height or width 0"):
                method(X)


def test_a_series_or_object_array_of_images_is_a_list_of_them(image_table, fitted):
    _, paths, _ = image_table
    clf, embedder = fitted
    images = list(_pixels(paths[:3]))
    expected = embedder.transform(np.stack(images))
    objects = np.empty(3, dtype=object)
    objects[:] = images
    for X in (pd.Series(images), objects):
        np.testing.assert_allclose(embedder.transform(X), expected, rtol=1e-5)
    mixed = pd.Series([images[0], images[1][:8]])
    with pytest.raises(ValueError, match="mixed shapes"):
        clf.predict(mixed)


def test_a_list_of_pil_images_of_mixed_sizes_is_named_as_such(fitted):
    """PIL images stack as arrays do; of mixed sizes (or modes) they get
    skimb's "mixed shapes" error, not numpy's "inhomogeneous shape"."""
    Image = pytest.importorskip("PIL.Image")
    clf, embedder = fitted
    rgb = np.full((16, 16, 3), 128, dtype=np.uint8)
    same = [Image.fromarray(rgb), Image.fromarray(rgb)]
    np.testing.assert_allclose(
        embedder.transform(same), embedder.transform(np.stack([rgb, rgb])), rtol=1e-6
    )
    for other in (rgb[:8], rgb[..., 0]):  # another size, grayscale
        images = [*same, Image.fromarray(other)]
        for method in (clf.predict, embedder.transform):
            with pytest.raises(ValueError, match="mixed shapes"):
                method(images)


def test_containers_that_are_not_sequences_get_a_clear_error(image_table, fitted):
    import tensorflow as tf

    _, paths, _ = image_table
    clf, embedder = fitted
    images = _pixels(paths[:3])
    cases = {
        "tf.data.Dataset": tf.data.Dataset.from_tensor_slices(images),
        "generator": (image for image in images),
        "dict": {"a": images[0]},
    }
    for name, X in cases.items():
        with pytest.raises(TypeError, match=re.escape(f"X is a {name};")):
            embedder.transform(X)


def test_embeddings_are_float32_whatever_the_input_and_policy(image_table):
    import keras

    _, paths, _ = image_table
    pixels = _pixels(paths[:3]).astype(np.float64)
    policy = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        embedder = ImageEmbedder(
            _tiny_backbone(), weights=None, input_shape=(16, 16), cache=False
        ).fit(pixels)
        assert embedder.transform(pixels).dtype == np.float32
    finally:
        keras.mixed_precision.set_global_policy(policy)
    assert embedder.__sklearn_tags__().transformer_tags.preserves_dtype == ["float32"]


@pytest.mark.parametrize(
    "setting",
    [{"augmentation": "default"}, {"trainable_layers": 1, "fine_tune_epochs": 1}],
    ids=["augmentation", "fine_tuning"],
)
def test_a_one_hot_loss_trains_on_files(image_table, setting):
    """A categorical (one-hot) loss gets one-hot targets from image files as
    from pixels: the file feed passed integer labels (Keras: target and
    output must have the same rank)."""
    _, paths, labels = image_table
    probas = []
    for X in (paths, _pixels(paths)):
        clf = TransferClassifier(
            _tiny_backbone(),
            weights=None,
            epochs=1,
            input_shape=(16, 16),
            loss="categorical_crossentropy",
            random_state=0,
            **setting,
        ).fit(X, labels, validation_data=(X, labels))
        assert np.isfinite(clf.history_["val_loss"]).all()
        probas.append(clf.predict_proba(X))
    assert probas[0].shape == probas[1].shape == (len(labels), 2)


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
@pytest.mark.parametrize("estimator", ["TransferClassifier", "ImageEmbedder"])
def test_a_table_of_flattened_images_keeps_its_columns(image_table, estimator):
    """Flattened images in a DataFrame get scikit-learn's feature_names_in_
    and n_features_in_, and predict or transform checks a table's columns
    against them, as KerasClassifier does: columns renamed or in another
    order (pixels read in another order) were taken in silence."""
    _, paths, labels = image_table
    pixels = _pixels(paths)
    flat = pixels.reshape(len(pixels), -1)
    names = [f"px{i}" for i in range(flat.shape[1])]
    table = pd.DataFrame(flat, columns=names)
    params = dict(weights=None, input_shape=(16, 16, 3))
    if estimator == "TransferClassifier":
        model = TransferClassifier(_tiny_backbone(), epochs=1, **params).fit(
            table, labels
        )
        method = model.predict
    else:
        model = ImageEmbedder(_tiny_backbone(), cache=False, **params).fit(table)
        method = model.transform
    assert list(model.feature_names_in_) == names
    assert model.n_features_in_ == 16 * 16 * 3
    method(table)
    with pytest.raises(ValueError, match="feature names should match"):
        method(table.rename(columns=lambda name: name.upper()))
    with pytest.raises(ValueError, match="in the same order"):
        method(table[names[::-1]])
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        method(flat)
    with pytest.raises(ValueError, match="expecting 768 features"):
        method(flat[:, :-3])
    if estimator == "ImageEmbedder":
        assert model.get_feature_names_out(names).shape == (model.n_features_out_,)
        with pytest.raises(ValueError, match="not equal to feature_names_in_"):
            model.get_feature_names_out(names[::-1])
    # Images in another layout have no columns: a fit on them forgets the
    # table's, and they are not checked against them.
    method(pixels)
    model.fit(pixels, labels)  # ImageEmbedder.fit ignores y
    assert not hasattr(model, "feature_names_in_")
    assert not hasattr(model, "n_features_in_")


# ---------------------------------------------------------------------------
# A column of paths is a table; flattened rows keep the fitted shape (h63).


def _make(estimator, backbone, **params):
    """A TransferClassifier or an ImageEmbedder, and its predict or transform."""
    if estimator == "TransferClassifier":
        model = TransferClassifier(backbone, weights=None, epochs=1, **params)
    else:
        model = ImageEmbedder(backbone, weights=None, cache=False, **params)
    return model


@pytest.mark.parametrize("estimator", ["TransferClassifier", "ImageEmbedder"])
def test_a_column_of_paths_keeps_its_name(image_table, estimator):
    """fit on a one-column DataFrame of paths, df[["path"]], records the
    column as scikit-learn's estimators record a DataFrame's, and predict
    or transform checks paths against it as validate_data does: another
    column (of masks, say) was taken in silence, as nothing was recorded."""
    df, paths, labels = image_table
    model = _make(estimator, _tiny_backbone(), input_shape=(16, 16))
    method = model.predict if estimator == "TransferClassifier" else model.transform
    model.fit(df[["path"]], labels)  # ImageEmbedder.fit ignores y
    assert list(model.feature_names_in_) == ["path"]
    assert model.n_features_in_ == 1
    with _no_feature_name_warning():
        method(df[["path"]])
    with pytest.raises(ValueError, match="feature names should match"):
        method(df[["path"]].rename(columns={"path": "mask"}))
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        method(paths)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        method(df["path"])
    if estimator == "ImageEmbedder":
        model.get_feature_names_out(["path"])
        with pytest.raises(ValueError, match="not equal to feature_names_in_"):
            model.get_feature_names_out(["mask"])
    # Pixels, in an array or a table, are images in another layout: they
    # are not checked against the column of paths.
    pixels = _pixels(paths)
    flat = pd.DataFrame(pixels.reshape(len(pixels), -1)).add_prefix("px")
    with _no_feature_name_warning():
        method(pixels)
        method(flat)
    # A column without a name is one column; a list of paths has none.
    model.fit(df[["path"]].to_numpy(), labels)
    assert model.n_features_in_ == 1
    assert not hasattr(model, "feature_names_in_")
    with pytest.warns(UserWarning, match="X has feature names"):
        method(df[["path"]])
    model.fit(paths, labels)
    assert not hasattr(model, "feature_names_in_")
    assert not hasattr(model, "n_features_in_")
    with _no_feature_name_warning():  # nothing to check against
        method(df[["path"]].rename(columns={"path": "mask"}))


@contextlib.contextmanager
def _no_feature_name_warning():
    """A context in which scikit-learn's feature-name warnings are errors."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*feature names")
        yield


def _flatten_backbone():
    """A backbone that reads each pixel at its place (8x8 RGB in): images
    unflattened to another shape embed differently."""
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Flatten()(keras.layers.Rescaling(1 / 255.0)(inputs))
    return keras.Model(inputs, keras.layers.Dense(4)(x), name="flat")


@pytest.mark.parametrize("estimator", ["TransferClassifier", "ImageEmbedder"])
def test_flattened_rows_keep_the_fitted_shape(estimator):
    """Flattened rows are unflattened with the input_shape of the fit: after
    set_params(input_shape=...) they were unflattened with the new shape,
    (8, 8, 3) rows read as (16, 4, 3) images, and (4, 4, 3) refused them.
    The new input_shape takes effect at the next fit."""
    rng = np.random.RandomState(0)
    flat = rng.uniform(0, 255, (6, 8 * 8 * 3)).astype(np.float32)
    labels = np.array([0, 1] * 3)
    model = _make(estimator, _flatten_backbone(), input_shape=(8, 8, 3))
    model.fit(flat, labels)
    method = (
        model.predict_proba if estimator == "TransferClassifier" else model.transform
    )
    before = method(flat)
    for shape in [(16, 4, 3), (4, 4, 3), None]:
        model.set_params(input_shape=shape)
        np.testing.assert_allclose(method(flat), before, rtol=1e-6)
    model.set_params(input_shape=(4, 4, 3))
    with pytest.raises(ValueError, match="holds 48 values"):
        model.fit(flat, labels)
