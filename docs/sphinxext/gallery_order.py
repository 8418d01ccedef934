"""The order of the examples in the gallery (importable by name, so that
Sphinx can pickle the configuration)."""

# SPDX-License-Identifier: BSD-3-Clause

from pathlib import Path

#: The tabular recipes first, then images, then scaling out; examples not
#: listed follow, by file name.
ORDER = [
    "plot_synthetic_comparison.py",
    "plot_resampling_vs_class_weights.py",
    "plot_smote_pipelines.py",
    "plot_class_weights_and_ensembles.py",
    "plot_losses_and_thresholds.py",
    "plot_incremental_and_persistence.py",
    "plot_transfer_learning_digits.py",
    "plot_mobilenet_v2_recipe.py",
    "plot_image_folders.py",
    "plot_dask_search.py",
]


class ExampleOrder:
    """sphinx-gallery's ``within_subsection_order`` key for ``ORDER``."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = Path(filename).name
        position = ORDER.index(name) if name in ORDER else len(ORDER)
        return (position, name)

    def __repr__(self):
        return f"ExampleOrder({ORDER})"
