"""skimb against hand-written Keras and scikeras, in one run: ratios.

1. fit overhead: KerasClassifier.fit vs model.compile + model.fit, same model,
   data (100k x 20), epochs, batch size and class weights; and
   TransferClassifier.fit with a frozen small backbone vs the same network
   (backbone, pooling, Dense(64), softmax) compiled and fitted by hand on the
   same images;
2. prediction latency: predict_proba on 1 and 32 rows, skimb vs scikeras vs
   raw model.predict (and the raw model called directly);
3. throughput: predict_proba on 1,000,000 rows vs raw model.predict;
4. memory: peak extra RSS of a fit on 2,000,000 x 20 float32 rows, as a
   multiple of X's size, skimb vs model.compile + model.fit on the NumPy
   arrays (the same model, balanced weights), each in a fresh subprocess;
5. import time: `import skimb` vs `import tensorflow` (fresh processes).

    python benchmarks/performance.py [--quick | --smoke]

``--smoke`` runs every part on tiny sizes, once: CI uses it to check that
the script still runs; its numbers mean nothing.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402


def build(meta=None, n_features=20):
    import keras

    n_features = meta["n_features_in_"] if meta else n_features
    return keras.Sequential(
        [
            keras.Input((n_features,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )


def data(n_rows, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_rows, 20)).astype(np.float32)
    y = (X[:, 0] + 0.5 * rng.normal(size=n_rows) > 1.3).astype(int)  # ~10% positive
    return X, y


def best_of(function, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def alternating_medians(baseline, candidate, rounds):
    """Median seconds of each function, run in turn ``rounds`` times, so that
    a slow phase of the shared machine hits both alike."""
    times = ([], [])
    for _ in range(rounds):
        for function, measured in zip((baseline, candidate), times):
            measured.append(best_of(function, 1))
    return statistics.median(times[0]), statistics.median(times[1])


def fit_overhead(n_rows, epochs, rounds=5):
    import keras
    from sklearn.utils.class_weight import compute_sample_weight

    from skimb import KerasClassifier

    X, y = data(n_rows)

    def raw():
        keras.utils.set_random_seed(0)
        model = build()
        model.compile("adam", "sparse_categorical_crossentropy")
        weights = compute_sample_weight("balanced", y).astype(np.float32)
        model.fit(X, y, sample_weight=weights, epochs=epochs, batch_size=256, verbose=0)

    def skimb():
        KerasClassifier(build, epochs=epochs, batch_size=256, random_state=0).fit(X, y)

    raw(), skimb()  # warm up
    return alternating_medians(raw, skimb, rounds=rounds)


def balanced_batches_overhead(n_rows, epochs, rounds=3):
    """skimb's default feed against ``batch_sampler="balanced"``, same model."""
    from skimb import KerasClassifier

    X, y = data(n_rows)

    def fit(batch_sampler):
        return lambda: KerasClassifier(
            build,
            epochs=epochs,
            batch_size=256,
            random_state=0,
            batch_sampler=batch_sampler,
        ).fit(X, y)

    default, balanced = fit(None), fit("balanced")
    default(), balanced()  # warm up
    return alternating_medians(default, balanced, rounds=rounds)


def small_backbone():
    """A small convolutional backbone (random weights; speed only)."""
    import keras

    return keras.Sequential(
        [
            keras.Input((64, 64, 3)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Conv2D(32, 3, strides=2, activation="relu"),
            keras.layers.Conv2D(64, 3, strides=2, activation="relu"),
            keras.layers.Conv2D(128, 3, strides=2, activation="relu"),
        ]
    )


def image_fit_overhead(n_images, epochs, rounds=5):
    """TransferClassifier vs the same frozen backbone + head fitted by hand."""
    import keras
    from sklearn.utils.class_weight import compute_sample_weight

    from skimb import TransferClassifier

    rng = np.random.RandomState(0)
    X = rng.uniform(0, 255, size=(n_images, 64, 64, 3)).astype(np.float32)
    y = (rng.uniform(size=n_images) < 0.1).astype(int)
    backbone = small_backbone()

    def raw():
        keras.utils.set_random_seed(0)
        frozen = keras.models.clone_model(backbone)
        frozen.set_weights(backbone.get_weights())
        frozen.trainable = False
        inputs = keras.Input((64, 64, 3))
        features = keras.layers.GlobalAveragePooling2D()(frozen(inputs, training=False))
        hidden = keras.layers.Dense(64, activation="relu")(features)
        model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(hidden))
        model.compile("adam", "sparse_categorical_crossentropy")
        weights = compute_sample_weight("balanced", y).astype(np.float32)
        model.fit(X, y, sample_weight=weights, epochs=epochs, batch_size=32, verbose=0)

    def skimb():
        TransferClassifier(backbone, epochs=epochs, batch_size=32, random_state=0).fit(
            X, y
        )

    raw(), skimb()  # warm up
    return alternating_medians(raw, skimb, rounds=rounds)


def latency(repeat):
    import warnings

    from scikeras.wrappers import KerasClassifier as ScikerasClassifier

    from skimb import KerasClassifier

    X, y = data(2000)
    ours = KerasClassifier(build, epochs=1, random_state=0).fit(X, y)
    model = ours.model_

    def scikeras_build(meta):
        m = build(meta)
        m.compile("adam", "sparse_categorical_crossentropy")
        return m

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = ScikerasClassifier(
            scikeras_build, epochs=1, verbose=0, random_state=0
        ).fit(X, y)
    rows = {}
    for n in (1, 32):
        batch = X[:n]
        ours.predict_proba(batch), theirs.predict_proba(batch)
        model.predict(batch, verbose=0), model(batch)
        rows[n] = {
            "skimb": best_of(lambda b=batch: ours.predict_proba(b), repeat),
            "scikeras": best_of(lambda b=batch: theirs.predict_proba(b), repeat),
            "model.predict": best_of(
                lambda b=batch: model.predict(b, verbose=0), repeat
            ),
            "model(x)": best_of(lambda b=batch: model(b, training=False), repeat),
        }
        # Within 1e-6 absolute (rtol=0: allclose's default would add 1e-5
        # times the value).
        same = np.allclose(
            ours.predict_proba(batch),
            model.predict(batch, verbose=0),
            rtol=0,
            atol=1e-6,
        )
        rows[n]["same_proba"] = same
    return rows


def throughput(n_rows, rounds=7):
    from skimb import KerasClassifier

    X, y = data(n_rows)
    clf = KerasClassifier(build, epochs=1, batch_size=1024, random_state=0)
    clf.fit(X[:20000], y[:20000])
    model = clf.model_
    clf.predict_proba(X[:5000]), model.predict(X[:5000], batch_size=1024, verbose=0)
    return alternating_medians(
        lambda: model.predict(X, batch_size=1024, verbose=0),
        lambda: clf.predict_proba(X),
        rounds=rounds,
    )


MEMORY_CHILD = """
import os, sys, threading, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
sys.path.insert(0, {here!r})
from performance import build, data
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
if {which!r} == "skimb":
    from skimb import KerasClassifier
    def fit(X, y):
        KerasClassifier(build, epochs=1, batch_size=4096, random_state=0).fit(X, y)
else:  # raw Keras, as in fit_overhead: compile, balanced weights, fit
    import keras
    from sklearn.utils.class_weight import compute_sample_weight
    def fit(X, y):
        keras.utils.set_random_seed(0)
        model = build()
        model.compile("adam", "sparse_categorical_crossentropy")
        weights = compute_sample_weight("balanced", y).astype(np.float32)
        model.fit(X, y, sample_weight=weights, epochs=1, batch_size=4096, verbose=0)
fit(*data(1000))  # load TF, trace once
X, y = data({n_rows})
peak, done = [rss()], []
def watch():
    while not done:
        peak.append(rss()); time.sleep(0.01)
base = rss()
thread = threading.Thread(target=watch); thread.start()
fit(X, y)
done.append(1); thread.join()
print((max(peak) - base) / X.nbytes)
"""


def memory(n_rows, which):
    """Peak extra RSS of one fit on ``n_rows`` x 20 float32 rows, as a
    multiple of X's size, in a fresh process: ``which`` is "skimb"
    (KerasClassifier.fit) or "raw" (model.compile + model.fit on the NumPy
    arrays with balanced sample weights). RSS is polled every 10 ms from
    just before the fit, after a small fit has loaded TensorFlow."""
    here = os.path.dirname(os.path.abspath(__file__))
    code = MEMORY_CHILD.format(here=here, n_rows=n_rows, which=which)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def import_time(module, repeat=3):
    code = (
        f"import time; t = time.perf_counter(); import {module}; "
        "print(time.perf_counter() - t)"
    )
    times = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        )
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return min(times)


#: Rows to fit, rows to predict, rows for the memory test and images to fit.
SIZES = {
    "full": dict(n_fit=100_000, n_big=1_000_000, n_mem=2_000_000, n_images=2000),
    "quick": dict(n_fit=10_000, n_big=100_000, n_mem=200_000, n_images=200),
    "smoke": dict(n_fit=2_000, n_big=20_000, n_mem=20_000, n_images=40),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small sizes")
    size.add_argument(
        "--smoke", action="store_true", help="tiny sizes, once (checks it runs)"
    )
    args = parser.parse_args()
    size = SIZES["smoke" if args.smoke else "quick" if args.quick else "full"]
    n_fit, n_big, n_mem, n_images = (
        size[key] for key in ("n_fit", "n_big", "n_mem", "n_images")
    )
    # Timing rounds per measurement; --smoke times everything once.
    rounds = {"fit": 5, "batches": 3, "predict": 7, "latency": 50, "import": 3}
    if args.smoke:
        rounds = dict.fromkeys(rounds, 1)

    t_skimb_import = import_time("skimb", repeat=rounds["import"])
    t_tf_import = import_time("tensorflow", repeat=rounds["import"])
    print(
        f"\n5. import time: skimb {t_skimb_import:.3f} s, tensorflow "
        f"{t_tf_import:.2f} s, ratio {t_tf_import / t_skimb_import:.0f}x"
    )

    t_raw, t_skimb = fit_overhead(n_fit, epochs=3, rounds=rounds["fit"])
    print(
        f"\n1. fit {n_fit:,} x 20, 3 epochs, balanced weights: raw Keras "
        f"{t_raw:.2f} s, skimb {t_skimb:.2f} s, skimb/raw {t_skimb / t_raw:.3f}"
    )
    t_default, t_balanced = balanced_batches_overhead(
        n_fit, epochs=3, rounds=rounds["batches"]
    )
    print(
        f"   the same with batch_sampler='balanced': skimb default "
        f"{t_default:.2f} s, balanced batches {t_balanced:.2f} s, "
        f"balanced/default {t_balanced / t_default:.3f}"
    )
    t_raw, t_skimb = image_fit_overhead(n_images, epochs=5, rounds=rounds["fit"])
    print(
        f"   fit {n_images:,} images 64x64, frozen backbone, 5 epochs: raw Keras "
        f"{t_raw:.2f} s, skimb {t_skimb:.2f} s, skimb/raw {t_skimb / t_raw:.3f}"
    )

    repeat = rounds["latency"]
    print(f"\n2. predict_proba latency (best of {repeat}, milliseconds)")
    print(
        f"{'rows':>5s} {'skimb':>8s} {'scikeras':>9s} {'model.predict':>14s} "
        f"{'model(x)':>9s} {'scikeras/skimb':>15s} {'predict/skimb':>14s} same"
    )
    for n, row in latency(repeat=repeat).items():
        ms = {k: v * 1000 for k, v in row.items() if k != "same_proba"}
        print(
            f"{n:>5d} {ms['skimb']:8.2f} {ms['scikeras']:9.2f} "
            f"{ms['model.predict']:14.2f} {ms['model(x)']:9.2f} "
            f"{ms['scikeras'] / ms['skimb']:15.1f} "
            f"{ms['model.predict'] / ms['skimb']:14.1f} {row['same_proba']}"
        )

    t_raw, t_skimb = throughput(n_big, rounds=rounds["predict"])
    print(
        f"\n3. predict_proba on {n_big:,} rows: model.predict {t_raw:.2f} s, "
        f"skimb {t_skimb:.2f} s, skimb/raw {t_skimb / t_raw:.3f}"
    )

    raw, ours = memory(n_mem, "raw"), memory(n_mem, "skimb")
    print(
        f"\n4. fit on {n_mem:,} x 20 float32, peak extra memory in multiples of "
        f"the size of X: raw Keras {raw:.2f}, skimb {ours:.2f}, "
        f"skimb/raw {ours / raw:.3f}"
    )


if __name__ == "__main__":
    main()
