"""Private helpers around Keras and TensorFlow.

Everything that touches Keras's or TensorFlow's global state lives here:
the lazy import, seeding with restoration of every global random state, and
saving a model to bytes. Keeping it in one module means a later backend
(JAX, PyTorch) needs changes in this file only.
"""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import collections
import contextlib
import inspect
import io
import logging
import pickle
import random
import re
import sys
import threading
import types
import warnings
import weakref
import zlib
from collections.abc import Iterator

import numpy as np

from ._messages import reason, warn_user

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


def start_backend() -> None:
    """Import Keras and start its backend's runtime.

    TensorFlow's runtime takes seconds to start, at the first operation of
    a process: a timer around the first fit in a worker would count it.
    """
    keras = import_keras()
    keras.ops.convert_to_numpy(keras.ops.zeros(1))


_WORKER_THREADS = {"checked": False, "limit": None}

#: Process names of joblib's loky workers and Dask's worker processes; both
#: set OMP_NUM_THREADS to the worker's share of the cores.
_WORKER_NAMES = ("LokyProcess", "Dask Worker")


def _in_worker_process() -> bool:
    """True in a loky, Dask or Ray worker process (not the user's own)."""
    import multiprocessing

    if multiprocessing.current_process().name.startswith(_WORKER_NAMES):
        return True
    return _in_ray_worker()


def _in_ray_worker() -> bool:
    """True in a Ray worker process, which sets OMP_NUM_THREADS to its CPUs."""
    import sys

    if "ray" not in sys.modules:  # a Ray worker has imported Ray already
        return False
    try:
        from ray._private.worker import WORKER_MODE, global_worker
    except ImportError:  # pragma: no cover - Ray moved its private module
        return False
    return getattr(global_worker, "mode", None) == WORKER_MODE


def limit_worker_threads() -> int | None:
    """Give TensorFlow a worker process's share of the cores.

    joblib's loky workers get ``OMP_NUM_THREADS`` set to
    ``cpu_count // n_jobs`` (Dask's nanny sets it to 1, Ray's workers to the
    CPUs of their task) so that workers do not
    oversubscribe the cores, but TensorFlow sizes its own thread pools from
    the core count and ignores that variable. In such a worker this sets
    TensorFlow's intra- and inter-op pools to ``TF_NUM_INTRAOP_THREADS`` and
    ``TF_NUM_INTEROP_THREADS``: the values the user gave the workers, else
    ``OMP_NUM_THREADS`` (:func:`_limit_threads_before_tensorflow_starts`
    puts it there). It does nothing in the user's own process, where thread
    settings are the user's, nothing if the user's code in the worker sized
    the pools already (``tf.config.threading``), and nothing if TensorFlow's
    runtime already started (the pools are fixed then).

    Returns
    -------
    n_threads : int or None
        The intra-op limit applied, or None.
    """
    share = _worker_share()
    tf = _tensorflow_or_none()
    if tf is None or share is None:
        return None
    pools = tf.config.threading
    if pools.get_intra_op_parallelism_threads() or (
        pools.get_inter_op_parallelism_threads()
    ):
        return None  # set by the user's own code in this worker: theirs
    intra = _threads_variable("TF_NUM_INTRAOP_THREADS", default=share)
    inter = _threads_variable("TF_NUM_INTEROP_THREADS", default=share)
    try:
        tf.config.threading.set_intra_op_parallelism_threads(intra)
        tf.config.threading.set_inter_op_parallelism_threads(inter)
    except RuntimeError:  # the runtime is already initialised
        return None
    _WORKER_THREADS["limit"] = intra
    return intra


def _threads_variable(name: str, *, default: int | None) -> int | None:
    """The environment variable ``name`` as a positive thread count, else
    ``default``."""
    import os

    try:
        n_threads = int(os.environ[name])
    except (KeyError, ValueError):
        return default
    return n_threads if n_threads >= 1 else default


def _worker_share() -> int | None:
    """``OMP_NUM_THREADS`` in a worker process, else None."""
    if not _in_worker_process():
        return None
    return _threads_variable("OMP_NUM_THREADS", default=None)


def _limit_threads_before_tensorflow_starts() -> None:
    """In a worker process, put its share of the cores in TensorFlow's
    environment variables, which its runtime reads when it starts.

    ``limit_worker_threads`` is too late when something starts the runtime
    before skimb's first Keras import: a ``keras.Model`` among an estimator's
    parameters is unpickled (and starts it) after the estimator's class, so
    after this module loads, but before skimb calls Keras. On the JAX
    backend TensorFlow loads only for the ``tf.data`` feed, after that
    import. A value the variables already have is kept.
    """
    import os

    n_threads = _worker_share()
    if n_threads is not None:
        os.environ.setdefault("TF_NUM_INTRAOP_THREADS", str(n_threads))
        os.environ.setdefault("TF_NUM_INTEROP_THREADS", str(n_threads))


def _tensorflow_or_none():
    """Return the ``tensorflow`` module if Keras has already loaded it."""
    import sys

    return sys.modules.get("tensorflow")


def fit_verbosity(verbose) -> int:
    """The estimator's ``verbose`` as Keras's fit takes it.

    scikit-learn's convention is "higher is more verbose" (its constraint
    takes any non-negative int, and ``True``), but Keras knows 0, 1 and 2
    only: at 3 or more it printed the ``Epoch i/n`` lines and no loss. Those
    values are 2, one line per epoch, like scikit-learn MLP's verbose output.
    """
    return min(int(verbose), 2)


def plain_learning_rate(optimizer) -> float | None:
    """An optimizer's learning rate as a float, or None for a schedule."""
    rate = getattr(optimizer, "learning_rate", None)
    try:
        return float(rate)  # a Keras variable converts itself
    except (TypeError, ValueError):  # a LearningRateSchedule, a callable
        return None


def invalid_argument_errors() -> tuple:
    """The runtime errors of the backend that bad data or a bad model cause.

    TensorFlow raises ``tf.errors.InvalidArgumentError`` (not a ValueError)
    when, for example, a label does not fit the loss or an index does not
    fit an ``Embedding``, and ``UnimplementedError`` for an operation on a
    wrong type (a routed ``optimizer__weight_decay="0.01"`` read from a
    config file as text). PyTorch raises ``IndexError`` for an index out
    of range. Other runtime errors, such as running out of memory, are not
    the user's input and stay as they are.
    """
    errors = ()
    tf = _tensorflow_or_none()
    if tf is not None:
        errors += (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError)
    if import_keras().backend.backend() == "torch":
        errors += (IndexError,)
    return errors


class _GlobalRandomState:
    """A snapshot of the process-wide random state that seeding Keras sets.

    :func:`seeded` sets Keras's global seed and ``SeedGenerator``,
    TensorFlow's global seed (on every Keras backend, when TensorFlow is
    installed) and, on the PyTorch backend, PyTorch's global generator. This
    object records them before and puts them back afterwards, so a seeded
    fit leaves the user's process as it found it. (Python's and NumPy's
    global generators are never seeded, so not restored: restoring them
    would rewind the draws other threads made meanwhile.)

    On the JAX and PyTorch backends TensorFlow may not be loaded yet when the
    snapshot is taken; seeding loads it. Its snapshot is then the state of a
    freshly loaded TensorFlow (no global seed), which ``restore`` puts back.
    """

    def __init__(self) -> None:
        from keras.src.backend.common import global_state

        self._global_state = global_state
        self.keras = {
            name: global_state.get_global_attribute(name)
            for name in ("global_random_seed", "global_seed_generator")
        }
        self.tf = self._tf_seed_state()
        self.torch = self._torch_rng_state()

    @staticmethod
    def _tf_seed_state():
        if _tensorflow_or_none() is None:
            return (None, None, None)  # no global seed, as after import
        from tensorflow.python.eager import context
        from tensorflow.python.framework import ops

        ctx = context.context()
        return (
            getattr(ctx, "_seed", None),
            getattr(ctx, "_rng", None),
            ops.get_default_graph().seed,
        )

    @staticmethod
    def _torch_rng_state():
        import keras

        if keras.backend.backend() != "torch":
            return None
        import torch

        devices = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
        return torch.get_rng_state(), devices

    def restore(self) -> None:
        for name, value in self.keras.items():
            self._global_state.set_global_attribute(name, value)
        if self.torch is not None:
            import torch

            cpu, devices = self.torch
            torch.set_rng_state(cpu)
            if devices is not None:
                torch.cuda.set_rng_state_all(devices)
        if _tensorflow_or_none() is not None:
            from tensorflow.python.eager import context
            from tensorflow.python.framework import ops

            ctx = context.context()
            ctx._seed, ctx._rng, graph_seed = self.tf
            ops.get_default_graph().seed = graph_seed


@contextlib.contextmanager
def seeded(seed: int, warm_model=None, trained_model=None) -> Iterator[_Seeding]:
    """Run a block with the random state that Keras draws from seeded by
    ``seed``.

    That is Keras's global seed and global seed generator and TensorFlow's
    global seed (which seeds ``tf.data``'s shuffling of image files), which
    are process-wide, and the generator Keras's layers draw initializer
    seeds from, which is the block's own in this thread only. All are
    restored when the block exits, also on error. Unlike
    ``keras.utils.set_random_seed``, it leaves Python's and NumPy's global
    generators alone: nothing in a fit draws from them, and other threads
    would. TensorFlow's op determinism is never switched on: on CPU,
    seeding is enough for reproducible fits.

    ``warm_model`` is the model that the block goes on training (a warm
    ``partial_fit`` or warm-started fit), None when the block builds a new
    one; a block that builds one passes it to the yielded object's
    ``track``. ``trained_model`` is the model whose train step a warm block
    runs when that is not ``warm_model`` itself but a part of it
    (TransferClassifier's head, trained alone on the backbone's
    embeddings). They decide whether seeding may keep TensorFlow's kernel
    cache (see :func:`_set_tensorflow_seed`).

    The lock serialises seeded blocks between threads of one process, since
    Keras's and TensorFlow's seeds are process-wide.
    """
    import_keras()
    from keras.src.backend.common import global_state

    # Keras draws each initializer's seed from ``python_random``: the
    # sequence of ``random.seed(seed)``, in this thread only.
    with preserved_global_state(random.Random(int(seed))):
        global_state.set_global_attribute("global_random_seed", int(seed))
        global_state.set_global_attribute("global_seed_generator", None)
        seeding = _Seeding(warm_model, trained_model)
        _set_tensorflow_seed(int(seed), keep_kernels=seeding.may_keep_kernels())
        if import_keras().backend.backend() == "torch":
            import torch

            torch.manual_seed(int(seed))
        with seeding.recording_traces():
            yield seeding


#: For each model that skimb's seeded blocks built (by
#: :meth:`_Seeding.track`), the record of the TensorFlow functions traced
#: during skimb's calls with it (its fits and predictions), which says
#: whether seeding may keep TensorFlow's kernel cache when training it
#: further: the names of the functions not yet scanned for stateful random
#: ops with seeds (an empty set: all scanned, none holds one), or None once
#: one does, a call failed or the functions could not be listed. Keyed by
#: the model object: a copy (pickle, deepcopy, clone) or another model is
#: not in it, and is seeded as a new one.
_TRACE_RECORDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_KERNELS_LOCK = threading.Lock()


class _Seeding:
    """The kernel-cache bookkeeping of one :func:`seeded` block."""

    def __init__(self, warm_model, trained_model=None) -> None:
        # On JAX and PyTorch TensorFlow serves tf.data only: always clear.
        self._active = import_keras().backend.backend() == "tensorflow"
        self._warm_model = warm_model
        self._trained_model = warm_model if trained_model is None else trained_model
        self._built: list = []

    def track(self, model) -> None:
        """Record ``model``, built in the block, for later seeded blocks."""
        if self._active:
            self._built.append(model)

    def may_keep_kernels(self) -> bool:
        """Whether this block can set TensorFlow's seed without clearing
        its kernel cache and still train as after a clear."""
        if not self._active or self._warm_model is None:
            return False  # a new model (its first traces), or no way to tell
        trained = self._trained_model
        try:
            import tensorflow as tf
            from tensorflow.python.eager import context

            runs_a_traced_step = (
                context.executing_eagerly()
                and not tf.config.functions_run_eagerly()
                and not getattr(trained, "run_eagerly", True)
                and getattr(trained, "train_function", None) is not None
            )
        except Exception:  # another TensorFlow or Keras: clear, as before
            return False
        # Last: the first warm call scans the functions traced so far.
        return runs_a_traced_step and _kernels_reusable(self._warm_model)

    def recording_traces(self):
        """A context manager: the block, with the functions it traces
        recorded for the warm model and the models it builds."""
        if not self._active:
            return contextlib.nullcontext()
        return _recording_traces(self._warm_model, built=self._built)


@contextlib.contextmanager
def _watching_traces(model) -> Iterator[None]:
    """Run a block (a prediction) with ``model``, recording the functions it
    traces for ``model`` if a seeded block built it and nothing yet makes
    seeding clear the kernel cache for it."""
    with _KERNELS_LOCK:
        watched = _TRACE_RECORDS.get(model) is not None
    if not watched:  # unknown, or already known to need the clear
        yield
        return
    with _recording_traces(model):
        yield


@contextlib.contextmanager
def _recording_traces(model, built: list = ()) -> Iterator[None]:
    """Run a block of skimb's calls with ``model`` (None: none) and add the
    names of the TensorFlow functions it traced to ``model``'s record in
    :data:`_TRACE_RECORDS`; they are the whole record of each model in
    ``built`` (the models the block builds, appended during the block).

    Only the names are recorded (a set difference, quick); the functions
    are scanned when a warm call first asks (:func:`_kernels_reusable`),
    so a fit that no warm call follows (a search's) never pays for it.
    Functions that other threads traced meanwhile are recorded too, which
    can only make the answer False more often. A block that fails, or
    whose functions cannot be listed, leaves the models recorded as needing
    the clear: a model with no record (a warm model that no seeded block
    built) gets that record too.
    """
    before = _function_names()
    traced = None  # unless the block ends without an error
    try:
        yield
        after = _function_names()
        if before is not None and after is not None:
            traced = after - before
    finally:
        with _KERNELS_LOCK:
            if model is not None:
                previous = _TRACE_RECORDS.get(model)
                if previous is None or traced is None:
                    _TRACE_RECORDS[model] = None
                else:
                    _TRACE_RECORDS[model] = previous | traced
            for new in built:
                _TRACE_RECORDS[new] = traced


def _kernels_reusable(model) -> bool:
    """Whether no function traced during skimb's calls with ``model`` holds
    a stateful seeded random op (see :func:`_without_seeded_random_ops`);
    False for a model with no record. The functions recorded since the last
    answer are scanned now, and the answer kept in the record."""
    with _KERNELS_LOCK:
        traced = _TRACE_RECORDS.get(model)
        if traced:  # functions not scanned yet
            traced = frozenset() if _without_seeded_random_ops(traced) else None
            _TRACE_RECORDS[model] = traced
    return traced is not None


def _function_names() -> frozenset | None:
    """The names of the functions in TensorFlow's eager context, or None if
    TensorFlow is not loaded or they cannot be listed."""
    if _tensorflow_or_none() is None:
        return None
    try:
        from tensorflow.python.eager import context

        return frozenset(context.context().list_function_names())
    except Exception:
        return None


def _without_seeded_random_ops(names: frozenset) -> bool:
    """Whether the functions named ``names`` in TensorFlow's eager context,
    and the functions they call, hold no stateful op with ``seed`` and
    ``seed2`` attributes (``tf.random.normal``, ``tf.random.shuffle``,
    ``tf.nn.dropout``...: the ops whose kernels keep a random sequence that
    a cleared kernel cache restarts). False when in doubt: a function or op
    that cannot be read, or any error.

    A function no longer in the context (freed with what traced it: the
    map functions of a fit's ``tf.data`` pipeline, once it is collected)
    cannot run again, so its kernels do not matter and it is not read.
    """
    listed = _function_names()
    if listed is None:
        return False
    try:
        from tensorflow.python.eager import context
        from tensorflow.python.framework import op_def_registry

        ctx = context.context()
        pending, seen = list(names & listed), set()
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            for node in ctx.get_function_def(name).node_def:
                op = op_def_registry.get(node.op)
                if op is None:  # a call of a function by its name
                    pending.append(node.op)
                    continue
                if op.is_stateful and {"seed", "seed2"} <= {a.name for a in op.attr}:
                    return False
                for value in node.attr.values():  # calls and control flow
                    if value.HasField("func"):
                        pending.append(value.func.name)
                    pending.extend(func.name for func in value.list.func)
        return True
    except Exception:  # a function that went meanwhile, another TensorFlow
        return False


class _ThreadRandom:
    """A stand-in for a ``random`` generator: ``own`` in the thread that made
    it, ``shared`` in every other thread."""

    def __init__(self, own, shared):
        self._own, self._shared = own, shared
        self._thread = threading.get_ident()

    def in_this_thread(self):
        """The generator that this thread draws from."""
        return self._own if threading.get_ident() == self._thread else self._shared

    def __getattr__(self, name):
        return getattr(self.in_this_thread(), name)


def _set_tensorflow_seed(seed: int, *, keep_kernels: bool = False) -> None:
    """TensorFlow's global seed (``tf.random.set_seed``), if it is loaded.

    Setting it clears TensorFlow's eager kernel cache: every stateful
    random kernel (``tf.random.normal`` in a traced train step or run
    eagerly) starts its sequence over, and every traced function is
    instantiated again on its next call (tens of milliseconds for a small
    model: most of a warm one-batch ``partial_fit``, and the user's own
    next ``train_on_batch``). The user's own eager op-seeded random
    sequences (``tf.random.uniform(..., seed=7)``) start over too, as after
    ``keras.utils.set_random_seed``.

    With ``keep_kernels`` (a warm call whose model's traced functions hold
    no stateful seeded random op, see :class:`_Seeding`), only the global
    seed and the generator of eager op seeds are set, as ``set_seed`` does,
    and the cache is kept: the training is the one after a clear, since
    nothing in it reads a kernel's random sequence. Should the block draw
    an eager op seed (a stateful random op run eagerly with no seed of its
    own, as a user's callback may), the cache is cleared at that first draw,
    before the op makes its kernel, which is what the clear at the start
    would have given. Keeping the cache was tried for every call: a model
    whose layers use TensorFlow's stateful random ops (an initializer
    calling ``tf.random.normal`` eagerly, a layer calling it in its
    ``call``) then continued the previous fit's kernels, and equal
    ``random_state`` gave different fits.
    """
    tf = _tensorflow_or_none()
    if tf is None:
        return
    if keep_kernels:
        try:
            from tensorflow.python.eager import context

            ctx = context.context()
            ctx._rng = _ClearingRandom(seed, ctx)
            ctx._seed = seed
            return
        except Exception:  # another TensorFlow: clear, as set_seed does
            pass
    tf.random.set_seed(seed)


class _ClearingRandom(random.Random):
    """TensorFlow's generator of eager op seeds (``random.Random(seed)``, as
    ``tf.random.set_seed`` makes) that clears the kernel cache before its
    first draw, so a stateful random op run eagerly gets a new kernel."""

    def __init__(self, seed: int, ctx) -> None:
        self._ctx = None
        super().__init__(seed)
        self._ctx = ctx

    def _clear_once(self) -> None:
        ctx, self._ctx = self._ctx, None
        if ctx is not None:
            ctx.clear_kernel_cache()

    def random(self) -> float:
        self._clear_once()
        return super().random()

    def getrandbits(self, k: int) -> int:
        self._clear_once()
        return super().getrandbits(k)


@contextlib.contextmanager
def preserved_global_state(generator: random.Random | None = None) -> Iterator[None]:
    """Run a block, then put every global random state back as it was.

    Building a Keras model draws initializer seeds (from ``python_random``
    in ``keras.src.random.seed_generator``, Python's global ``random``);
    loading a saved model does too. In the block, this thread draws them
    from ``generator`` instead (by default, the outer block's, else a copy
    of Python's global generator: a loaded model's layers get the seeds
    they got when the user's seeded stream was drawn from, so refits of it
    repeat), and the user's ``random`` stream does not move; other threads
    (the user's, a Dask worker's event loop) keep drawing from theirs. Both
    also name layers, which :func:`private_layer_names` keeps from the
    user's counters.
    """
    import_keras()
    from keras.src.random import seed_generator

    with _SEED_LOCK, private_layer_names():
        snapshot = _GlobalRandomState()
        shared = seed_generator.python_random
        if generator is None and isinstance(shared, _ThreadRandom):
            generator = shared.in_this_thread()  # nested: keep the outer one
        if generator is None:
            generator = random.Random()
            generator.setstate(random.getstate())
        own = generator
        seed_generator.python_random = _ThreadRandom(own, shared)
        try:
            yield
        finally:
            seed_generator.python_random = shared
            snapshot.restore()


def model_params(estimator) -> dict:
    """The parameters of ``estimator`` that are ``keras.Model`` objects, by
    name (none, and Keras is not imported, if Keras has not been)."""
    keras = sys.modules.get("keras")
    if keras is None:
        return {}
    params = estimator.get_params(deep=False)
    return {
        name: value
        for name, value in params.items()
        if name in _MODEL_PARAMETERS and isinstance(value, keras.Model)
    }


#: One lock per model, for :func:`one_model_call_at_a_time` on JAX.
_JAX_CALLS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_JAX_CALLS_GUARD = threading.Lock()


@contextlib.contextmanager
def one_model_call_at_a_time(model) -> Iterator[None]:
    """On the JAX backend, run a call of ``model`` (predict, a direct call)
    only while no other thread runs one of it; on the others, do nothing.

    Keras's JAX trainer is not safe to use from several threads: ``predict``
    takes the model's variables out and puts them back, and its compiled
    step donates their buffers to XLA. Threads predicting with one model (a
    threading-backend search, embedders sharing one cached extractor) failed
    and could leave the model without weights. Calls of other models do
    not wait.
    """
    if import_keras().backend.backend() != "jax":
        yield
        return
    with _JAX_CALLS_GUARD:
        lock = _JAX_CALLS.setdefault(model, threading.RLock())
    with lock:
        yield


def call_on_small_input(model, X: np.ndarray) -> np.ndarray:
    """``model``'s outputs for a small ``X``, without ``model.predict``.

    ``model.predict`` builds a data pipeline per call (and on TensorFlow
    traces a graph), which dominates the cost of predicting a few rows.
    TensorFlow runs the direct call eagerly, without compiling; PyTorch
    too, without recording operations for gradients. JAX compiles
    for every new input shape, and its eager call compiles each operation
    apart: 16-37 s per new number of images on a MobileNetV2 here, against
    3-5 s for the model's jitted predict step. So on JAX, ``X`` is padded
    with zero rows to a power of two and goes through that step: one
    compilation per power of two, as many as the largest input has bits.
    """
    backend = import_keras().backend.backend()
    if backend == "jax":
        return predict_on_batch(model, X)
    if backend == "torch":
        import torch

        no_gradients = torch.no_grad()  # no activations kept for a backward pass
    else:
        no_gradients = contextlib.nullcontext()
    with no_gradients:
        return to_numpy(model(X, training=False))


def predict_on_batch(model, X: np.ndarray) -> np.ndarray:
    """``model.predict_on_batch(X)``; on JAX, with ``X`` padded with zero
    rows to a power of two, so that batches of new sizes (a last, partial
    batch) compile once per power of two, not once per size."""
    if import_keras().backend.backend() != "jax":
        return np.asarray(model.predict_on_batch(X))
    n_rows = len(X)
    padded = pad_rows_to(X, 1 << max(n_rows - 1, 0).bit_length())
    return np.asarray(model.predict_on_batch(padded))[:n_rows]


def pad_rows_to(X: np.ndarray, n_rows: int) -> np.ndarray:
    """``X`` with zero rows appended up to ``n_rows`` rows (``X`` itself if
    it has that many)."""
    n_missing = n_rows - len(X)
    if n_missing <= 0:
        return X
    return np.concatenate([X, np.zeros((n_missing, *X.shape[1:]), dtype=X.dtype)])


@contextlib.contextmanager
def predicting(model) -> Iterator[None]:
    """Run a prediction with ``model``, which skimb fitted or holds.

    Calling a model names its ops (kept off the user's counters by
    :func:`private_layer_names`); predicting with many models (a search, an
    ensemble) would make TensorFlow warn about retracing
    (:func:`quiet_retracing`); and on JAX one model call runs at a time
    (:func:`one_model_call_at_a_time`).
    """
    with (
        private_layer_names(),
        quiet_retracing(),
        one_model_call_at_a_time(model),
        _watching_traces(model),
    ):
        yield


@contextlib.contextmanager
def private_layer_names() -> Iterator[None]:
    """Run a block with a copy of Keras's counters of automatic names.

    Keras names layers, ops and optimizers from per-thread counters
    (``dense_3``); in the block they count on a copy, and the user's are put
    back at exit. So skimb never changes the names of the user's own layers,
    and every fit names its layers alike, which lets TensorFlow reuse the
    eager kernels of its variables (a ``VarHandleOp`` carries the variable's
    name; each new name cached a new kernel of about 36 KB, never evicted).
    """
    from keras.src.backend.common import global_state

    names = global_state.get_global_attribute("object_name_uids")
    global_state.set_global_attribute(
        "object_name_uids", collections.defaultdict(int, names or {})
    )
    try:
        yield
    finally:
        global_state.set_global_attribute("object_name_uids", names)


@contextlib.contextmanager
def releasing_fit_memory() -> Iterator[list]:
    """Run a fit so that TensorFlow frees what it traced once the model goes.

    ``tf.distribute``'s all-reduce of the gradients in the optimizer step
    wraps them in ``tf.custom_gradient``, which, in the traced train step,
    registers a gradient function in TensorFlow's global gradient registry
    and never removes it. That function holds the step's tensors, hence its
    ``FuncGraph`` and the nested functions (the optimizer's ``cond``
    branches) that the eager context keeps while they are referenced: about
    4 MB per fit of a small network. At exit, the registry entries added
    during the block for graphs that read the variables of the models
    appended to the yielded list are removed: those graphs are never
    differentiated again. (The eager kernels of the fit's variables are
    reused thanks to :func:`private_layer_names`, which :func:`seeded`
    applies.) On PyTorch, the gradients that the last train step left on
    those models' weights are freed too: as much memory as the weights.
    """
    registry = _gradient_registry()
    before = set(registry)
    models = []
    try:
        yield models
    finally:
        if models:
            _release_gradient_functions(registry, set(registry) - before, models)
        if import_keras().backend.backend() == "torch":
            for model in models:
                model.zero_grad(set_to_none=True)


class _RetracingFilter(logging.Filter):
    """Drops TensorFlow's "triggered tf.function retracing" warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


@contextlib.contextmanager
def quiet_retracing() -> Iterator[None]:
    """Run a fit or a prediction without TensorFlow's warning about
    frequent retracing.

    Each skimb fit builds a new model and so traces a new train step (and
    predict step). After a few fits in one process (a search, a comparison),
    TensorFlow warns that the step "triggered tf.function retracing" and
    advises defining the function outside the loop, which the user cannot
    act on. The filter is on TensorFlow's Python logger during the block
    only. TensorFlow's counts of recent traces, by which it decides to warn
    (at most twice per traced function, which Keras's fits share), are put
    back afterwards: skimb's traces neither use up the user's warnings nor
    make the user's next fit warn about them.
    """
    logger = logging.getLogger("tensorflow")
    retracing = _RetracingFilter()
    logger.addFilter(retracing)
    counts = _TracingCounts()
    try:
        yield
    finally:
        counts.restore()
        logger.removeFilter(retracing)


class _TracingCounts:
    """A snapshot of TensorFlow's frequent-retracing detectors (internals;
    nothing happens if they move)."""

    def __init__(self) -> None:
        self._manager, self._saved = None, {}
        if _tensorflow_or_none() is None:
            return
        try:
            from tensorflow.python.eager.polymorphic_function import (
                polymorphic_function,
            )

            manager = polymorphic_function._frequent_tracing_detector_manager
            with manager._lock:
                self._saved = {
                    key: (
                        list(detector._calls_per_tracings),
                        detector._call_count,
                        detector._total_warning_count,
                    )
                    for key, detector in manager._detectors.items()
                }
        except (ImportError, AttributeError):  # pragma: no cover - TF moved
            return
        self._manager = manager

    def restore(self) -> None:
        manager = self._manager
        if manager is None:
            return
        with manager._lock:
            for key in list(manager._detectors.keys()):
                if key not in self._saved:  # traced first in the block
                    del manager._detectors[key]
            for key, (calls, count, warnings_given) in self._saved.items():
                detector = manager._detectors.get(key)
                if detector is not None:
                    detector._calls_per_tracings = calls
                    detector._call_count = count
                    detector._total_warning_count = warnings_given


def _gradient_registry() -> dict:
    """TensorFlow's registry of gradient functions by op type, or ``{}``."""
    tf = _tensorflow_or_none()
    try:
        from tensorflow.python.framework import ops

        return ops._gradient_registry._registry if tf is not None else {}
    except (ImportError, AttributeError):  # pragma: no cover - TF internals moved
        return {}


def _release_gradient_functions(registry: dict, keys, models) -> None:
    """Remove the registered gradients in ``keys`` of graphs that read
    a variable of ``models``."""
    if not keys:
        return
    owned = set()
    for model in models:
        optimizer = getattr(model, "optimizer", None)
        for variable in [*model.variables, *getattr(optimizer, "variables", [])]:
            owned.add(id(variable))
            owned.add(id(getattr(variable, "_value", variable)))  # the tf.Variable
    for key in keys:
        try:
            graph = _custom_gradient_graph(registry[key]["type"])
            if any(id(v) in owned for v in graph.variables):
                del registry[key]
        except Exception:  # not a custom gradient's entry, or TF changed
            continue


def _custom_gradient_graph(grad_fn):
    """The graph of the outputs that a ``tf.custom_gradient`` entry closes on."""
    import tensorflow as tf

    (tape_grad_fn,) = (cell.cell_contents for cell in grad_fn.__closure__)
    cells = dict(zip(tape_grad_fn.__code__.co_freevars, tape_grad_fn.__closure__))
    result = tf.nest.flatten(cells["result"].cell_contents, expand_composites=True)
    return next(t.graph for t in result if hasattr(t, "graph"))


def array_dataset(
    arrays, *, batch_size: int, shuffle: bool = False, seed=None, balance_by=None
):
    """An endless ``tf.data`` pipeline of mini-batches of in-memory arrays.

    The arrays become tensors once per fit (see `_tensor_of`), zipped into
    the pipeline rather than captured. tf.data's default graph rewrites are
    off: applying them serialises the pipeline with its tensors, a second
    copy of ``X`` while the iterator starts. Each pass over the rows draws one
    order of the row indices (a stateless shuffle of pass number and
    ``seed``, so it depends on nothing global) and gathers the batches in
    that order. The pipeline repeats, so Keras keeps one iterator for the
    whole fit when given ``steps_per_epoch``. Keras's own handling of NumPy
    input rebuilds its pipeline at every epoch: on a 300-row table that cost
    about 100 ms per epoch, against 25 ms here.

    Parameters
    ----------
    arrays : tuple of ndarray
        Arrays with the same number of rows (X, y, sample weights).
    batch_size : int
        Rows per batch; the last batch of each pass may be smaller.
    shuffle : bool, default=False
        Draw a new order of the rows at each pass.
    seed : int, default=None
        Seed of the shuffling and of the balanced draws (None is 0).
    balance_by : ndarray of int, default=None
        The class code of each row. When given, every batch has
        ``batch_size`` rows with equal class shares instead (see
        `_balanced_rows`), and ``shuffle`` is ignored.

    Returns
    -------
    dataset : tf.data.Dataset
        Endless tuples of batches, in the order of ``arrays``.
    steps : int
        Batches per pass over the rows: Keras's ``steps_per_epoch``.
    """
    import tensorflow as tf

    n_rows = len(arrays[0])
    n_batches = -(-n_rows // batch_size)
    tensors = tuple(_tensor_of(array) for array in arrays)

    def batches_of_one_pass(pass_number):
        rows = tf.range(n_rows, dtype=tf.int64)
        if shuffle:
            key = tf.stack([tf.constant(seed or 0, tf.int64), pass_number])
            rows = tf.random.experimental.stateless_shuffle(rows, seed=key)
        starts = tf.data.Dataset.range(0, n_rows, batch_size)
        return starts.map(lambda start: rows[start : start + batch_size])

    if balance_by is None:
        indices = _passes().flat_map(batches_of_one_pass)
    else:
        indices = _balanced_rows(
            balance_by, batch_size=batch_size, n_batches=n_batches, seed=seed
        )
    data = tf.data.Dataset.from_tensors(tensors).repeat()
    batches = tf.data.Dataset.zip((indices, data)).map(
        lambda index, data: tuple(tf.gather(tensor, index) for tensor in data)
    )
    options = tf.data.Options()
    options.experimental_optimization.apply_default_optimizations = False
    options.experimental_optimization.inject_prefetch = False
    options.autotune.enabled = False
    return batches.prefetch(2).with_options(options), n_batches


def _balanced_rows(codes, *, batch_size: int, n_batches: int, seed=None):
    """Endless batches of row indices with equal class shares.

    Each class gets ``batch_size // n_classes`` rows of every batch, and the
    remainder goes one row each to classes drawn at random. A pass is
    ``n_batches`` batches (the caller's steps per epoch). Within a pass, each
    class's rows come in a shuffled order, and a class that runs out starts
    again in a new order: the majority class yields each of its rows at most
    once per pass (half of them, with two classes), a rare class cycles
    through all of its rows before repeating one. The draws are stateless
    (seed and pass number), so a seeded fit repeats.
    """
    import tensorflow as tf

    codes = np.asarray(codes)
    classes = np.unique(codes)
    rows_of_class = [tf.constant(np.flatnonzero(codes == c), tf.int64) for c in classes]
    n_classes = len(classes)
    share, remainder = divmod(batch_size, n_classes)
    seed = tf.constant(seed or 0, tf.int64)

    def batches_of_one_pass(pass_number):
        key = tf.stack([seed, pass_number])
        # counts[b, c]: rows of class c in batch b; `remainder` classes per
        # batch, drawn at random, get one more.
        noise = tf.random.stateless_uniform([n_batches, n_classes], key)
        ranks = tf.argsort(tf.argsort(noise, axis=1), axis=1)
        counts = share + tf.cast(ranks < remainder, tf.int64)
        per_class = []
        for c, rows in enumerate(rows_of_class):
            needed = tf.reduce_sum(counts[:, c])
            n_rows = tf.size(rows, out_type=tf.int64)
            rounds = -(-needed // n_rows)
            order = tf.argsort(
                tf.random.stateless_uniform(
                    tf.stack([rounds, n_rows]),
                    tf.random.experimental.stateless_fold_in(key, c),
                ),
                axis=1,
            )
            stream = tf.gather(rows, tf.reshape(order, [-1])[:needed])
            per_class.append(tf.RaggedTensor.from_row_lengths(stream, counts[:, c]))
        return tf.data.Dataset.from_tensor_slices(tf.concat(per_class, axis=1))

    return _passes().flat_map(batches_of_one_pass)


def _passes():
    """The pass numbers 0, 1, 2, ... as an endless ``tf.data`` pipeline.

    Not ``Dataset.counter()``: it is a ``scan`` whose function stays in the
    eager context's function library after its pipeline is gone, one per
    fit (about 130 KB of resident memory per fit; ``repeated_fits.py``
    measured 52 MB over 200 fits with it, 25 MB without).
    """
    import tensorflow as tf

    return tf.data.Dataset.range(np.iinfo(np.int64).max)


#: TensorFlow's CPU tensors start at multiples of this many bytes.
_TF_ALIGNMENT = 64


def _tensor_of(array):
    """A TensorFlow tensor with the values of ``array``, in one copy at most.

    ``tf.convert_to_tensor`` holds two copies of a large array (measured:
    2 x its size). A NumPy array that is C-contiguous, writeable and aligned
    as TensorFlow needs is shared instead, without a copy, through DLPack;
    any other is first copied once into such an array. Small and
    non-numeric arrays take ``tf.convert_to_tensor``.
    """
    import tensorflow as tf

    array = np.asarray(array)
    small = array.nbytes < 1 << 20
    if small or array.dtype.kind not in "fiu" or not array.dtype.isnative:
        return tf.convert_to_tensor(array)
    shareable = (
        array.flags.c_contiguous
        and array.flags.writeable
        and array.ctypes.data % _TF_ALIGNMENT == 0
    )
    if not shareable:
        buffer = np.empty(array.nbytes + _TF_ALIGNMENT, dtype=np.uint8)
        start = -buffer.ctypes.data % _TF_ALIGNMENT
        aligned = buffer[start : start + array.nbytes].view(array.dtype)
        aligned = aligned.reshape(array.shape)
        aligned[...] = array
        array = aligned
    return tf.experimental.dlpack.from_dlpack(array.__dlpack__())


def model_to_bytes(model) -> bytes:
    """Serialise a Keras model (architecture, weights, optimizer) to bytes."""
    from keras.src.saving import saving_lib

    buffer = io.BytesIO()
    with private_layer_names():  # saving names a few objects
        saving_lib.save_model(model, buffer)
    return buffer.getvalue()


@contextlib.contextmanager
def quiet_lazy_optimizer() -> Iterator[None]:
    """Silence Keras's warning that it skips a saved optimizer's variables.

    Keras gives it when a model compiled but never trained is loaded: the
    saved optimizer holds only its step count (0) and learning rate, which
    the loaded one starts from too. A trained optimizer loads in full.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipping variable loading")
        yield


@contextlib.contextmanager
def unsafe_deserialization() -> Iterator[None]:
    """Let Keras rebuild ``Lambda`` layers of Python code in this block.

    Keras's safe mode refuses them when it rebuilds a model from its config.
    skimb rebuilds models in two places: copying the user's own model object
    (their code, in their process) and unpickling an estimator, which runs
    whatever code the pickle names anyway; in neither does the refusal
    protect anything. The setting is Keras's scope, not its global switch.
    """
    from keras.src.saving.serialization_lib import SafeModeScope

    with SafeModeScope(safe_mode=False):
        yield


class UnreadableModelError(ValueError):
    """A Keras model saved inside an estimator that cannot be rebuilt: its
    bytes are damaged, or a class it needs is not registered. The CLI tells
    it from pickle's own errors by this class."""


def model_from_bytes(data: bytes):
    """Rebuild a Keras model saved by :func:`model_to_bytes`.

    Raises :class:`UnreadableModelError` if it cannot.
    """
    import zipfile

    from keras.src.saving import saving_lib

    # Importing these registers skimb's serialisable Keras objects.
    from . import _layers, losses  # noqa: F401

    # Rebuilding the layers draws seeds (Dropout's): from a stream seeded by
    # the bytes, so every copy loaded from them trains on alike, whatever
    # the program drew before, and the user's own stream does not move.
    seeds = random.Random(zlib.crc32(data))
    try:
        with (
            quiet_lazy_optimizer(),
            preserved_global_state(seeds),
            unsafe_deserialization(),
        ):
            return saving_lib.load_model(io.BytesIO(data), compile=True)
    except (zipfile.BadZipFile, OSError, KeyError, EOFError) as exc:
        raise UnreadableModelError(
            "The saved Keras model inside this estimator is corrupt or "
            f"truncated ({type(exc).__name__}: {exc}). Refit the estimator "
            "or load an intact copy of the file."
        ) from exc
    except TypeError as exc:  # Keras: a class it cannot locate or rebuild
        # Keras's message carries the whole model config; keep its point.
        located = re.search(r"Could not locate \w+ '[^']*'", str(exc))
        reason = located[0] if located else str(exc).splitlines()[0]
        raise UnreadableModelError(
            f"Keras could not rebuild the model inside this estimator ({reason}). "
            "Custom layers, losses and other objects must be registered with "
            "keras.saving.register_keras_serializable and imported before "
            "loading."
        ) from exc


def training_state_restorer(model, trained_model=None):
    """A function that puts ``model``'s weights, and its optimizer's
    variables (step count, learning rate, moments), back as they are now.

    ``trained_model`` is the part of ``model`` that trains with an optimizer
    of its own, when ``model`` does not (TransferClassifier's head, trained
    alone on the backbone's embeddings): its optimizer's variables are put
    back instead.

    Variables that the optimizer creates later are left as they will be.

    The values are kept as backend tensors (``keras.ops.copy``), not copied
    to NumPy: ``fit`` and ``partial_fit`` take this snapshot before every
    warm call, and for Adam it is three times the weights. On TensorFlow
    the copy is a new reference to each variable's buffer, which costs
    nothing; the train step's first update of a variable whose value is
    still referenced writes a new buffer (a variable's value, once read,
    does not change), so a call that succeeds copies the state once, inside
    the step, instead of once to NumPy and back into new arrays. On a
    network of 4.2 million parameters the NumPy copy was 10% of a
    one-batch ``partial_fit`` call (``benchmarks/partial_fit_overhead.py``).
    JAX (whose train step reuses the variables' buffers) and PyTorch copy
    at once, on the device.
    """
    keras = import_keras()
    optimizer = getattr(
        model if trained_model is None else trained_model, "optimizer", None
    )
    variables = [*model.weights, *(getattr(optimizer, "variables", None) or [])]
    saved = [(variable, keras.ops.copy(variable)) for variable in variables]

    def restore() -> None:
        for variable, value in saved:
            variable.assign(value)

    return restore


def to_numpy(tensor) -> np.ndarray:
    """Convert a backend tensor to a NumPy array."""
    keras = import_keras()
    return np.asarray(keras.ops.convert_to_numpy(tensor))


class InconsistentVersionWarning(UserWarning):
    """A skimb estimator is unpickled by another skimb version than saved it."""


#: Estimator parameters that may hold a ``keras.Model`` (``build_fn`` is
#: scikeras's deprecated name of ``model``).
_MODEL_PARAMETERS = ("model", "backbone", "build_fn")


class _SavedModel:
    """A ``keras.Model`` in a pickle: its ``.keras`` bytes, and the user's
    own loss and metric functions and classes of its compilation.

    Keras saves those by name only, so a model compiled with a function of
    the user's script could not be loaded in another process, such as a
    joblib worker. They are pickled by value with cloudpickle, as joblib
    sends functions to its workers. Keras saves a ``lambda``'s bytecode,
    and rebuilds it without its module's names or closure (a NameError in
    the first batch); cloudpickle's copy has them, but no source code,
    which Keras reads to save the model again. So a loaded lambda is
    Keras's code with cloudpickle's names and closure.
    """

    def __init__(self, model) -> None:
        self.data = model_to_bytes(model)
        self.objects = compile_objects(model)
        self.functions = compile_functions(model)

    def __getstate__(self) -> dict:
        code = None
        if self.objects or self.functions:
            import cloudpickle

            try:
                code = cloudpickle.dumps((self.objects, self.functions))
            except Exception as exc:  # e.g. a closure over an open file
                warn_user(
                    "The loss and metric functions this Keras model is compiled "
                    f"with cannot be pickled ({reason(exc)}); the loaded copy "
                    "will find them only if they are registered with "
                    "keras.saving.register_keras_serializable.",
                )
        return {"data": self.data, "code": code}

    def __setstate__(self, state: dict) -> None:
        self.data = state["data"]
        code = state.get("code")  # absent in pickles made before 2026-11-27
        self.objects, self.functions = pickle.loads(code) if code else ({}, {})

    def load(self):
        """The model, compiled with the user's functions themselves."""
        keras = import_keras()
        with keras.saving.custom_object_scope(self.objects):
            model = model_from_bytes(self.data)
        rebuilt = compile_functions(model)
        compile_with_functions(
            model,
            {
                path: _rebound(f, rebuilt.get(path))
                for path, f in self.functions.items()
            },
        )
        lambdas = [p for p, f in rebuilt.items() if f.__name__ == "<lambda>"]
        if any(path not in self.functions for path in lambdas):  # older pickles
            warn_user(
                "This Keras model is compiled with a lambda loss or metric, which "
                "Keras rebuilds from its bytecode without the names of its module "
                "or closure: the loaded model predicts, but training it (fit with "
                "warm_start, partial_fit, or a fit of its clone) may fail. Define "
                "the function with def, or compile the model in a build function."
            )
        return model


def _rebound(carried, rebuilt):
    """``carried``; for a lambda, Keras's ``rebuilt`` code (whose source
    Python finds) with ``carried``'s global names and closure."""
    if carried.__name__ != "<lambda>" or rebuilt is None:
        return carried
    try:
        return types.FunctionType(
            rebuilt.__code__,
            carried.__globals__,
            carried.__name__,
            carried.__defaults__,
            carried.__closure__,
        )
    except (TypeError, ValueError):  # another code: keep cloudpickle's
        return carried


def save_model_params(state: dict) -> dict:
    """``state`` with ``keras.Model`` parameters as :class:`_SavedModel`.

    Pickled as they are, Keras's reducer would rebuild them outside skimb's
    private state (drawing from the user's ``random`` and name counters),
    and a reducer that another library installs (scikeras's refuses
    ``Lambda`` layers) would apply.
    """
    keras = sys.modules.get("keras")
    if keras is None:
        return state
    return {
        key: _SavedModel(value)
        if key in _MODEL_PARAMETERS and isinstance(value, keras.Model)
        else value
        for key, value in state.items()
    }


def load_model_params(state: dict) -> dict:
    """``state`` with :class:`_SavedModel` parameters rebuilt."""
    return {
        key: value.load() if isinstance(value, _SavedModel) else value
        for key, value in state.items()
    }


def _compile_arguments(model) -> dict:
    """The arguments ``model`` was compiled with (none if not compiled)."""
    config = getattr(model, "_compile_config", None)
    if config is None or not getattr(model, "compiled", False):
        return {}
    return config.config


def _leaves(value, path=()):
    """``(path, leaf)`` pairs of nested dicts, lists and tuples."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def compile_objects(model) -> dict:
    """The user's functions and classes among ``model``'s compile arguments
    (losses, metrics, optimizer and its learning-rate schedule), by the
    names Keras saves them under."""
    keras = import_keras()
    found = {}
    for _, value in _leaves(_compile_arguments(model)):
        if inspect.isfunction(value):
            found[value.__name__] = value
        elif value is not None and not isinstance(value, (str, int, float, bool)):
            found[type(value).__name__] = type(value)
            # An optimizer saves its learning-rate schedule by name too; Keras
            # offers no public handle on the schedule object.
            schedule = getattr(value, "_learning_rate", None)
            if isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
                found[type(schedule).__name__] = type(schedule)
    return {
        name: value
        for name, value in found.items()
        if _top_module(value) != "keras"  # Keras finds its own
    }


def _top_module(value) -> str:
    """``"keras"`` for ``keras.src.losses``; ``""`` without a module."""
    return (getattr(value, "__module__", None) or "").partition(".")[0]


def compile_functions(model) -> dict:
    """The plain functions among ``model``'s compile arguments, by their
    place in them (two ``lambda`` share one name)."""
    return {
        path: value
        for path, value in _leaves(_compile_arguments(model))
        if inspect.isfunction(value)
    }


def check_lambdas_have_source(model) -> None:
    """Raise if ``model`` is compiled with a ``lambda`` whose source Python
    cannot find: Keras's copy reads it (to warn) and fails."""
    for function in compile_functions(model).values():
        if function.__name__ != "<lambda>":
            continue
        try:
            inspect.getsource(function)
        except (OSError, TypeError):
            raise ValueError(
                "The keras.Model is compiled with a lambda function whose source "
                "code Python cannot find (one made by eval or exec, or typed "
                "into `python -`), and Keras cannot copy the model without it. "
                "Define the loss or metric with def, or compile the model in a "
                "build function (model=build_fn)."
            ) from None


@contextlib.contextmanager
def rebuilding(*models) -> Iterator[None]:
    """A scope in which Keras can rebuild ``models`` from their configuration.

    Keras finds the user's own loss and metric functions and classes, and
    Lambda layers, only by name; here it finds those of ``models``. Copies
    made in the scope still hold Keras's rebuilt functions: compile them
    again with :func:`compile_with_functions` (a rebuilt ``lambda`` lacks
    its module's names).
    """
    keras = import_keras()
    objects = {}
    for model in models:
        check_lambdas_have_source(model)
        objects.update(compile_objects(model))
    with (
        unsafe_deserialization(),
        quiet_lazy_optimizer(),  # clone deep-copies models through saving
        keras.saving.custom_object_scope(objects),
    ):
        yield


def compile_with_functions(model, functions: dict) -> None:
    """Compile ``model`` again with ``functions`` at their places.

    Keras rebuilds a ``lambda`` from its bytecode without its module's
    global names (a NameError in the first batch). Functions hold no state,
    so a copy may share them; the optimizer (with its state) and the loss
    and metric objects stay the model's own.
    """
    if not functions:
        return

    def put(value, path):
        if path in functions:
            return functions[path]
        if isinstance(value, dict):
            return {key: put(item, (*path, key)) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(put(item, (*path, i)) for i, item in enumerate(value))
        return value

    with private_layer_names():
        model.compile(**put(_compile_arguments(model), ()))


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
        warn_user(
            f"This {name} was saved with skimb {saved or 'unknown'} and is loaded "
            f"with skimb {__version__}. It needs skimb {saved}: results may "
            "differ or loading may fail. Refit it, or install that version.",
            InconsistentVersionWarning,
        )
    return state


_limit_threads_before_tensorflow_starts()


class KerasModelsMixin:
    """Cloning and pickling for an estimator that holds Keras models.

    The fitted model, the attribute named by ``_fitted_model_attr``, and
    ``keras.Model`` parameters are pickled as :class:`_SavedModel`, with
    the skimb version stamped; ``clone`` copies ``keras.Model`` parameters
    in skimb's private state, with the user's loss and metric functions.
    """

    _fitted_model_attr: str

    def __sklearn_clone__(self):
        models = model_params(self)
        if not models:
            return super().__sklearn_clone__()
        # clone deep-copies the models (with their optimizer state): Keras
        # rebuilds them, drawing initializer seeds and layer names from the
        # user's streams.
        with preserved_global_state(), rebuilding(*models.values()):
            clone = super().__sklearn_clone__()
            for name, model in models.items():
                compile_with_functions(getattr(clone, name), compile_functions(model))
        return clone

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: never touch self
        name = self._fitted_model_attr
        if name in state:
            state[name] = _SavedModel(state[name])
        return stamp_version(save_model_params(state))

    def __setstate__(self, state):
        state = check_version(state, type(self).__name__)
        name = self._fitted_model_attr
        # Pickles made before _SavedModel (2026-11-26) hold raw bytes.
        if isinstance(state.get(name), bytes):
            state[name] = model_from_bytes(state[name])
        super().__setstate__(load_model_params(state))
