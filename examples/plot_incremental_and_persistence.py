"""
Learning in chunks, saving, and calibrating
===========================================

Three things a fitted skimb classifier can do besides predicting, shown on
a 90:10 table whose classes overlap: learn from a stream in chunks with
``partial_fit``, be saved with :mod:`joblib` and loaded again (then trained
further), and have its probabilities calibrated with scikit-learn's
:class:`~sklearn.calibration.CalibratedClassifierCV`. We score the
minority class on a held-out stratified test set throughout.
"""

import tempfile
from pathlib import Path

import joblib
import matplotlib.pyplot as plt
import numpy as np
from imblearn.pipeline import make_pipeline
from sklearn.calibration import CalibratedClassifierCV, CalibrationDisplay
from sklearn.datasets import make_classification
from sklearn.metrics import (
    brier_score_loss,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
)
from sklearn.model_selection import (
    StratifiedKFold,
    TunedThresholdClassifierCV,
    train_test_split,
)
from sklearn.preprocessing import StandardScaler

from skimb import MLPClassifier

SEED = 0

X, y = make_classification(
    n_samples=2000,
    n_features=10,
    n_informative=4,
    weights=[0.9, 0.1],
    class_sep=1.2,
    flip_y=0.01,
    random_state=SEED,
)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=SEED
)
print(f"training rows: {len(y_train)}, minority rows: {int(y_train.sum())}")
print(f"test rows: {len(y_test)}, minority rows: {int(y_test.sum())}")


def network(max_iter=30):
    """The same small network throughout (balanced class weights, the default)."""
    return MLPClassifier(
        hidden_layer_sizes=(32,),
        max_iter=max_iter,
        learning_rate_init=0.01,
        batch_size=32,
        random_state=SEED,
    )


def minority_scores(y_true, predicted):
    """F1, recall and precision of the minority class (label 1)."""
    return (
        f1_score(y_true, predicted),
        recall_score(y_true, predicted),
        precision_score(y_true, predicted, zero_division=0.0),
    )


# %%
# Learning in chunks
# ------------------
#
# Suppose the training rows arrive in chunks, as from a stream or a table too
# large to load at once. ``partial_fit`` trains the network for one epoch on
# each chunk and keeps it between calls. Two things to know:
#
# * The first call must be told every class with ``classes=``, unless its
#   chunk holds them all; a chunk of a 90:10 stream may well hold no
#   minority row. After that a chunk may hold a single class. A later
#   ``classes=`` that differs from the first is a ``ValueError``.
# * The balanced class weights are computed on **each chunk's** labels (a
#   class missing from the chunk counts as one sample), not on the whole
#   stream, which no call sees. So each chunk weighs its minority rows by
#   its own class ratio, an approximation of one ``fit`` on all rows.
#   (scikit-learn's ``SGDClassifier`` refuses ``class_weight="balanced"`` in
#   ``partial_fit`` for this reason.) To weigh every chunk alike, compute
#   the weights once on a large enough sample of the labels, with
#   :func:`~sklearn.utils.class_weight.compute_class_weight`, and pass them
#   as a dict, ``class_weight={0: ..., 1: ...}``.
#
# A stream gives us no mean and variance of all the rows in advance, so we fit
# the scaler on the first chunk and keep it. We make six passes over ten
# chunks (each pass is one epoch over the training rows), and score the
# network on the test set after each chunk of the first pass and at the end
# of each later pass.
N_PASSES = 6
chunks = np.array_split(np.arange(len(y_train)), 10)
scaler = StandardScaler().fit(X_train[chunks[0]])
X_test_scaled = scaler.transform(X_test)
streamed = network()
print(f"\n{'after':18s} {'minority rows':>13s} {'F1':>6s} {'recall':>7s}")
for n_pass in range(1, N_PASSES + 1):
    for number, rows in enumerate(chunks, start=1):
        streamed.partial_fit(
            scaler.transform(X_train[rows]), y_train[rows], classes=[0, 1]
        )
        if n_pass == 1 or number == len(chunks):
            f1, recall, _ = minority_scores(y_test, streamed.predict(X_test_scaled))
            label = f"pass {n_pass}, chunk {number}"
            minority = int(y_train[rows].sum())
            print(f"{label:18s} {minority:13d} {f1:6.3f} {recall:7.3f}")

# %%
# For comparison, one ``fit`` on all the training rows at once (30 epochs),
# in an imbalanced-learn pipeline with its scaler.
pipeline = make_pipeline(StandardScaler(), network()).fit(X_train, y_train)
print(f"\n{'model (held-out test)':28s} {'F1':>6s} {'recall':>7s} {'precision':>10s}")
for name, predicted in (
    (f"partial_fit, {N_PASSES} passes", streamed.predict(X_test_scaled)),
    ("one fit, 30 epochs", pipeline.predict(X_test)),
):
    f1, recall, precision = minority_scores(y_test, predicted)
    print(f"{name:28s} {f1:6.3f} {recall:7.3f} {precision:10.3f}")

# %%
# Each chunk here holds a tenth of the rows and roughly a tenth of the
# minority rows (the first table counts them), so one chunk's class weights
# are not far from the whole stream's. The scores move from chunk to chunk:
# with about 60 minority rows in the test set, one row more or less found
# moves recall by 0.016. A pass over the stream is one epoch, so after six
# passes the streamed network has had a fifth of the single fit's epochs,
# and its scaler saw one chunk only; compare the two rows above to see where
# that leaves it. On a stream whose class ratio changes between chunks, the
# balanced weights change with it, chunk by chunk.

# %%
# Saving and loading
# ------------------
#
# A fitted pipeline holding skimb saves with :func:`joblib.dump` like any
# scikit-learn estimator (:mod:`pickle` works too); the Keras network travels
# inside the file with its weights and optimizer state (see
# :doc:`/persistence`). We write it into a temporary folder, load it back and
# check that the copy predicts exactly what the original does.
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "pipeline.joblib"
    joblib.dump(pipeline, path)
    print(f"\nsaved pipeline: {path.stat().st_size / 1024:.0f} KiB")
    loaded = joblib.load(path)

original_proba = pipeline.predict_proba(X_test)
np.testing.assert_array_equal(loaded.predict_proba(X_test), original_proba)
np.testing.assert_array_equal(loaded.predict(X_test), pipeline.predict(X_test))
print("loaded copy predicts the same probabilities and labels: True")

# %%
# The loaded copy goes on learning. An imbalanced-learn ``Pipeline`` has no
# ``partial_fit``, so we call it on the network, the last step, with rows
# the pipeline's fitted scaler transforms (the scaler stays as it is). As
# new labelled rows, the copy takes the first half of the test set in two
# chunks; we score it on the second half, which it never sees. The original
# is not touched. New rows change the network, not always for the better on
# every score, so check an updated copy on held-out rows before it replaces
# the one in service.
new_rows, held_out = np.array_split(np.arange(len(y_test)), 2)
scaler_step, mlp_step = loaded[:-1], loaded[-1]
f1, recall, _ = minority_scores(y_test[held_out], pipeline.predict(X_test[held_out]))
print(f"\n{'on the held-out half of the test set':40s} {'F1':>6s} {'recall':>7s}")
print(f"{'original':40s} {f1:6.3f} {recall:7.3f}")
for n_seen, chunk in enumerate(np.array_split(new_rows, 2), start=1):
    mlp_step.partial_fit(scaler_step.transform(X_test[chunk]), y_test[chunk])
    f1, recall, _ = minority_scores(y_test[held_out], loaded.predict(X_test[held_out]))
    label = f"loaded copy + {n_seen} chunk(s) of {len(chunk)} rows"
    print(f"{label:40s} {f1:6.3f} {recall:7.3f}")
same = np.array_equal(pipeline.predict_proba(X_test), original_proba)
print(f"original's probabilities unchanged: {same}")

# %%
# Calibrating the probabilities
# -----------------------------
#
# The balanced class weights train the network as if the minority class
# were as common as the majority, so its probabilities for the minority class
# come out too high. That is what moves the balanced network's predictions
# towards the minority class at the default 0.5 threshold, and what makes its
# probabilities wrong as probabilities.
# :class:`~sklearn.calibration.CalibratedClassifierCV` fits a sigmoid from
# the network's scores to calibrated probabilities on held-out folds (three
# networks, one per fold; their calibrated probabilities are averaged).
calibrated = CalibratedClassifierCV(
    make_pipeline(StandardScaler(), network()),
    method="sigmoid",
    cv=StratifiedKFold(3, shuffle=True, random_state=SEED),
).fit(X_train, y_train)

# %%
# Calibration moves the probabilities back down, and with them the decision at
# 0.5: it undoes the shift of the threshold that the class weights made. If
# minority F1 or recall matter, choose the threshold again on the calibrated
# probabilities, here with
# :class:`~sklearn.model_selection.TunedThresholdClassifierCV` for F1 on a
# held-out 30% of the training rows (``refit=False`` keeps the model fitted
# on the other 70%: three more networks, not six).
tuned = TunedThresholdClassifierCV(
    calibrated, scoring="f1", cv=0.3, refit=False, random_state=SEED
).fit(X_train, y_train)
threshold = tuned.best_threshold_
print(f"\nthreshold chosen for F1 on calibrated probabilities: {threshold:.3f}")

models = {
    "balanced (default)": pipeline,
    "balanced + calibrated": calibrated,
    "calibrated + tuned threshold": tuned,
}
print(
    f"\n{'model (held-out test)':30s} {'Brier':>6s} {'log loss':>9s} "
    f"{'F1':>6s} {'recall':>7s} {'precision':>10s}"
)
for name, model in models.items():
    proba = model.predict_proba(X_test)[:, 1]
    f1, recall, precision = minority_scores(y_test, model.predict(X_test))
    print(
        f"{name:30s} {brier_score_loss(y_test, proba):6.3f} "
        f"{log_loss(y_test, proba):9.3f} {f1:6.3f} {recall:7.3f} {precision:10.3f}"
    )
mean_minority = {
    name: model.predict_proba(X_test)[:, 1].mean() for name, model in models.items()
}
print(
    f"\nmean probability of the minority class on the test set: "
    f"balanced {mean_minority['balanced (default)']:.3f}, calibrated "
    f"{mean_minority['balanced + calibrated']:.3f}; "
    f"share of minority rows {y_test.mean():.3f}"
)

# %%
# The Brier score and the log loss measure the probabilities themselves
# (lower is better): compare the first two rows, and the mean probability of
# the minority class with its share of the test rows. F1, recall and
# precision are those of the labels predicted at each model's threshold:
# 0.5 for the first two rows, the tuned one for the third. Calibration alone
# gives up recall for precision at 0.5; the tuned threshold buys the recall
# back. Whether that also wins F1 depends on how well the threshold was
# chosen: here from about 40 minority rows, so it moves with the split.
# Cross-validate it (an integer ``cv``, at the cost of more fits), and
# compare it with the uncalibrated network, whose balanced weights already
# moved its threshold. The reliability diagram plots, for the test rows
# binned by predicted probability, the share of minority rows in each bin
# against the mean prediction: the better calibrated a model, the nearer
# its points lie to the diagonal.
fig, ax = plt.subplots(figsize=(5, 5))
for name in ("balanced (default)", "balanced + calibrated"):
    CalibrationDisplay.from_estimator(
        models[name], X_test, y_test, n_bins=5, strategy="quantile", name=name, ax=ax
    )
ax.set_title("Reliability on the held-out test set")
fig.tight_layout()
plt.show()
