"""skimb on Keras's other backends: JAX and PyTorch.

TensorFlow is skimb's default backend, and the rest of the suite runs on it.
The estimator core is written against Keras 3's own API (``keras.ops``,
``keras.random``, ``keras.Model``), with the TensorFlow-only parts (the
``tf.data`` feed, thread limits, TensorFlow's global seed) in private
helpers that also work when Keras computes with another backend. These
tests hold that promise: in a fresh process with ``KERAS_BACKEND`` set (Keras picks its
backend once, at import), a seeded fit, its repetition, a pickle round trip
and the global random state afterwards.
"""

import importlib.util
import json

import numpy as np
import pytest

from .conftest import run_python

BACKEND_FIT = """
import json, pickle, random, sys
import numpy as np
import keras
from keras.src.backend.common import global_state
from sklearn.datasets import make_classification
from sklearn.metrics import balanced_accuracy_score
from skimb import MLPClassifier

X, y = make_classification(n_samples=300, weights=[0.9], random_state=0)
y = np.where(y == 1, "rare", "common")
random.seed(7)
np.random.seed(7)
python_state, numpy_state = random.getstate(), np.random.get_state()[1].copy()
if keras.backend.backend() == "torch":
    import torch
    torch.manual_seed(7)
    torch_state = torch.get_rng_state().clone()

def fit():
    return MLPClassifier(
        hidden_layer_sizes=(16,), max_iter=40, loss="focal", random_state=0
    ).fit(X, y)

clf = fit()
proba = clf.predict_proba(X)
report = {
    "backend": keras.backend.backend(),
    "classes": clf.classes_.tolist(),
    "rows_sum_to_one": bool(np.allclose(proba.sum(axis=1), 1.0)),
    "balanced_accuracy": balanced_accuracy_score(y, clf.predict(X)),
    "refit_identical": bool(np.array_equal(fit().predict_proba(X), proba)),
    "pickle_identical": bool(
        np.array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X), proba)
    ),
    "python_random_kept": random.getstate() == python_state,
    "numpy_random_kept": bool(np.array_equal(np.random.get_state()[1], numpy_state)),
    "keras_seed": global_state.get_global_attribute("global_random_seed"),
}
# A label outside the classes gives a NaN loss on every backend (PyTorch's
# one_hot raised "Class values must be smaller than num_classes").
from skimb.losses import FocalLoss, LogitAdjustedLoss
p3 = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
report["unknown_label_losses"] = [
    [bool(np.isnan(float(v))) for v in keras.ops.convert_to_numpy(
        loss.call(np.array([0, 3]), p3))]
    for loss in (FocalLoss(), LogitAdjustedLoss([0.5, 0.3, 0.2]))
]
if "tensorflow" in sys.modules:  # skimb's tf.data feed loads it
    from tensorflow.python.eager import context
    report["tensorflow_seed"] = context.context()._seed
if keras.backend.backend() == "torch":
    report["torch_random_kept"] = bool(torch.equal(torch.get_rng_state(), torch_state))
print(json.dumps(report))
"""


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_seeded_fit_on_other_backend(backend):
    """Fit, refit, pickle and global random state on JAX and PyTorch."""
    # Looked up, not imported: the backend loads only in the child process.
    if importlib.util.find_spec(backend) is None:
        pytest.skip(
            f"{backend} is not installed. The test extra installs JAX; "
            "PyTorch is left out because its PyPI wheel for Linux is a CUDA "
            "build of several GB (`pip install torch` to run this test)."
        )
    out = run_python(BACKEND_FIT, env={"KERAS_BACKEND": backend}, timeout=600)
    report = json.loads(out.strip().splitlines()[-1])

    assert report["backend"] == backend
    assert report["classes"] == ["common", "rare"]
    assert report["rows_sum_to_one"]
    # Chance is 0.5; the same fit scores 0.85 on TensorFlow, 0.78 on JAX and
    # 0.80 on PyTorch here (each backend draws its own initial weights).
    assert report["balanced_accuracy"] > 0.7
    assert report["refit_identical"]
    assert report["pickle_identical"]
    assert report["python_random_kept"]
    assert report["numpy_random_kept"]
    assert report["keras_seed"] is None
    assert report.get("tensorflow_seed") is None
    assert report["unknown_label_losses"] == [[False, True], [False, True]]
    if backend == "torch":
        assert report["torch_random_kept"]


JAX_THREADS_AND_NAN = """
import json, pickle
from concurrent.futures import ThreadPoolExecutor
import numpy as np
import keras
from sklearn.datasets import make_classification
from skimb import ImageEmbedder, KerasClassifier, MLPClassifier

X, y = make_classification(n_samples=300, weights=[0.9], random_state=0)
clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=5, random_state=0).fit(X, y)
X_big = np.resize(X, (2000, X.shape[1]))  # model.predict, not the fast path
expected = clf.predict_proba(X_big)
with ThreadPoolExecutor(4) as pool:
    results = list(pool.map(lambda _: clf.predict_proba(X_big), range(8)))
# Calls of one model wait for each other; calls of another model do not.
from skimb import _keras
import threading

def enter(model, entered):
    with _keras.one_model_call_at_a_time(model):
        entered.set()

other_clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=1).fit(X, y)
with _keras.one_model_call_at_a_time(clf.model_):
    other_model, same_model = threading.Event(), threading.Event()
    threading.Thread(target=enter, args=(other_clf.model_, other_model)).start()
    waiter = threading.Thread(target=enter, args=(clf.model_, same_model))
    waiter.start()
    other_model_ran = other_model.wait(30)
    same_model_waited = not same_model.wait(1)
waiter.join(30)
other_expected = other_clf.predict_proba(X_big)
with ThreadPoolExecutor(4) as pool:
    mixed = list(pool.map(
        lambda i: (i % 2, (clf, other_clf)[i % 2].predict_proba(X_big)), range(8)
    ))
report = {
    "lock_per_model": [other_model_ran, same_model_waited, same_model.is_set()],
    "two_models_identical": all(
        np.array_equal(r, (expected, other_expected)[i]) for i, r in mixed
    ),
    "threads_identical": all(np.array_equal(r, expected) for r in results),
    "pickle_identical": bool(
        np.array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X_big), expected)
    ),
}

def embedding_model():
    return keras.Sequential([
        keras.Input((1,)), keras.layers.Embedding(10, 3), keras.layers.Flatten(),
        keras.layers.Dense(2, activation="softmax"),
    ])

# Small inputs are padded to a power of two rows on JAX (one compilation per
# power, not per row count): each row's numbers must not depend on that.
def recording_shapes(model):
    shapes, predict_on_batch = [], model.predict_on_batch
    def record(x):
        shapes.append(len(x))
        return predict_on_batch(x)
    model.predict_on_batch = record
    return shapes

table_shapes = recording_shapes(clf.model_)
report["table_rows_kept"] = all(
    np.allclose(clf.predict_proba(X[:n]), expected[:n], atol=1e-6)
    for n in (1, 3, 5, 70)
)
inputs = keras.Input((None, None, 3))
features = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(4, 3)(inputs))
embedder = ImageEmbedder(keras.Model(inputs, features), weights=None, cache=False)
images = np.random.default_rng(0).uniform(0, 255, (40, 32, 32, 3)).astype("float32")
all_rows = embedder.fit(images).transform(images)
image_shapes = recording_shapes(embedder.extractor_)
report["image_rows_kept"] = all(
    np.allclose(embedder.transform(images[:n]), all_rows[:n], atol=1e-5)
    for n in (1, 3, 5, 6, 7, 35)  # 35: a batch of 32 and one of 3
)
report["shapes"] = [sorted(set(table_shapes)), sorted(set(image_shapes))]

codes = np.arange(40).reshape(-1, 1) % 10
fitted = KerasClassifier(embedding_model, epochs=1, random_state=0)
fitted.fit(codes, codes[:, 0] % 2)
try:
    fitted.predict_proba(np.array([[25]]))  # a code the Embedding does not have
    report["unseen_code"] = "no error"
except ValueError as exc:
    report["unseen_code"] = str(exc)
print(json.dumps(report))
"""


def test_jax_predicts_from_threads_and_refuses_nan_outputs():
    """On JAX, threads predicting with one model get the sequential results
    (Keras's JAX predict takes the variables out meanwhile: they failed and
    left the model without weights; calls of another model do not wait),
    and input a layer cannot take is an
    error (JAX returns NaN where TensorFlow raises). Small inputs, padded
    to a power of two rows on JAX, predict each row as a full batch does."""
    if importlib.util.find_spec("jax") is None:
        pytest.skip("jax is not installed (the test extra installs it).")
    out = run_python(JAX_THREADS_AND_NAN, env={"KERAS_BACKEND": "jax"}, timeout=600)
    report = json.loads(out.strip().splitlines()[-1])
    assert report["threads_identical"]
    assert report["lock_per_model"] == [True, True, True]
    assert report["two_models_identical"]
    assert report["pickle_identical"]
    assert report["table_rows_kept"]
    assert report["image_rows_kept"]
    assert report["shapes"] == [[64, 128], [1, 4, 8, 32]]
    assert "non-finite outputs" in report["unseen_code"]


TORCH_ERRORS_AND_GRADIENTS = """
import json

import numpy as np
import numpy as np
import keras
import torch
from skimb import KerasClassifier

grad_modes = []

class GradMode(keras.layers.Layer):
    def call(self, x):
        grad_modes.append(torch.is_grad_enabled())
        return x

def embedding_model():
    return keras.Sequential([
        keras.Input((1,)), keras.layers.Embedding(10, 3), keras.layers.Flatten(),
        GradMode(), keras.layers.Dense(2, activation="softmax"),
    ])

codes = np.arange(40).reshape(-1, 1) % 10
labels = codes[:, 0] % 2
fitted = KerasClassifier(embedding_model, epochs=1, random_state=0).fit(codes, labels)
weights = fitted.model_.trainable_variables
report = {"gradients_kept": sum(w.value.grad is not None for w in weights)}
grad_modes.clear()
fitted.predict_proba(codes[:5])
report["predict_grad_modes"] = sorted(set(grad_modes))
for name, attempt in {
    "predict": lambda: fitted.predict_proba(np.array([[25]])),
    "fit": lambda: KerasClassifier(embedding_model, epochs=1).fit(codes + 5, labels),
    # class indices for a metric that takes one-hot rows: torch speaks of a
    # "leading dimension", not of shapes
    "metric": lambda: KerasClassifier(
        embedding_model, metrics=[keras.metrics.AUC()], epochs=1
    ).fit(codes, labels),
}.items():
    try:
        attempt()
        report[name] = "no error"
    except ValueError as exc:
        report[name] = str(exc)
print(json.dumps(report))
"""


def test_torch_index_errors_and_predictions_without_gradients():
    """On PyTorch, an Embedding code out of range is skimb's ValueError (it
    was torch's IndexError, at fit and at prediction), and the small-input
    path runs the model without recording gradients (it kept every
    activation for a backward pass that never came). A fit leaves no
    gradients on the model's weights. A metric that cannot take class
    indices gets the hint about metrics, as on TensorFlow."""
    if importlib.util.find_spec("torch") is None:
        pytest.skip(
            "torch is not installed: the test extra leaves it out (see "
            "test_seeded_fit_on_other_backend)."
        )
    out = run_python(
        TORCH_ERRORS_AND_GRADIENTS, env={"KERAS_BACKEND": "torch"}, timeout=600
    )
    report = json.loads(out.strip().splitlines()[-1])
    assert report["gradients_kept"] == 0  # the last train step's are freed
    assert report["predict_grad_modes"] == [False]
    assert report["predict"].startswith("Keras could not run the model on X")
    assert report["fit"].startswith("Keras could not fit the model")
    assert "Metrics must suit the labels too" in report["metric"]


MODEL_CHECKS_AND_HISTORY = """
import gc, json, pickle, warnings, weakref
import numpy as np
import keras
from sklearn.datasets import make_classification
from skimb import KerasClassifier, MLPClassifier

warnings.simplefilter("ignore")
X, y = make_classification(n_samples=60, n_features=4, random_state=0)
X = X.astype(np.float32)
report = {}

def logits(meta):
    # Logits, not softmax: Keras's TensorFlow cross-entropy takes a softmax
    # output's logits back, JAX's and PyTorch's clip the probabilities, so a
    # saturated softmax has no gradient there and never overflows Adam.
    return keras.Sequential(
        [keras.Input((meta["n_features_in_"],)), keras.layers.Dense(2)]
    )

def state(clf):
    variables = [*clf.model_.weights, *clf.model_.optimizer.variables]
    return [keras.ops.convert_to_numpy(v) for v in variables]

def error(call):
    try:
        call()
        return "no error"
    except ValueError as exc:
        return str(exc)

# Trained weights are remembered weakly (a WeakValueDictionary by id).
variable = keras.Variable(np.zeros(3, "float32"))
held = weakref.WeakValueDictionary({id(variable): variable})
del variable
gc.collect()
report["weights_held_weakly"] = len(held) == 0
dense = keras.layers.Dense(2, activation="softmax")

def around(meta):
    inputs = keras.Input((meta["n_features_in_"],))
    return keras.Model(inputs, dense(inputs))

KerasClassifier(around, epochs=1, random_state=0).fit(X, y)
report["shared_layers"] = error(
    lambda: KerasClassifier(around, epochs=1, random_state=0).fit(X, y)
)

# A keras.Model given as model: held weakly, pickled as a marker.
def network():
    return keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(2, activation="softmax")]
    )

clf = KerasClassifier(network(), epochs=1, random_state=0, warm_start=True)
clf.fit(X, y)
loaded = pickle.loads(pickle.dumps(clf))
report["pickle_identical"] = bool(
    np.array_equal(loaded.predict_proba(X), clf.predict_proba(X))
)
report["pickle_warm_fit"] = error(lambda: loaded.fit(X, y))
report["swapped_model"] = error(lambda: clf.set_params(model=network()).fit(X, y))

# A partial_fit that overflows the optimizer's state raises, rolled back.
clf = KerasClassifier(logits, epochs=1, batch_size=60, random_state=0)
clf.partial_fit(X, y, classes=[0, 1])
before, proba = state(clf), clf.predict_proba(X)
report["overflow"] = error(lambda: clf.partial_fit(X * 1e30, y))
report["rolled_back"] = all(
    np.array_equal(a, b) for a, b in zip(state(clf), before, strict=True)
) and bool(np.array_equal(clf.predict_proba(X), proba))
clf.partial_fit(X, y)
report["trains_on"] = all(np.isfinite(w).all() for w in clf.model_.get_weights())

# The MLP stops at its first NaN loss.
history = keras.callbacks.History()
mlp = MLPClassifier(
    (8,), solver="sgd", learning_rate_init=1e8, max_iter=50, random_state=0
)
report["mlp_diverged"] = error(lambda: mlp.fit(X, y, callbacks=[history]))
report["mlp_losses_finite"] = [bool(np.isfinite(v)) for v in history.history["loss"]]

# history_ aligned by epoch; partial_fit numbers its epoch after the others.
clf = KerasClassifier(logits, epochs=4, random_state=0)
clf.fit(X, y, validation_data=(X, y), validation_freq=2)
report["val_loss_nan"] = [bool(np.isnan(v)) for v in clf.history_["val_loss"]]
report["loss_length"] = len(clf.history_["loss"])

def decay(epoch, rate=None):
    return 0.1 / (epoch + 1)

clf = KerasClassifier(
    logits, random_state=0,
    callbacks=[keras.callbacks.LearningRateScheduler(decay)],
)
for _ in range(3):
    clf.partial_fit(X, y, classes=[0, 1])
report["rates"] = [float(v) for v in clf.history_["learning_rate"]]

clf = KerasClassifier(logits, epochs=1, random_state=0, warm_start=True).fit(X, y)
report["warm_missing_class"] = error(lambda: clf.fit(X[y == 0], y[y == 0]))
print(json.dumps(report))
"""


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_model_checks_and_history_on_other_backend(backend):
    """The checks added on 2026-11-28 hold on JAX and PyTorch: Keras
    variables are held weakly (layers shared between fits, a keras.Model
    swapped between warm fits, which also pickles), a partial_fit that
    overflows Adam's moments raises and is rolled back, the MLP stops at
    its first NaN loss, history_ is aligned by epoch and partial_fit
    numbers its epochs on, and a warm fit missing a class is refused."""
    if importlib.util.find_spec(backend) is None:
        pytest.skip(
            f"{backend} is not installed (see test_seeded_fit_on_other_backend)."
        )
    out = run_python(
        MODEL_CHECKS_AND_HISTORY, env={"KERAS_BACKEND": backend}, timeout=600
    )
    report = json.loads(out.strip().splitlines()[-1])
    assert report["weights_held_weakly"]
    assert "around layers that an earlier fit" in report["shared_layers"]
    assert report["pickle_identical"]
    assert report["pickle_warm_fit"] == "no error"
    assert "cannot continue training" in report["swapped_model"]
    assert "Training diverged: the optimizer's state" in report["overflow"]
    assert report["rolled_back"]
    assert report["trains_on"]
    assert "Training diverged" in report["mlp_diverged"]
    losses = report["mlp_losses_finite"]
    assert len(losses) > 1 and all(losses[:-1]) and not losses[-1]
    assert report["val_loss_nan"] == [True, False, True, False]
    assert report["loss_length"] == 4
    np.testing.assert_allclose(report["rates"], [0.1, 0.05, 0.1 / 3], rtol=1e-6)
    assert "y has no samples of the classes [1]" in report["warm_missing_class"]
