"""
SMOTE and friends in pipelines, next to class weights and ensembles
===================================================================

The usual menu for imbalanced classification, each with a neural network from
skimb: synthetic over-sampling (SMOTE), random under-sampling, SMOTE followed
by cleaning (SMOTEENN, SMOTETomek), cost-sensitive learning (class weights),
bagging and boosting. Samplers go into an imbalanced-learn ``Pipeline``, so
they resample the training data only, and skimb computes its class weights on
the resampled labels. We compare minority-class F1, recall and precision on a
held-out stratified test set.
"""

from collections import Counter

from imblearn.combine import SMOTEENN, SMOTETomek
from imblearn.ensemble import BalancedBaggingClassifier, RUSBoostClassifier
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skimb import MLPClassifier
from skimb.metrics import imbalanced_scoring

SEED = 0

X, y = make_classification(
    n_samples=1000,
    n_features=10,
    n_informative=4,
    weights=[0.9, 0.1],
    class_sep=1.0,
    flip_y=0.01,
    random_state=3,
)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=SEED
)


def network(class_weight=None):
    """A small network; no class weights unless asked for."""
    return MLPClassifier(
        hidden_layer_sizes=(32,),
        max_iter=30,
        learning_rate_init=0.01,
        batch_size=32,
        class_weight=class_weight,
        random_state=SEED,
    )


# %%
# Each sampler after a scaler (SMOTE interpolates between nearest neighbours,
# so the features should share a scale) and before the network.
samplers = {
    "SMOTE": SMOTE(random_state=SEED),
    "random under-sampling": RandomUnderSampler(random_state=SEED),
    "SMOTEENN": SMOTEENN(random_state=SEED),
    "SMOTETomek": SMOTETomek(random_state=SEED),
}
X_scaled = StandardScaler().fit_transform(X_train)
print(f"{'training set':28s} {dict(Counter(y_train.tolist()))}")
for name, sampler in samplers.items():
    _, y_resampled = sampler.fit_resample(X_scaled, y_train)
    print(f"{'after ' + name:28s} {dict(Counter(y_resampled.tolist()))}")

models = {"no imbalance handling": make_pipeline(StandardScaler(), network())}
for name, sampler in samplers.items():
    models[name] = make_pipeline(StandardScaler(), sampler, network())

# %%
# Cost-sensitive learning: no resampling, the minority class weighs more in
# the loss. This is skimb's default, ``class_weight="balanced"``.
models["class weights"] = make_pipeline(StandardScaler(), network("balanced"))

# %%
# Bagging and boosting with under-sampling inside: five networks on balanced
# bootstrap samples, and three rounds of RUSBoost.
models["balanced bagging"] = make_pipeline(
    StandardScaler(),
    BalancedBaggingClassifier(network(), n_estimators=5, random_state=SEED),
)
models["RUSBoost"] = make_pipeline(
    StandardScaler(), RUSBoostClassifier(network(), n_estimators=3, random_state=SEED)
)

# %%
# Minority-class scores on the held-out test set, which no sampler touches.
scoring = imbalanced_scoring()
print(
    f"\n{'strategy (held-out test)':28s} {'F1':>6s} {'recall':>7s} {'precision':>10s}"
)
for name, model in models.items():
    model.fit(X_train, y_train)
    f1, recall, precision = (
        scoring[key](model, X_test, y_test) for key in ("f1", "recall", "precision")
    )
    print(f"{name:28s} {f1:6.3f} {recall:7.3f} {precision:10.3f}")

# %%
# Most strategies find more of the minority class than the unweighted network
# and pay for it in precision. Random under-sampling, which throws most of
# the majority class away, gains the most recall and loses the most
# precision; SMOTE's synthetic samples and the class weights keep more of it.
# The test set holds about 30 minority samples, so a difference of a few
# hundredths is one or two samples: cross-validate before choosing.
