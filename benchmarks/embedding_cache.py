"""ImageEmbedder's cache in a grid search over the head: cached vs uncached.

Both searches run in this process on the same images and splits; the table
gives their wall times, the ratio, and whether the scores are identical.

    python benchmarks/embedding_cache.py
"""

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from imblearn.pipeline import make_pipeline  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402

from skimb import ImageEmbedder  # noqa: E402
from skimb.embedding import clear_embedding_cache  # noqa: E402
from skimb.metrics import imbalanced_scoring  # noqa: E402

GRID = {"logisticregression__C": [0.01, 0.1, 1.0, 10.0]}


def images():
    """400 digits as 96x96 RGB images, 0 against the rest (imbalanced)."""
    digits = load_digits()
    X = np.kron(digits.images[:400], np.ones((12, 12))) * (255 / 16)
    return np.repeat(X[..., None], 3, axis=-1).astype(np.float32), (
        digits.target[:400] == 0
    ).astype(int)


def search(X, y, cache: bool):
    clear_embedding_cache()
    pipe = make_pipeline(
        ImageEmbedder("mobilenet_v2", weights=None, cache=cache, random_state=0),
        LogisticRegression(class_weight="balanced", max_iter=500),
    )
    grid = GridSearchCV(
        pipe, GRID, cv=StratifiedKFold(3), scoring=imbalanced_scoring(), refit="f1"
    )
    start = time.perf_counter()
    grid.fit(X, y)
    return time.perf_counter() - start, grid.cv_results_["mean_test_f1"]


def main():
    X, y = images()
    search(X[::10], y[::10], cache=False)  # warm up TensorFlow
    uncached, scores_uncached = search(X, y, cache=False)
    cached, scores_cached = search(X, y, cache=True)
    n_fits = 3 * len(GRID["logisticregression__C"]) + 1
    print(
        f"GridSearchCV over the head: {n_fits} fits, {len(X)} images 96x96, "
        "MobileNetV2 (weights=None)"
    )
    print(f"{'embedding cache':>16s} {'seconds':>9s}")
    print(f"{'off':>16s} {uncached:9.1f}")
    print(f"{'on':>16s} {cached:9.1f}")
    print(f"speed-up: {uncached / cached:.1f}x")
    print(f"identical scores: {np.array_equal(scores_cached, scores_uncached)}")


if __name__ == "__main__":
    main()
