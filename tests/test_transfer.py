"""Tests of TransferClassifier, ImageEmbedder and the backbone registry.

No test downloads weights: they use ``weights=None``, a weights file the test
writes, or a small convolutional backbone pretrained here on some digit
classes.
"""

import copy
import os
import pickle
import re

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.metrics import f1_score
from sklearn.model_selection import GridSearchCV

from skimb import ImageEmbedder, MLPClassifier, TransferClassifier
from skimb import transfer as transfer_module
from skimb.embedding import clear_embedding_cache
from skimb.transfer import BACKBONES, make_feature_extractor

from .conftest import uncopyable_scale


def _digit_images(classes):
    """Digits of ``classes`` as 16x16 grayscale images with 0..255 pixels."""
    digits = load_digits()
    keep = np.isin(digits.target, classes)
    images = digits.images[keep] * (255.0 / 16.0)
    images = np.repeat(np.repeat(images, 2, axis=1), 2, axis=2)
    return images.astype(np.float32), digits.target[keep]


@pytest.fixture(scope="module")
def pretrained_backbone():
    """A small CNN with BatchNorm, pretrained on digits 0-4; returns its
    feature part (convolutions and pooling, no classifier)."""
    import keras

    X, y = _digit_images([0, 1, 2, 3, 4])
    keras.utils.set_random_seed(0)
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Rescaling(1 / 255.0)(inputs)
    x = keras.layers.Conv2D(16, 3, activation="relu", name="conv1")(x)
    x = keras.layers.BatchNormalization(name="bn1")(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(32, 3, activation="relu", name="conv2")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    features = keras.Model(inputs, x, name="digits_features")
    classifier = keras.Sequential(
        [features, keras.layers.Dense(5, activation="softmax")]
    )
    classifier.compile("adam", "sparse_categorical_crossentropy")
    X_rgb = np.repeat(np.kron(X, np.ones((1, 2, 2)))[..., None], 3, axis=-1)
    classifier.fit(X_rgb, y, epochs=3, batch_size=32, verbose=0)
    return features


@pytest.fixture(scope="module")
def imbalanced_digits():
    """Digits 5 (majority) vs 6 (minority, 1:6), unseen by the backbone."""
    X, y = _digit_images([5, 6])
    rng = np.random.RandomState(0)
    minority = np.flatnonzero(y == 6)
    keep = np.concatenate(
        [np.flatnonzero(y == 5), rng.choice(minority, 30, replace=False)]
    )
    return X[keep], np.where(y[keep] == 6, "six", "five")


def _backbone(clf):
    return transfer_module._extractor_backbone(
        clf.model_.get_layer("feature_extractor")
    )


def _few(X, y, n_major=45, n_minor=15):
    """A small subset of the imbalanced digits with both classes."""
    keep = np.r_[
        np.flatnonzero(y == "five")[:n_major], np.flatnonzero(y == "six")[:n_minor]
    ]
    return X[keep], y[keep]


def _tiny_backbone(channels=3, size=None, batch_norm=False, seed=0):
    """A small convolutional backbone with random weights (seeded)."""
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((size, size, channels))
    x = keras.layers.Rescaling(1 / 255.0)(inputs)
    x = keras.layers.Conv2D(8, 3, name="conv1")(x)
    if batch_norm:
        x = keras.layers.BatchNormalization(name="bn1")(x)
    x = keras.layers.Activation("relu")(x)
    x = keras.layers.Conv2D(8, 3, name="conv2")(x)
    if batch_norm:
        x = keras.layers.BatchNormalization(name="bn2")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, x, name="tiny")


EXPECTED_FEATURES = {
    "mobilenet_v2": 1280,
    "mobilenet_v3_small": 576,
    "mobilenet_v3_large": 960,
    "efficientnet_b0": 1280,
    "resnet50": 2048,
    "convnext_tiny": 768,
    "densenet121": 1024,
}


@pytest.mark.slow
@pytest.mark.parametrize("name, n_features", EXPECTED_FEATURES.items())
def test_registered_backbones_build(name, n_features):
    """Each registered backbone builds without weights and pools to a vector."""
    extractor = make_feature_extractor(name, weights=None, input_shape=(32, 32, 3))
    assert extractor.output_shape == (None, n_features)
    images = np.random.RandomState(0).uniform(0, 255, (2, 40, 40, 3))
    assert extractor(images).shape == (2, n_features)  # other sizes resized


@pytest.mark.parametrize(
    "mode, module",
    [("tf", "mobilenet_v2"), ("torch", "densenet"), ("caffe", "resnet50")],
)
def test_preprocessing_matches_keras_applications(mode, module):
    """skimb's in-model preprocessing equals keras.applications' functions."""
    import importlib

    import keras

    from skimb._layers import ImagePreprocessing

    pixels = np.random.RandomState(0).uniform(0, 255, (2, 4, 4, 3)).astype("float32")
    app = importlib.import_module(f"keras.applications.{module}")
    expected = app.preprocess_input(pixels.copy())
    got = keras.ops.convert_to_numpy(ImagePreprocessing(mode)(pixels))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)


def test_registry_entries_name_keras_applications():
    """Every registry entry names a real keras.applications factory."""
    import keras

    for spec in BACKBONES.values():
        assert callable(getattr(keras.applications, spec.application))


def test_transfer_learning_on_imbalanced_digits(pretrained_backbone, imbalanced_digits):
    """A pretrained backbone plus head finds the rare digit; weights balanced."""
    X, y = imbalanced_digits
    clf = TransferClassifier(
        pretrained_backbone, weights=None, epochs=30, learning_rate=0.01, random_state=0
    ).fit(X, y)
    assert clf.input_shape_ == (32, 32, 3)
    np.testing.assert_array_equal(clf.classes_, ["five", "six"])
    assert f1_score(y, clf.predict(X), pos_label="six") > 0.8


def test_vanishing_features_warn(pretrained_backbone, imbalanced_digits):
    """Features that are ~0 for every image (MobileNet with random weights) warn.

    A head trained on them predicted the same probabilities for every image,
    silently; a backbone whose features carry signal does not warn.
    """
    import warnings

    X, y = _few(*imbalanced_digits)
    embedder = ImageEmbedder("mobilenet_v3_small", weights=None, cache=False)
    with pytest.warns(UserWarning, match="features are all close to zero"):
        embeddings = embedder.fit_transform(X)
    assert np.abs(embeddings).max() < 1e-4  # what the warning is about
    with pytest.warns(UserWarning, match="features are all close to zero"):
        TransferClassifier("mobilenet_v3_small", weights=None, epochs=1).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TransferClassifier(pretrained_backbone, weights=None, epochs=1).fit(X, y)


# MobileNetV3Small with random weights: its near-zero features warn (tested
# in test_vanishing_features_warn); this test is about something else.
@pytest.mark.filterwarnings("ignore:The backbone's features are all close to zero")
def test_pixels_scaled_to_unit_range_warn(imbalanced_digits):
    """Registered backbones take 0..255 pixels: images in 0..1 warn.

    Their own preprocessing would see such images as nearly black; a
    backbone of the user's own may well take 0..1, so it does not warn.
    """
    import warnings

    X, y = _few(*imbalanced_digits)
    scaled = X / 255.0
    message = "All pixel values are within 0..1, but backbone 'mobilenet_v3_small'"
    with pytest.warns(UserWarning, match=message):
        ImageEmbedder("mobilenet_v3_small", weights=None).fit(scaled)
    with pytest.warns(UserWarning, match="multiply them by 255"):
        TransferClassifier("mobilenet_v3_small", weights=None, epochs=1).fit(scaled, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ImageEmbedder("mobilenet_v3_small", weights=None).fit(X)
        ImageEmbedder(_tiny_backbone(), weights=None).fit(scaled)


def test_backbone_stays_frozen(pretrained_backbone, imbalanced_digits):
    """Head training leaves the backbone's weights bit-identical."""
    X, y = imbalanced_digits
    for augmentation in (None, "default"):
        clf = TransferClassifier(
            pretrained_backbone,
            weights=None,
            epochs=2,
            augmentation=augmentation,
            random_state=0,
        )
        clf.fit(X, y)
        after = _backbone(clf).get_weights()
        before = pretrained_backbone.get_weights()
        assert len(after) == len(before) == 8  # conv1 (2), bn1 (4), conv2 (2)
        for a, b in zip(after, before):
            np.testing.assert_array_equal(a, b)


def test_user_backbone_is_not_modified(pretrained_backbone, imbalanced_digits):
    """Fine-tuning trains a copy; the user's backbone object is untouched."""
    X, y = imbalanced_digits
    before = [w.copy() for w in pretrained_backbone.get_weights()]
    TransferClassifier(
        pretrained_backbone,
        weights=None,
        epochs=1,
        trainable_layers=2,
        fine_tune_epochs=1,
        random_state=0,
        fine_tune_learning_rate=0.01,
    ).fit(X, y)
    for b, a in zip(before, pretrained_backbone.get_weights()):
        np.testing.assert_array_equal(b, a)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"trainable_layers": 2}, "trainable_layers=2 has no effect with fine_tune"),
        ({"fine_tune_epochs": 3}, "fine_tune_epochs=3 has no effect with trainab"),
    ],
)
def test_half_of_fine_tuning_warns(
    pretrained_backbone, imbalanced_digits, params, message
):
    """Fine-tuning needs both parameters; one alone was skipped in silence."""
    X, y = imbalanced_digits
    clf = TransferClassifier(pretrained_backbone, weights=None, epochs=1, **params)
    with pytest.warns(UserWarning, match=message):
        clf.fit(X, y)
    assert clf.n_iter_ == 1  # the head's epoch only


def test_fine_tuning_changes_only_top_layers(pretrained_backbone, imbalanced_digits):
    """Fine-tuning updates the top conv layer only; BN stays in inference mode."""
    X, y = imbalanced_digits
    clf = TransferClassifier(
        pretrained_backbone,
        weights=None,
        epochs=1,
        trainable_layers=1,
        fine_tune_epochs=2,
        fine_tune_learning_rate=0.01,
        random_state=0,
    )
    clf.fit(X, y)
    backbone = _backbone(clf)
    original = {layer.name: layer for layer in pretrained_backbone.layers}
    changed = {
        layer.name
        for layer in backbone.layers
        if layer.weights
        and any(
            not np.array_equal(a, b)
            for a, b in zip(layer.get_weights(), original[layer.name].get_weights())
        )
    }
    assert changed == {"conv2"}  # conv1 and bn1 (incl. moving stats) untouched
    assert clf.n_iter_ == 3
    assert len(clf.history_["loss"]) == 3


def test_fine_tuning_counts_layers_that_learn(pretrained_backbone, imbalanced_digits):
    """trainable_layers=2 trains conv2 and conv1: bn1 between them, frozen,
    does not count (it used to, so that 2 trained conv2 alone)."""
    X, y = imbalanced_digits
    clf = TransferClassifier(
        pretrained_backbone,
        weights=None,
        epochs=1,
        trainable_layers=2,
        fine_tune_epochs=1,
        fine_tune_learning_rate=0.01,
        random_state=0,
    )
    clf.fit(X, y)
    backbone = _backbone(clf)
    trainable = {
        layer.name for layer in backbone.layers if layer.trainable and layer.weights
    }
    assert trainable == {"conv1", "conv2"}


def test_fine_tuning_keeps_batchnorm_statistics(imbalanced_digits):
    """BatchNormalization inside the unfrozen range stays bit-identical
    (scale, offset and moving statistics) while the convolutions learn."""
    X, y = _few(*imbalanced_digits)
    backbone = _tiny_backbone(batch_norm=True)
    rng = np.random.RandomState(0)
    for name in ("bn1", "bn2"):  # statistics that an update would move
        gamma, beta, mean, var = backbone.get_layer(name).get_weights()
        backbone.get_layer(name).set_weights(
            [
                rng.uniform(0.5, 1.5, gamma.shape),
                rng.normal(0, 0.1, beta.shape),
                rng.normal(0, 0.1, mean.shape),
                rng.uniform(0.5, 2.0, var.shape),
            ]
        )
    clf = TransferClassifier(
        backbone,
        weights=None,
        epochs=1,
        trainable_layers=10,  # every layer with weights: conv1, bn1, conv2, bn2
        fine_tune_epochs=2,
        fine_tune_learning_rate=0.01,
        random_state=0,
    ).fit(X, y)
    tuned = _backbone(clf)
    for name in ("bn1", "bn2"):
        assert not tuned.get_layer(name).trainable
        for a, b in zip(
            tuned.get_layer(name).get_weights(), backbone.get_layer(name).get_weights()
        ):
            np.testing.assert_array_equal(a, b)
    for name in ("conv1", "conv2"):
        assert tuned.get_layer(name).trainable
        assert not np.array_equal(
            tuned.get_layer(name).get_weights()[0],
            backbone.get_layer(name).get_weights()[0],
        )


def _pass_through():
    """An augmentation that changes nothing: the network trains on the images
    (through the backbone at every epoch), not on cached embeddings as with
    augmentation=None or []."""
    import keras

    return [keras.layers.Identity()]


def test_fine_tuning_uses_fine_tune_learning_rate(
    pretrained_backbone, imbalanced_digits, monkeypatch
):
    """The head trains at learning_rate, fine-tuning at fine_tune_learning_rate."""
    import keras

    X, y = _few(*imbalanced_digits)
    phases = []
    original = TransferClassifier._fit_on_images

    def recording(self, model, *args, **kwargs):
        history = original(self, model, *args, **kwargs)
        optimizer = model.optimizer
        rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
        steps = int(keras.ops.convert_to_numpy(optimizer.iterations))
        phases.append((rate, steps))
        return history

    monkeypatch.setattr(TransferClassifier, "_fit_on_images", recording)
    clf = TransferClassifier(
        pretrained_backbone,
        weights=None,
        # both phases train on images, through _fit_on_images
        augmentation=_pass_through(),
        epochs=1,
        learning_rate=0.01,
        trainable_layers=1,
        fine_tune_epochs=1,
        fine_tune_learning_rate=1e-4,
        batch_size=32,
        random_state=0,
    ).fit(X, y)
    assert [rate for rate, _ in phases] == [
        pytest.approx(0.01),
        pytest.approx(1e-4),
    ]
    steps = phases[1][1]
    assert steps == 2  # 60 images in batches of 32, one epoch
    # Adam moves each weight by about the learning rate per step: conv2 (the
    # only unfrozen layer) moved at the fine-tuning rate, not at the head's.
    change = np.abs(
        _backbone(clf).get_layer("conv2").get_weights()[0]
        - pretrained_backbone.get_layer("conv2").get_weights()[0]
    ).max()
    assert 0 < change <= 3 * steps * 1e-4


def test_learning_rates_take_any_real_number(pretrained_backbone, imbalanced_digits):
    """An int or a NumPy float is a valid learning rate (the parameter
    constraint says Real); Keras's Adam refused both with its own error."""
    X, y = _few(*imbalanced_digits)
    clf = TransferClassifier(
        pretrained_backbone,
        weights=None,
        epochs=1,
        learning_rate=1,
        trainable_layers=1,
        fine_tune_epochs=1,
        fine_tune_learning_rate=np.float32(1e-4),
        random_state=0,
    ).fit(X, y)
    rate = float(clf.model_.optimizer.learning_rate)
    assert rate == pytest.approx(1e-4)  # the fine-tuning phase's, the last


def test_embeddings_computed_once_per_fit(
    pretrained_backbone, imbalanced_digits, monkeypatch
):
    """With a frozen backbone the head trains on embeddings made once per fit."""
    X, y = imbalanced_digits
    embedded = []
    original = transfer_module._embed_images

    def counting(extractor, images, **kwargs):
        embedded.append(len(images))
        return original(extractor, images, **kwargs)

    monkeypatch.setattr(transfer_module, "_embed_images", counting)
    TransferClassifier(pretrained_backbone, weights=None, epochs=5, random_state=0).fit(
        X, y
    )
    assert sum(embedded) == len(X)


def test_pickle_roundtrip(pretrained_backbone, imbalanced_digits):
    """A fitted TransferClassifier pickles with identical predictions."""
    X, y = imbalanced_digits
    clf = TransferClassifier(
        pretrained_backbone, weights=None, epochs=2, random_state=0
    ).fit(X, y)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))


def test_fit_takes_validation_data_and_no_other_keras_arguments(
    pretrained_backbone, imbalanced_digits
):
    """validation_data (any labels) reaches the head; other fit arguments,
    which TransferClassifier's own training loop would ignore, are refused."""
    X, y = _few(*imbalanced_digits)
    X_val, y_val = _few(*imbalanced_digits, n_major=10, n_minor=5)
    clf = TransferClassifier(pretrained_backbone, weights=None, epochs=2)
    clf.fit(X, y, validation_data=(X_val, y_val))
    assert len(clf.history_["val_loss"]) == 2
    with pytest.raises(ValueError, match=r"no Keras fit arguments; got \['verbose'\]"):
        clf.fit(X, y, verbose=2)
    # Metadata routing offers it validation_data alone.
    assert set(clf.get_metadata_routing().fit.requests) == {
        "sample_weight",
        "validation_data",
    }


def test_same_random_state_same_predictions(pretrained_backbone, imbalanced_digits):
    """Two fits with the same random_state predict identically."""
    X, y = imbalanced_digits
    probas = [
        TransferClassifier(
            pretrained_backbone,
            weights=None,
            epochs=3,
            augmentation="default",
            random_state=0,
        )
        .fit(X, y)
        .predict_proba(X)
        for _ in range(2)
    ]
    np.testing.assert_array_equal(*probas)


def test_augmentation_only_while_training(pretrained_backbone, imbalanced_digits):
    """Augmentation changes training but never predictions: a fitted model
    predicts the same twice, and like the network without augmentation."""
    import keras

    X, y = _few(*imbalanced_digits)

    def fit(augmentation):
        return TransferClassifier(
            pretrained_backbone,
            weights=None,
            epochs=2,
            augmentation=augmentation,
            batch_size=16,
            random_state=0,
        ).fit(X, y)

    augmented = fit("default")
    proba = augmented.predict_proba(X)  # more rows than batch_size: predict()
    np.testing.assert_array_equal(augmented.predict_proba(X), proba)
    few = augmented.predict_proba(X[:5])  # the direct call
    np.testing.assert_array_equal(augmented.predict_proba(X[:5]), few)
    np.testing.assert_allclose(few, proba[:5], rtol=1e-5, atol=1e-6)
    extractor = augmented.model_.get_layer("feature_extractor")
    head = augmented.model_.get_layer("head")
    rgb = np.repeat(X[..., None], 3, axis=-1)
    without = keras.ops.convert_to_numpy(head(extractor(rgb, training=False)))
    np.testing.assert_allclose(proba, without, rtol=1e-5, atol=1e-6)
    # The same training on images, the same seed, no augmentation: differs.
    plain = fit([]).predict_proba(X)
    assert np.abs(plain - proba).max() > 1e-3


def test_image_layouts_agree(pretrained_backbone, imbalanced_digits):
    """Grayscale, one-channel, RGB and flattened inputs give the same result."""
    X, y = imbalanced_digits
    clf = TransferClassifier(
        pretrained_backbone, weights=None, epochs=2, random_state=0
    ).fit(X, y)
    reference = clf.predict_proba(X)
    np.testing.assert_allclose(clf.predict_proba(X[..., None]), reference)
    np.testing.assert_allclose(
        clf.predict_proba(np.repeat(X[..., None], 3, axis=-1)), reference
    )
    flat = TransferClassifier(
        pretrained_backbone,
        weights=None,
        epochs=2,
        input_shape=(16, 16, 1),
        random_state=0,
    )
    flat.fit(X.reshape(len(X), -1), y)
    assert flat.input_shape_ == (32, 32, 3)  # raised to the 32-pixel minimum
    np.testing.assert_allclose(
        flat.predict_proba(X.reshape(len(X), -1)), reference, atol=1e-6
    )


def test_one_channel_backbone(imbalanced_digits, tmp_path):
    """A backbone that takes one channel gets grayscale images as they are,
    from arrays and (converted) from colour files; RGB arrays are refused."""
    X, y = _few(*imbalanced_digits, n_major=24, n_minor=8)
    X = np.round(X)
    backbone = _tiny_backbone(channels=1, size=32)
    clf = TransferClassifier(backbone, weights=None, epochs=2, random_state=0)
    clf.fit(X, y)
    assert clf.input_shape_ == (32, 32, 1)
    assert clf.model_.input_shape == (None, None, None, 1)
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(clf.predict_proba(X[..., None]), proba)
    paths = _write_images(tmp_path, X)  # RGB PNG files
    np.testing.assert_allclose(clf.predict_proba(paths), proba, atol=1e-5)
    rgb = np.repeat(X[..., None], 3, axis=-1)
    message = "The backbone takes images with 1 channel(s), but the images have 3"
    with pytest.raises(ValueError, match=re.escape(message)):
        clf.predict_proba(rgb)
    with pytest.raises(ValueError, match=re.escape(message)):
        TransferClassifier(backbone, weights=None, epochs=1).fit(rgb, y)
    # Training on images (files, with augmentation) works with one channel too.
    streamed = TransferClassifier(
        backbone,
        weights=None,
        epochs=1,
        augmentation="default",
        input_shape=(32, 32),
        random_state=0,
    ).fit(paths, y)
    assert streamed.input_shape_ == (32, 32, 1)
    assert streamed.predict_proba(X).shape == (len(X), 2)


def test_one_channel_backbone_embedder(imbalanced_digits, tmp_path):
    """ImageEmbedder feeds a one-channel backbone one channel."""
    X, _ = _few(*imbalanced_digits, n_major=10, n_minor=5)
    X = np.round(X)
    embedder = ImageEmbedder(_tiny_backbone(channels=1, size=32), weights=None)
    embedded = embedder.fit_transform(X)
    assert embedder.input_shape_ == (32, 32, 1)
    assert embedded.shape == (len(X), 8)
    np.testing.assert_array_equal(embedder.transform(X[..., None]), embedded)
    paths = _write_images(tmp_path, X)
    np.testing.assert_allclose(embedder.transform(paths), embedded, atol=1e-5)
    with pytest.raises(ValueError, match="takes images with 1 channel"):
        embedder.transform(np.repeat(X[..., None], 3, axis=-1))
    with pytest.raises(ValueError, match="with 4 channels; skimb feeds it"):
        ImageEmbedder(_tiny_backbone(channels=4, size=32), weights=None).fit(X)


def test_other_sizes_are_resized(pretrained_backbone, imbalanced_digits):
    """Images of another size than input_shape are resized, not refused."""
    X, y = imbalanced_digits
    clf = TransferClassifier(
        pretrained_backbone,
        weights=None,
        epochs=2,
        input_shape=(32, 32, 3),
        random_state=0,
    ).fit(X, y)
    big = np.repeat(np.repeat(X, 3, axis=1), 3, axis=2)  # 48x48
    assert clf.predict_proba(big).shape == (len(X), 2)


def _write_images(directory, images, fmt="png"):
    import tensorflow as tf

    paths = []
    for i, image in enumerate(images):
        pixels = tf.constant(np.repeat(image[..., None], 3, -1).astype(np.uint8))
        data = tf.io.encode_png(pixels) if fmt == "png" else tf.io.encode_jpeg(pixels)
        path = directory / f"img{i:04d}.{fmt}"
        path.write_bytes(data.numpy())
        paths.append(str(path))
    return paths


def test_file_paths_are_streamed(pretrained_backbone, imbalanced_digits, tmp_path):
    """PNG paths give the same predictions as the same pixels in an array."""
    X, y = imbalanced_digits
    X = np.round(X).astype(np.uint8).astype(np.float32)
    paths = _write_images(tmp_path, X)
    clf = TransferClassifier(
        pretrained_backbone,
        weights=None,
        epochs=3,
        input_shape=(32, 32, 3),
        random_state=0,
    ).fit(X, y)
    np.testing.assert_allclose(
        clf.predict_proba(paths), clf.predict_proba(X), atol=1e-5
    )
    from_files = TransferClassifier(
        pretrained_backbone,
        weights=None,
        epochs=3,
        input_shape=(32, 32, 3),
        random_state=0,
    )
    from_files.fit(paths, y)
    np.testing.assert_allclose(
        from_files.predict_proba(X), clf.predict_proba(X), atol=1e-5
    )
    jpegs = _write_images(tmp_path, X[:5], fmt="jpg")
    assert clf.predict_proba(jpegs).shape == (5, 2)


def test_file_paths_with_fine_tuning(pretrained_backbone, imbalanced_digits, tmp_path):
    """Fine-tuning streams files through tf.data and learns."""
    X, y = imbalanced_digits
    paths = _write_images(tmp_path, X)
    clf = TransferClassifier(
        pretrained_backbone,
        weights=None,
        epochs=20,
        learning_rate=0.01,
        trainable_layers=1,
        fine_tune_epochs=2,
        fine_tune_learning_rate=1e-4,
        input_shape=(32, 32, 3),
        random_state=0,
    )
    clf.fit(paths, y)
    assert f1_score(y, clf.predict(paths), pos_label="six") > 0.7


def test_missing_and_unreadable_files(pretrained_backbone, imbalanced_digits, tmp_path):
    """A missing or corrupt image file is a ValueError naming the file."""
    X, y = imbalanced_digits
    paths = _write_images(tmp_path, X[:20])
    labels = y[:20].copy()
    labels[:3] = "six"
    clf = TransferClassifier(
        pretrained_backbone,
        weights=None,
        epochs=1,
        input_shape=(32, 32, 3),
        random_state=0,
    )
    missing = str(tmp_path / "nope.png")
    with pytest.raises(
        ValueError, match=re.escape(f"Image file not found: '{missing}'")
    ):
        clf.fit([*paths[:-1], missing], labels)
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"not an image at all")
    with pytest.raises(
        ValueError, match=re.escape(f"Cannot read image file '{corrupt}'")
    ):
        clf.fit([*paths[:-1], str(corrupt)], labels)


def test_missing_and_unreadable_files_at_predict(
    pretrained_backbone, imbalanced_digits, tmp_path
):
    """predict and transform name a missing or corrupt file as fit does."""
    X, y = _few(*imbalanced_digits, n_major=10, n_minor=5)
    paths = _write_images(tmp_path, X)
    clf = TransferClassifier(
        pretrained_backbone, weights=None, epochs=1, random_state=0
    ).fit(paths, y)
    embedder = ImageEmbedder(pretrained_backbone, weights=None).fit(paths)
    missing = str(tmp_path / "nope.png")
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"not an image at all")
    for method in (clf.predict, clf.predict_proba, embedder.transform):
        with pytest.raises(
            ValueError, match=re.escape(f"Image file not found: '{missing}'")
        ):
            method([*paths, missing])
        with pytest.raises(
            ValueError, match=re.escape(f"Cannot read image file '{corrupt}'")
        ):
            method([*paths, str(corrupt)])


def test_unreadable_file_permissions(tmp_path, monkeypatch):
    """A file the process may not read is named in a clear error."""
    import os

    from skimb import _images

    path = tmp_path / "secret.png"
    path.write_bytes(b"pixels")
    real_access = os.access
    monkeypatch.setattr(  # root may read anything: pretend we may not
        os, "access", lambda p, mode: p != str(path) and real_access(p, mode)
    )
    with pytest.raises(
        ValueError, match=re.escape(f"Image file not readable: '{path}'")
    ):
        _images.check_paths([str(path)])


def test_weights_file(pretrained_backbone, imbalanced_digits, tmp_path):
    """weights= a file path loads those weights into the backbone."""
    X, y = imbalanced_digits
    path = tmp_path / "backbone.weights.h5"
    pretrained_backbone.save_weights(path)
    import keras

    fresh = keras.models.clone_model(pretrained_backbone)  # random weights
    clf = TransferClassifier(fresh, weights=str(path), epochs=1, random_state=0)
    clf.fit(X, y)
    for got, expected in zip(
        _backbone(clf).get_weights(),
        pretrained_backbone.get_weights(),
    ):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(
    "params, X, message",
    [
        (
            {"backbone": "mobilenet_v22"},
            None,
            "Unknown backbone 'mobilenet_v22'. Did you mean 'mobilenet_v2'",
        ),
        (
            {"weights": "/no/such/file.h5"},
            None,
            "Use weights='imagenet', weights=None or weights='<path of an existing",
        ),
        ({}, "flat", "flattened images need input_shape"),
        ({}, "mixed", "The images have mixed shapes"),
        ({}, "5d", "Got an array of shape (6, 2, 32, 32, 3) instead"),
    ],
)
def test_bad_inputs(params, X, message):
    """Unknown backbones, missing weights and bad image arrays are clear errors."""
    rng = np.random.RandomState(0)
    images = {
        None: rng.uniform(0, 255, (6, 32, 32, 3)),
        "flat": rng.uniform(0, 255, (6, 48)),
        "mixed": [rng.uniform(0, 255, (32, 32, 3)), rng.uniform(0, 255, (40, 32, 3))]
        * 3,
        "5d": rng.uniform(0, 255, (6, 2, 32, 32, 3)),
    }[X]
    y = np.array([0, 1] * 3)
    clf = TransferClassifier(**{"weights": None, "epochs": 1, **params})
    with pytest.raises(ValueError, match=re.escape(message)):
        clf.fit(images, y)


_SHAPE_MESSAGE = (
    "input_shape must be (height, width) or (height, width, channels) with "
    "positive integer sizes and 1 or 3 channels. Got "
)


@pytest.mark.parametrize(
    "params, flat, error, message",
    [
        ({"input_shape": (40,)}, False, ValueError, _SHAPE_MESSAGE + "(40,)"),
        ({"input_shape": (40,)}, True, ValueError, _SHAPE_MESSAGE + "(40,)"),
        ({"input_shape": (-5, 32, 3)}, False, ValueError, _SHAPE_MESSAGE + "(-5,"),
        ({"input_shape": (32, 32, 7)}, False, ValueError, _SHAPE_MESSAGE + "(32,"),
        (
            {"hidden_units": (0,)},
            False,
            ValueError,
            "hidden_units must contain positive integers. Got (0,)",
        ),
        (
            {"augmentation": ["flip"]},
            False,
            TypeError,
            "augmentation must be 'default', None or a list of Keras layers",
        ),
    ],
)
def test_bad_image_parameters(params, flat, error, message):
    """Impossible input shapes, head sizes and augmentation entries say so.

    They used to fail inside numpy or Keras (tuple unpacking, a Dense of 0
    units, str.from_config), or were silently replaced by other values.
    """
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 255, (6, 32, 32, 3))
    y = np.array([0, 1] * 3)
    X = X.reshape(6, -1) if flat else X
    for estimator in (TransferClassifier, ImageEmbedder):
        names = estimator().get_params()
        if not set(params) <= set(names):
            continue
        kwargs = {"weights": None, **params}
        if estimator is TransferClassifier:
            kwargs["epochs"] = 1
        with pytest.raises(error, match=re.escape(message)):
            estimator(_tiny_backbone(), **kwargs).fit(X, y)


def test_hidden_units_takes_an_int():
    """hidden_units=16 is one layer of 16 units, as hidden_layer_sizes=16."""
    X = np.random.RandomState(0).uniform(0, 255, (6, 32, 32, 3))
    clf = TransferClassifier(_tiny_backbone(), weights=None, hidden_units=16, epochs=1)
    head = clf.fit(X, [0, 1] * 3).model_.get_layer("head")
    assert [layer.units for layer in head.layers] == [16, 2]


def test_embedder_cache_in_grid_search(
    pretrained_backbone, imbalanced_digits, monkeypatch
):
    """A grid search over the head embeds each distinct image only once."""
    from imblearn.over_sampling import SMOTE
    from imblearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skimb.metrics import imbalanced_scoring

    clear_embedding_cache()
    X, y = imbalanced_digits
    embedded = []
    original = transfer_module._embed_images

    def counting(extractor, images, **kwargs):
        embedded.append(len(images))
        return original(extractor, images, **kwargs)

    monkeypatch.setattr(transfer_module, "_embed_images", counting)
    builds = _count_extractor_builds(monkeypatch)
    pipe = make_pipeline(
        ImageEmbedder(pretrained_backbone, weights=None),
        StandardScaler(),
        SMOTE(random_state=0),
        MLPClassifier(max_iter=50, learning_rate_init=0.01, random_state=0),
    )
    grid = {"mlpclassifier__hidden_layer_sizes": [(8,), (16,)]}
    search = GridSearchCV(
        pipe, grid, cv=3, scoring=imbalanced_scoring(), refit="f1"
    ).fit(X, y)
    assert sum(embedded) == len(X)  # 3 folds x 2 candidates + refit: once each
    assert len(builds) == 1  # and the 7 fits built one extractor (7 before)
    assert search.best_score_ > 0.6


def _count_extractor_builds(monkeypatch) -> list:
    """A list that gets one entry per feature extractor built from now on."""
    builds, original = [], transfer_module.make_feature_extractor

    def counting(*args, **kwargs):
        builds.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(transfer_module, "make_feature_extractor", counting)
    return builds


def test_embedders_fitted_alike_share_one_extractor(
    pretrained_backbone, imbalanced_digits, tmp_path, monkeypatch
):
    """With cache=True, fits with the same recipe reuse the extractor built
    first (each fit used to build its own, about a second for a MobileNet);
    a change of the recipe, cache=False and clear_embedding_cache build
    anew."""
    import keras

    X, _ = _few(*imbalanced_digits, n_major=6, n_minor=2)
    clear_embedding_cache()
    builds = _count_extractor_builds(monkeypatch)
    first = ImageEmbedder(pretrained_backbone, weights=None).fit(X)
    again = clone(first).fit(X)
    assert again.extractor_ is first.extractor_ and len(builds) == 1
    assert again.fingerprint_ == first.fingerprint_
    # The shared extractor embeds as a fresh one does.
    fresh = ImageEmbedder(pretrained_backbone, weights=None, cache=False).fit(X)
    assert fresh.extractor_ is not first.extractor_ and len(builds) == 2
    np.testing.assert_array_equal(again.transform(X), fresh.transform(X))
    # A weights file counts by its content: rewritten with other weights of
    # the same size and modification time (cp -p of another checkpoint), it
    # is new.
    path = tmp_path / "features.weights.h5"
    pretrained_backbone.save_weights(path)
    from_file = [ImageEmbedder(pretrained_backbone, weights=path) for _ in range(3)]
    from_file[0].fit(X), from_file[1].fit(X)
    assert from_file[1].extractor_ is from_file[0].extractor_ and len(builds) == 3
    shifted = keras.models.clone_model(pretrained_backbone)
    shifted.set_weights([w + 0.01 for w in pretrained_backbone.get_weights()])
    stat = os.stat(path)
    shifted.save_weights(path)
    assert os.stat(path).st_size == stat.st_size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    from_file[2].fit(X)
    assert from_file[2].extractor_ is not from_file[0].extractor_
    assert from_file[2].fingerprint_ != from_file[0].fingerprint_
    # A model backbone counts by its weights.
    other = ImageEmbedder(shifted, weights=None).fit(X)
    assert other.fingerprint_ == from_file[2].fingerprint_  # same network
    assert other.extractor_ is not from_file[2].extractor_  # another recipe
    assert len(builds) == 5
    # Only the two most recent recipes are kept; clearing forgets them all.
    kept = clone(first).fit(X)
    assert kept.extractor_ is not first.extractor_ and len(builds) == 6
    clear_embedding_cache()
    assert clone(first).fit(X).extractor_ is not kept.extractor_
    assert len(builds) == 7


def test_a_model_backbone_is_serialised_once_per_object(imbalanced_digits, monkeypatch):
    """Cached ImageEmbedder fits and TransferClassifier's partial_fit share
    one digest of a model backbone's configuration, read once per model
    object: each cached fit serialised the whole configuration again (30
    ms of a 50 ms cached fit with MobileNetV2). The weights are still read
    at every cached fit: changed in place, they make another backbone,
    whose extractor is built anew; a pickled copy is the same backbone."""
    from skimb import embedding

    X, y = _few(*imbalanced_digits, n_major=6, n_minor=2)
    backbone = _tiny_backbone()
    reads, original = [], embedding._model_config

    def counting(layer):
        if layer is backbone:
            reads.append(layer)
        return original(layer)

    monkeypatch.setattr(embedding, "_model_config", counting)
    clear_embedding_cache()
    first = ImageEmbedder(backbone, weights=None).fit(X)
    assert ImageEmbedder(backbone, weights=None).fit(X).extractor_ is first.extractor_
    clf = TransferClassifier(backbone, weights=None, epochs=1, random_state=0)
    clf.partial_fit(X, y).partial_fit(X, y)
    assert len(reads) == 1
    backbone.set_weights([w + 0.01 for w in backbone.get_weights()])
    changed = ImageEmbedder(backbone, weights=None).fit(X)
    assert changed.extractor_ is not first.extractor_
    assert changed.fingerprint_ != first.fingerprint_
    fresh = ImageEmbedder(backbone, weights=None, cache=False).fit(X)
    np.testing.assert_array_equal(changed.transform(X), fresh.transform(X))
    copied = pickle.loads(pickle.dumps(backbone))
    assert ImageEmbedder(copied, weights=None).fit(X).extractor_ is changed.extractor_
    assert len(reads) == 1


def test_weights_file_hashed_once_per_version(tmp_path, monkeypatch):
    """The key of a cached fit hashes a weights file's content; the hash is
    kept per version of the file (device, inode, size, status-change time),
    so the clones of a search do not each read the whole file. A replaced
    file is hashed anew, and so is a file changed within the last second,
    whose next change could fall in the same clock tick."""
    import hashlib

    from skimb import embedding

    reads, original = [], hashlib.file_digest

    def counting(file, name):
        reads.append(file.name)
        return original(file, name)

    monkeypatch.setattr(hashlib, "file_digest", counting)
    embedding._content_digest.cache_clear()
    path = tmp_path / "features.weights.h5"
    path.write_bytes(b"a" * 100)
    fresh = embedding._file_digest(path)
    assert embedding._file_digest(path) == fresh and len(reads) == 2
    monkeypatch.setattr(embedding, "_SETTLED_NS", 0)  # as if written long ago
    assert embedding._file_digest(path) == fresh
    assert embedding._file_digest(path) == fresh and len(reads) == 3
    other = tmp_path / "other.weights.h5"
    other.write_bytes(b"b" * 100)
    os.replace(other, path)
    assert embedding._file_digest(path) != fresh and len(reads) == 4
    assert fresh == hashlib.sha1(b"a" * 100).hexdigest()


def test_embedder_disk_cache(
    pretrained_backbone, imbalanced_digits, tmp_path, monkeypatch
):
    """memory= keeps embeddings on disk: after clearing memory, no recompute."""
    X, _ = imbalanced_digits
    clear_embedding_cache()
    first = ImageEmbedder(pretrained_backbone, weights=None, memory=str(tmp_path))
    expected = first.fit_transform(X)
    clear_embedding_cache()

    def fail(*args, **kwargs):
        raise AssertionError("the backbone ran although the disk cache has it")

    monkeypatch.setattr(transfer_module, "_embed_images", fail)
    again = ImageEmbedder(pretrained_backbone, weights=None, memory=str(tmp_path))
    np.testing.assert_array_equal(again.fit(X).transform(X), expected)
    # Each image has its own entry on disk: a subset or another order (a
    # fold, a worker's share) is read too. It used to key whole calls.
    clear_embedding_cache()
    order = np.random.RandomState(0).permutation(len(X))[:20]
    np.testing.assert_array_equal(again.transform(X[order]), expected[order])


def test_embedder_memory_that_cannot_be_created(
    pretrained_backbone, imbalanced_digits, tmp_path
):
    """A memory= folder that cannot be made is fit's ValueError naming the
    parameter; fit used to succeed and transform to end in joblib's bare
    NotADirectoryError."""
    X, _ = imbalanced_digits
    (tmp_path / "a_file").write_text("not a folder")
    memory = str(tmp_path / "a_file" / "cache")
    embedder = ImageEmbedder(pretrained_backbone, weights=None, memory=memory)
    with pytest.raises(ValueError, match="cannot keep embeddings in memory="):
        embedder.fit(X)


def test_embedder_without_cache_matches(pretrained_backbone, imbalanced_digits):
    """Cached and uncached embeddings are identical; pickling keeps them."""
    X, _ = imbalanced_digits
    cached = ImageEmbedder(pretrained_backbone, weights=None).fit(X)
    plain = ImageEmbedder(pretrained_backbone, weights=None, cache=False).fit(X)
    np.testing.assert_array_equal(cached.transform(X), plain.transform(X))
    restored = pickle.loads(pickle.dumps(plain))
    np.testing.assert_array_equal(restored.transform(X[:5]), plain.transform(X[:5]))
    assert plain.get_feature_names_out().shape == (plain.n_features_out_,)


def test_embedder_fingerprint_tracks_weights():
    """Two random initialisations get different cache namespaces."""
    X = np.random.RandomState(0).uniform(0, 255, (2, 32, 32, 3))
    a = ImageEmbedder("mobilenet_v3_small", weights=None, random_state=0).fit(X)
    b = ImageEmbedder("mobilenet_v3_small", weights=None, random_state=0).fit(X)
    c = ImageEmbedder("mobilenet_v3_small", weights=None, random_state=1).fit(X)
    assert a.fingerprint_ == b.fingerprint_ != c.fingerprint_
    assert a.extractor_ is b.extractor_ and c.extractor_ is not a.extractor_


def test_embedder_follows_a_replaced_backbone_entry(monkeypatch):
    """Replacing a name's entry in BACKBONES builds the new backbone: the
    extractor built for the old entry is not reused under the same name."""
    from skimb.transfer import BackboneSpec

    X = np.random.RandomState(0).uniform(0, 255, (2, 32, 32, 3))
    options = {"include_preprocessing": True}
    monkeypatch.setitem(
        BACKBONES,
        "test_small",
        BackboneSpec("MobileNetV3Small", "none", options=options),
    )
    first = ImageEmbedder("test_small", weights=None, random_state=0).fit(X)
    options = {**options, "minimalistic": True}
    monkeypatch.setitem(
        BACKBONES,
        "test_small",
        BackboneSpec("MobileNetV3Small", "none", options=options),
    )
    second = ImageEmbedder("test_small", weights=None, random_state=0).fit(X)
    assert second.extractor_ is not first.extractor_
    assert second.fingerprint_ != first.fingerprint_
    # The replaced entry's network (minimalistic: no squeeze-and-excite blocks)
    assert second.extractor_.count_params() < first.extractor_.count_params()


def _embeddings_cached_and_not(embedder, X):
    """Embeddings of a fitted embedder through the cache, then without it."""
    cached = embedder.set_params(cache=True).transform(X)
    plain = embedder.set_params(cache=False).transform(X)
    return cached, plain


def test_embedder_cache_key_covers_input_shape(imbalanced_digits):
    """Embedders differing only in input_shape do not share cache entries."""
    X, _ = _few(*imbalanced_digits, n_major=6, n_minor=2)
    backbone = _tiny_backbone()  # takes any image size
    clear_embedding_cache()
    small = ImageEmbedder(backbone, weights=None, input_shape=(32, 32, 3)).fit(X)
    large = ImageEmbedder(backbone, weights=None, input_shape=(48, 48, 3)).fit(X)
    small_cached, small_plain = _embeddings_cached_and_not(small, X)
    large_cached, large_plain = _embeddings_cached_and_not(large, X)
    assert not np.allclose(small_plain, large_plain)  # the sizes matter
    np.testing.assert_array_equal(small_cached, small_plain)
    np.testing.assert_array_equal(large_cached, large_plain)
    assert small.fingerprint_ != large.fingerprint_


# MobileNetV3Small with random weights: its near-zero features warn (tested
# in test_vanishing_features_warn); this test is about something else.
@pytest.mark.filterwarnings("ignore:The backbone's features are all close to zero")
def test_embedder_cache_key_covers_pooling():
    """For a registered backbone (pooling inside it) avg and max pooling do
    not share cache entries."""
    # 64 pixels: MobileNetV3's last feature map is 2x2 (at 32, 1x1 pools alike)
    X = np.random.RandomState(0).uniform(0, 255, (3, 64, 64, 3))
    clear_embedding_cache()
    embedders = {
        pooling: ImageEmbedder(
            "mobilenet_v3_small", weights=None, pooling=pooling, random_state=0
        ).fit(X)
        for pooling in ("avg", "max")
    }
    avg_cached, avg_plain = _embeddings_cached_and_not(embedders["avg"], X)
    max_cached, max_plain = _embeddings_cached_and_not(embedders["max"], X)
    assert not np.array_equal(avg_plain, max_plain)  # the pooling matters
    np.testing.assert_array_equal(avg_cached, avg_plain)
    np.testing.assert_array_equal(max_cached, max_plain)


def test_partial_fit_trains_on(pretrained_backbone, imbalanced_digits):
    """Each partial_fit call trains the fitted head one more epoch, also after
    a pickle round trip; it used to start from scratch every time."""
    X, y = _few(*imbalanced_digits)
    clf = TransferClassifier(pretrained_backbone, weights=None, random_state=0)
    heads = []
    for call in range(3):
        clf.partial_fit(X, y)
        heads.append(clf.model_.get_layer("head").get_weights()[0].copy())
        if call == 1:
            clf = pickle.loads(pickle.dumps(clf))
    assert len(clf.history_["loss"]) == 3
    assert not np.array_equal(heads[0], heads[1])
    assert not np.array_equal(heads[1], heads[2])
    restart = TransferClassifier(pretrained_backbone, weights=None, random_state=0)
    first = restart.partial_fit(X, y).model_.get_layer("head").get_weights()[0]
    np.testing.assert_array_equal(first, heads[0])  # the same first step
    assert clf.predict(X[:3]).shape == (3,)


@pytest.mark.parametrize("augmentation", [None, "default"])
def test_partial_fit_takes_a_changed_learning_rate(imbalanced_digits, augmentation):
    """partial_fit after set_params(learning_rate=...) trains at the new
    rate with the optimizer's state (Adam's moments and step count) going
    on: the same step as at the old rate, ten times as long. It went on at
    the old rate, silently. A changed loss compiles the head anew."""
    X, y = _few(*imbalanced_digits, n_major=12, n_minor=4)  # one batch

    def trained(rate):
        clf = TransferClassifier(
            _tiny_backbone(),
            weights=None,
            augmentation=augmentation,
            learning_rate=0.001,
            random_state=0,
        ).partial_fit(X, y)
        before = clf.model_.get_layer("head").get_weights()
        clf.set_params(learning_rate=rate).partial_fit(X, y)
        after = clf.model_.get_layer("head").get_weights()
        return clf, [b - a for a, b in zip(before, after)]

    clf, steps = trained(0.01)
    _, slow_steps = trained(0.001)
    for step, slow_step in zip(steps, slow_steps):
        np.testing.assert_allclose(step, 10 * slow_step, rtol=1e-3, atol=1e-7)
    head = clf.model_.get_layer("head")
    trained_part = head if augmentation is None else clf.model_
    optimizer = trained_part.optimizer
    assert float(optimizer.learning_rate) == pytest.approx(0.01)
    assert int(optimizer.iterations) == 2  # one step per call, not reset
    clf.set_params(loss="focal").partial_fit(X, y)
    assert type(trained_part.loss).__name__ == "FocalLoss"
    assert int(trained_part.optimizer.iterations) == 1  # a new optimizer


def test_a_failed_partial_fit_puts_the_heads_optimizer_back(
    imbalanced_digits, monkeypatch
):
    """A partial_fit call that fails puts the optimizer's state (step count,
    learning rate, moments) back with the weights, also that of the head
    trained alone on embeddings: it went on, with the rate of the failed
    call, which then stayed when learning_rate was set back."""
    from skimb import base

    X, y = _few(*imbalanced_digits, n_major=12, n_minor=4)
    clf = TransferClassifier(_tiny_backbone(), weights=None, random_state=0)
    head = clf.partial_fit(X, y).model_.get_layer("head")
    before = [np.array(variable) for variable in head.optimizer.variables]

    def diverged(model, history):
        raise ValueError("Training diverged")

    monkeypatch.setattr(base, "_check_training_converged", diverged)
    with pytest.raises(ValueError, match="diverged"):
        clf.set_params(learning_rate=0.01).partial_fit(X, y)
    monkeypatch.undo()
    for variable, value in zip(head.optimizer.variables, before, strict=True):
        np.testing.assert_array_equal(np.array(variable), value)
    clf.set_params(learning_rate=0.001).partial_fit(X, y)
    assert float(head.optimizer.learning_rate) == pytest.approx(0.001)


@pytest.mark.parametrize(
    "change",
    [
        {"hidden_units": (8,)},
        {"dropout": 0.5},
        {"pooling": "max"},
        {"input_shape": (24, 24, 3)},
        {"backbone": "other model"},
    ],
)
def test_partial_fit_refuses_a_changed_network(imbalanced_digits, change):
    """partial_fit after a parameter that decides the network changed is a
    ValueError, as for KerasClassifier and MLPClassifier; it trained the
    old network on, silently. Unchanged parameters go on, after a pickle
    round trip too (the backbone model is compared by its content)."""
    X, y = _few(*imbalanced_digits, n_major=12, n_minor=4)
    clf = TransferClassifier(_tiny_backbone(), weights=None, random_state=0)
    clf = pickle.loads(pickle.dumps(clf.partial_fit(X, y)))
    clf.partial_fit(X, y)
    head = clf.model_.get_layer("head").get_weights()[0].copy()
    if change.get("backbone") == "other model":
        change = {"backbone": _tiny_backbone(seed=1)}
    clf.set_params(**change)
    with pytest.raises(ValueError, match=f"after {next(iter(change))} changed"):
        clf.partial_fit(X, y)
    np.testing.assert_array_equal(clf.model_.get_layer("head").get_weights()[0], head)
    assert len(clf.history_["loss"]) == 2


@pytest.mark.parametrize(
    "copy_of",
    [lambda est: pickle.loads(pickle.dumps(est)), copy.deepcopy],
    ids=["pickle", "deepcopy"],
)
def test_partial_fit_goes_on_after_a_copy_with_a_lambda_backbone(
    imbalanced_digits, copy_of
):
    """Keras serialises a copied Lambda layer's function (its bytecode)
    otherwise, so the copied backbone's fingerprint differs: partial_fit
    after a pickle or deepcopy raised "after backbone changed". The
    backbone the network was built from is the same one in the copy; an
    estimator given another backbone model still refuses to go on."""
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Lambda(lambda images: images / 255.0)(inputs)
    x = keras.layers.Conv2D(4, 3)(x)
    backbone = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(x))
    X, y = _few(*imbalanced_digits, n_major=12, n_minor=4)
    clf = TransferClassifier(backbone, weights=None, random_state=0)
    clf = copy_of(clf.partial_fit(X, y))
    clf.partial_fit(X, y)
    clf = copy_of(clf)  # the copy of a copy goes on too
    clf.partial_fit(X, y)
    assert len(clf.history_["loss"]) == 3
    clf.set_params(backbone=_tiny_backbone(seed=1))
    with pytest.raises(ValueError, match="after backbone changed"):
        clf.partial_fit(X, y)


def test_partial_fit_goes_on_with_a_backbone_never_built(imbalanced_digits):
    """A Sequential backbone without an Input (no output shape to hash)
    trains, and partial_fit goes on with it."""
    import keras

    X, y = _few(*imbalanced_digits, n_major=12, n_minor=4)
    backbone = keras.Sequential(
        [keras.layers.Conv2D(4, 3), keras.layers.GlobalAveragePooling2D()]
    )
    clf = TransferClassifier(backbone, weights=None, random_state=0)
    clf.partial_fit(X, y).partial_fit(X, y)
    assert len(clf.history_["loss"]) == 2


def test_partial_fit_continues_a_model_pickled_before_it_kept_its_path(
    pretrained_backbone, imbalanced_digits
):
    """A model pickled before partial_fit kept how its head trains (the
    private _head_on_embeddings) continues too; it raised AttributeError."""
    X, y = _few(*imbalanced_digits)
    clf = TransferClassifier(pretrained_backbone, weights=None, random_state=0)
    clf.partial_fit(X, y)
    del clf._head_on_embeddings
    clf = pickle.loads(pickle.dumps(clf))
    before = clf.model_.get_layer("head").get_weights()[0].copy()
    clf.partial_fit(X, y)
    assert not np.array_equal(clf.model_.get_layer("head").get_weights()[0], before)
    assert len(clf.history_["loss"]) == 2


@pytest.mark.parametrize("fine_tuning", [False, True])
def test_initialize_builds_without_training(
    pretrained_backbone, imbalanced_digits, fine_tuning
):
    """initialize (inherited from KerasClassifier) builds the network, the
    backbone's weights untouched, and trains nothing, not even the
    fine-tuning epochs of fit."""
    X, y = _few(*imbalanced_digits)
    tuning = {
        "augmentation": _pass_through(),
        "trainable_layers": 2,
        "fine_tune_epochs": 1,
    }
    clf = TransferClassifier(
        pretrained_backbone,
        weights=None,
        random_state=0,
        **(tuning if fine_tuning else {}),
    )
    clf.initialize(X, y)
    assert (clf.history_, clf.n_iter_) == ({}, 0)
    assert clf.predict_proba(X[:4]).shape == (4, len(np.unique(y)))
    for a, b in zip(_backbone(clf).get_weights(), pretrained_backbone.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_partial_fit_trains_the_head_only(pretrained_backbone, imbalanced_digits):
    """Fine-tuning belongs to fit: partial_fit leaves the backbone as it is."""
    X, y = _few(*imbalanced_digits)
    clf = TransferClassifier(
        pretrained_backbone,
        weights=None,
        augmentation=_pass_through(),  # trains the whole network, on the images
        trainable_layers=2,
        fine_tune_epochs=1,
        random_state=0,
    )
    clf.partial_fit(X, y).partial_fit(X, y)
    for a, b in zip(_backbone(clf).get_weights(), pretrained_backbone.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert len(clf.history_["loss"]) == 2


def _small_backbone(size):
    """A one-convolution grayscale backbone with a fixed input size."""
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((size, size, 1))
    x = keras.layers.Rescaling(1 / 255.0)(inputs)
    x = keras.layers.Conv2D(4, 3, activation="relu")(x)
    return keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(x))


@pytest.mark.parametrize("input_shape", [None, (28, 28, 1)])
@pytest.mark.parametrize("image_size", [28, 40])
def test_own_backbone_runs_at_its_own_size(input_shape, image_size):
    """A Keras model backbone runs at its fixed input size, even below the 32
    pixels keras.applications need; images of another size are resized.
    (28x28 used to be raised to 32, which the model refused.)"""
    X = np.random.RandomState(0).uniform(0, 255, (12, image_size, image_size, 1))
    y = np.r_[np.zeros(8), np.ones(4)]
    backbone = _small_backbone(28)
    clf = TransferClassifier(
        backbone, weights=None, input_shape=input_shape, epochs=1
    ).fit(X, y)
    assert clf.input_shape_ == (28, 28, 1)
    assert clf.predict_proba(X).shape == (12, 2)
    embedder = ImageEmbedder(backbone, weights=None, input_shape=input_shape)
    assert embedder.fit(X).input_shape_ == (28, 28, 1)
    assert embedder.transform(X).shape == (12, 4)


def test_backbone_that_keras_cannot_copy_is_a_clear_error(imbalanced_digits):
    """A backbone with a layer whose configuration cannot rebuild it: one
    ValueError naming backbone= and what to change."""
    import keras

    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(4, 3)(uncopyable_scale(1 / 255)(inputs))
    X, y = _few(*imbalanced_digits)
    with pytest.raises(ValueError) as caught:
        TransferClassifier(keras.Model(inputs, x), weights=None).fit(X, y)
    message = str(caught.value)
    assert message.startswith("skimb copies the keras.Model given as backbone= ")
    assert message.endswith("that returns their constructor's arguments.")


def test_subclassed_model_backbone(imbalanced_digits):
    """A subclassed keras.Model without compute_output_shape is a backbone
    like any other; Keras's NotImplementedError from the wrapper that runs
    it in inference mode came through."""
    import keras

    class Features(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.conv = keras.layers.Conv2D(4, 3)
            self.pool = keras.layers.GlobalAveragePooling2D()

        def call(self, x):
            return self.pool(self.conv(x))

    X, y = _few(*imbalanced_digits, n_major=12, n_minor=4)
    embedder = ImageEmbedder(Features(), weights=None).fit(X)
    assert embedder.transform(X).shape == (16, 4)
    clf = TransferClassifier(Features(), weights=None, epochs=1, random_state=0)
    assert clf.fit(X, y).predict_proba(X[:3]).shape == (3, 2)


@pytest.mark.parametrize("estimator", [ImageEmbedder, TransferClassifier])
def test_images_too_small_for_own_backbone(estimator):
    """A backbone whose feature map shrinks to nothing on small images: one
    ValueError that names the image size and what to do (it was Keras's
    message about a layer's call)."""
    import keras

    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(4, 5)(keras.layers.Conv2D(4, 5)(inputs))
    backbone = keras.Model(inputs, x)
    X = np.random.RandomState(0).uniform(0, 255, (12, 6, 6, 3)).astype(np.float32)
    y = np.r_[[0] * 8, [1] * 4]
    with pytest.raises(ValueError) as caught:
        estimator(backbone, weights=None).fit(X, y)
    message = str(caught.value)
    assert message.startswith("The backbone cannot run on 6x6 images: Computed")
    assert message.endswith("(images are resized to it).")
    assert "InferenceMode" not in message


def test_input_shape_of_flattened_images_for_a_fixed_size_backbone():
    """input_shape describes flattened images; the backbone's fixed size
    still wins, and the images are resized to it."""
    X = np.random.RandomState(0).uniform(0, 255, (4, 40, 40, 1))
    clf = TransferClassifier(
        _small_backbone(28), weights=None, input_shape=(40, 40), epochs=1
    ).fit(X.reshape(4, -1), [0, 0, 1, 1])
    assert clf.input_shape_ == (28, 28, 1)
    assert clf.predict_proba(X.reshape(4, -1)).shape == (4, 2)


def test_registered_backbone_still_runs_at_32_or_more():
    X = np.random.RandomState(0).uniform(0, 255, (4, 20, 20, 3))
    embedder = ImageEmbedder("resnet50", weights=None, cache=False).fit(X)
    assert embedder.input_shape_ == (32, 32, 3)


def test_warnings_point_at_the_callers_line(imbalanced_digits):
    """Warnings name the user's line, from any entry point, not skimb's."""
    X, y = _few(*imbalanced_digits)
    calls = {
        "TransferClassifier.fit": lambda: TransferClassifier(
            "mobilenet_v3_small", weights=None, epochs=1
        ).fit(X, y),
        "ImageEmbedder.fit_transform": lambda: ImageEmbedder(
            "mobilenet_v3_small", weights=None, cache=False
        ).fit_transform(X),
        "ImageEmbedder 0..1 pixels": lambda: ImageEmbedder(
            "resnet50", weights=None
        ).fit(X / 255.0),
    }
    for name, call in calls.items():
        with pytest.warns(UserWarning) as record:
            call()
        assert {warning.filename for warning in record} == {__file__}, name


def _save_weights(model, tmp_path):
    path = tmp_path / "other.weights.h5"
    model.save_weights(path)
    return str(path)


@pytest.mark.parametrize("backbone", ["resnet50", "own model"])
def test_weights_file_of_another_model_is_one_clear_error(backbone, tmp_path):
    """A weights file that does not fit: one ValueError naming the file, not
    Keras's message (which printed whole weight arrays) after a warning per
    layer (over a hundred for ResNet50)."""
    import warnings

    weights = _save_weights(_small_backbone(28), tmp_path)
    if backbone == "own model":
        backbone = _tiny_backbone(channels=1)
    X = np.random.RandomState(0).uniform(0, 255, (2, 32, 32, 1))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError) as error:
            ImageEmbedder(backbone, weights=weights).fit(X)
    message = str(error.value)
    assert message.startswith(f"Cannot load the weights file {weights!r} into ")
    assert "as saved by model.save_weights()" in message
    assert "\n" not in message and len(message) < 400
    assert not [w for w in caught if "keras" in w.filename]


# Random EfficientNet weights give features near zero; the test compares them.
@pytest.mark.filterwarnings("ignore:The backbone's features are all close to zero")
def test_efficientnet_weights_file_normalises_as_imagenet_build(tmp_path, monkeypatch):
    """Keras's weights="imagenet" EfficientNet rescales after its
    Normalization layer (whose ImageNet variance holds standard deviations);
    skimb builds with weights=None to load a file, which lacked that step:
    features from a copied ImageNet file were off by up to half. The
    "imagenet" build is made offline here by serving the file as Keras's
    download; a file without ImageNet's statistics is loaded as it is."""
    import h5py
    import keras
    from keras.src.applications import efficientnet
    from keras.src.legacy.saving import legacy_h5_format

    keras.utils.set_random_seed(0)
    shape = (32, 32, 3)
    source = keras.applications.EfficientNetB0(
        include_top=False, weights=None, input_shape=shape, pooling="avg"
    )
    own = tmp_path / "own.weights.h5"
    source.save_weights(own)  # Normalization: mean 0, variance 1
    norm = next(
        layer
        for layer in source.layers
        if isinstance(layer, keras.layers.Normalization)
    )
    norm.adapt_mean.assign([0.485, 0.456, 0.406])
    norm.adapt_variance.assign([0.229, 0.224, 0.225])  # as in the ImageNet file
    imagenet = tmp_path / "efficientnetb0_notop.h5"  # the download's format
    with h5py.File(imagenet, "w") as file:
        legacy_h5_format.save_weights_to_hdf5_group(file, source)
    monkeypatch.setattr(efficientnet.file_utils, "get_file", lambda *a, **k: imagenet)
    reference = keras.applications.EfficientNetB0(
        include_top=False, weights="imagenet", input_shape=shape, pooling="avg"
    )
    X = np.random.RandomState(0).uniform(0, 255, (4, *shape)).astype(np.float32)

    def check_embeddings(weights, model):
        got = ImageEmbedder(
            "efficientnet_b0", weights=weights, input_shape=shape, cache=False
        ).fit_transform(X)
        expected = keras.ops.convert_to_numpy(model(X, training=False))
        scale = np.abs(expected).max()
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * scale)

    check_embeddings(imagenet, reference)
    source.load_weights(own)
    check_embeddings(own, source)


def test_weights_file_that_fits_is_loaded(tmp_path):
    source = _tiny_backbone(channels=1)
    weights = _save_weights(source, tmp_path)
    X = np.random.RandomState(0).uniform(0, 255, (3, 32, 32, 1))
    expected = ImageEmbedder(source, weights=None, cache=False).fit_transform(X)
    loaded = ImageEmbedder(_tiny_backbone(channels=1, seed=1), weights=weights)
    np.testing.assert_allclose(loaded.fit(X).transform(X), expected, rtol=1e-6)


def _fine_tuned(backbone, X, y, **params):
    """A TransferClassifier fitted on images (an augmentation that changes
    nothing) and fine-tuned for an epoch at 0.01, with ``params`` on top."""
    defaults = {
        "weights": None,
        "augmentation": _pass_through(),
        "epochs": 1,
        "fine_tune_epochs": 1,
        "fine_tune_learning_rate": 0.01,
        "random_state": 0,
    }
    return TransferClassifier(backbone, **{**defaults, **params}).fit(X, y)


def test_early_stopping_keeps_the_head_when_fine_tuning_does_worse(
    pretrained_backbone, imbalanced_digits
):
    """With early_stopping, fine-tuning goes on from the head's best
    validation loss: a fine-tuning that never beats it ends with the head's
    network (it ended with the best fine-tuned epoch, worse than the head),
    and one that beats it keeps its weights."""
    X, y = _few(*imbalanced_digits)
    params = dict(
        weights=None,
        epochs=10,
        learning_rate=0.01,
        validation_split=0.3,
        early_stopping=True,
        random_state=0,
    )
    head_only = TransferClassifier(pretrained_backbone, **params).fit(X, y)
    diverging = TransferClassifier(
        pretrained_backbone,
        trainable_layers=2,
        fine_tune_epochs=3,
        fine_tune_learning_rate=0.5,
        **params,
    ).fit(X, y)
    n_head = len(head_only.history_["val_loss"])
    tuned_losses = diverging.history_["val_loss"][n_head:]
    assert min(tuned_losses) > min(head_only.history_["val_loss"])
    np.testing.assert_array_equal(
        diverging.predict_proba(X), head_only.predict_proba(X)
    )
    for a, b in zip(
        _backbone(diverging).get_weights(), pretrained_backbone.get_weights()
    ):
        np.testing.assert_array_equal(a, b)
    improving = TransferClassifier(
        pretrained_backbone,
        trainable_layers=2,
        fine_tune_epochs=3,
        fine_tune_learning_rate=1e-3,
        **params,
    ).fit(X, y)
    tuned_losses = improving.history_["val_loss"][n_head:]
    assert min(tuned_losses) < min(head_only.history_["val_loss"])
    assert not np.array_equal(
        _backbone(improving).get_weights()[-1], pretrained_backbone.get_weights()[-1]
    )


def test_partial_fit_after_fine_tuning_trains_the_head_alone(imbalanced_digits):
    """After a fit that fine-tuned (on images: augmentation), partial_fit
    trains the head at its own rate; it used to go on fine-tuning the
    backbone, compiled at the fine-tuning rate."""
    X, y = _few(*imbalanced_digits)
    clf = _fine_tuned(_tiny_backbone(batch_norm=True), X, y, trainable_layers=2)
    tuned = [w.copy() for w in _backbone(clf).get_weights()]
    head = clf.model_.get_layer("head").get_weights()[0].copy()
    clf.partial_fit(X, y)
    for a, b in zip(_backbone(clf).get_weights(), tuned):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(clf.model_.get_layer("head").get_weights()[0], head)
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(0.001)


def test_backbone_with_a_fixed_height_and_a_free_width():
    """The fixed side is the model's, the free side the images'. (The free
    side used to make the model count as free, and run at the images' or a
    default height, which it refused.)"""
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((28, None, 1))
    x = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    backbone = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(x))
    X = np.random.RandomState(0).uniform(0, 255, (6, 20, 36, 1))
    embedder = ImageEmbedder(backbone, weights=None, cache=False).fit(X)
    assert embedder.input_shape_ == (28, 36, 1)
    assert embedder.transform(X).shape == (6, 4)
    given = ImageEmbedder(backbone, weights=None, input_shape=(30, 40), cache=False)
    assert given.fit(X).input_shape_ == (28, 40, 1)


def test_batchnorm_inside_a_nested_model_stays_frozen(imbalanced_digits):
    """trainable_layers counts the layers of nested models, and leaves their
    BatchNormalization frozen (unfreezing a nested model made it trainable)."""
    import keras

    keras.utils.set_random_seed(0)
    block = keras.Sequential(
        [
            keras.Input((30, 30, 8)),
            keras.layers.Conv2D(8, 3, name="inner_conv"),
            keras.layers.BatchNormalization(name="inner_bn"),
        ],
        name="block",
    )
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(8, 3, name="outer_conv")(inputs)
    backbone = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(block(x)))
    X, y = _few(*imbalanced_digits)
    clf = _fine_tuned(backbone, X, y, trainable_layers=10, fine_tune_epochs=2)
    tuned = _backbone(clf).get_layer("block")
    assert not tuned.get_layer("inner_bn").trainable
    for a, b in zip(
        tuned.get_layer("inner_bn").get_weights(),
        block.get_layer("inner_bn").get_weights(),
    ):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(
        tuned.get_layer("inner_conv").get_weights()[0],
        block.get_layer("inner_conv").get_weights()[0],
    )


def _conv_bn_layer_class():
    """A user's layer that holds a convolution and a BatchNormalization (a
    layer, not a nested model)."""
    import keras

    @keras.saving.register_keras_serializable(package="skimb_tests")
    class ConvBN(keras.layers.Layer):
        def __init__(self, filters, **kwargs):
            super().__init__(**kwargs)
            self.filters = filters
            self.conv = keras.layers.Conv2D(filters, 3, name="conv")
            self.bn = keras.layers.BatchNormalization(name="bn")

        def build(self, shape):
            self.conv.build(shape)
            self.bn.build(self.conv.compute_output_shape(shape))

        def call(self, x, training=None):
            return keras.ops.relu(self.bn(self.conv(x), training=training))

        def compute_output_shape(self, shape):
            return self.conv.compute_output_shape(shape)

        def get_config(self):
            return {**super().get_config(), "filters": self.filters}

    return ConvBN


def test_backbone_runs_in_inference_mode_while_training(imbalanced_digits):
    """Keras 3 passes a functional model's training=True on to a backbone
    called with training=False: the backbone's Dropout was active in
    augmented head training and fine-tuning, and a BatchNormalization inside
    a user's layer moved its statistics. The backbone now runs in inference
    mode throughout, and that BatchNormalization stays frozen."""
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Rescaling(1 / 255.0)(inputs)
    x = _conv_bn_layer_class()(8, name="block")(x)
    x = keras.layers.Dropout(0.5, name="drop")(x)
    backbone = keras.Model(inputs, keras.layers.Conv2D(8, 3, name="top")(x))
    block = backbone.get_layer("block")
    rng = np.random.RandomState(0)
    block.bn.moving_mean.assign(rng.normal(size=8).astype("float32"))
    block.bn.moving_variance.assign(rng.uniform(0.5, 2.0, 8).astype("float32"))
    X, y = _few(*imbalanced_digits)
    clf = _fine_tuned(
        backbone, X, y, trainable_layers=2, fine_tune_epochs=2, augmentation="default"
    )
    extractor = clf.model_.get_layer("feature_extractor")
    rgb = np.repeat(X[:8, ..., None], 3, axis=-1)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(extractor(rgb, training=True)),
        keras.ops.convert_to_numpy(extractor(rgb, training=False)),
    )
    tuned = _backbone(clf).get_layer("block")
    for a, b in zip(tuned.bn.get_weights(), block.bn.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(tuned.conv.get_weights()[0], block.conv.get_weights()[0])


def test_disk_cache_recovers_from_a_damaged_entry(tmp_path, capsys):
    """An unreadable entry is embedded again and rewritten (it used to be
    stored as None and break that image for good); a joblib.Memory object,
    verbose by default, prints nothing per image."""
    import joblib

    X = np.random.RandomState(0).uniform(0, 255, (3, 32, 32, 1))
    clear_embedding_cache()  # other tests may have embedded these images
    memory = joblib.Memory(tmp_path)
    embedder = ImageEmbedder(_tiny_backbone(channels=1), weights=None, memory=memory)
    expected = embedder.fit(X).transform(X)
    assert capsys.readouterr().out == ""
    outputs = sorted(tmp_path.rglob("output.pkl"))
    assert len(outputs) == 3
    outputs[0].write_bytes(b"not a pickle")
    clear_embedding_cache()
    repaired = embedder.transform(X)  # joblib logs what it could not read
    np.testing.assert_allclose(repaired, expected, rtol=1e-5)  # alone, not in a batch
    clear_embedding_cache()
    np.testing.assert_array_equal(embedder.transform(X), repaired)  # rewritten


def test_channels_first_keras_setting_is_a_clear_error(imbalanced_digits):
    """With Keras set to channels_first, building a backbone failed with
    "Input size must be at least 32x32; Received input_shape=(64, 64, 3)"."""
    import keras

    X, y = _few(*imbalanced_digits)
    before = keras.config.image_data_format()
    keras.config.set_image_data_format("channels_first")
    try:
        with pytest.raises(ValueError, match="image_data_format is 'channels_first'"):
            TransferClassifier("mobilenet_v3_small", weights=None).fit(X, y)
        with pytest.raises(ValueError, match="take channels-last images"):
            ImageEmbedder("resnet50", weights=None).fit(X)
    finally:
        keras.config.set_image_data_format(before)
