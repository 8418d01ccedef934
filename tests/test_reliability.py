"""Reliability: threads, repeated fits, global state, saved-model versions."""

import functools
import os
import pickle
import random
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from skimb import ImageEmbedder, KerasClassifier, MLPClassifier, TransferClassifier
from skimb._keras import InconsistentVersionWarning

from .conftest import SmallNetwork, run_python


@pytest.fixture(scope="module")
def fitted_mlp(imbalanced_data):
    X, y = imbalanced_data
    return MLPClassifier(hidden_layer_sizes=(16,), max_iter=5, random_state=0).fit(X, y)


@pytest.mark.parametrize("n_rows", [5, 2000], ids=["fast-path", "batched"])
def test_predict_proba_from_threads(fitted_mlp, imbalanced_data, n_rows):
    """Four threads predicting at once get the sequential results."""
    X, _ = imbalanced_data
    X = np.resize(X, (n_rows, X.shape[1]))
    expected = fitted_mlp.predict_proba(X)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: fitted_mlp.predict_proba(X), range(8)))
    for result in results:
        np.testing.assert_array_equal(result, expected)


def _global_state():
    """Everything a skimb call must leave as it found it."""
    import keras
    import tensorflow as tf
    from tensorflow.python.eager import context
    from tensorflow.python.framework import config

    ctx = context.context()
    return {
        "python": random.getstate(),
        "numpy": repr(np.random.get_state()),
        "tf_seed": ctx._seed,
        "tf_rng": ctx._rng.getstate() if ctx._rng is not None else None,
        "determinism": config.is_op_determinism_enabled(),
        "eager": tf.executing_eagerly(),
        "functions_eager": tf.config.functions_run_eagerly(),
        "intra_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_threads": tf.config.threading.get_inter_op_parallelism_threads(),
        "floatx": keras.config.floatx(),
        "image_data_format": keras.config.image_data_format(),
        "keras_seed": keras.src.backend.common.global_state.get_global_attribute(
            "global_random_seed"
        ),
        # The counters behind Keras's automatic layer names (dense_3, ...).
        "keras_names": dict(
            keras.src.backend.common.global_state.get_global_attribute(
                "object_name_uids"
            )
            or {}
        ),
    }


def _entry_points(X, y, images, labels, folder):
    """(name, call) pairs covering every public estimator's fit and predict."""
    from skimb.compare import compare_strategies

    mlp = MLPClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    keras_clf = KerasClassifier(
        SmallNetwork(), epochs=2, random_state=0, batch_sampler="balanced"
    )
    transfer = TransferClassifier(
        "mobilenet_v3_small",
        weights=None,
        epochs=1,
        augmentation="default",
        random_state=0,
    )
    fine_tuned = TransferClassifier(
        "mobilenet_v3_small",
        weights=None,
        epochs=1,
        trainable_layers=2,
        fine_tune_epochs=1,
        random_state=0,
    )
    embedder = ImageEmbedder("mobilenet_v3_small", weights=None, random_state=0)
    on_disk = ImageEmbedder(
        "mobilenet_v3_small",
        weights=None,
        memory=str(folder / "cache"),
        random_state=0,
    )
    paths = _write_pngs(folder, images)
    return [
        ("MLPClassifier.fit", lambda: mlp.fit(X, y)),
        ("MLPClassifier.predict_proba", lambda: mlp.predict_proba(X)),
        ("MLPClassifier.partial_fit", lambda: mlp.partial_fit(X, y)),
        ("MLPClassifier warm start", lambda: mlp.set_params(warm_start=True).fit(X, y)),
        ("KerasClassifier.fit", lambda: keras_clf.fit(X, y)),
        ("KerasClassifier.predict", lambda: keras_clf.predict(X)),
        ("KerasClassifier pickle", lambda: pickle.loads(pickle.dumps(keras_clf))),
        ("TransferClassifier.fit", lambda: transfer.fit(images, labels)),
        ("TransferClassifier.predict", lambda: transfer.predict(images)),
        ("TransferClassifier fine-tuning", lambda: fine_tuned.fit(images, labels)),
        ("TransferClassifier on files", lambda: transfer.fit(paths, labels)),
        ("TransferClassifier predict files", lambda: transfer.predict(paths)),
        ("ImageEmbedder.fit_transform", lambda: embedder.fit_transform(images)),
        ("ImageEmbedder memory=", lambda: on_disk.fit_transform(paths)),
        (
            "compare_strategies",
            lambda: compare_strategies(X, y, ["smote", "focal"], folds=2),
        ),
        (
            "MLPClassifier unseeded fit",
            lambda: MLPClassifier(hidden_layer_sizes=(4,), max_iter=1).fit(X, y),
        ),
    ]


def _write_pngs(folder, images) -> list[str]:
    """Write images as PNG files; return their paths."""
    import tensorflow as tf

    paths = []
    for i, image in enumerate(images):
        path = folder / f"{i:02d}.png"
        path.write_bytes(tf.io.encode_png(image.astype(np.uint8)).numpy())
        paths.append(str(path))
    return paths


def test_seeded_fit_ignores_other_threads_drawing_random(imbalanced_data):
    """Another thread drawing from Python's global random during a seeded fit
    (as a Dask worker's event loop does) does not change the fit."""
    import threading

    X, y = imbalanced_data
    expected = _seeded_mlp().fit(X, y).predict_proba(X)
    stop = threading.Event()

    def draw():
        while not stop.is_set():
            random.sample(range(100), 5)

    thread = threading.Thread(target=draw)
    thread.start()
    try:
        for _ in range(3):
            np.testing.assert_array_equal(
                _seeded_mlp().fit(X, y).predict_proba(X), expected
            )
    finally:
        stop.set()
        thread.join()


def _seeded_mlp():
    return MLPClassifier(hidden_layer_sizes=(16, 8), max_iter=2, random_state=0)


def test_seeded_fit_and_a_thread_building_keras_layers(imbalanced_data):
    """A user thread creating Keras initializers during a seeded fit neither
    changes the fit nor gets the fit's seeds: Keras's seed source is the
    fit's own in the fit's thread only (it was swapped for every thread, so
    the fit's weights changed by up to 2e-3)."""
    import threading

    import keras

    X, y = imbalanced_data
    expected = _seeded_mlp().fit(X, y).predict_proba(X)
    stop, seeds = threading.Event(), []

    def build_initializers():
        while not stop.is_set():
            seeds.append(keras.initializers.GlorotUniform().seed)
            time.sleep(0.0005)

    random.seed(11)
    thread = threading.Thread(target=build_initializers)
    thread.start()
    try:
        got = _seeded_mlp().fit(X, y).predict_proba(X)
    finally:
        stop.set()
        thread.join()
    np.testing.assert_array_equal(got, expected)
    random.seed(11)  # the thread drew from the user's seeded stream, in order
    assert seeds == [random.randint(1, int(1e9)) for _ in seeds]


@pytest.mark.parametrize("module", ["random", "numpy"])
def test_seeded_fit_neither_reseeds_nor_rewinds_other_threads(imbalanced_data, module):
    """A thread drawing from Python's or NumPy's global generator during a
    seeded fit continues its own seeded sequence. The fit seeded those
    generators (the thread drew the fit's numbers) and restored them after
    (the thread's next draws repeated earlier ones)."""
    import threading

    X, y = imbalanced_data
    draw, seed = {
        "random": (random.random, random.seed),
        "numpy": (np.random.random, np.random.seed),
    }[module]
    stop, drawn = threading.Event(), []

    def keep_drawing():
        while not stop.is_set():
            drawn.append(draw())
            time.sleep(0.0005)

    _seeded_mlp().fit(X, y)  # warm up: the next fit is quick
    seed(21)
    thread = threading.Thread(target=keep_drawing)
    thread.start()
    try:
        _seeded_mlp().fit(X, y)
    finally:
        stop.set()
        thread.join()
    drawn.append(draw())  # after the fit, in this thread
    seed(21)
    assert drawn == [draw() for _ in drawn]


def test_seeded_fits_of_a_model_with_stateful_tensorflow_random_ops(imbalanced_data):
    """A model whose initializer calls TensorFlow's stateful tf.random.normal
    (run eagerly, at build) fits alike at each fit with one random_state. A
    version that kept TensorFlow's kernel cache when seeding continued the
    previous fit's random kernel instead."""
    import keras
    import tensorflow as tf

    X, y = imbalanced_data

    def build(meta):
        inputs = keras.Input((meta["n_features_in_"],))
        outputs = keras.layers.Dense(
            2,
            activation="softmax",
            kernel_initializer=lambda shape, dtype=None: tf.random.normal(shape),
        )(inputs)
        return keras.Model(inputs, outputs)

    fits = [
        KerasClassifier(build, epochs=1, random_state=0).fit(X, y).predict_proba(X)
        for _ in range(3)
    ]
    np.testing.assert_array_equal(fits[0], fits[1])
    np.testing.assert_array_equal(fits[0], fits[2])


def test_training_an_unpickled_estimator_repeats(imbalanced_data):
    """Unpickling rebuilds the network's layers, whose seed generators
    (Dropout's) draw seeds: from a stream seeded by the saved bytes, so
    training each copy further gives the same result, whatever the program
    drew before loading (a fresh OS-seeded generator made every copy differ,
    a copy of the user's stream made them depend on it)."""
    X, y = imbalanced_data
    clf = MLPClassifier(
        hidden_layer_sizes=(8,), max_iter=2, dropout=0.5, random_state=0
    )
    pickled = pickle.dumps(clf.fit(X, y))
    random.seed(0)
    state = random.getstate()
    trained = [
        pickle.loads(pickled).partial_fit(X, y).predict_proba(X) for _ in range(2)
    ]
    np.testing.assert_array_equal(trained[0], trained[1])
    assert random.getstate() == state  # the copies did not move the stream
    random.seed(1)
    after_other_draws = pickle.loads(pickled).partial_fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(after_other_draws, trained[0])


def _noise_network(meta, when_training=True):
    """A network with a layer that adds TensorFlow's stateful tf.random.normal
    noise while training (in the traced train step, or eagerly), or else
    while predicting only."""
    import keras
    import tensorflow as tf

    class TensorFlowNoise(keras.layers.Layer):
        def call(self, x, training=None):
            if bool(training) == when_training:
                return x + tf.random.normal(tf.shape(x), stddev=0.5)
            return x

    return keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            TensorFlowNoise(),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(meta["n_classes_"], activation="softmax"),
        ]
    )


def _weights(estimator):
    return [np.asarray(w) for w in estimator.model_.get_weights()]


def _assert_same_weights(first, second):
    assert len(first) == len(second)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("run_eagerly", [False, True], ids=["traced", "eager"])
def test_warm_partial_fits_with_stateful_tensorflow_random_ops_repeat(
    imbalanced_data, run_eagerly
):
    """Equal estimators whose layer calls TensorFlow's stateful
    tf.random.normal train alike over warm partial_fit calls, also when
    another estimator's fit and the user's tf.random.set_seed come between
    the calls. The noise kernel's sequence must start over at each call, as
    a cleared kernel cache makes it; skipping the seeding (and the clear) on
    warm calls let it continue in one run and start over in the other."""
    import tensorflow as tf

    X, y = imbalanced_data
    batches = [(X[i::3], y[i::3]) for i in range(3)]

    def make():
        return KerasClassifier(
            _noise_network, batch_size=32, run_eagerly=run_eagerly, random_state=0
        )

    alone, interleaved = make(), make()
    for X_batch, y_batch in batches:
        alone.partial_fit(X_batch, y_batch, classes=[0, 1])
    expected = _weights(alone)
    for i, (X_batch, y_batch) in enumerate(batches):
        tf.random.set_seed(100 + i)
        make().partial_fit(X_batch, y_batch, classes=[0, 1])  # a cold call
        interleaved.partial_fit(X_batch, y_batch, classes=[0, 1])
    tf.random.set_seed(None)
    _assert_same_weights(_weights(interleaved), expected)


def test_predictions_with_stateful_tensorflow_random_ops_repeat(
    imbalanced_data, monkeypatch
):
    """A network whose layer calls tf.random.normal while predicting only
    predicts alike after equal warm partial_fit calls (under the user's
    global seed, through model.predict's traced step), also when another
    estimator's fit comes between: the prediction's traced function holds
    the op, so the next warm call clears the kernel cache again and the
    noise starts over, as it did when every call cleared it."""
    import tensorflow as tf

    X, y = imbalanced_data
    monkeypatch.setattr(KerasClassifier, "_fast_path_max_rows", lambda self: 0)

    def make():
        return KerasClassifier(
            _noise_network, model__when_training=False, batch_size=64, random_state=0
        )

    tf.random.set_seed(0)
    try:
        alone, interleaved = make(), make()
        expected = [
            alone.partial_fit(X, y, classes=[0, 1]).predict_proba(X) for _ in range(3)
        ]
        for i in range(3):
            make().partial_fit(X, y, classes=[0, 1])  # a cold call
            proba = interleaved.partial_fit(X, y, classes=[0, 1]).predict_proba(X)
            np.testing.assert_array_equal(proba, expected[i])
    finally:
        tf.random.set_seed(None)


def test_warm_partial_fits_on_augmented_image_files_repeat(tmp_path):
    """Equal TransferClassifiers trained warm on image files with
    augmentation train alike whatever global seed the user set, and however
    many eager random draws the user made, between the calls: a warm call
    seeds TensorFlow too (skipping that on warm calls made the second call
    depend on them)."""
    import tensorflow as tf

    from .test_transfer import _tiny_backbone

    backbone = _tiny_backbone()
    images = np.random.RandomState(0).uniform(0, 255, (8, 16, 16, 3))
    paths = np.array(_write_pngs(tmp_path, images), dtype=object)
    labels = np.array([0, 1] * 4)

    def trained(user_seed, user_draws):
        clf = TransferClassifier(
            backbone,
            weights=None,
            hidden_units=(4,),
            augmentation="default",
            batch_size=4,
            random_state=0,
        )
        clf.partial_fit(paths, labels, classes=[0, 1])
        tf.random.set_seed(user_seed)  # the user's seed and eager draws
        for _ in range(user_draws):
            tf.random.uniform([1])
        clf.partial_fit(paths, labels)
        return _weights(clf)

    try:
        expected = trained(None, 0)
        _assert_same_weights(trained(1, 0), expected)
        _assert_same_weights(trained(2, 3), expected)
    finally:
        tf.random.set_seed(None)


def _users_sequence(draws):
    """The next values of the user's eager op-seeded random sequence."""
    import tensorflow as tf

    return [tf.random.uniform([2], seed=7).numpy() for _ in range(draws)]


@pytest.mark.parametrize("call", ["warm", "cold", "unpickled"])
def test_a_warm_partial_fit_keeps_tensorflows_kernel_cache(imbalanced_data, call):
    """A warm partial_fit of a network without TensorFlow's stateful random
    ops sets TensorFlow's seed without clearing its kernel cache (clearing
    made the user's next train_on_batch re-instantiate its train step): the
    user's eager op-seeded sequence goes on across it. A fit that builds a
    network, and the first call on an unpickled copy, still clear the cache,
    so the sequence starts over, as after tf.random.set_seed."""
    import tensorflow as tf

    X, y = imbalanced_data
    clf = MLPClassifier(hidden_layer_sizes=(4,), random_state=0)
    clf.partial_fit(X, y, classes=[0, 1])
    if call == "unpickled":
        clf = pickle.loads(pickle.dumps(clf))
    tf.random.set_seed(5)
    try:
        expected = _users_sequence(2)
        tf.random.set_seed(5)
        first = _users_sequence(1)
        if call == "cold":
            clf.fit(X, y)
        else:
            clf.partial_fit(X, y)
        after = _users_sequence(1)
    finally:
        tf.random.set_seed(None)
    np.testing.assert_array_equal(first[0], expected[0])
    if call == "warm":  # the sequence goes on
        np.testing.assert_array_equal(after[0], expected[1])
    else:  # it starts over
        np.testing.assert_array_equal(after[0], expected[0])


def _cache_kept_across(call):
    """Whether ``call()`` left TensorFlow's kernel cache as it was: the
    user's eager op-seeded sequence goes on across it (a clear starts it
    over)."""
    import tensorflow as tf

    tf.random.set_seed(5)
    try:
        expected = _users_sequence(2)
        tf.random.set_seed(5)
        _users_sequence(1)
        call()
        after = _users_sequence(1)
    finally:
        tf.random.set_seed(None)
    if np.array_equal(after[0], expected[1]):
        return True
    np.testing.assert_array_equal(after[0], expected[0])  # started over
    return False


def test_a_fit_reads_its_functions_only_when_a_warm_call_asks(
    imbalanced_data, monkeypatch
):
    """Fits that build a network, and predictions, only note the names of
    the TensorFlow functions they traced: reading them (a few milliseconds,
    about 20 for a large network) waits for the first warm call, so a fit
    that none follows (a search's) never pays for it. That warm call reads
    them and still keeps the kernel cache; the next reads only what that
    one traced."""
    from tensorflow.python.eager import context

    X, y = imbalanced_data
    reads = []  # skimb's (TensorFlow reads a function's as it traces it)
    read = context.Context.get_function_def

    def counted(self, name):
        if sys._getframe(1).f_globals.get("__name__") == "skimb._keras":
            reads.append(name)
        return read(self, name)

    monkeypatch.setattr(context.Context, "get_function_def", counted)
    MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(X, y)
    clf = MLPClassifier(hidden_layer_sizes=(4,), random_state=0)
    clf.partial_fit(X, y, classes=[0, 1]).predict_proba(X)
    assert reads == []
    assert _cache_kept_across(lambda: clf.partial_fit(X, y))
    n_reads = len(reads)
    assert n_reads > 0
    assert _cache_kept_across(lambda: clf.partial_fit(X, y))
    assert set(reads[n_reads:]).isdisjoint(reads[:n_reads])  # new ones only


def _eight_images():
    """Eight random 16x16 RGB images of two classes, in turn."""
    images = np.random.RandomState(0).uniform(0, 255, (8, 16, 16, 3))
    return images, np.array([0, 1] * 4)


def _head_classifier(backbone, random_state=0, **params):
    """A small TransferClassifier that trains its head alone on the
    embeddings of ``backbone`` (no augmentation)."""
    return TransferClassifier(
        backbone,
        weights=None,
        hidden_units=(4,),
        batch_size=4,
        random_state=random_state,
        **params,
    )


def test_a_warm_head_on_embeddings_partial_fit_keeps_the_kernel_cache():
    """A TransferClassifier without augmentation trains its head alone on
    the backbone's embeddings; its warm partial_fit keeps TensorFlow's
    kernel cache, as KerasClassifier's does (seeding looked for the train
    step of the whole network, which has none, and cleared the cache at
    every call), and equal estimators still train and predict alike when
    other fits and the user's seeds come between their calls."""
    import tensorflow as tf

    from .test_transfer import _tiny_backbone

    images, labels = _eight_images()
    make = functools.partial(_head_classifier, _tiny_backbone(), dropout=0.5)

    clf = make().partial_fit(images, labels, classes=[0, 1])
    assert _cache_kept_across(lambda: clf.partial_fit(images, labels))
    assert _cache_kept_across(lambda: clf.partial_fit(images, labels))

    alone, interleaved = make(), make()
    expected = [
        alone.partial_fit(images, labels, classes=[0, 1]).predict_proba(images)
        for _ in range(3)
    ]
    try:
        for i in range(3):
            tf.random.set_seed(100 + i)
            make(random_state=i).partial_fit(images, labels, classes=[0, 1])
            interleaved.partial_fit(images, labels, classes=[0, 1])
            np.testing.assert_array_equal(
                interleaved.predict_proba(images), expected[i]
            )
    finally:
        tf.random.set_seed(None)
    _assert_same_weights(_weights(interleaved), _weights(alone))


def test_head_on_embeddings_partial_fits_with_a_noisy_backbone_repeat():
    """A backbone whose layer adds TensorFlow's stateful tf.random.normal
    noise while predicting: the head trains on noisy embeddings, and the
    network predicts with noise. Equal TransferClassifiers training their
    heads on embeddings train and predict alike (under the user's global
    seed) when an equal estimator's cold call comes between their calls:
    the traced functions that embed and predict hold the op, so every warm
    call clears the kernel cache and the noise starts over, although the
    head's train step is clean."""
    import keras
    import tensorflow as tf

    class TensorFlowNoise(keras.layers.Layer):
        def call(self, x, training=None):
            return x + tf.random.normal(tf.shape(x), stddev=0.5)

    keras.utils.set_random_seed(0)
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Rescaling(1 / 255.0)(inputs)
    x = keras.layers.Conv2D(8, 3, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    backbone = keras.Model(inputs, TensorFlowNoise()(x), name="noisy")
    images, labels = _eight_images()
    make = functools.partial(_head_classifier, backbone)

    tf.random.set_seed(0)  # the predictions' noise, under the user's seed
    try:
        alone, interleaved = make(), make()
        expected = [
            alone.partial_fit(images, labels, classes=[0, 1]).predict_proba(images)
            for _ in range(3)
        ]
        for i in range(3):
            make().partial_fit(images, labels, classes=[0, 1])  # a cold call
            interleaved.partial_fit(images, labels, classes=[0, 1])
            np.testing.assert_array_equal(
                interleaved.predict_proba(images), expected[i]
            )
    finally:
        tf.random.set_seed(None)


def test_an_eager_random_op_in_a_warm_call_starts_over(imbalanced_data):
    """A callback that draws from TensorFlow's stateful random ops eagerly,
    with no seed of its own, draws the same values at each warm partial_fit
    of equal estimators, also when another estimator's fit comes between:
    the kernel cache is cleared before such a draw."""
    import keras
    import tensorflow as tf

    X, y = imbalanced_data
    draws = {"alone": [], "interleaved": []}

    class Draw(keras.callbacks.Callback):
        def __init__(self, key):
            super().__init__()
            self.key = key

        def on_epoch_end(self, epoch, logs=None):
            draws[self.key].append(tf.random.normal([2]).numpy())

    def make(key):
        return KerasClassifier(SmallNetwork(), callbacks=[Draw(key)], random_state=0)

    alone, interleaved = make("alone"), make("interleaved")
    for _ in range(3):
        alone.partial_fit(X, y, classes=[0, 1])
    for _ in range(3):
        MLPClassifier(hidden_layer_sizes=(4,), random_state=1).partial_fit(
            X, y, classes=[0, 1]
        )
        interleaved.partial_fit(X, y, classes=[0, 1])
    np.testing.assert_array_equal(draws["alone"], draws["interleaved"])


# MobileNetV3Small with random weights gives near-zero features, and skimb
# warns about that (tested in test_transfer.py); here the subject is global
# state, so the warning is expected noise.
@pytest.mark.filterwarnings("ignore:The backbone's features are all close to zero")
def test_global_state_is_unchanged(imbalanced_data, tmp_path):
    """No public entry point changes RNGs, determinism, eager mode, threads or
    Keras's configuration (an unseeded fit draws its seed from NumPy's global
    generator, as scikit-learn estimators do, and is checked separately)."""
    import tensorflow as tf

    X, y = imbalanced_data
    rng = np.random.RandomState(0)
    images = rng.uniform(0, 255, (12, 32, 32, 3))
    labels = np.array([0, 1] * 6)
    random.seed(3)
    np.random.seed(3)
    tf.random.set_seed(3)
    for name, call in _entry_points(X, y, images, labels, tmp_path):
        before = _global_state()
        call()
        after = _global_state()
        if name == "MLPClassifier unseeded fit":
            before.pop("numpy"), after.pop("numpy")
        assert after == before, name


@pytest.mark.parametrize("how", ["clone", "pickle"])
@pytest.mark.parametrize("estimator", [KerasClassifier, ImageEmbedder])
def test_copies_with_a_model_parameter_leave_the_users_streams(estimator, how):
    """clone deep-copies a keras.Model parameter, and unpickling rebuilds it
    (Keras's reducer): both drew initializer seeds from the user's Python
    random and moved Keras's layer-name counters. Both now happen in skimb's
    private state."""
    import keras
    from keras.src.backend.common import global_state
    from sklearn.base import clone

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    pickled = pickle.dumps(estimator(model))
    random.seed(4)
    before = random.getstate()
    names = dict(global_state.get_global_attribute("object_name_uids"))
    copy = clone(estimator(model)) if how == "clone" else pickle.loads(pickled)
    assert random.getstate() == before
    assert dict(global_state.get_global_attribute("object_name_uids")) == names
    given = copy.get_params()["model" if estimator is KerasClassifier else "backbone"]
    assert given is not model  # a copy, as scikit-learn's clone makes


def test_unseeded_fit_advances_numpy_only_by_one_draw(imbalanced_data):
    """random_state=None takes one draw from NumPy's global generator."""
    X, y = imbalanced_data
    np.random.seed(5)
    np.random.randint(np.iinfo(np.int32).max)
    expected = np.random.rand()
    np.random.seed(5)
    MLPClassifier(hidden_layer_sizes=(4,), max_iter=1).fit(X, y)
    assert np.random.rand() == expected


def test_pickle_from_another_version_warns(fitted_mlp, imbalanced_data):
    """A model saved by another skimb version says which version it needs."""
    X, _ = imbalanced_data
    state = fitted_mlp.__getstate__()
    assert state["_skimb_version"]
    state["_skimb_version"] = "0.0.1"
    clone = MLPClassifier.__new__(MLPClassifier)
    with pytest.warns(InconsistentVersionWarning, match="saved with skimb 0.0.1"):
        clone.__setstate__(state)
    np.testing.assert_array_equal(clone.predict(X), fitted_mlp.predict(X))


@pytest.mark.parametrize("cut", [0.0, 0.3, 0.9])
def test_truncated_pickle_is_a_clear_error(fitted_mlp, cut):
    """A truncated pickle fails with an error, not a crash or a hang."""
    data = pickle.dumps(fitted_mlp)
    with pytest.raises((pickle.UnpicklingError, EOFError, ValueError)):
        pickle.loads(data[: int(len(data) * cut)])


def test_corrupted_model_bytes_name_the_problem(fitted_mlp):
    """Flipped bytes inside the saved Keras model give a clear ValueError."""
    state = fitted_mlp.__getstate__()
    model_bytes = bytearray(state["model_"].data)
    middle = len(model_bytes) // 2
    model_bytes[middle : middle + 64] = b"\x00" * 64
    state["model_"].data = bytes(model_bytes)
    with pytest.raises(ValueError, match="corrupt or truncated"):
        MLPClassifier.__new__(MLPClassifier).__setstate__(state)


def _build_with_unregistered_layer(meta):
    import keras

    class Twice(keras.layers.Layer):  # local: Keras cannot import it back
        def call(self, inputs):
            return 2.0 * inputs

    return keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            Twice(),
            keras.layers.Dense(meta["n_classes_"], activation="softmax"),
        ]
    )


def test_unregistered_custom_layer_is_a_clear_error_at_load():
    """A custom layer Keras cannot locate at load time is a short ValueError."""
    X = np.random.default_rng(0).normal(size=(40, 3))
    y = np.arange(40) % 2
    clf = KerasClassifier(_build_with_unregistered_layer, epochs=1).fit(X, y)
    data = pickle.dumps(clf)
    with pytest.raises(ValueError, match="Could not locate class 'Twice'") as info:
        pickle.loads(data)
    assert "register_keras_serializable" in str(info.value)
    assert len(str(info.value)) < 400  # not Keras's whole model config


BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.slow
def test_repeated_fits_release_their_memory():
    """200 consecutive fits grow resident memory by less than 100 MB.

    Raw ``model.fit`` in a loop leaks about 4 MB per fit on TensorFlow 2.21:
    each traced train step stays referenced from TensorFlow's gradient
    registry, and each newly named variable adds a kernel to the eager
    kernel cache. skimb releases both after each fit
    (``skimb._keras.releasing_fit_memory``). benchmarks/repeated_fits.py
    measures both loops; its numbers are in benchmarks/README.md.
    """
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "repeated_fits.py"), "--only", "skimb"],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    row = result.stdout.strip().splitlines()[-1].split()
    assert row[0] == "skimb" and row[-1] == "MB", result.stdout
    print(f"RSS growth over 200 fits: skimb {row[1]} MB")
    assert float(row[1]) < 100


def test_fit_leaves_no_gradient_functions_or_layer_names(imbalanced_data):
    """A fit removes the gradient functions its train step registered, and
    leaves Keras's layer-name counter as it found it."""
    import keras
    from keras.src.backend.common import global_state
    from tensorflow.python.framework import ops

    X, y = imbalanced_data
    registry = ops._gradient_registry._registry

    def custom_gradients():
        return {name for name in registry if name.startswith("CustomGradient")}

    registered = custom_gradients()
    keras.layers.Dense(2)  # the counter exists
    counter = global_state.get_global_attribute("object_name_uids")
    names_before = dict(counter)
    first = MLPClassifier(hidden_layer_sizes=(8,), max_iter=1, random_state=0)
    second = MLPClassifier(hidden_layer_sizes=(8,), max_iter=1, random_state=0)
    first.fit(X, y)
    second.fit(X, y)
    second.partial_fit(X, y)
    assert custom_gradients() == registered
    assert global_state.get_global_attribute("object_name_uids") is counter
    assert dict(counter) == names_before
    names = [v.path for v in first.model_.variables]
    assert names == [v.path for v in second.model_.variables]
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(second)).predict_proba(X), second.predict_proba(X)
    )


@pytest.mark.slow
@pytest.mark.parametrize("batch_sampler", [None, "balanced"])
def test_fit_leaves_no_function_in_the_eager_context(imbalanced_data, batch_sampler):
    """Once its model is gone, a fit leaves no traced function behind. The
    feed's endless pass counter (``Dataset.counter()``, a ``scan``) left one
    per fit, about 130 KB: 200 fits grew a process by 51 MB instead of 26."""
    import gc

    from tensorflow.python.eager import context

    X, y = imbalanced_data

    def fit():
        MLPClassifier(
            hidden_layer_sizes=(4,), max_iter=1, batch_sampler=batch_sampler
        ).fit(X, y)
        gc.collect()

    fit()
    before = set(context.context().list_function_names())
    for _ in range(3):
        fit()
    assert set(context.context().list_function_names()) - before == set()


def test_fit_memory_stays_under_twice_the_data():
    """Fitting on 2,000,000 x 20 float32 rows peaks below 2 x X of extra
    resident memory (the performance issue's target; raw Keras needs about
    2.35 x X). benchmarks/performance.py measures it the same way, in a
    fresh process with a thread sampling RSS."""
    code = (
        f"import sys; sys.path.insert(0, {str(BENCHMARKS)!r}); "
        "from performance import memory; print(memory(2_000_000, 'skimb'))"
    )
    out = run_python(code, timeout=900)
    ratio = float(out.strip().splitlines()[-1])
    print(f"peak extra memory of a fit: {ratio:.2f} x X")
    assert ratio < 2.0


#: Prepended to scripts run in a child process: random PNG files to read.
_WRITE_PNGS = """
import numpy as np, tensorflow as tf


def write_pngs(folder, n, size):
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        path = f"{folder}/{i}.png"
        pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        tf.io.write_file(path, tf.io.encode_png(pixels))
        paths.append(path)
    return paths
"""


@pytest.mark.slow
@pytest.mark.skipif(
    not os.path.exists("/proc/self/clear_refs"), reason="reads peak memory from /proc"
)
def test_shuffled_image_files_are_decoded_batch_by_batch(tmp_path):
    """A shuffled pass over image files (a fit with augmentation or
    fine-tuning) holds about a batch of decoded images, not all of them: the
    pipeline shuffled decoded images in a buffer of up to 10,000, so 1,200
    files of 64 x 64 took 59 MB of float32 pixels at once (and 10,000 files
    at 224 x 224, 6 GB)."""
    output = run_python(
        _WRITE_PNGS
        + textwrap.dedent(
            f"""
        from skimb._images import path_dataset

        def peak_mb():
            with open("/proc/self/status") as status:
                line = next(row for row in status if row.startswith("VmHWM"))
            return int(line.split()[1]) / 1024

        paths = write_pngs({str(tmp_path)!r}, 1200, 64)
        labels = np.arange(1200) % 2
        weights = np.ones(1200)

        def one_pass(n):
            data = path_dataset(
                paths[:n], (64, 64), 32, labels=labels[:n], weights=weights[:n], seed=0
            )
            return sum(len(batch[0]) for batch in data)

        assert one_pass(64) == 64  # TensorFlow's own start-up, before measuring
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # resets VmHWM to the current resident size
        start = peak_mb()
        assert one_pass(1200) == 1200
        print(peak_mb() - start)
        """
        )
    )
    growth = float(output.split()[-1])
    assert growth < 25, f"a pass over 1,200 files grew the process by {growth:.0f} MB"


@pytest.mark.parametrize(
    "layout", ["aligned", "unaligned", "fortran", "read-only", "small", "big-endian"]
)
def test_fed_tensors_hold_the_arrays_values(layout):
    """The tensors skimb feeds Keras equal the arrays, whatever their layout;
    a large aligned C-contiguous array is shared, not copied."""
    from skimb._keras import _TF_ALIGNMENT, _tensor_of

    rng = np.random.default_rng(0)
    n_rows = 10 if layout == "small" else 20_000
    buffer = np.empty(n_rows * 20 * 4 + 2 * _TF_ALIGNMENT, dtype=np.uint8)
    start = -buffer.ctypes.data % _TF_ALIGNMENT + (4 if layout == "unaligned" else 0)
    array = buffer[start : start + n_rows * 20 * 4].view(np.float32).reshape(n_rows, 20)
    array[...] = rng.normal(size=array.shape)
    if layout == "fortran":
        array = np.asfortranarray(array)
    elif layout == "read-only":
        array.flags.writeable = False
    elif layout == "big-endian":
        array = array.astype(">f4")
    tensor = _tensor_of(array)
    np.testing.assert_array_equal(tensor.numpy(), array)
    if layout == "aligned":
        array[0, 0] = 42.0
        assert tensor.numpy()[0, 0] == 42.0
    else:
        expected = float(array[0, 0])
        if array.flags.writeable:
            array[0, 0] = 42.0
        assert tensor.numpy()[0, 0] == expected


#: Prepended to scripts run in a child process: ``seen`` collects the
#: messages of TensorFlow's Python logger.
_RECORD_TENSORFLOW_LOG = """
import logging

seen = []


class Record(logging.Handler):
    def emit(self, record):
        seen.append(record.getMessage())


logger = logging.getLogger("tensorflow")
logger.addHandler(Record())
"""


def test_a_search_does_not_print_tensorflows_retracing_warning():
    """Every fit traces a new train step; after a few fits in one process
    TensorFlow warned about "tf.function retracing" (advice the user cannot
    act on). Other warnings of TensorFlow's logger still pass, and the
    filter is gone after the fits."""
    from .conftest import run_python

    output = run_python(
        _RECORD_TENSORFLOW_LOG
        + textwrap.dedent(
            """
        from sklearn.datasets import make_classification
        from sklearn.model_selection import GridSearchCV
        from skimb import MLPClassifier

        X, y = make_classification(n_samples=120, weights=[0.9, 0.1], random_state=0)
        grid = {"alpha": [1e-4, 1e-3, 1e-2, 1e-1]}
        model = MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
        GridSearchCV(model, grid, cv=3).fit(X, y)
        logger.warning("the user's own warning")
        print(len(logger.filters), sum("retracing" in m for m in seen), seen[-1])
        """
        )
    )
    assert output.split() == ["0", "0", "the", "user's", "own", "warning"]


@pytest.mark.slow
def test_skimb_fits_do_not_change_when_tensorflow_warns_the_user():
    """TensorFlow warns about retracing from its counts of recent traces, at
    most twice per traced function, which Keras's fits share. skimb's
    filtered traces still counted: 4 fits made the user's next own fit warn
    about them, 12 used up the warnings the user's loop of fits should get.
    With or without skimb's fits before, the user's warnings are the same."""
    code = textwrap.dedent(
        """
        import keras, numpy as np
        from skimb import MLPClassifier

        X = np.random.RandomState(0).normal(size=(60, 4))
        y = np.array([0] * 45 + [1] * 15)
        for i in range(N_SKIMB_FITS):
            MLPClassifier(hidden_layer_sizes=(3,), max_iter=1, random_state=i).fit(X, y)

        def fit_own_model():
            model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
            model.fit(X, y, epochs=1, verbose=0)
            return sum("retracing" in message for message in seen)

        after_one = fit_own_model()
        for _ in range(8):
            after_loop = fit_own_model()
        print(after_one, after_loop)
        """
    )
    outputs = {
        n: run_python(_RECORD_TENSORFLOW_LOG + code.replace("N_SKIMB_FITS", str(n)))
        for n in (0, 4, 12)
    }
    assert outputs[0].split() == ["0", "2"]  # what the user's code alone gets
    assert outputs[4] == outputs[0] and outputs[12] == outputs[0]


def test_predicting_on_image_files_does_not_print_the_retracing_warning(tmp_path):
    """Each prediction on image files runs a new ``tf.data`` pipeline
    through a model's predict step; after a fit and a few predictions
    TensorFlow warned about "tf.function retracing" from
    ``ImageEmbedder.transform``. The fit's filter now covers predictions."""
    output = run_python(
        _WRITE_PNGS
        + _RECORD_TENSORFLOW_LOG
        + textwrap.dedent(
            f"""
        import keras
        from skimb import ImageEmbedder, TransferClassifier

        paths = write_pngs({str(tmp_path)!r}, 40, 32)
        y = np.array([0] * 30 + [1] * 10)

        keras.utils.set_random_seed(0)
        inputs = keras.Input((None, None, 3))
        x = keras.layers.Conv2D(4, 3, strides=2, activation="relu")(inputs)
        backbone = keras.Model(inputs, x)
        shape = (32, 32, 3)
        clf = TransferClassifier(backbone, weights=None, input_shape=shape, epochs=2)
        clf.fit(paths, y)
        embedder = ImageEmbedder(backbone, weights=None, input_shape=shape).fit(paths)
        for _ in range(3):
            clf.predict_proba(paths)
            embedder.transform(paths)
            uncached = ImageEmbedder(backbone, weights=None, cache=False)
            uncached.fit(paths).transform(paths)
        print(sum("retracing" in message for message in seen))
        """
        )
    )
    assert output.split() == ["0"]
