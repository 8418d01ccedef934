"""GridSearchCV over 8 network configurations x 3 folds, in one run:

- skimb KerasClassifier vs scikeras KerasClassifier (same network, epochs,
  batch size, learning rate, folds; n_jobs=1);
- skimb with n_jobs=1 vs n_jobs=2 (joblib's loky processes), which must give
  the same scores, on the 1,000-row table and, with ``--large``, also on a
  20,000-row one (where each fit is long enough to amortise the workers'
  TensorFlow start-up; about 2.5 more minutes).

    python benchmarks/search_parallel.py [--large | --smoke]

``--smoke`` searches 2 configurations for 2 epochs on 300 rows: CI uses it
to check that the script still runs; its times mean nothing.
"""

import argparse
import os
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402

from skimb.datasets import make_imbalanced_table  # noqa: E402

GRID = {"model__hidden": [16, 32, 64, 128], "model__activation": ["relu", "tanh"]}
FIT = {"epochs": 20, "batch_size": 200}


def build(meta, hidden=32, activation="relu", compile_kwargs=None):
    import keras

    model = keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(hidden, activation=activation),
            keras.layers.Dense(meta["n_classes_"], activation="softmax"),
        ]
    )
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    return model


def search(estimator, X, y, n_jobs, grid=GRID):
    grid = GridSearchCV(
        estimator, grid, cv=StratifiedKFold(3), scoring="f1", refit=False, n_jobs=n_jobs
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grid.fit(X, y)
    return time.perf_counter() - start, grid.cv_results_["mean_test_score"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--large", action="store_true", help="also on 20,000 rows")
    size.add_argument(
        "--smoke", action="store_true", help="tiny search (checks it runs)"
    )
    args = parser.parse_args()
    from scikeras.wrappers import KerasClassifier as ScikerasClassifier

    from skimb import KerasClassifier

    X, y = make_imbalanced_table()
    fit, grid = FIT, GRID
    if args.smoke:
        X, y = X[:300], y[:300]
        fit = {**FIT, "epochs": 2}
        grid = {"model__hidden": [16, 32], "model__activation": ["relu"]}
    ours = KerasClassifier(build, random_state=0, **fit)
    theirs = ScikerasClassifier(
        build,
        random_state=0,
        verbose=0,
        **fit,
        model__hidden=32,
        model__activation="relu",
    )
    search(ours, X[:300], y[:300], 1, grid)  # warm up TensorFlow in this process
    t_ours, s_ours = search(ours, X, y, 1, grid)
    t_theirs, _ = search(theirs, X, y, 1, grid)
    t_ours_2, s_ours_2 = search(ours, X, y, 2, grid)
    print(
        f"GridSearchCV: {len(s_ours)} configurations x 3 folds on "
        f"{len(X)} x {X.shape[1]}"
    )
    print(f"{'run':>24s} {'seconds':>9s}")
    print(f"{'scikeras, n_jobs=1':>24s} {t_theirs:9.1f}")
    print(f"{'skimb, n_jobs=1':>24s} {t_ours:9.1f}")
    print(f"{'skimb, n_jobs=2':>24s} {t_ours_2:9.1f}")
    print(f"skimb / scikeras: {t_ours / t_theirs:.2f}")
    print(
        f"speed-up n_jobs=2 / n_jobs=1: {t_ours / t_ours_2:.2f}x, "
        f"same scores: {np.allclose(s_ours, s_ours_2)}"
    )
    if not args.large:
        return
    X, y = make_imbalanced_table(n_samples=20_000)
    t_big, s_big = search(ours, X, y, 1)
    t_big_2, s_big_2 = search(ours, X, y, 2)
    print(f"\nThe same search on {len(X):,} x 20")
    print(f"{'skimb, n_jobs=1':>24s} {t_big:9.1f}")
    print(f"{'skimb, n_jobs=2':>24s} {t_big_2:9.1f}")
    print(
        f"speed-up n_jobs=2 / n_jobs=1: {t_big / t_big_2:.2f}x, "
        f"same scores: {np.allclose(s_big, s_big_2)}"
    )


if __name__ == "__main__":
    main()
