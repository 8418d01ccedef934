"""Shared fixtures: small imbalanced data sets and tiny Keras models."""

import os

# Quiet TensorFlow's C++ start-up logs in the test output; set before any
# test imports TensorFlow (the library itself never sets this).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# scikit-learn's array API check (NumPy inputs with array API dispatch on)
# runs only when SciPy was imported with this set.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import subprocess  # noqa: E402
import sys  # noqa: E402
import textwrap  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402


def run_python(code: str, *, cwd=None, env=None, timeout=300) -> str:
    """Run ``code`` in a fresh Python process and return its stdout.

    ``env`` holds variables added to this process's environment. The test
    fails with the end of the child's stderr if the child fails.
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="session")
def imbalanced_data():
    """The built-in 90:10 problem, shrunk to 300 rows and 8 features."""
    X, y = make_classification(
        n_samples=300,
        n_features=8,
        n_informative=3,
        n_redundant=1,
        n_clusters_per_class=1,
        weights=[0.9, 0.1],
        class_sep=2,
        flip_y=0,
        random_state=42,
    )
    return X.astype(np.float32), y


class SmallNetwork:
    """A build function: one hidden layer and a softmax, sized from ``meta``.

    A class rather than a function so that its repr, and with it the test
    ids of ``parametrize_with_checks``, is the same in every pytest-xdist
    worker. With ``learning_rate`` it compiles itself with Adam.
    """

    def __init__(self, learning_rate=None):
        self.learning_rate = learning_rate

    def __repr__(self):
        return f"SmallNetwork(learning_rate={self.learning_rate})"

    def __call__(self, meta, compile_kwargs, hidden=16):
        import keras

        model = keras.Sequential(
            [
                keras.Input((meta["n_features_in_"],)),
                keras.layers.Dense(hidden, activation="relu"),
                keras.layers.Dense(meta["n_classes_"], activation="softmax"),
            ]
        )
        if self.learning_rate is not None:
            model.compile(
                optimizer=keras.optimizers.Adam(self.learning_rate),
                loss=compile_kwargs["loss"],
            )
        return model


build_small_model = SmallNetwork()


@pytest.fixture
def fed_arrays(monkeypatch):
    """Records what skimb feeds Keras: ``(arrays, batch_size)`` per dataset
    (the training data first, then the validation data)."""
    from skimb import _keras

    calls = []
    array_dataset = _keras.array_dataset

    def spy(arrays, *, batch_size, **kwargs):
        calls.append((arrays, batch_size))
        return array_dataset(arrays, batch_size=batch_size, **kwargs)

    monkeypatch.setattr(_keras, "array_dataset", spy)
    return calls


def uncopyable_scale(factor):
    """A user's Keras layer that Keras cannot rebuild from its configuration:
    its constructor takes no ``**kwargs``, so ``from_config`` fails."""
    import keras

    class Scale(keras.layers.Layer):
        def __init__(self, factor):
            super().__init__()
            self.factor = factor

        def call(self, x):
            return x * self.factor

    return Scale(factor)


def tiny_conv_backbone(*, pooled=True):
    """A backbone for image tests: one 3x3 convolution of 4 channels on RGB
    images of any size, random weights (seeded), globally average-pooled
    unless ``pooled=False`` (skimb then pools the feature map)."""
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Rescaling(1 / 255.0)(inputs)
    x = keras.layers.Conv2D(4, 3, activation="relu")(x)
    if pooled:
        x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, x, name="tiny")
