"""GridSearchCV over MLPClassifier with n_jobs=1 vs n_jobs=2, same run.

Prints wall times and their ratio, and checks that both searches found the
same scores (the workers' TensorFlow thread limit must not change results).

    python benchmarks/search_parallel.py
"""

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from skimb import MLPClassifier  # noqa: E402
from skimb.metrics import imbalanced_scoring  # noqa: E402

GRID = {
    "hidden_layer_sizes": [(32,), (64,), (32, 16), (64, 32)],
    "alpha": [1e-4, 1e-2],
}


def run_search(X, y, n_jobs: int):
    search = GridSearchCV(
        MLPClassifier(max_iter=30, learning_rate_init=0.01, random_state=0),
        GRID,
        cv=3,
        scoring=imbalanced_scoring(),
        refit=False,
        n_jobs=n_jobs,
    )
    start = time.perf_counter()
    search.fit(X, y)
    return time.perf_counter() - start, search.cv_results_["mean_test_f1"]


def main():
    X, y = make_classification(
        n_samples=1000,
        n_features=20,
        n_informative=3,
        n_redundant=1,
        n_clusters_per_class=1,
        weights=[0.9, 0.1],
        class_sep=2,
        flip_y=0,
        random_state=42,
    )
    run_search(X[:200], y[:200], n_jobs=1)  # warm up TensorFlow in this process
    serial, scores_1 = run_search(X, y, n_jobs=1)
    parallel, scores_2 = run_search(X, y, n_jobs=2)
    n_fits = 3 * np.prod([len(v) for v in GRID.values()])
    print(f"GridSearchCV, MLPClassifier, {n_fits} fits on 1000 x 20")
    print(f"{'n_jobs':>8s} {'seconds':>9s}")
    print(f"{1:>8d} {serial:9.1f}")
    print(f"{2:>8d} {parallel:9.1f}")
    print(f"speed-up n_jobs=2 / n_jobs=1: {serial / parallel:.2f}x")
    print(f"same scores: {np.allclose(scores_1, scores_2)}")


if __name__ == "__main__":
    main()
