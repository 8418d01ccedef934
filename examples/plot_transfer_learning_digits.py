"""
Transfer learning that pays off, without network access
=======================================================

We pretrain a small convolutional backbone on the digits 0-4, save it, and
reuse it through ``TransferClassifier(backbone=...)`` on a strongly
imbalanced task built from *other* digits with few training images: is it an
8 (1 in 20) or a 5, 6, 7 or 9? We compare minority-class F1 and recall with
the same network trained from scratch, each with and without balanced class
weights, averaged over three stratified splits (about 150 training images,
7 of them eights, per split).

This is the ImageNet recipe in miniature: with ``weights="imagenet"`` and a
``keras.applications`` backbone the code is the same (see
``plot_mobilenet_v2_recipe.py``).
"""

import os
import tempfile

import keras
import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import f1_score, precision_score, recall_score
from sklearn.model_selection import StratifiedShuffleSplit

from skimb import KerasClassifier, TransferClassifier

SEED = 0


def digit_images(classes):
    """Digits of ``classes`` as 32x32 RGB images with 0..255 pixels."""
    digits = load_digits()
    keep = np.isin(digits.target, classes)
    images = np.kron(digits.images[keep], np.ones((4, 4))) * (255.0 / 16.0)
    return np.repeat(images[..., None], 3, axis=-1), digits.target[keep]


def convolutional_features(name="features"):
    """A small CNN from pixels to a 64-dimensional feature vector."""
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Rescaling(1 / 255.0)(inputs)
    x = keras.layers.Conv2D(32, 3, activation="relu")(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(64, 3, activation="relu")(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(64, 3, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, x, name=name)


# 1. Pretrain the backbone on digits 0-4 and save it.
X_source, y_source = digit_images([0, 1, 2, 3, 4])
keras.utils.set_random_seed(SEED)
backbone = convolutional_features()
pretraining = keras.Sequential([backbone, keras.layers.Dense(5, activation="softmax")])
pretraining.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
pretraining.fit(X_source, y_source, epochs=25, batch_size=32, verbose=0)
path = os.path.join(tempfile.mkdtemp(), "digits_backbone.keras")
backbone.save(path)
print(f"backbone pretrained on digits 0-4, saved to {path}")

# 2. The imbalanced target task: 8 (minority, 1:20) against 5, 6, 7 and 9.
X_all, digits_all = digit_images([5, 6, 7, 8, 9])
rng = np.random.RandomState(SEED)
eights = np.flatnonzero(digits_all == 8)
others = np.flatnonzero(digits_all != 8)
keep = np.concatenate([others, rng.choice(eights, len(others) // 20, replace=False)])
X, y = X_all[keep], np.where(digits_all[keep] == 8, "eight", "other")
print(f"target task: {np.sum(y == 'eight')} eights among {len(y)} images")


def from_scratch(meta):
    """The same network, randomly initialised and trained end to end."""
    features = convolutional_features("scratch_features")
    head = keras.layers.Dense(64, activation="relu")(features.output)
    outputs = keras.layers.Dense(meta["n_classes_"], activation="softmax")(head)
    return keras.Model(features.input, outputs)


def make_models():
    """The five contenders, fresh for each split."""

    def pretrained(**params):
        return TransferClassifier(
            keras.saving.load_model(path),
            weights=None,
            hidden_units=(32,),
            epochs=100,
            learning_rate=0.01,
            random_state=SEED,
            **params,
        )

    def scratch(**params):
        return KerasClassifier(
            from_scratch,
            epochs=40,
            optimizer__learning_rate=0.01,
            random_state=SEED,
            **params,
        )

    return {
        "pretrained backbone, balanced weights": pretrained(),
        "pretrained backbone, no weights": pretrained(class_weight=None),
        "pretrained + fine-tuning, balanced": pretrained(
            trainable_layers=2, fine_tune_epochs=10, fine_tune_learning_rate=1e-3
        ),
        "from scratch, balanced weights": scratch(),
        "from scratch, no weights": scratch(class_weight=None),
    }


scores = {name: [] for name in make_models()}
splits = StratifiedShuffleSplit(n_splits=3, test_size=0.8, random_state=SEED)
for train, test in splits.split(X, y):
    for name, model in make_models().items():
        predicted = model.fit(X[train], y[train]).predict(X[test])
        scores[name].append(
            [
                metric(y[test], predicted, pos_label="eight", zero_division=0)
                for metric in (f1_score, recall_score, precision_score)
            ]
        )

print(
    f"\n{'model (mean of 3 splits)':40s} {'F1':>6s} {'recall':>7s} {'precision':>10s}"
)
for name, values in scores.items():
    f1, recall, precision = np.mean(values, axis=0)
    print(f"{name:40s} {f1:6.3f} {recall:7.3f} {precision:10.3f}")
