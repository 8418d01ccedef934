"""Imbalanced data sets: the built-in table, digits as images, image folders.

Everything here is generated or read locally; nothing is downloaded.
"""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import os
from numbers import Integral, Real
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits, make_classification
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from ._images import IMAGE_SUFFIXES, image_files, warn_left_out
from ._messages import warn_user

__all__ = ["load_image_folder", "make_imbalanced_images", "make_imbalanced_table"]


@validate_params(
    {
        "n_samples": [Interval(Integral, 2, None, closed="left")],
        # 3 informative columns and 1 redundant one
        "n_features": [Interval(Integral, 4, None, closed="left")],
        "weights": ["array-like", None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_imbalanced_table(
    n_samples: int = 1000,
    n_features: int = 20,
    weights: tuple = (0.9, 0.1),
    random_state: int | None = 42,
) -> tuple[np.ndarray, np.ndarray]:
    """The built-in imbalanced table: a 90:10 binary problem.

    The classic set-up of imbalanced-learning tutorials:
    ``make_classification(n_samples=1000, n_features=20, n_informative=3,
    n_redundant=1, n_clusters_per_class=1, weights=[0.9, 0.1], class_sep=2,
    flip_y=0, random_state=42)``. ``skimb compare`` runs on it by default.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of rows.
    n_features : int, default=20
        Number of columns (3 informative, 1 redundant, the rest noise).
    weights : tuple of float or None, default=(0.9, 0.1)
        Class proportions (None: equal classes, as in ``make_classification``).
    random_state : int or None, default=42
        Seed of the generator.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The features.
    y : ndarray of shape (n_samples,)
        The labels 0 and 1, in the proportions of ``weights`` (1 is the
        minority class with the default weights).

    Raises
    ------
    ValueError
        If a class would get no rows: ``make_classification`` rounds each
        class's share down, so the default weights need 10 samples or more.

    Examples
    --------
    >>> import numpy as np
    >>> from skimb.datasets import make_imbalanced_table
    >>> X, y = make_imbalanced_table()
    >>> X.shape, np.bincount(y).tolist()
    ((1000, 20), [900, 100])
    """
    if weights is not None:
        weights = np.asarray(weights, dtype=float)
        if (
            weights.ndim != 1
            or not 1 <= len(weights) <= 2
            or not np.isfinite(weights).all()
            or weights.min() < 0
        ):
            raise ValueError(
                "make_imbalanced_table's weights are the proportions of the two "
                f"classes, e.g. (0.9, 0.1), or None; got {weights.tolist()}."
            )
    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=3,
        n_redundant=1,
        n_clusters_per_class=1,
        weights=None if weights is None else weights.tolist(),
        class_sep=2,
        flip_y=0,
        random_state=random_state,
    )
    counts = np.bincount(y, minlength=2)
    if counts.min() == 0:  # make_classification rounds each class's rows down
        raise ValueError(
            f"make_imbalanced_table(n_samples={n_samples}) with weights "
            f"{None if weights is None else weights.tolist()} gives class "
            f"{int(np.argmin(counts))} no rows, and a classifier needs two "
            "classes. Use more samples or a larger weight for that class."
        )
    return X, y


@validate_params(
    {
        "minority_class": [Interval(Integral, 0, 9, closed="both")],
        "majority_classes": ["array-like", None],
        "imbalance_ratio": [Interval(Real, 1, None, closed="left")],
        "size": [Interval(Integral, 1, None, closed="left")],
        "rgb": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_imbalanced_images(
    minority_class: int = 0,
    majority_classes=None,
    *,
    imbalance_ratio: float = 20.0,
    size: int = 32,
    rgb: bool = True,
    random_state: int | None = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Small imbalanced image data from scikit-learn's handwritten digits.

    The 8x8 digits are resized (nearest neighbour) to ``size`` x ``size``
    pixels with values in 0..255 (what :class:`skimb.TransferClassifier`
    expects); the images of ``minority_class`` are subsampled to one per
    ``imbalance_ratio`` majority images. When the minority digit runs out
    (about 180 images, so below a ratio of about 9 with all other digits as
    majority), the majority images are subsampled instead.

    Parameters
    ----------
    minority_class : int, default=0
        The digit that becomes the rare class (label 1).
    majority_classes : sequence of int, default=None
        The digits of the common class (label 0); all others by default.
    imbalance_ratio : float, default=20.0
        Majority images per minority image.
    size : int, default=32
        Height and width of the images (nearest-neighbour resizing of the
        whole digit).
    rgb : bool, default=True
        Return 3 identical channels ``(n, size, size, 3)``; else grayscale
        ``(n, size, size)``.
    random_state : int or None, default=0
        Seeds the subsampling.

    Returns
    -------
    X : ndarray of shape (n, size, size, 3) or (n, size, size)
        float32 images with values in 0..255.
    y : ndarray of shape (n,)
        1 for the minority digit, 0 otherwise.

    Raises
    ------
    ValueError
        If ``imbalance_ratio`` is more than the number of majority images
        (about 180 per digit, 1,620 for all nine others): not one minority
        image would be left, and a classifier needs two classes.

    Examples
    --------
    >>> import numpy as np
    >>> from skimb.datasets import make_imbalanced_images
    >>> X, y = make_imbalanced_images(minority_class=8, imbalance_ratio=20)
    >>> X.shape[1:], int(round(np.sum(y == 0) / np.sum(y == 1)))
    ((32, 32, 3), 20)
    """
    digits = load_digits()
    if majority_classes is None:
        majority_classes = [c for c in range(10) if c != minority_class]
    if minority_class in set(majority_classes):
        raise ValueError(
            f"minority_class {minority_class} is also among majority_classes "
            f"{list(majority_classes)}. Give disjoint digits."
        )
    if len(majority_classes) == 0:
        raise ValueError(
            "majority_classes is empty. Give at least one digit for the common "
            "class, or None for all digits but minority_class."
        )
    if not set(majority_classes) <= set(range(10)):
        raise ValueError(
            f"majority_classes must be digits 0 to 9. Got {list(majority_classes)}."
        )
    rng = check_random_state(random_state)
    majority = np.flatnonzero(np.isin(digits.target, majority_classes))
    minority = np.flatnonzero(digits.target == minority_class)
    if len(majority) < imbalance_ratio:  # not one minority image at that ratio
        raise ValueError(
            f"imbalance_ratio={imbalance_ratio:g} asks for {imbalance_ratio:g} "
            f"majority images per minority image, but the majority digits "
            f"{sorted(majority_classes)} have {len(majority)} images, so not one "
            f"minority image fits. Use an imbalance_ratio of at most "
            f"{len(majority)} (one minority image), or more majority_classes."
        )
    n_minority = min(len(minority), int(len(majority) / imbalance_ratio))
    minority = rng.choice(minority, n_minority, replace=False)
    if int(len(majority) / imbalance_ratio) > len(minority):  # it ran out
        n_majority = round(n_minority * imbalance_ratio)
        majority = rng.choice(majority, n_majority, replace=False)
    keep = np.sort(np.concatenate([majority, minority]))
    pixels = np.arange(size) * 8 // size  # the source pixel of each pixel
    images = digits.images[keep][:, pixels][:, :, pixels]
    images = (images * (255.0 / 16.0)).astype(np.float32)
    X = np.repeat(images[..., None], 3, axis=-1) if rgb else images
    return X, (digits.target[keep] == minority_class).astype(int)


def load_image_folder(path) -> tuple[np.ndarray, np.ndarray]:
    """List the images of a folder with one subfolder per class.

    ``path/cat/001.png``, ``path/dog/xyz.jpg``, ... give the paths and the
    labels ``"cat"``, ``"dog"``. Images in folders inside a class folder
    (``path/cat/2024/002.png``) belong to that class, and symbolic links to
    folders are followed (a class folder may link to a folder elsewhere, but
    not to another class's folder); hidden files and folders
    (names starting with a dot) are left out, as are image files directly in
    ``path``, of no class (with a warning). Only the paths are returned: pass them to
    :class:`skimb.TransferClassifier` or :class:`skimb.ImageEmbedder`, which
    stream the files.

    Parameters
    ----------
    path : str or path-like
        The folder.

    Returns
    -------
    paths : ndarray of str
        The image files (PNG, JPEG, BMP, GIF, WebP), sorted by class then
        name. Other files are left out, with a warning.
    labels : ndarray of str
        The subfolder name of each file.

    Raises
    ------
    ValueError
        If the folder does not exist, has fewer than two class subfolders
        with images, or two class folders read the same folder (one is a
        symbolic link to the other, or to a folder inside it), which would
        give its images two labels.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from skimb.datasets import load_image_folder
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("cat/a.png", "cat/b.png", "dog/c.jpg"):
    ...     (root / name).parent.mkdir(exist_ok=True)
    ...     _ = (root / name).write_bytes(b"")
    >>> paths, labels = load_image_folder(root)
    >>> labels.tolist()
    ['cat', 'cat', 'dog']
    """
    root = Path(os.fspath(path))
    if not root.is_dir():
        raise ValueError(f"Image folder not found: {str(root)!r}.")
    paths, labels, others, loose = [], [], [], []
    read_by = {}  # real folder -> the class folder that read it
    for folder in sorted(root.iterdir()):
        if folder.name.startswith("."):
            continue
        if folder.is_dir():
            real_folders = set()
            files = image_files(folder, others=others, real_folders=real_folders)
            _check_not_shared(folder.name, real_folders, read_by)
            paths += files
            labels += [folder.name] * len(files)
        elif folder.suffix.lower() in IMAGE_SUFFIXES and folder.is_file():
            loose.append(folder.name)
    warn_left_out(others, root)
    if loose:  # in no class subfolder, so of no class
        warn_user(
            f"Left out {len(loose)} image file(s) directly in {str(root)!r} "
            f"({', '.join(loose[:3])}{', ...' if len(loose) > 3 else ''}): "
            "an image's class is the name of the subfolder it is in. Move "
            "them into their class's subfolder to use them."
        )
    if len(set(labels)) < 2:
        raise ValueError(
            f"The folder {str(root)!r} has images in {len(set(labels))} class "
            "subfolder(s); it needs one subfolder per class, at least two, "
            f"each with image files ({', '.join(IMAGE_SUFFIXES)})."
        )
    return np.array(paths, dtype=str), np.array(labels, dtype=str)


def _check_not_shared(name, real_folders, read_by) -> None:
    """Raise if the class folder ``name`` reads a folder that another class
    folder read (a symbolic link to a sibling class, or into one): its
    images would be listed twice, under two labels."""
    for real in sorted(real_folders):
        other = read_by.setdefault(real, name)
        if other != name:
            raise ValueError(
                f"The class folders {other!r} and {name!r} both hold the images "
                f"of {real!r} (through a symbolic link), so each of them would "
                "be listed twice, under both labels. An image has one class: "
                "remove the link, or replace it with a folder of that class's "
                "own images."
            )
