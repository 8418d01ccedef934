"""TransferClassifier trained on image FILE PATHS goes through the fit loop
that every skimb fit goes through (``KerasClassifier._fit_keras_model``).

When the whole network trains on streamed files (augmentation, or the
fine-tuning phase), TransferClassifier called Keras's fit itself:
partial_fit ran no callbacks and numbered every call epoch 0, ``verbose``
above 2 printed no loss, and ``history_`` was Keras's raw History. The
files are tiny PNGs written here; the backbone is two small convolutions
with random weights.

TransferClassifier has no ``callbacks`` parameter, so the tests that watch
callbacks use a subclass that sets the class attribute ``callbacks`` (what
``KerasClassifier`` takes as a parameter).
"""

import re

import numpy as np
import pytest

from skimb import TransferClassifier

from .conftest import tiny_conv_backbone as _tiny_backbone


@pytest.fixture(scope="module")
def image_files(tmp_path_factory):
    """Twelve 16x16 PNG files (4 'cat', 8 'dog'): their paths and labels."""
    import tensorflow as tf

    root = tmp_path_factory.mktemp("pngs")
    rng = np.random.RandomState(0)
    paths, labels = [], []
    for label, count, brightness in (("cat", 4, 200), ("dog", 8, 60)):
        for i in range(count):
            pixels = rng.randint(0, 56, (16, 16, 3)) + brightness
            path = root / f"{label}{i}.png"
            path.write_bytes(tf.io.encode_png(pixels.astype(np.uint8)).numpy())
            paths.append(str(path))
            labels.append(label)
    return paths, np.array(labels)


def _decay(epoch, rate=None):
    """A learning-rate schedule by epoch."""
    return 0.1 / (epoch + 1)


_EPOCHS_SEEN = []


def _with_callbacks(*callbacks):
    """A TransferClassifier subclass whose fits run ``callbacks``."""

    class WithCallbacks(TransferClassifier):
        pass

    WithCallbacks.callbacks = list(callbacks)
    return WithCallbacks


def _on_files(cls=TransferClassifier, **params):
    """An estimator whose whole network trains on the images (augmentation),
    so files are streamed to Keras's fit rather than embedded first."""
    import keras

    defaults = dict(
        weights=None,
        epochs=1,
        batch_size=4,
        input_shape=(16, 16),
        augmentation=[keras.layers.RandomFlip("horizontal")],
        random_state=0,
    )
    return cls(_tiny_backbone(), **{**defaults, **params})


def _epoch_recorder():
    import keras

    class EpochRecorder(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            _EPOCHS_SEEN.append(epoch)

    return EpochRecorder()


def test_partial_fit_on_files_goes_on_with_a_learning_rate_schedule(image_files):
    """Each partial_fit call on files is the next epoch: the schedule goes on.
    It ran no callbacks at all (no learning_rate in history_)."""
    import keras

    paths, labels = image_files
    cls = _with_callbacks(keras.callbacks.LearningRateScheduler(_decay))
    clf = _on_files(cls)
    for _ in range(3):
        clf.partial_fit(paths, labels)
    np.testing.assert_allclose(
        clf.history_["learning_rate"], [0.1, 0.05, 0.1 / 3], rtol=1e-6
    )
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(0.1 / 3)


def test_partial_fit_on_files_runs_the_callbacks_after_fit(image_files):
    """fit's two epochs on files, then partial_fit's third: the user's
    callback sees every epoch, numbered on; history_ has one value per
    epoch in every list."""
    import keras

    paths, labels = image_files
    _EPOCHS_SEEN.clear()
    cls = _with_callbacks(
        _epoch_recorder(), keras.callbacks.LearningRateScheduler(_decay)
    )
    clf = _on_files(cls, epochs=2).fit(
        paths, labels, validation_data=(paths[:6], labels[:6])
    )
    assert _EPOCHS_SEEN == [0, 1]
    clf.partial_fit(paths, labels)
    clf.partial_fit(paths, labels)
    assert _EPOCHS_SEEN == [0, 1, 2, 3]
    assert {len(values) for values in clf.history_.values()} == {4}
    np.testing.assert_allclose(
        clf.history_["learning_rate"], [0.1, 0.05, 0.1 / 3, 0.025], rtol=1e-6
    )
    assert np.isfinite(clf.history_["val_loss"][:2]).all()
    assert np.isnan(clf.history_["val_loss"][2:]).all()  # partial_fit: none


@pytest.mark.parametrize(
    "setting",
    [
        {"epochs": 2},
        {"augmentation": None, "trainable_layers": 1, "fine_tune_epochs": 1},
    ],
    ids=["augmentation", "fine_tuning"],
)
def test_verbose_above_two_prints_the_loss_on_files(image_files, capsys, setting):
    """verbose=5 on files printed Keras's 'Epoch i/n' lines and no loss: it
    reached Keras uncapped. The fit of the head (on embeddings) and of the
    whole network (augmentation, fine-tuning) print one loss line per epoch."""
    paths, labels = image_files
    clf = _on_files(verbose=5, **setting).fit(paths, labels)
    assert capsys.readouterr().out.count("loss:") == len(clf.history_["loss"]) == 2


def test_partial_fit_on_files_prints_its_epoch_numbered_on(image_files, capsys):
    """A verbose partial_fit on files prints the loss and the epoch's number
    after those trained ('Epoch 2/2'), not 'Epoch 1/1' at every call."""
    paths, labels = image_files
    clf = _on_files(verbose=5)
    clf.partial_fit(paths, labels)
    capsys.readouterr()
    clf.partial_fit(paths, labels)
    out = capsys.readouterr().out
    assert "Epoch 2/2" in out
    assert out.count("loss:") == 1
    assert len(clf.history_["loss"]) == 2


def test_a_corrupt_training_file_is_named_when_files_stream(image_files, tmp_path):
    """The error translation of streamed files stays: the file is named."""
    paths, labels = image_files
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"not an image at all")
    for method in ("fit", "partial_fit"):
        with pytest.raises(
            ValueError, match=re.escape(f"Cannot read image file '{corrupt}'")
        ):
            getattr(_on_files(), method)([*paths[:-1], str(corrupt)], labels)


def test_a_failure_on_readable_files_is_not_blamed_on_them(image_files):
    """A callback's error while training on files says the files are fine."""
    import keras

    class Broken(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise RuntimeError("broken callback")

    paths, labels = image_files
    clf = _on_files(_with_callbacks(Broken()))
    for method in (clf.fit, clf.partial_fit):
        with pytest.raises(ValueError) as error:
            method(paths, labels)
        assert str(error.value) == (
            "Running the network on the image files failed: RuntimeError: broken "
            "callback. Every file decodes as an image, so the files are not the "
            "cause."
        )
