"""Private helpers around Keras and TensorFlow.

Everything that touches Keras's or TensorFlow's global state lives here:
the lazy import, seeding with restoration of every global random state, and
saving a model to bytes. Keeping it in one module means a later backend
(JAX, PyTorch) needs changes in this file only.
"""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import contextlib
import io
import random
import threading
import warnings
from collections.abc import Iterator

import numpy as np

_SEED_LOCK = threading.RLock()


def import_keras():
    """Import and return the ``keras`` module, with a helpful error if absent.

    In a joblib worker process, the first call also limits TensorFlow's
    thread pools to the worker's share of the cores (see
    :func:`limit_worker_threads`).
    """
    try:
        import keras
    except ImportError as exc:  # pragma: no cover - keras is a dependency
        raise ImportError(
            "skimb needs Keras 3 and a backend such as TensorFlow. "
            "Install them with `pip install tensorflow keras`."
        ) from exc
    if not _WORKER_THREADS["checked"]:
        _WORKER_THREADS["checked"] = True
        limit_worker_threads()
    return keras


_WORKER_THREADS = {"checked": False, "limit": None}

#: Process names of joblib's loky workers and Dask's worker processes; both
#: set OMP_NUM_THREADS to the worker's share of the cores.
_WORKER_NAMES = ("LokyProcess", "Dask Worker")


def limit_worker_threads() -> int | None:
    """Give TensorFlow a worker process's share of the cores.

    joblib's loky workers get ``OMP_NUM_THREADS`` set to
    ``cpu_count // n_jobs`` (Dask's worker processes to their thread count)
    so that workers do not oversubscribe the cores, but TensorFlow sizes its
    own thread pools from the core count and ignores that variable. In such a
    worker this sets TensorFlow's intra- and inter-op pools to
    ``OMP_NUM_THREADS``. It does nothing in the user's own
    process, where thread settings are the user's, and nothing if
    TensorFlow's runtime already started (the pools are fixed then).

    Returns
    -------
    n_threads : int or None
        The limit applied, or None.
    """
    import multiprocessing
    import os

    if not multiprocessing.current_process().name.startswith(_WORKER_NAMES):
        return None
    try:
        n_threads = int(os.environ["OMP_NUM_THREADS"])
    except (KeyError, ValueError):
        return None
    tf = _tensorflow_or_none()
    if tf is None or n_threads < 1:
        return None
    try:
        tf.config.threading.set_intra_op_parallelism_threads(n_threads)
        tf.config.threading.set_inter_op_parallelism_threads(n_threads)
    except RuntimeError:  # the runtime is already initialised
        return None
    _WORKER_THREADS["limit"] = n_threads
    return n_threads


def _tensorflow_or_none():
    """Return the ``tensorflow`` module if Keras has already loaded it."""
    import sys

    return sys.modules.get("tensorflow")


class _GlobalRandomState:
    """A snapshot of every global random state that Keras seeding touches.

    ``keras.utils.set_random_seed`` sets Python's ``random``, NumPy's global
    ``RandomState``, TensorFlow's global seed and Keras's global
    ``SeedGenerator``. This object records all four before seeding and puts
    them back afterwards, so a seeded fit leaves the user's process as it
    found it.
    """

    def __init__(self) -> None:
        from keras.src.backend.common import global_state

        self._global_state = global_state
        self.python = random.getstate()
        self.numpy = np.random.get_state()
        self.keras = {
            name: global_state.get_global_attribute(name)
            for name in ("global_random_seed", "global_seed_generator")
        }
        self.tf = self._tf_seed_state()

    @staticmethod
    def _tf_seed_state():
        tf = _tensorflow_or_none()
        if tf is None:
            return None
        from tensorflow.python.eager import context
        from tensorflow.python.framework import ops

        ctx = context.context()
        return (
            getattr(ctx, "_seed", None),
            getattr(ctx, "_rng", None),
            ops.get_default_graph().seed,
        )

    def restore(self) -> None:
        random.setstate(self.python)
        np.random.set_state(self.numpy)
        for name, value in self.keras.items():
            self._global_state.set_global_attribute(name, value)
        if self.tf is not None:
            from tensorflow.python.eager import context
            from tensorflow.python.framework import ops

            ctx = context.context()
            ctx._seed, ctx._rng, graph_seed = self.tf
            ops.get_default_graph().seed = graph_seed


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run a block with every Keras-relevant global RNG seeded by ``seed``.

    All global random states are restored when the block exits, also on
    error. TensorFlow's op determinism is never switched on: on CPU, seeding
    is enough for reproducible fits, and switching determinism on would break
    the user's own unseeded random ops afterwards.

    The lock serialises seeded blocks between threads of one process, since
    the seeds they set are process-wide.
    """
    keras = import_keras()
    with preserved_random_state():
        keras.utils.set_random_seed(int(seed))
        yield


@contextlib.contextmanager
def preserved_random_state() -> Iterator[None]:
    """Run a block, then put every global random state back as it was.

    Building a Keras model draws initializer seeds from Python's ``random``;
    loading a saved model does too.
    """
    import_keras()
    with _SEED_LOCK:
        snapshot = _GlobalRandomState()
        try:
            yield
        finally:
            snapshot.restore()


def model_to_bytes(model) -> bytes:
    """Serialise a Keras model (architecture, weights, optimizer) to bytes."""
    from keras.src.saving import saving_lib

    buffer = io.BytesIO()
    saving_lib.save_model(model, buffer)
    return buffer.getvalue()


def model_from_bytes(data: bytes):
    """Rebuild a Keras model saved by :func:`model_to_bytes`."""
    import zipfile

    from keras.src.saving import saving_lib

    # Importing these registers skimb's serialisable Keras objects.
    from . import _layers, losses  # noqa: F401

    try:
        with warnings.catch_warnings():
            # Keras warns when optimizer variables are created lazily; the
            # weights and the optimizer state still load.
            warnings.filterwarnings("ignore", message="Skipping variable loading")
            with preserved_random_state():
                return saving_lib.load_model(io.BytesIO(data), compile=True)
    except (zipfile.BadZipFile, OSError, KeyError, EOFError) as exc:
        raise ValueError(
            "The saved Keras model inside this estimator is corrupt or "
            f"truncated ({type(exc).__name__}: {exc}). Refit the estimator "
            "or load an intact copy of the file."
        ) from exc


def to_numpy(tensor) -> np.ndarray:
    """Convert a backend tensor to a NumPy array."""
    keras = import_keras()
    return np.asarray(keras.ops.convert_to_numpy(tensor))


class InconsistentVersionWarning(UserWarning):
    """A skimb estimator is unpickled by another skimb version than saved it."""


def stamp_version(state: dict) -> dict:
    """Record the skimb version that pickles ``state``."""
    from . import __version__

    return {**state, "_skimb_version": __version__}


def check_version(state: dict, name: str) -> dict:
    """Warn when ``state`` was saved by another skimb version; return a copy."""
    from . import __version__

    state = dict(state)
    saved = state.pop("_skimb_version", None)
    if saved != __version__:
        warnings.warn(
            f"This {name} was saved with skimb {saved or 'unknown'} and is loaded "
            f"with skimb {__version__}. It needs skimb {saved}: results may "
            "differ or loading may fail. Refit it, or install that version.",
            InconsistentVersionWarning,
            stacklevel=3,
        )
    return state
