"""
Images on disk: a folder per class
==================================

Your images are usually files, sorted into one folder per class
(``photos/cat/*.jpg``, ``photos/dog/*.png``).
:func:`~skimb.datasets.load_image_folder` lists such a folder as file paths
and labels, and :class:`~skimb.TransferClassifier` and
:class:`~skimb.ImageEmbedder` take the paths as ``X``: a ``tf.data``
pipeline reads, decodes and resizes the files batch by batch, so the images
are never all in memory at once.

Here a small imbalanced folder stands in for yours: handwritten digits
written as 32x32 PNG files, 8s (the rare class, 1 for 12 others) against
6s and 9s. We train on the file paths with a small convolutional backbone
pretrained on the digits 0-4 (no download needed), compare a
``TransferClassifier`` with and without class weights, and
``ImageEmbedder -> SMOTE -> LogisticRegression`` with the same pipeline
without SMOTE. Last, a file that is not an image makes the fit fail with a
``ValueError`` that names it.
"""

import os
import tempfile
import warnings

import keras
import numpy as np
import tensorflow as tf
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, precision_score, recall_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skimb import ImageEmbedder, TransferClassifier
from skimb.datasets import load_image_folder, make_imbalanced_images

SEED = 0

# %%
# A folder of PNG files, one subfolder per class
# ----------------------------------------------
#
# :func:`~skimb.datasets.make_imbalanced_images` gives digits as 32x32 RGB
# pixels (0..255); we write each one as a PNG file (with TensorFlow's PNG
# encoder) into ``eight/`` or ``other/``. With your own data, this folder
# already exists.

images, is_eight = make_imbalanced_images(
    minority_class=8, majority_classes=[6, 9], imbalance_ratio=12, random_state=SEED
)
workdir = tempfile.TemporaryDirectory()
folder = os.path.join(workdir.name, "digits")
for i, (image, label) in enumerate(zip(images, is_eight)):
    class_folder = os.path.join(folder, "eight" if label else "other")
    os.makedirs(class_folder, exist_ok=True)
    with open(os.path.join(class_folder, f"{i:04d}.png"), "wb") as file:
        file.write(tf.io.encode_png(image.astype(np.uint8)).numpy())

# %%
# List the files
# --------------
#
# ``load_image_folder`` returns the paths (sorted by class, then name) and
# the subfolder names as labels; it opens no image.

paths, labels = load_image_folder(folder)
print(f"{len(paths)} files, e.g. {os.path.relpath(paths[0], folder)!r}")
for name in np.unique(labels):
    print(f"  {name:6s} {np.sum(labels == name):4d} images")

paths_train, paths_test, y_train, y_test = train_test_split(
    paths, labels, test_size=0.5, stratify=labels, random_state=SEED
)

# %%
# A backbone that needs no download
# ---------------------------------
#
# With network access you would pass ``"mobilenet_v2"`` and
# ``weights="imagenet"``. Offline, we pretrain a small convolutional network
# on the digits 0-4 (other digits than the task's) from pixels in memory,
# as in :ref:`sphx_glr_auto_examples_plot_transfer_learning_digits.py`. Its
# input is fixed at 32x32 pixels, so the files are read at that size (files
# of another size would be resized to it).


def convolutional_features():
    """A small CNN from 32x32 RGB pixels (0..255) to 64 features."""
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Rescaling(1 / 255.0)(inputs)
    x = keras.layers.Conv2D(32, 3, activation="relu")(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(64, 3, activation="relu")(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(64, 3, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, x, name="digits_features")


digits = load_digits()
source = digits.target < 5
X_source = np.kron(digits.images[source], np.ones((4, 4))) * (255.0 / 16.0)
X_source = np.repeat(X_source[..., None], 3, axis=-1)
keras.utils.set_random_seed(SEED)
backbone = convolutional_features()
pretraining = keras.Sequential([backbone, keras.layers.Dense(5, activation="softmax")])
pretraining.compile("adam", "sparse_categorical_crossentropy")
pretraining.fit(X_source, digits.target[source], epochs=10, batch_size=32, verbose=0)
print(f"backbone pretrained on {len(X_source)} images of the digits 0-4")

# %%
# Train on the file paths
# -----------------------
#
# Both estimators take the list of paths where they would take an array of
# pixels. ``TransferClassifier`` weighs the classes ``"balanced"`` by
# default; ``ImageEmbedder`` turns each file into the backbone's 64 features
# (each file is read and embedded once, then cached), after which any
# scikit-learn or imbalanced-learn step can follow, SMOTE included.


def transfer(**params):
    return TransferClassifier(
        backbone,
        weights=None,
        hidden_units=(32,),
        epochs=60,
        learning_rate=0.01,
        random_state=SEED,
        **params,
    )


def embedding_pipeline(*resampler):
    return make_pipeline(
        ImageEmbedder(backbone, weights=None, random_state=SEED),
        StandardScaler(),
        *resampler,
        LogisticRegression(max_iter=1000),
    )


models = {
    "TransferClassifier, balanced weights": transfer(),
    "TransferClassifier, no weights": transfer(class_weight=None),
    "ImageEmbedder -> SMOTE -> logistic": embedding_pipeline(SMOTE(random_state=SEED)),
    "ImageEmbedder -> logistic": embedding_pipeline(),
}

print(f"\ntraining on {len(paths_train)} files, testing on {len(paths_test)}")
print(f"{'model':38s} {'F1':>6s} {'recall':>7s} {'precision':>10s}")
for name, model in models.items():
    predicted = model.fit(paths_train, y_train).predict(paths_test)
    f1, recall, precision = (
        metric(y_test, predicted, pos_label="eight", zero_division=0)
        for metric in (f1_score, recall_score, precision_score)
    )
    print(f"{name:38s} {f1:6.3f} {recall:7.3f} {precision:10.3f}")

# %%
# With about 15 rare images in each half, one image more or less found moves
# recall by several hundredths: compare on your own data with
# cross-validation (``skimb.metrics.imbalanced_scoring`` scores the minority
# class, whatever its label) before you choose.
#
# Files that are not images
# -------------------------
#
# ``load_image_folder`` keeps files by their extension: a ``notes.txt`` is
# left out with a warning, but a damaged ``.png`` is listed like any other.
# The fit then fails with a ``ValueError`` that names the file, rather than
# with TensorFlow's decoding error.

with open(os.path.join(folder, "eight", "notes.txt"), "w") as file:
    file.write("scanned in 2024\n")
with open(os.path.join(folder, "eight", "9999.png"), "wb") as file:
    file.write(b"not a PNG")  # e.g. a truncated download

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    paths, labels = load_image_folder(folder)
for warning in caught:
    print(f"warning: {str(warning.message).replace(folder, '<folder>')}")
print(f"{len(paths)} files listed")

try:
    transfer().fit(paths, labels)
except ValueError as error:
    print(f"ValueError: {str(error).replace(folder, '<folder>')}")

workdir.cleanup()
