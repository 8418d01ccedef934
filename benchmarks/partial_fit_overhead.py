"""The cost of a partial_fit call, and of its rollback snapshot, in one run.

Before every warm fit and every ``partial_fit`` call, skimb snapshots the
model's weights and its optimizer's variables
(``skimb._keras.training_state_restorer``), so that a failed call (an
error, a KeyboardInterrupt, a failing callback) leaves the model exactly
as it was. For Adam that is about three times the weights per call. This
script measures what the snapshot costs next to the call, for:

- a small MLP (20 features, one hidden layer of 100: the defaults' size);
- a large dense network (1,024 features, hidden layers of 2,048 and 1,024:
  about 4.2 million parameters);
- a small convolutional network on 32x32 RGB images.

Each call trains on one batch (200 rows, 32 images). In each round, after
one untimed raw step, these are timed in turn, so that a slow phase of the
shared machine hits them alike:

- raw Keras: ``model.train_on_batch`` on an identically built and compiled
  model (Adam, sparse categorical cross-entropy, balanced sample weights),
  on the same batches; and the same step with a snapshot of that model
  taken before it and held over it, as skimb holds it over a call;
- ``model.fit`` on the batch, on the same raw model;
- skimb: ``KerasClassifier.partial_fit``, and the same call with the
  snapshot replaced by a no-op (``training_state_restorer`` patched to
  return a do-nothing function), on the same estimator;
- the snapshot alone (``training_state_restorer(model)``).

The table gives medians per call and ratios to raw Keras. The snapshot's
cost ("in step") is the median, over rounds, of the raw step with the
snapshot minus the raw step without: it includes what the snapshot makes
the step do (on TensorFlow, a variable whose value is still referenced is
copied when the step first updates it), which timing the snapshot alone
misses. Its share of a skimb call is "snapshot %"; "difference %" is the
same share from the skimb calls with and without the snapshot, noisier as
those calls take longer. "restored" checks that a ``partial_fit`` failing
after its train step (a callback raises) puts back the weights and the
optimizer's variables exactly.

    python benchmarks/partial_fit_overhead.py [--rounds N | --smoke]

A second table measures what seeding costs a warm call through
TensorFlow's kernel cache (``tf.random.set_seed`` clears it, after which
every traced function is instantiated again; ``skimb._keras.seeded`` keeps
it on warm calls of a network without stateful seeded random ops): on a
small ``MLPClassifier`` (the defaults' size, one batch of 200 rows per
call), the median of a warm one-batch ``partial_fit``, of a user's raw
``train_on_batch`` on an identically built model right after that call,
and of the same raw step once more (steady: nothing cleared in between),
with the ratios of the first two to the third.

``--smoke`` runs every model on tiny sizes, for two rounds: CI uses it to
check that the script still runs; its numbers mean nothing.
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402


def dense(n_features, hidden):
    """A function that builds an MLP with ``hidden`` ReLU layers."""

    def build():
        import keras

        return keras.Sequential(
            [
                keras.Input((n_features,)),
                *(keras.layers.Dense(units, activation="relu") for units in hidden),
                keras.layers.Dense(2, activation="softmax"),
            ]
        )

    return build


def conv(size, filters):
    """A function that builds a small CNN on ``size`` x ``size`` RGB images."""

    def build():
        import keras

        return keras.Sequential(
            [
                keras.Input((size, size, 3)),
                keras.layers.Conv2D(filters, 3, activation="relu"),
                keras.layers.MaxPooling2D(),
                keras.layers.Conv2D(2 * filters, 3, activation="relu"),
                keras.layers.GlobalAveragePooling2D(),
                keras.layers.Dense(64, activation="relu"),
                keras.layers.Dense(2, activation="softmax"),
            ]
        )

    return build


#: name: (builder, shape of one sample, rows per call), full and smoke sizes.
MODELS = {
    "full": {
        "small MLP": (dense(20, (100,)), (20,), 200),
        "large dense": (dense(1024, (2048, 1024)), (1024,), 200),
        "small CNN": (conv(32, 32), (32, 32, 3), 32),
    },
    "smoke": {
        "small MLP": (dense(20, (100,)), (20,), 50),
        "large dense": (dense(64, (128, 64)), (64,), 50),
        "small CNN": (conv(16, 4), (16, 16, 3), 8),
    },
}


def batches(shape, rows, n_batches=8, seed=0):
    """``n_batches`` batches of random inputs with ~10% positive labels."""
    rng = np.random.RandomState(seed)
    out = []
    for _ in range(n_batches):
        X = rng.normal(size=(rows, *shape)).astype(np.float32)
        y = (rng.uniform(size=rows) < 0.1).astype(int)
        y[:2] = [0, 1]  # both classes in every batch
        out.append((X, y))
    return out


def timed(function, *args):
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def no_restorer(model, trained_model=None):
    return lambda: None


def failed_call_restores(clf, X, y):
    """Whether a partial_fit call that fails after its train step leaves
    the weights and the optimizer's variables exactly as they were."""
    import keras

    class Fail(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            raise RuntimeError("a callback fails after the step")

    model = clf.model_
    variables = [*model.weights, *model.optimizer.variables]
    before = [np.array(keras.ops.convert_to_numpy(v)) for v in variables]
    clf.set_params(callbacks=[Fail()])
    try:
        clf.partial_fit(X, y)
    except RuntimeError:
        pass
    else:
        return False
    finally:
        clf.set_params(callbacks=None)
    return all(
        np.array_equal(keras.ops.convert_to_numpy(v), value)
        for v, value in zip(variables, before, strict=True)
    )


def measure(build, shape, rows, rounds):
    """Median seconds per call of raw Keras (a step, a step with the
    snapshot held over it, a fit), skimb, skimb without the snapshot and
    the snapshot alone, and the snapshot's paired costs; the number of
    parameters; whether a failed call restores the model."""
    import keras
    from sklearn.utils.class_weight import compute_sample_weight

    from skimb import KerasClassifier, _keras

    data = batches(shape, rows)
    weights = [compute_sample_weight("balanced", y).astype(np.float32) for _, y in data]
    keras.utils.set_random_seed(0)
    raw = build()
    raw.compile("adam", "sparse_categorical_crossentropy")
    clf = KerasClassifier(build, batch_size=rows, random_state=0)
    clf.partial_fit(*data[0], classes=[0, 1])
    model = clf.model_
    snapshot = _keras.training_state_restorer

    def unpatched(X, y):
        _keras.training_state_restorer = snapshot
        clf.partial_fit(X, y)

    def patched(X, y):
        _keras.training_state_restorer = no_restorer
        try:
            clf.partial_fit(X, y)
        finally:
            _keras.training_state_restorer = snapshot

    def raw_step(X, y, w):
        raw.train_on_batch(X, y, sample_weight=w)

    def raw_step_with_snapshot(X, y, w):
        # Held over the step, as skimb holds it over a call: on TensorFlow
        # the step's updates then write new buffers (copy on write).
        restore = snapshot(raw)
        raw.train_on_batch(X, y, sample_weight=w)
        del restore

    def raw_fit(X, y, w):
        raw.fit(X, y, sample_weight=w, batch_size=rows, epochs=1, verbose=0)

    names = ("raw", "raw+snapshot", "raw fit", "skimb", "no snapshot", "snapshot")
    times = {name: [] for name in names}
    try:
        for i in range(-3, rounds):  # three rounds of warm-up (traces)
            (X, y), w = data[i % len(data)], weights[i % len(data)]
            # A skimb call that clears TensorFlow's kernel cache (a cold
            # call; every call before 2026-11-27) makes every tf.function
            # instantiate again: raw Keras's first step after it would pay
            # that, which a loop of its own does not (the second table
            # measures it).
            raw_step(X, y, w)
            row = {}
            # Each pair takes turns at going first.
            pairs = (
                [("raw", raw_step), ("raw+snapshot", raw_step_with_snapshot)],
                [("skimb", unpatched), ("no snapshot", patched)],
            )
            for name, call in pairs[0][:: 1 if i % 2 else -1]:
                row[name] = timed(call, X, y, w)
            raw_fit(X, y, w)
            row["raw fit"] = timed(raw_fit, X, y, w)
            for name, call in pairs[1][:: 1 if i % 2 else -1]:
                row[name] = timed(call, X, y)
            row["snapshot"] = timed(snapshot, model)
            if i >= 0:
                for name, seconds in row.items():
                    times[name].append(seconds)
    finally:
        _keras.training_state_restorer = snapshot
    medians = {name: statistics.median(t) for name, t in times.items()}
    # Medians of the differences within each round (a slow phase of the
    # machine hits both alike): the snapshot's cost on a raw step, where
    # the time of the step is steady, and in a skimb call (noisier).
    for name, (a, b) in {
        "snapshot cost": ("raw+snapshot", "raw"),
        "difference": ("skimb", "no snapshot"),
    }.items():
        medians[name] = statistics.median(
            x - y for x, y in zip(times[a], times[b], strict=True)
        )
    return medians, model.count_params(), failed_call_restores(clf, *data[0])


def kernel_cache_costs(n_features, rows, rounds):
    """Median seconds of a warm one-batch ``MLPClassifier.partial_fit``, of
    the user's ``train_on_batch`` on an identically built model right after
    it, and of that step again."""
    import keras

    from skimb import MLPClassifier

    data = batches((n_features,), rows)
    keras.utils.set_random_seed(0)
    user = dense(n_features, (100,))()
    user.compile("adam", "sparse_categorical_crossentropy")
    clf = MLPClassifier(hidden_layer_sizes=(100,), batch_size=rows, random_state=0)
    clf.partial_fit(*data[0], classes=[0, 1])
    times = {"skimb": [], "raw after": [], "raw": []}
    for i in range(-3, rounds):  # three rounds of warm-up (traces)
        X, y = data[i % len(data)]
        row = {"skimb": timed(clf.partial_fit, X, y)}
        row["raw after"] = timed(user.train_on_batch, X, y)
        row["raw"] = timed(user.train_on_batch, X, y)
        if i >= 0:
            for name, seconds in row.items():
                times[name].append(seconds)
    return {name: statistics.median(t) for name, t in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--rounds", type=int, default=50, help="calls of each kind per model"
    )
    size.add_argument(
        "--smoke", action="store_true", help="tiny sizes, twice (checks it runs)"
    )
    args = parser.parse_args()
    models = MODELS["smoke" if args.smoke else "full"]
    rounds = 2 if args.smoke else args.rounds

    print(
        f"partial_fit, one batch per call: medians of {rounds} calls each, in "
        "milliseconds. raw: model.train_on_batch; raw fit: model.fit on the "
        "batch;\nsnapshot: training_state_restorer alone, and its extra time "
        "on a raw step it is held over (in step); shares of a skimb call."
    )
    print(
        f"{'model':>12s} {'parameters':>11s} {'rows':>5s} {'raw':>7s} "
        f"{'raw fit':>8s} {'skimb':>8s} {'snapshot':>9s} {'in step':>8s} "
        f"{'skimb/raw':>10s} {'skimb/raw fit':>14s} {'no snap/raw':>12s} "
        f"{'snapshot %':>11s} {'difference %':>13s} restored"
    )
    for name, (build, shape, rows) in models.items():
        t, n_params, restored = measure(build, shape, rows, rounds)
        ms = {key: value * 1000 for key, value in t.items()}
        print(
            f"{name:>12s} {n_params:>11,d} {rows:>5d} {ms['raw']:7.2f} "
            f"{ms['raw fit']:8.2f} {ms['skimb']:8.2f} {ms['snapshot']:9.2f} "
            f"{ms['snapshot cost']:8.2f} {t['skimb'] / t['raw']:10.2f} "
            f"{t['skimb'] / t['raw fit']:14.2f} "
            f"{t['no snapshot'] / t['raw']:12.2f} "
            f"{100 * t['snapshot cost'] / t['skimb']:11.1f} "
            f"{100 * t['difference'] / t['skimb']:13.1f} {restored}",
            flush=True,
        )
    features, rows = (20, 50) if args.smoke else (20, 200)
    t = kernel_cache_costs(features, rows, rounds)
    ms = {key: value * 1000 for key, value in t.items()}
    print(
        f"\nKernel cache: MLPClassifier {features}-100-2, {rows} rows per call, "
        f"medians of {rounds} rounds in milliseconds. skimb: a warm partial_fit; "
        "raw after: the user's\ntrain_on_batch on their own model right after "
        "it; raw: that step again (steady)."
    )
    print(
        f"{'skimb':>8s} {'raw after':>10s} {'raw':>7s} {'skimb/raw':>10s} "
        f"{'raw after/raw':>14s}"
    )
    print(
        f"{ms['skimb']:8.2f} {ms['raw after']:10.2f} {ms['raw']:7.2f} "
        f"{t['skimb'] / t['raw']:10.2f} {t['raw after'] / t['raw']:14.2f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
