"""The check of class labels that the estimators, the class-weight functions
and ``compare_strategies`` share."""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import numpy as np


def check_label_values(labels, name: str = "y") -> None:
    """Raise a ValueError for missing labels or labels that cannot be sorted.

    A missing label (None, NaN or pandas.NA in an object array) or string
    labels mixed with labels of another type failed with Python's TypeError
    ("'<' not supported between instances of 'NoneType' and 'str", "boolean
    value of NA is ambiguous") when the classes were sorted, or with
    scikit-learn's "Unknown label type". Only object arrays are looked at: a
    float array with NaN is left to scikit-learn's "Input y contains NaN".
    """
    values = np.asarray(labels)
    if values.dtype != object:
        return
    import pandas as pd

    values = values.ravel()
    missing = np.flatnonzero(pd.isna(values))
    where = "row" if name == "y" else "place"
    if missing.size:
        raise ValueError(
            f"{name} has missing labels (None, NaN or pandas.NA) in "
            f"{missing.size} {where}{'s' if missing.size > 1 else ''} (first: "
            f"{missing[:5].tolist()}). A classifier needs a label for every "
            "row: drop those rows of X and y, or fill them in."
        )
    is_str = np.fromiter((isinstance(v, str) for v in values), bool, len(values))
    if is_str.any() and not is_str.all():
        other = values[~is_str][0]
        raise ValueError(
            f"{name} mixes string labels with {type(other).__name__} labels "
            f"({other!r}): the classes must be of one type to be sorted. "
            f"Convert them, e.g. {name}.astype(str)."
        )
    try:
        np.unique(values)
    except TypeError:
        kinds = sorted({type(v).__name__ for v in values.tolist()})
        raise ValueError(
            f"{name} mixes labels of types {', '.join(kinds)}, which cannot be "
            "compared to be sorted. Give labels of one type."
        ) from None
