"""
Scaling a search out with Dask
==============================

The same ``GridSearchCV`` over a SMOTE + ``MLPClassifier`` pipeline runs in
this process and on a Dask cluster, through joblib's ``"dask"`` backend. Here
the cluster is a ``LocalCluster`` of two worker processes on this machine; on
a real cluster you connect a ``Client`` to its scheduler and nothing else
changes. Estimators travel to the workers by pickling, and each worker gives
TensorFlow its share of the cores.

Each process pays TensorFlow's start-up once; it is timed apart, so that the
two searches compare the fits alone. At the end, the measured time per fit,
start-up per worker and efficiency of the two workers give an estimate of how
a 100-configuration x 5-fold search over a classifier head on cached image
embeddings (``make_pipeline(ImageEmbedder(memory=...), MLPClassifier())``)
scales with workers.
"""

import math
import time
import warnings

import joblib
import numpy as np
from dask.distributed import Client, LocalCluster
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

from skimb import ImageEmbedder, MLPClassifier
from skimb.datasets import make_imbalanced_table
from skimb.metrics import imbalanced_scoring


def make_search():
    pipe = make_pipeline(
        StandardScaler(),
        SMOTE(random_state=0),
        MLPClassifier(max_iter=15, learning_rate_init=0.01, random_state=0),
    )
    grid = {
        "mlpclassifier__hidden_layer_sizes": [(16,), (32,), (64,)],
        "mlpclassifier__alpha": [1e-4, 1e-2],
    }
    return GridSearchCV(pipe, grid, cv=3, scoring=imbalanced_scoring(), refit="f1")


def start_up(X, y):
    """Import TensorFlow and trace a first small fit: once per process."""
    MLPClassifier(max_iter=1, random_state=0).fit(X, y)


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


if __name__ == "__main__":  # worker processes import this file too
    X, y = make_imbalanced_table()
    n_fits = 6 * 3 + 1

    t_start_local, _ = timed(start_up, X[:100], y[:100])
    t_local, local = timed(make_search().fit, X, y)

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        workers = list(client.scheduler_info()["workers"])
        t_start_dask, _ = timed(
            client.gather,
            [
                client.submit(start_up, X[:100], y[:100], workers=[w], pure=False)
                for w in workers
            ],
        )
        with joblib.parallel_backend("dask"):
            t_dask, remote = timed(make_search().fit, X, y)

    speed_up = t_local / t_dask
    efficiency = speed_up / 2
    print(f"GridSearchCV, {n_fits} fits of SMOTE + MLPClassifier on 1000 x 20")
    print(f"{'where':>28s} {'start-up s':>10s} {'search s':>9s} {'best F1':>8s}")
    print(
        f"{'this process':>28s} {t_start_local:10.1f} {t_local:9.1f} "
        f"{local.best_score_:8.3f}"
    )
    print(
        f"{'Dask, 2 worker processes':>28s} {t_start_dask:10.1f} {t_dask:9.1f} "
        f"{remote.best_score_:8.3f}"
    )
    print(
        f"speed-up of the search: {speed_up:.2f}x, efficiency {efficiency:.0%} of "
        f"2 workers; same best parameters: {local.best_params_ == remote.best_params_}"
    )

    # Estimate for a larger search: 100 configurations x 5 folds = 500 fits
    # of a head on the embeddings of 1,000 images (800 per training fold)
    # from MobileNetV2 at 224 px. Both costs are measured here, in this
    # process: one fit of a head like TransferClassifier's (64 ReLU units and
    # a softmax on 1,280 features, 10 epochs of batches of 32) and the
    # embedding of 32 images (random weights take as long as ImageNet's).
    # The model, Amdahl-style:
    #
    # * one process: embed the 1,000 images, then run the 500 fits;
    # * w workers: each pays the start-up measured above once (all at the
    #   same time), embeds the 1,000 images once (its in-memory cache; a
    #   shared ``memory=`` folder could save even that), then runs
    #   ceil(500 / w) fits; side by side, every cost is divided by the
    #   efficiency measured above with 2 workers.
    #
    # Assumptions: the 2-worker efficiency holds for w workers with cores of
    # their own (it falls further if workers share cores); all 100
    # configurations cost about what this head costs; the scheduler's
    # overhead per task (milliseconds) and the transfer of file paths and
    # labels are neglected.
    rng = np.random.RandomState(0)
    embeddings = rng.normal(size=(800, 1280)).astype(np.float32)
    labels = (rng.uniform(size=800) < 0.1).astype(int)
    head = MLPClassifier(
        hidden_layer_sizes=(64,), batch_size=32, max_iter=10, random_state=0
    )
    t_head, _ = timed(head.fit, embeddings, labels)
    images = rng.uniform(0, 255, size=(32, 224, 224, 3)).astype(np.float32)
    embedder = ImageEmbedder("mobilenet_v2", weights=None, cache=False).fit(images)
    with warnings.catch_warnings():
        # Random MobileNetV2 features are ~0, and skimb warns that nothing can
        # be learnt from them; only the time they take counts here.
        warnings.filterwarnings("ignore", message="The backbone's features")
        t_embed, _ = timed(embedder.transform, images)
    t_embed_all = 1000 * t_embed / len(images)
    print(
        f"\nMeasured: one head fit {t_head:.1f} s; embedding 1,000 images "
        f"{t_embed_all:.0f} s; worker start-up {t_start_dask:.1f} s; "
        f"efficiency {efficiency:.0%}"
    )
    print("Estimate: 100 configurations x 5 folds = 500 head fits")
    print(f"{'where':>16s} {'minutes':>8s} {'speed-up':>9s}")
    t_one = t_embed_all + 500 * t_head
    print(f"{'this process':>16s} {t_one / 60:8.1f} {1:9.2f}")
    for w in (2, 4, 8, 16, 32, 64):
        t_w = t_start_dask + (t_embed_all + math.ceil(500 / w) * t_head) / efficiency
        print(f"{f'{w} workers':>16s} {t_w / 60:8.1f} {t_one / t_w:9.2f}")
