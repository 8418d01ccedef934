"""Resident memory growth over repeated fits, skimb vs raw Keras, in one run.

Each loop runs in this process after 20 warm-up fits (first traces,
allocator pools; ``--warm-up`` changes the number); RSS is read after
``gc.collect()`` and ``malloc_trim``. The reliability test
(``tests/test_reliability.py``) runs the skimb loop alone and asserts the
target: less than 100 MB over 200 fits.

    python benchmarks/repeated_fits.py              # both loops, 200 fits each
    python benchmarks/repeated_fits.py --fits 50 --only skimb
    python benchmarks/repeated_fits.py --fits 2 --warm-up 2   # CI: it runs
"""

import argparse
import ctypes
import gc
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

X = np.random.RandomState(0).normal(size=(200, 10)).astype("float32")
y = np.arange(200) % 2


def rss_mb() -> float:
    """Resident memory of this process in MB, after freeing what can be."""
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def skimb_fit():
    from skimb import MLPClassifier

    MLPClassifier(
        hidden_layer_sizes=(16,), max_iter=2, batch_size=200, random_state=0
    ).fit(X, y)


def keras_fit():
    import keras

    model = keras.Sequential(
        [
            keras.Input((10,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(X, y, epochs=2, batch_size=200, verbose=0)


LOOPS = {"keras": keras_fit, "skimb": skimb_fit}


def growth(fit, n_fits: int, warm_up: int = 20) -> float:
    """RSS growth in MB over ``n_fits`` fits, after ``warm_up`` fits."""
    for _ in range(warm_up):
        fit()
    start = rss_mb()
    for _ in range(n_fits):
        fit()
    return rss_mb() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=200)
    parser.add_argument("--warm-up", type=int, default=20)
    parser.add_argument("--only", choices=sorted(LOOPS), default=None)
    args = parser.parse_args()
    names = [args.only] if args.only else list(LOOPS)
    print(f"{'loop':>6s} {'RSS growth over ' + str(args.fits) + ' fits':>28s}")
    for name in names:
        print(
            f"{name:>6s} {growth(LOOPS[name], args.fits, args.warm_up):25.1f} MB",
            flush=True,
        )


if __name__ == "__main__":
    main()
