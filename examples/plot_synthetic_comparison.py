"""
The classic synthetic benchmark: no resampling, random over-sampling, SMOTE
===========================================================================

Many imbalanced-learning tutorials start from the same synthetic problem:
``make_classification`` with 1,000 rows, 20 features of which 3 are
informative, and a 90:10 class ratio. We train a small network on it three
ways (no resampling and no class weights, random over-sampling, SMOTE) and
compare minority-class F1, recall and precision with stratified 5-fold
cross-validation. skimb's built-in table,
:func:`skimb.datasets.make_imbalanced_table`, is this same problem.
"""

from collections import Counter

from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import make_pipeline
from sklearn.datasets import make_classification
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.preprocessing import StandardScaler

from skimb import MLPClassifier
from skimb.metrics import imbalanced_scoring

SEED = 0

X, y = make_classification(
    n_samples=1000,
    n_features=20,
    n_informative=3,
    n_redundant=1,
    n_clusters_per_class=1,
    weights=[0.9, 0.1],
    class_sep=2,
    flip_y=0,
    random_state=42,
)
print(f"classes: {Counter(y.tolist())}")

# %%
# The network is the same in the three set-ups. ``class_weight=None`` turns
# off skimb's default balanced weights, so the first model sees the imbalance
# as it is; after a sampler the classes are even, and the network has no
# weights to apply either way.
network = MLPClassifier(
    hidden_layer_sizes=(16,),
    max_iter=15,
    learning_rate_init=0.01,
    batch_size=32,
    class_weight=None,
    random_state=SEED,
)
setups = {
    "no resampling": make_pipeline(StandardScaler(), network),
    "RandomOverSampler": make_pipeline(
        StandardScaler(), RandomOverSampler(random_state=SEED), network
    ),
    "SMOTE": make_pipeline(StandardScaler(), SMOTE(random_state=SEED), network),
}

# %%
# Five stratified folds; the samplers resample the training folds only.
cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
header = f"{'set-up (5-fold CV)':20s} {'F1':>6s} {'recall':>7s} {'precision':>10s}"
print(f"\n{header} {'balanced acc.':>14s}")
for name, model in setups.items():
    scores = cross_validate(model, X, y, cv=cv, scoring=imbalanced_scoring())
    f1, recall, precision, balanced = (
        scores[f"test_{key}"].mean()
        for key in ("f1", "recall", "precision", "balanced_accuracy")
    )
    print(f"{name:20s} {f1:6.3f} {recall:7.3f} {precision:10.3f} {balanced:14.3f}")

# %%
# The classes are well separated (``class_sep=2``, no label noise), so all
# three set-ups score an F1 between 0.979 and 0.995: with so clear a boundary,
# resampling has little to add, and the plain network already finds nearly
# every minority sample. On overlapping classes the set-ups part ways: see the other
# examples.
