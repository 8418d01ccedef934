"""Searches of skimb estimators on a local Dask cluster of two worker processes.

Needs the ``distributed`` extra (``pip install "skimb[distributed]"``); the
test extra installs it, so CI runs these tests.
"""

import contextlib
import os
import threading
import time

import joblib
import numpy as np
import pytest
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline
from sklearn.model_selection import GridSearchCV

from skimb import MLPClassifier
from skimb.datasets import make_imbalanced_table
from skimb.metrics import imbalanced_scoring

distributed = pytest.importorskip(
    "distributed", reason="needs the 'distributed' extra (dask.distributed)"
)


def _search():
    pipe = make_pipeline(
        SMOTE(random_state=0),
        MLPClassifier(max_iter=8, learning_rate_init=0.01, random_state=0),
    )
    grid = {"mlpclassifier__hidden_layer_sizes": [(4,), (8,), (16,)]}
    return GridSearchCV(pipe, grid, cv=3, scoring=imbalanced_scoring(), refit="f1")


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster with two single-threaded worker processes."""
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
    give TensorFlow one thread per worker: with another thread count, CPU
    kernels may sum in another order and differ in the last bits.
    """
    _, client = cluster
    X, y = data
    with joblib.parallel_backend("loky", n_jobs=2):
        local = _search().fit(X, y)
    with joblib.parallel_backend("dask"):
        remote = _search().fit(X, y)
    assert remote.best_params_ == local.best_params_
    for key in ("mean_test_f1", "mean_test_recall", "mean_test_average_precision"):
        np.testing.assert_allclose(
            remote.cv_results_[key], local.cv_results_[key], rtol=1e-6
        )
    # Each worker gave TensorFlow its share of the cores (one thread).
    limits = client.run(lambda: __import__("skimb")._keras._WORKER_THREADS["limit"])
    assert set(limits.values()) <= {1, None}
    assert 1 in limits.values()


@pytest.mark.slow
def test_worker_killed_mid_search(cluster, data):
    """Killing a worker mid-search is survived (Dask reschedules), no hang."""
    local_cluster, client = cluster
    X, y = data
    victim = sorted(client.scheduler_info()["workers"])[0]

    def kill_later():
        time.sleep(3)
        # The worker dies before it can answer, so the call itself fails.
        with contextlib.suppress(Exception):
            client.run(os._exit, 1, workers=[victim])

    killer = threading.Thread(target=kill_later)
    killer.start()
    start = time.perf_counter()
    with joblib.parallel_backend("dask"):
        search = _search().fit(X, y)
    killer.join()
    assert time.perf_counter() - start < 240
    assert search.best_score_ > 0.5
    with joblib.parallel_backend("loky", n_jobs=2):
        expected = _search().fit(X, y)
    np.testing.assert_allclose(
        search.cv_results_["mean_test_f1"],
        expected.cv_results_["mean_test_f1"],
        rtol=1e-6,
    )
    client.wait_for_workers(2, timeout=60)  # the nanny restarted the worker
