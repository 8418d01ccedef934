"""ImageEmbedder's cache in a grid search over the head: cached vs uncached.

The backbone is a small convolutional network that this script first
pretrains on the digits 0-4, so that its embeddings are informative without
network access (ImageNet weights would need a download, and random weights
give near-constant embeddings, against which "identical scores" would prove
nothing). The search then tunes a logistic regression on its embeddings for
an imbalanced task on the other digits: is it an 8, or a 5, 6, 7 or 9?

Both searches run in this process on the same images and splits; the table
gives their wall times, the ratio, and whether the scores are identical.

A second table times ``ImageEmbedder.fit`` alone for MobileNetV3Small
(random weights, 96x96): with ``cache=False`` each fit builds the extractor;
with ``cache=True`` fits alike (the clones of a search) reuse the first one.

    python benchmarks/embedding_cache.py [--smoke]

``--smoke`` pretrains for one epoch and searches two values of C on a
fifth of the images: CI uses it to check that the script still runs; its
times mean nothing.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from imblearn.pipeline import make_pipeline  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skimb import ImageEmbedder  # noqa: E402
from skimb.embedding import clear_embedding_cache  # noqa: E402
from skimb.metrics import imbalanced_scoring  # noqa: E402

SIZE = 64
GRID = {"logisticregression__C": [0.01, 0.1, 1.0, 10.0]}


def digit_images(classes):
    """Digits of ``classes`` as SIZE x SIZE RGB images with 0..255 pixels."""
    digits = load_digits()
    keep = np.isin(digits.target, classes)
    scale = SIZE // 8
    images = np.kron(digits.images[keep], np.ones((scale, scale))) * (255 / 16)
    return np.repeat(images[..., None], 3, axis=-1).astype(np.float32), (
        digits.target[keep]
    )


def pretrained_backbone(epochs=5):
    """A small CNN (pixels to 128 features), pretrained on the digits 0-4."""
    X, y = digit_images([0, 1, 2, 3, 4])
    keras.utils.set_random_seed(0)
    inputs = keras.Input((SIZE, SIZE, 3))
    x = keras.layers.Rescaling(1 / 255.0)(inputs)
    for filters in (32, 64, 128):
        x = keras.layers.Conv2D(filters, 3, activation="relu")(x)
        x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(128, 3, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    features = keras.Model(inputs, x, name="digits_features")
    classifier = keras.Sequential(
        [features, keras.layers.Dense(5, activation="softmax")]
    )
    classifier.compile("adam", "sparse_categorical_crossentropy", metrics=["acc"])
    start = time.perf_counter()
    history = classifier.fit(X, y, epochs=epochs, batch_size=32, verbose=0)
    print(
        f"backbone pretrained on {len(X)} images of the digits 0-4 in "
        f"{time.perf_counter() - start:.0f} s, training accuracy "
        f"{history.history['acc'][-1]:.3f}"
    )
    return features


def search(backbone, X, y, cache: bool, grid=GRID):
    clear_embedding_cache()
    pipe = make_pipeline(
        ImageEmbedder(backbone, weights=None, cache=cache),
        StandardScaler(),
        LogisticRegression(class_weight="balanced", max_iter=1000),
    )
    search = GridSearchCV(
        pipe, grid, cv=StratifiedKFold(3), scoring=imbalanced_scoring(), refit="f1"
    )
    start = time.perf_counter()
    search.fit(X, y)
    return time.perf_counter() - start, search.cv_results_


def fit_seconds(cache: bool, fits: int) -> float:
    """Median seconds of ``fits`` clones' ``ImageEmbedder.fit`` (MobileNetV3Small),
    after one fit that is not timed."""
    clear_embedding_cache()
    images = np.zeros((8, 96, 96, 3), dtype=np.float32)
    embedder = ImageEmbedder(
        "mobilenet_v3_small", weights=None, random_state=0, cache=cache
    )
    embedder.fit(images)
    times = []
    for _ in range(fits):
        start = time.perf_counter()
        clone(embedder).fit(images)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def test_scores(results) -> dict:
    """Every per-split test score of a search, by name."""
    return {
        key: value
        for key, value in results.items()
        if key.startswith("split") and "_test_" in key
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--smoke", action="store_true", help="tiny run (checks it runs)"
    )
    smoke = parser.parse_args().smoke
    grid = {"logisticregression__C": [0.1, 1.0]} if smoke else GRID
    print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    backbone = pretrained_backbone(epochs=1 if smoke else 5)
    X, digits = digit_images([5, 6, 7, 8, 9])
    if smoke:
        X, digits = X[::5], digits[::5]
    y = (digits == 8).astype(int)
    embeddings = ImageEmbedder(backbone, weights=None, cache=False).fit_transform(X)
    print(
        f"embeddings: {embeddings.shape[1]} features, median std over images "
        f"{np.median(embeddings.std(axis=0)):.3f} (not degenerate)"
    )
    search(backbone, X[::10], y[::10], cache=False, grid=grid)  # warm up TensorFlow
    uncached, results_uncached = search(backbone, X, y, cache=False, grid=grid)
    cached, results_cached = search(backbone, X, y, cache=True, grid=grid)
    scores_uncached = test_scores(results_uncached)
    scores_cached = test_scores(results_cached)
    identical = scores_cached.keys() == scores_uncached.keys() and all(
        np.array_equal(scores_cached[key], scores_uncached[key])
        for key in scores_cached
    )
    n_fits = 3 * len(grid["logisticregression__C"]) + 1
    print(
        f"\nGridSearchCV over the head: {n_fits} fits, {len(X)} images "
        f"{SIZE}x{SIZE} ({y.sum()} eights), pretrained CNN backbone"
    )
    print(f"{'embedding cache':>16s} {'seconds':>9s}")
    print(f"{'off':>16s} {uncached:9.1f}")
    print(f"{'on':>16s} {cached:9.1f}")
    print(f"speed-up: {uncached / cached:.1f}x")
    print(f"identical cv_results_ test scores (every split, every metric): {identical}")
    print("mean F1 (minority) per C:", end="")
    for C, f1 in zip(grid["logisticregression__C"], results_cached["mean_test_f1"]):
        print(f"  C={C}: {f1:.3f}", end="")
    fits = 2 if smoke else 7
    built, reused = fit_seconds(cache=False, fits=fits), fit_seconds(True, fits)
    print(f"\nImageEmbedder.fit, MobileNetV3Small, median of {fits} clones")
    print(f"{'extractor':>16s} {'seconds':>9s}")
    print(f"{'built':>16s} {built:9.3f}")
    print(f"{'reused':>16s} {reused:9.3f}")
    print(f"ratio: {built / reused:.0f}x")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
