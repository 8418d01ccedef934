"""
The MobileNetV2 recipe for rare image classes
=============================================

The classic recipe for an imbalanced image task: a MobileNetV2 pretrained on
ImageNet without its top, frozen; global average pooling; ``Dense(64,
relu)``; a softmax; and class weights for the minority class. With skimb it
is one estimator: ``TransferClassifier("mobilenet_v2", weights="imagenet")``,
which brings MobileNetV2's preprocessing inside the model (pass raw 0..255
pixels) and weighs classes as ``"balanced"`` by default.

ImageNet weights are downloaded by Keras on first use. Without network
access (as on our CI machines) the example says so and falls back to
``weights=None``: the code path is the same, but random features cannot
recognise digits. In that case the head learns nothing from them and
predicts the majority class for every image (minority F1 and recall 0), as
skimb's warning says.
"""

import numpy as np
from sklearn.metrics import f1_score, recall_score
from sklearn.model_selection import train_test_split

from skimb import TransferClassifier
from skimb.datasets import make_imbalanced_images
from skimb.metrics import imbalance_report

# Digits as 96x96 RGB images (a size MobileNetV2's ImageNet weights exist
# for); the 8s are the rare class, 1 for 20 others.
X, y = make_imbalanced_images(minority_class=8, imbalance_ratio=20, size=96)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
print(f"{np.sum(y_train == 1)} rare images among {len(y_train)} for training")


def recipe(weights):
    return TransferClassifier(
        "mobilenet_v2",
        weights=weights,
        pooling="avg",
        hidden_units=(64,),
        class_weight="balanced",
        epochs=10,
        random_state=0,
    )


try:
    clf = recipe("imagenet").fit(X_train, y_train)
    used = "imagenet"
except ValueError as error:  # no network: Keras cannot download the weights
    print(f"ImageNet weights unavailable ({str(error)[:80]}...);")
    print("falling back to weights=None (random features, same code path).")
    clf = recipe(None).fit(X_train, y_train)
    used = "None"

predicted = clf.predict(X_test)
print(f"\nweights={used}")
print(f"minority F1     {f1_score(y_test, predicted, zero_division=0):.3f}")
print(f"minority recall {recall_score(y_test, predicted, zero_division=0):.3f}")
print(imbalance_report(y_test, predicted))
