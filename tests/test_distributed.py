"""Searches and ensembles of skimb estimators in worker processes.

On a local Dask cluster of two worker processes, through Ray's joblib
backend, and in joblib's own loky workers. The Dask and Ray tests need the
``distributed`` extra (``pip install "skimb[distributed]"``); the test extra
installs it, so CI runs these tests.
"""

import os
import threading
import time

import joblib
import numpy as np
import pytest
from imblearn.ensemble import BalancedBaggingClassifier
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline
from sklearn.model_selection import GridSearchCV

from skimb import ImageEmbedder, MLPClassifier
from skimb.datasets import make_imbalanced_images, make_imbalanced_table
from skimb.metrics import imbalanced_scoring

from .conftest import run_python

#: Seconds a search may take before the test calls it a hang: well above
#: what the searches here take, even on a loaded 2-core machine (the longest
#: whole test took under two minutes with a load average of 10).
HANG_SECONDS = 240


def _search():
    pipe = make_pipeline(
        SMOTE(random_state=0),
        MLPClassifier(max_iter=8, learning_rate_init=0.01, random_state=0),
    )
    grid = {"mlpclassifier__hidden_layer_sizes": [(4,), (8,), (16,)]}
    return GridSearchCV(pipe, grid, cv=3, scoring=imbalanced_scoring(), refit="f1")


def _in_thread(function):
    """Start ``function()`` in a daemon thread; return the thread and a dict
    that receives its ``"result"`` or ``"error"``."""
    outcome = {}

    def target():
        try:
            outcome["result"] = function()
        except BaseException as exc:  # handed to the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, outcome


def _join(thread, outcome, what, timeout=HANG_SECONDS):
    """Wait for a thread of :func:`_in_thread`; fail the test if it hangs."""
    thread.join(timeout)
    if thread.is_alive():
        pytest.fail(f"{what} still runs after {timeout} s: it hangs")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def _fit_within_deadline(estimator, X, y, backend="dask"):
    """Fit on a joblib backend in a thread, failing the test on a hang."""

    def fit():
        with joblib.parallel_backend(backend):  # per thread: set it in the thread
            return estimator.fit(X, y)

    return _join(*_in_thread(fit), what=f"fit on the {backend!r} backend")


def _loky_reference():
    """joblib's loky backend: two worker processes of one thread each.

    Dask's nanny sets OMP_NUM_THREADS=1 in its workers and Ray in its
    one-CPU tasks, and skimb gives TensorFlow that many threads there. With
    another thread count, CPU kernels may sum in another order and differ in
    the last bits, so the local reference pins loky's workers to one thread
    too (by default loky gives them ``cpu_count // n_jobs``).
    """
    return joblib.parallel_backend("loky", n_jobs=2, inner_max_num_threads=1)


def _assert_same_scores(remote, local):
    assert remote.best_params_ == local.best_params_
    for key in ("mean_test_f1", "mean_test_recall", "mean_test_average_precision"):
        np.testing.assert_allclose(
            remote.cv_results_[key], local.cv_results_[key], rtol=1e-6
        )


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster with two single-threaded worker processes."""
    distributed = pytest.importorskip(
        "distributed", reason="needs the 'distributed' extra (dask.distributed)"
    )
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as local_cluster,
        distributed.Client(local_cluster) as client,
    ):
        yield local_cluster, client


@pytest.fixture(scope="module")
def data():
    return make_imbalanced_table(n_samples=300)


@pytest.mark.slow
def test_grid_search_on_dask_matches_local(cluster, data):
    """The same search on two Dask workers finds the same parameters and scores.

    The local reference runs in joblib's loky processes, so that both runs
    give TensorFlow one thread per worker (see ``_loky_reference``).
    """
    _, client = cluster
    X, y = data
    with _loky_reference():
        local = _search().fit(X, y)
    remote = _fit_within_deadline(_search(), X, y)
    _assert_same_scores(remote, local)
    # Each worker gave TensorFlow its share of the cores (one thread).
    limits = client.run(lambda: __import__("skimb")._keras._WORKER_THREADS["limit"])
    assert set(limits.values()) <= {1, None}
    assert 1 in limits.values()


def _bagging():
    mlp = MLPClassifier(hidden_layer_sizes=(8,), max_iter=8, learning_rate_init=0.01)
    return BalancedBaggingClassifier(mlp, n_estimators=4, n_jobs=2, random_state=0)


@pytest.mark.slow
def test_balanced_bagging_on_dask_matches_local(cluster, data):
    """A BalancedBaggingClassifier of MLPClassifiers (n_jobs=2) fits on the Dask
    workers and predicts as the same ensemble fitted in loky's workers.

    Bagging draws every member's seed and sample before dispatching, so where
    the members train does not change them. Both fits run in two worker
    processes with one TensorFlow thread each, hence the same kernels: the
    probabilities came out bit-identical when this test was written (and
    within 1e-16 of a fit in one process of two threads). atol=1e-6, about
    ten float32 ulps of a probability, leaves room only for last-bit
    differences of summation order, far below a change of any prediction.
    """
    from distributed import get_task_stream

    _, client = cluster
    X, y = data
    with _loky_reference():
        local = _bagging().fit(X, y)
    with get_task_stream(client) as stream:
        remote = _fit_within_deadline(_bagging(), X, y)
    workers = set(client.scheduler_info()["workers"])
    ran_on = {task["worker"] for task in stream.data}
    assert ran_on and ran_on <= workers  # the members trained on the cluster
    assert (
        remote.estimators_samples_[0].tolist() == local.estimators_samples_[0].tolist()
    )
    np.testing.assert_allclose(
        remote.predict_proba(X), local.predict_proba(X), rtol=0, atol=1e-6
    )
    np.testing.assert_array_equal(remote.predict(X), local.predict(X))


def _write_pngs(folder, n_majority=45, n_minority=15):
    """Digits as 32x32 PNG files; returns their paths and labels."""
    import tensorflow as tf

    X, y = make_imbalanced_images(minority_class=0, imbalance_ratio=3, size=32)
    keep = np.concatenate(
        [np.flatnonzero(y == 0)[:n_majority], np.flatnonzero(y == 1)[:n_minority]]
    )
    paths = []
    for i in keep:
        path = folder / f"digit{i:04d}.png"
        path.write_bytes(tf.io.encode_png(X[i].astype(np.uint8)).numpy())
        paths.append(str(path))
    return paths, y[keep]


def _tiny_backbone():
    """One seeded convolution: a feature map that skimb pools."""
    import keras

    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Rescaling(1 / 255.0)(inputs)
    x = keras.layers.Conv2D(
        8,
        3,
        strides=2,
        activation="relu",
        kernel_initializer=keras.initializers.GlorotUniform(seed=0),
    )(x)
    return keras.Model(inputs, x, name="tiny")


def _image_search(backbone):
    pipe = make_pipeline(
        ImageEmbedder(backbone, weights=None, input_shape=(32, 32, 3), random_state=0),
        MLPClassifier(max_iter=10, learning_rate_init=0.01, random_state=0),
    )
    grid = {"mlpclassifier__hidden_layer_sizes": [(4,), (8,)]}
    return GridSearchCV(pipe, grid, cv=3, scoring=imbalanced_scoring(), refit="f1")


@pytest.mark.slow
def test_file_paths_in_a_dask_search(cluster, tmp_path):
    """A search over ImageEmbedder + MLPClassifier on PNG file paths runs on the
    Dask workers, which read the files themselves, and matches the local run.
    """
    from skimb.embedding import clear_embedding_cache

    _, client = cluster
    paths, y = _write_pngs(tmp_path)
    backbone = _tiny_backbone()
    with _loky_reference():
        local = _image_search(backbone).fit(paths, y)
    client.run(clear_embedding_cache)
    remote = _fit_within_deadline(_image_search(backbone), paths, y)
    _assert_same_scores(remote, local)
    # The workers embedded the images: they got paths (strings), not pixels.
    cached = client.run(lambda: len(__import__("skimb").embedding._CACHE))
    assert sum(cached.values()) >= len(paths)
    np.testing.assert_allclose(
        remote.predict_proba(paths), local.predict_proba(paths), rtol=1e-6
    )


@pytest.mark.slow
def test_worker_killed_mid_search(cluster, data):
    """A worker process killed mid-search is replaced by its nanny, and the
    search either survives or fails with one of Dask's errors, never hangs.

    The victim is killed (SIGKILL, as by the out-of-memory killer) while it
    runs a fit of the search; its process must be gone and a new worker in
    its place. Dask reschedules the lost tasks (the search then gives the
    usual scores) or joblib's Dask backend cancels the search with one of
    Dask's errors. The search runs in a thread with a deadline, so a hang
    fails the test instead of blocking the suite.
    """
    import psutil  # a dependency of distributed
    from distributed.client import FutureCancelledError
    from distributed.comm import CommClosedError
    from distributed.scheduler import KilledWorker

    _, client = cluster
    X, y = data
    client.wait_for_workers(2, timeout=60)
    pids = client.run(os.getpid)  # worker address -> process id
    victim = sorted(pids)[0]
    victim_process = psutil.Process(pids[victim])

    def search():
        with joblib.parallel_backend("dask"):
            return _search().fit(X, y)

    thread, outcome = _in_thread(search)
    start = time.perf_counter()
    deadline = time.monotonic() + HANG_SECONDS
    while not client.processing(workers=[victim]).get(victim):
        assert thread.is_alive(), "the search ended before the victim got a fit"
        assert time.monotonic() < deadline, "the victim never got a fit"
        time.sleep(0.05)
    assert thread.is_alive()  # mid-search
    victim_process.kill()
    victim_process.wait(timeout=30)  # psutil.TimeoutExpired if it lives on
    assert not psutil.pid_exists(victim_process.pid)
    try:
        search = _join(thread, outcome, "the search after a worker died")
    except (FutureCancelledError, KilledWorker, CommClosedError) as exc:
        assert str(exc)  # Dask's own message names the lost task
    else:
        with _loky_reference():
            expected = _search().fit(X, y)
        np.testing.assert_allclose(
            search.cv_results_["mean_test_f1"],
            expected.cv_results_["mean_test_f1"],
            rtol=1e-6,
        )
    assert time.perf_counter() - start < HANG_SECONDS
    # The nanny started a new worker process in the victim's place.
    deadline = time.monotonic() + 60
    while True:
        client.wait_for_workers(2, timeout=60)
        new_pids = client.run(os.getpid)
        if len(new_pids) == 2 and pids[victim] not in new_pids.values():
            break
        assert time.monotonic() < deadline, f"no new worker: {new_pids}"
        time.sleep(0.5)
    assert victim not in new_pids  # a new address too
    survivor = next(address for address in pids if address != victim)
    assert new_pids[survivor] == pids[survivor]
    # And the cluster runs searches again.
    assert _fit_within_deadline(_search(), X, y).best_score_ > 0.3


def _worker_thread_state():
    """In a worker: skimb's thread limit and TensorFlow's thread pools."""
    import tensorflow as tf

    from skimb import _keras

    _keras.import_keras()
    return {
        "pid": os.getpid(),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "limit": _keras._WORKER_THREADS["limit"],
        "intra": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter": tf.config.threading.get_inter_op_parallelism_threads(),
    }


@pytest.mark.slow
def test_loky_workers_limit_tensorflow_threads():
    """joblib's loky workers (n_jobs=2) give TensorFlow their share of the
    cores, one thread on two cores; the test's own process is left alone.

    loky sets OMP_NUM_THREADS to ``cpu_count // n_jobs`` in its workers (or
    passes on the parent's value); skimb reads it when it imports Keras there.
    """
    from skimb import _keras

    share = int(os.environ.get("OMP_NUM_THREADS", max(joblib.cpu_count() // 2, 1)))
    states = joblib.Parallel(n_jobs=2, backend="loky")(
        joblib.delayed(_worker_thread_state)() for _ in range(4)
    )
    for state in states:
        assert state["pid"] != os.getpid()
        assert state["OMP_NUM_THREADS"] == str(share)
        assert state["limit"] == state["intra"] == state["inter"] == share
    if joblib.cpu_count() == 2 and "OMP_NUM_THREADS" not in os.environ:
        assert {state["limit"] for state in states} == {1}
    _keras.import_keras()
    assert _keras._WORKER_THREADS["limit"] is None
    assert _keras.limit_worker_threads() is None


def test_thread_pools_sized_by_the_users_code_in_a_worker_are_kept():
    """In a worker (here a process named as loky names its workers), pools
    that the user's own task sized with tf.config.threading before the first
    fit stay as set; skimb overrode them with the worker's share."""
    out = run_python(
        """
        import multiprocessing, os
        multiprocessing.current_process().name = "LokyProcess-9"
        os.environ["OMP_NUM_THREADS"] = "1"
        import numpy as np
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(2)
        tf.config.threading.set_inter_op_parallelism_threads(3)
        from skimb import MLPClassifier, _keras
        MLPClassifier(max_iter=1).fit(np.random.rand(20, 3), [0, 1] * 10)
        threading = tf.config.threading
        print(threading.get_intra_op_parallelism_threads(),
              threading.get_inter_op_parallelism_threads(),
              _keras._WORKER_THREADS["limit"])
        """
    )
    assert out.split() == ["2", "3", "None"]


@pytest.fixture(scope="module")
def ray_backend():
    """A local Ray instance of two CPUs, registered as joblib's "ray" backend."""
    ray = pytest.importorskip(
        "ray", reason="needs the 'distributed' extra (Ray's joblib backend)"
    )
    from ray.util.joblib import register_ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    register_ray()
    try:
        yield ray
    finally:
        ray.shutdown()


@pytest.mark.slow
def test_grid_search_on_ray_matches_local(ray_backend, data):
    """The search through Ray's joblib backend matches the local one.

    Ray's workers set OMP_NUM_THREADS to their task's CPUs (one), and skimb
    gives TensorFlow that many threads there, as in loky's workers.
    """
    X, y = data
    with _loky_reference():
        local = _search().fit(X, y)
    remote = _fit_within_deadline(_search(), X, y, backend="ray")
    _assert_same_scores(remote, local)

    @ray_backend.remote
    def thread_limit():
        from skimb import _keras

        _keras.import_keras()
        return _keras._WORKER_THREADS["limit"]

    assert ray_backend.get(thread_limit.remote()) == 1


#: Fit an estimator holding a keras.Model, in worker processes or in this one,
#: and report the thread limit and TensorFlow's inter-op threads (tf_Compute).
_POOLS = """
import collections, json, os
import joblib, keras, numpy as np
from skimb import KerasClassifier


def tensorflow_pools(clf):
    X = np.random.RandomState(0).normal(size=(64, 4)).astype("float32")
    clf.fit(X, np.arange(64) % 2)
    names = collections.Counter(
        open(f"/proc/self/task/{t}/comm").read().strip()
        for t in os.listdir("/proc/self/task")
    )
    variables = ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")
    return [os.environ.get(name) for name in variables] + [names["tf_Compute"]]


def main(where):
    output = keras.layers.Dense(2, activation="softmax")
    clf = KerasClassifier(keras.Sequential([keras.Input((4,)), output]), epochs=1)
    if where == "workers":
        tasks = (joblib.delayed(tensorflow_pools)(clf) for _ in range(2))
        print(json.dumps(joblib.Parallel(n_jobs=2)(tasks)))
    else:
        print(json.dumps([tensorflow_pools(clf)]))
"""


@pytest.mark.slow
@pytest.mark.skipif(
    not os.path.isdir("/proc/self/task"), reason="counts threads through /proc"
)
def test_worker_limit_holds_when_a_keras_model_is_unpickled_first():
    """An estimator holding a keras.Model starts TensorFlow in a loky worker
    while it is unpickled, before skimb calls Keras: the limit went through
    tf.config then, too late, and the worker kept TensorFlow's default pools
    (for the rest of the session: loky reuses its workers). It now goes into
    TF_NUM_INTRAOP_THREADS and TF_NUM_INTEROP_THREADS when skimb's modules
    load, before the parameters are unpickled."""
    import json

    share = os.environ.get("OMP_NUM_THREADS", str(max(joblib.cpu_count() // 2, 1)))
    limit = {"TF_NUM_INTRAOP_THREADS": share, "TF_NUM_INTEROP_THREADS": share}
    # Pools of that size, set by hand in a process of its own:
    here = run_python(_POOLS + 'main("here")', env=limit)
    [[_, _, _, reference]] = json.loads(here)
    for omp, intra, inter, compute in json.loads(
        run_python(_POOLS + 'main("workers")')
    ):
        assert omp == intra == inter == share
        assert compute == reference


#: In worker processes: import TensorFlow (loaded, its runtime not started),
#: then Keras through skimb, and report the pools TensorFlow was given.
_CONFIGURED_POOLS = """
import json
import joblib


def configured_pools():
    import tensorflow as tf

    from skimb import _keras

    _keras.import_keras()
    threading = tf.config.threading
    return [
        _keras._WORKER_THREADS["limit"],
        threading.get_intra_op_parallelism_threads(),
        threading.get_inter_op_parallelism_threads(),
    ]


tasks = (joblib.delayed(configured_pools)() for _ in range(2))
print(json.dumps(joblib.Parallel(n_jobs=2, backend="loky")(tasks)))
"""


@pytest.mark.slow
def test_worker_keeps_the_tensorflow_pools_its_environment_names():
    """TF_NUM_INTRAOP_THREADS and TF_NUM_INTEROP_THREADS set for the workers
    are the user's choice: skimb's limit follows them instead of putting the
    worker's share of the cores (OMP_NUM_THREADS) over them."""
    import json

    pools = json.loads(
        run_python(
            _CONFIGURED_POOLS,
            env={"TF_NUM_INTRAOP_THREADS": "3", "TF_NUM_INTEROP_THREADS": "2"},
        )
    )
    assert pools == [[3, 3, 2], [3, 3, 2]]
