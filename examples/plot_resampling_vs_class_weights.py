"""
Random over- and under-sampling versus class weights
====================================================

Three standard answers to a rare class: copy its samples (random
over-sampling), drop samples of the common class (random under-sampling), or
keep the data and give the rare class a larger weight in the loss (class
weights, skimb's default). We count the classes with ``collections.Counter``
before and after resampling, then compare minority-class F1, recall and
precision with stratified 3-fold cross-validation.
"""

from collections import Counter

from imblearn.over_sampling import RandomOverSampler
from imblearn.pipeline import make_pipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.datasets import make_classification
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.preprocessing import StandardScaler

from skimb import MLPClassifier
from skimb.metrics import imbalanced_scoring

SEED = 0

# %%
# An imbalanced problem: 1 sample in 10 belongs to the minority class 1, and
# the classes overlap.
X, y = make_classification(
    n_samples=1000,
    n_features=10,
    n_informative=4,
    weights=[0.9, 0.1],
    class_sep=1.0,
    flip_y=0.01,
    random_state=1,
)
print(f"original:              {Counter(y.tolist())}")

# %%
# Random over-sampling repeats minority rows until the classes are even;
# random under-sampling keeps as many majority rows as there are minority
# rows. Both happen at fit time only: in a pipeline, prediction and scoring
# see the original test rows.
_, y_over = RandomOverSampler(random_state=SEED).fit_resample(X, y)
_, y_under = RandomUnderSampler(random_state=SEED).fit_resample(X, y)
print(f"random over-sampling:  {Counter(y_over.tolist())}")
print(f"random under-sampling: {Counter(y_under.tolist())}")


# %%
# The same small network each time. skimb computes class weights on the ``y``
# that reaches the network: after a sampler the classes are even, so its
# default ``class_weight="balanced"`` is all ones there, and the sampler alone
# does the balancing.
def network(class_weight):
    return MLPClassifier(
        hidden_layer_sizes=(32,),
        max_iter=30,
        learning_rate_init=0.01,
        batch_size=32,
        class_weight=class_weight,
        random_state=SEED,
    )


strategies = {
    "no imbalance handling": make_pipeline(StandardScaler(), network(None)),
    "random over-sampling": make_pipeline(
        StandardScaler(), RandomOverSampler(random_state=SEED), network(None)
    ),
    "random under-sampling": make_pipeline(
        StandardScaler(), RandomUnderSampler(random_state=SEED), network(None)
    ),
    "class weights (balanced)": make_pipeline(StandardScaler(), network("balanced")),
}

# %%
# Minority-class scores, averaged over three stratified folds.
cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=SEED)
print(f"\n{'strategy (3-fold CV)':28s} {'F1':>6s} {'recall':>7s} {'precision':>10s}")
for name, model in strategies.items():
    scores = cross_validate(model, X, y, cv=cv, scoring=imbalanced_scoring())
    f1, recall, precision = (
        scores[f"test_{key}"].mean() for key in ("f1", "recall", "precision")
    )
    print(f"{name:28s} {f1:6.3f} {recall:7.3f} {precision:10.3f}")

# %%
# Class weights and under-sampling find more minority samples than the network
# without any handling, at some cost in precision; random over-sampling, which
# repeats the same few minority rows, does not here. Whether F1 improves
# depends on the data: on this one the unweighted network keeps the best F1,
# thanks to its precision. Under-sampling
# trains on the fewest rows: it is the fastest, and here it gains the most
# recall and loses the most precision. To choose the trade-off itself, tune the
# decision threshold with
# :class:`~sklearn.model_selection.TunedThresholdClassifierCV`.
