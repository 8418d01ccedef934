"""Tests of skimb.datasets."""

import os

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_classification

from skimb.datasets import (
    load_image_folder,
    make_imbalanced_images,
    make_imbalanced_table,
)


def test_builtin_table_is_the_classic_setup():
    """The built-in table is make_classification's classic 90:10 problem."""
    X, y = make_imbalanced_table()
    X_ref, y_ref = make_classification(
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
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)


def test_builtin_table_arguments():
    """weights=None is make_classification's equal classes (it was a raw
    TypeError); bad arguments name this function, not make_classification."""
    _, y = make_imbalanced_table(weights=None)
    assert np.bincount(y).tolist() == [500, 500]
    _, y = make_imbalanced_table(weights=(0.1, 0.9))
    assert np.bincount(y).tolist() == [100, 900]
    with pytest.raises(ValueError, match="'n_features' parameter of make_imbalanced"):
        make_imbalanced_table(n_features=3)
    with pytest.raises(ValueError, match="'weights' parameter of make_imbalanced"):
        make_imbalanced_table(weights="balanced")
    for weights in [(-0.1, 1.1), (0.5, 0.3, 0.2)]:  # 900:100, or sklearn's error
        with pytest.raises(ValueError, match="weights are the proportions of the"):
            make_imbalanced_table(weights=weights)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_samples": 5},  # 0.1 * 5 rounds down to no minority row
        {"n_samples": 9},
        {"weights": (0.0, 1.0)},
        {"weights": (float("nan"), 0.1)},
    ],
)
def test_table_refuses_a_class_without_rows(kwargs):
    """A table with one class is refused with a message, not returned."""
    with pytest.raises(ValueError, match="no rows|weights are the proportions"):
        make_imbalanced_table(**kwargs)
    _, y = make_imbalanced_table(n_samples=10)
    assert np.bincount(y).tolist() == [9, 1]


@pytest.mark.parametrize("ratio", [5, 20])
def test_imbalanced_images(ratio):
    """Digits images: requested ratio, size, 0..255 pixels, grayscale option."""
    X, y = make_imbalanced_images(
        minority_class=3, majority_classes=[1, 2], imbalance_ratio=ratio, size=24
    )
    assert X.shape[1:] == (24, 24, 3)
    assert X.min() >= 0 and X.max() <= 255 and X.max() > 200
    n_major, n_minor = np.bincount(y)
    assert n_minor == int(n_major / ratio)
    gray, _ = make_imbalanced_images(rgb=False, size=16)
    assert gray.ndim == 3 and gray.shape[1:] == (16, 16)


@pytest.mark.parametrize("ratio", [1, 2, 5, 9])
def test_imbalanced_images_ratio_below_the_digits_own(ratio):
    """About 180 images of a digit against 1,620 of the others: below a
    ratio of 9.3 the majority is subsampled (every ratio gave 1623:174)."""
    _, y = make_imbalanced_images(minority_class=0, imbalance_ratio=ratio)
    n_major, n_minor = np.bincount(y)
    assert n_minor == np.sum(load_digits().target == 0)
    assert n_major == round(n_minor * ratio)


def test_imbalanced_images_largest_ratio():
    """A ratio equal to the majority's size is one minority image; one more
    is the ValueError of test_imbalanced_images_errors."""
    _, y = make_imbalanced_images(majority_classes=[1], imbalance_ratio=182)
    assert np.bincount(y).tolist() == [182, 1]


@pytest.mark.parametrize("size", [4, 12, 20])
def test_imbalanced_images_resize_the_whole_digit(size):
    """Sizes that are not multiples of 8 keep the whole digit, pixel (i, j)
    from the digit's pixel (8i // size, 8j // size); they kept its top-left
    corner (a 12-pixel image showed 6 of its 8 rows)."""
    X, y = make_imbalanced_images(size=size, rgb=False)
    X8, y8 = make_imbalanced_images(size=8, rgb=False)
    np.testing.assert_array_equal(y, y8)
    source = np.arange(size) * 8 // size
    np.testing.assert_array_equal(X, X8[:, source][:, :, source])
    if size > 8:  # upscaled: the digit's last row and column are there
        np.testing.assert_array_equal(X[:, -1, -1], X8[:, -1, -1])


@pytest.mark.parametrize(
    "params, message",
    [
        ({"minority_class": 1, "majority_classes": [1, 2]}, "also among majority"),
        ({"imbalance_ratio": 0.5}, r"'imbalance_ratio' parameter .* \[1.0, inf\)"),
        # The next ones gave numpy's errors, or images of 3x3 and 0x0 pixels.
        ({"imbalance_ratio": float("nan")}, "'imbalance_ratio' parameter"),
        ({"minority_class": 10}, "'minority_class' parameter .* range \\[0, 9\\]"),
        ({"majority_classes": [1, 12]}, "majority_classes must be digits 0 to 9"),
        ({"size": -5}, "'size' parameter"),
        ({"size": 0}, "'size' parameter"),
        # It returned one image of the minority digit.
        ({"majority_classes": []}, "majority_classes is empty"),
        # Past the majority's size, it returned one minority image whatever
        # the ratio (1:1619 for a ratio of a million).
        ({"imbalance_ratio": 1e6}, r"majority digits \[1, .*\] have 1619 images"),
        (
            {"majority_classes": [1], "imbalance_ratio": 183},
            "at most 182 .one minority image., or more majority_classes",
        ),
    ],
)
def test_imbalanced_images_errors(params, message):
    """Bad digits, ratios or sizes are clear ValueErrors."""
    with pytest.raises(ValueError, match=message):
        make_imbalanced_images(**params)


def test_load_image_folder(tmp_path):
    """Class subfolders give paths and labels; other files are left out, with
    a warning that counts them by suffix (they were dropped silently, so a
    folder of TIFF scans looked like a folder without images)."""
    names = ["ok/a.png", "ok/b.JPG", "ok/c.webp", "defect/d.png", "defect/e.tif"]
    for name in names + ["defect/f.tif", "defect/notes.txt"]:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    with pytest.warns(UserWarning, match=r"Left out 3 file\(s\)") as caught:
        paths, labels = load_image_folder(tmp_path)
    assert "(.tif: 2, .txt: 1)" in str(caught[0].message)
    assert caught[0].filename == __file__
    assert labels.tolist() == ["defect", "ok", "ok", "ok"]
    assert [p.rsplit("/", 1)[1] for p in paths] == ["d.png", "a.png", "b.JPG", "c.webp"]


def test_load_image_folder_reads_nested_and_skips_hidden(tmp_path):
    """Images in folders inside a class folder belong to it; hidden files and
    folders (a notebook's checkpoints) are not classes or images. Nested
    images used to be dropped, and .ipynb_checkpoints became a class."""
    for name in (
        "ok/a.png",
        "ok/2024/b.png",
        "ok/.thumbs/c.png",
        "ok/.d.png",
        "defect/e.png",
        ".ipynb_checkpoints/f.png",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    paths, labels = load_image_folder(tmp_path)
    assert labels.tolist() == ["defect", "ok", "ok"]
    assert [p[len(str(tmp_path)) + 1 :] for p in paths] == [
        "defect/e.png",
        "ok/2024/b.png",
        "ok/a.png",
    ]


def test_load_image_folder_warns_of_images_outside_class_folders(tmp_path):
    """Images directly in the folder are of no class: left out with a
    warning naming them (they were dropped silently); other files there
    (a README, a labels file) and hidden ones are not mentioned."""
    for name in ("ok/a.png", "defect/b.png", "c.PNG", "d.jpg", "README.md", ".e.png"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    with pytest.warns(UserWarning, match=r"Left out 2 image file\(s\) directly") as w:
        paths, labels = load_image_folder(tmp_path)
    assert len(w) == 1 and "(c.PNG, d.jpg)" in str(w[0].message)
    assert w[0].filename == __file__
    assert labels.tolist() == ["defect", "ok"]


def test_load_image_folder_errors(tmp_path):
    """A missing folder or fewer than two classes is a clear ValueError."""
    with pytest.raises(ValueError, match="Image folder not found"):
        load_image_folder(tmp_path / "nope")
    (tmp_path / "only").mkdir()
    (tmp_path / "only" / "a.png").write_bytes(b"x")
    with pytest.raises(ValueError, match="needs one subfolder per class, at least two"):
        load_image_folder(tmp_path)


def _symlink_or_skip(target, link):
    try:
        os.symlink(target, link, target_is_directory=True)
    except (OSError, NotImplementedError) as exc:  # Windows without the right
        pytest.skip(f"cannot create symbolic links here: {exc}")


def test_load_image_folder_refuses_class_folders_sharing_images(tmp_path):
    """A class folder that is a link to a sibling class folder (or to a
    folder inside one) is a ValueError naming both: their images were listed
    twice, under two labels."""
    for name in ("cat/a.png", "cat/kittens/b.png", "dog/c.png"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    _symlink_or_skip(tmp_path / "cat", tmp_path / "kitty")
    with pytest.raises(ValueError, match="'cat' and 'kitty' both hold the images"):
        load_image_folder(tmp_path)
    os.remove(tmp_path / "kitty")
    # A link inside a class folder, into another class's subfolder.
    _symlink_or_skip(tmp_path / "cat" / "kittens", tmp_path / "dog" / "puppies")
    with pytest.raises(ValueError, match=r"'cat' and 'dog' .*kittens"):
        load_image_folder(tmp_path)


def test_load_image_folder_follows_a_class_folder_linked_elsewhere(tmp_path):
    """A class folder that links to a distinct folder outside the root is
    read as that class."""
    root, elsewhere = tmp_path / "root", tmp_path / "elsewhere"
    for name in ("root/cat/a.png", "elsewhere/b.png", "elsewhere/c.png"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    _symlink_or_skip(elsewhere, root / "dog")
    paths, labels = load_image_folder(root)
    assert labels.tolist() == ["cat", "dog", "dog"]
    assert [os.path.basename(p) for p in paths] == ["a.png", "b.png", "c.png"]
