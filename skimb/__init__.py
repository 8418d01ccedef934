"""skimb: Keras models as scikit-learn classifiers that handle class imbalance.

Importing skimb is cheap: the estimators, and with them Keras and TensorFlow,
load on first use of a name (PEP 562).
"""

# SPDX-License-Identifier: BSD-3-Clause

import importlib

__version__ = "0.1.0.dev0"

#: Public name -> module that defines it.
_PUBLIC_NAMES = {
    "ImageEmbedder": "skimb.embedding",
    "KerasClassifier": "skimb.base",
    "MLPClassifier": "skimb.mlp",
    "TransferClassifier": "skimb.transfer",
}

_SUBMODULES = (
    "base",
    "class_weight",
    "datasets",
    "embedding",
    "losses",
    "metrics",
    "mlp",
    "transfer",
)

# Names only, not the submodules: ``from skimb import *`` would import
# skimb.losses, which is written with Keras, and with it TensorFlow.
__all__ = sorted([*_PUBLIC_NAMES, "__version__"])


def __getattr__(name):
    if name in _PUBLIC_NAMES:
        return getattr(importlib.import_module(_PUBLIC_NAMES[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"skimb.{name}")
    raise AttributeError(f"module 'skimb' has no attribute {name!r}")


def __dir__():
    return sorted([*__all__, *_SUBMODULES])
