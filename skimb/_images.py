"""Image inputs for TransferClassifier and ImageEmbedder (private).

Images come as arrays ``(n, h, w, c)``, grayscale ``(n, h, w)``, flattened
``(n, h*w*c)`` with an ``input_shape``, or as a sequence of file paths. Arrays
are checked here with scikit-learn's ``check_array``; paths are streamed with
``tf.data`` and never loaded all at once.
"""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import os
from collections import Counter
from numbers import Integral

import numpy as np
from sklearn.utils.validation import check_array, validate_data

from ._messages import reason, warn_user

#: Image file types that ``tf.io.decode_image`` reads (WebP in recent
#: TensorFlow releases: 2.21 does; an older one refuses each file clearly).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")


def image_files(
    folder, *, others: list | None = None, real_folders: set | None = None
) -> list[str]:
    """Every image file under ``folder``, in subfolders too, sorted.

    Hidden files and folders (``.ipynb_checkpoints``, ``.git``, ...) are
    left out, as tools that read image folders do. Symbolic links to
    folders are followed, each real folder read once (no loops). The other
    files that are not hidden (a ``.tif``, a ``.txt``) are appended to
    ``others`` if it is given; the real paths of the folders read are added
    to ``real_folders`` if it is given.
    """
    top = os.path.realpath(folder)
    files, seen = [], set()
    for parent, folders, names in os.walk(os.fspath(folder), followlinks=True):
        real = os.path.realpath(parent)
        # A folder read already, or a link back up to the top or above it.
        if real in seen or (seen and os.path.commonpath([real, top]) == real):
            folders[:] = []
            continue
        seen.add(real)
        if real_folders is not None:
            real_folders.add(real)
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in names:
            path = os.path.join(parent, name)
            if name.startswith(".") or not os.path.isfile(path):
                continue
            if os.path.splitext(name)[1].lower() in IMAGE_SUFFIXES:
                files.append(path)
            elif others is not None:
                others.append(path)
    return sorted(files)


def warn_left_out(others, folder) -> None:
    """Warn that ``image_files`` left out the files ``others`` under ``folder``."""
    if not others:
        return
    suffixes = Counter(
        os.path.splitext(path)[1].lower() or "no suffix" for path in others
    )
    kinds = ", ".join(f"{suffix}: {count}" for suffix, count in suffixes.most_common())
    warn_user(
        f"Left out {len(others)} file(s) under {os.fspath(folder)!r} that are "
        f"not image files skimb reads ({kinds}). It reads "
        f"{', '.join(IMAGE_SUFFIXES)}; convert other images (TIFF, HEIC, ...) "
        "to PNG to use them."
    )


def set_input_tags(tags) -> None:
    """The input tags of the image estimators: images as arrays (flattened
    rows are 2-D, grayscale images 3-D; scikit-learn has no tag for 4-D),
    and file paths, which are strings, in one dimension (a list, a Series)
    or in a one-column table."""
    tags.input_tags.one_d_array = True
    tags.input_tags.two_d_array = True
    tags.input_tags.three_d_array = True
    tags.input_tags.string = True


def is_path_input(X) -> bool:
    """True if X is a sequence of file paths rather than pixels.

    Paths are str or ``os.PathLike`` items of a list, a tuple, a 1-D array or
    a pandas Series, or of the one column of a DataFrame or ``(n, 1)`` array,
    such as ``df[["path"]]``.
    """
    if isinstance(X, (str, os.PathLike)):
        return False
    if isinstance(X, (list, tuple)):
        return len(X) > 0 and _all_paths(X)
    column = _one_column(X)
    return column is not None and column.dtype.kind in "OUS" and _all_paths(column)


def _all_paths(items) -> bool:
    return all(isinstance(item, (str, os.PathLike)) for item in items)


def _one_column(X) -> np.ndarray | None:
    """The values of a 1-D or one-column X as a 1-D array, else None.

    Only the shape is looked at before converting, so wide pixel tables are
    never copied here.
    """
    shape = getattr(X, "shape", None)
    if shape is None or len(shape) not in (1, 2) or tuple(shape[1:]) not in ((), (1,)):
        return None
    return np.asarray(X).reshape(-1)


def check_paths(X) -> np.ndarray:
    """Check that every path is an existing, readable file; return them as str."""
    if not isinstance(X, (list, tuple)):
        X = _one_column(X)  # a Series or one-column DataFrame: its values
    paths = np.array([os.fspath(p) for p in X], dtype=str)
    if paths.size == 0:
        raise ValueError(_EMPTY)
    missing = [str(p) for p in paths if not os.path.isfile(p)]
    folders = [p for p in missing if os.path.isdir(p)]
    if folders:
        raise ValueError(
            f"{folders[0]!r} is a folder, not an image file. For a folder with "
            "one subfolder of images per class, skimb.datasets.load_image_folder"
            "(folder) returns the paths and labels."
        )
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise ValueError(
            f"Image file not found: {missing[0]!r}{more}. Pass paths of "
            "existing image files (PNG, JPEG, BMP, GIF or WebP)."
        )
    unreadable = [str(p) for p in paths if not os.access(p, os.R_OK)]
    if unreadable:
        raise ValueError(
            f"Image file not readable: {unreadable[0]!r}: permission denied. "
            "Make the files readable, or leave them out."
        )
    return paths


def check_image_array(
    X, *, input_shape=None, backbone=None, estimator=None, reset=False
) -> np.ndarray:
    """Validate pixels and return a float32 array ``(n, h, w, c)``.

    A 2-D X is read as flattened images and needs ``input_shape``; a 3-D X is
    grayscale. Channels must be 1 or 3. Pixels all within 0..1 warn when
    ``backbone`` is a registered name (see :func:`warn_if_unit_range`).
    With ``estimator``, its ``feature_names_in_`` and ``n_features_in_``
    are recorded (``reset``) or checked (see :func:`check_table_columns`).
    """
    _check_not_one_path(X)
    X = given = _as_array(X)
    try:
        X = check_array(
            X,
            allow_nd=True,
            dtype=np.float32,
            ensure_all_finite=True,
            ensure_min_features=1,
        )
    except (TypeError, ValueError) as exc:
        _raise_if_text(X, exc)
        _raise_if_one_dimensional(X, exc)
        raise
    if estimator is not None:
        check_table_columns(estimator, given if X.ndim == 2 else None, reset=reset)
    if X.ndim == 2:
        X = _unflatten(X, input_shape)
    elif X.ndim == 3 and X.shape[-1] in (1, 2, 3, 4):
        # (n, h, 1..4) are grayscale images 1 to 4 pixels wide only in
        # theory: it is one image without its batch axis; with 2 or 4
        # channels, one with an alpha channel, as np.asarray(PIL.Image.open(
        # ...)) gives for a PNG with transparency.
        raise ValueError(_one_image_message(X.shape))
    elif X.ndim == 3:
        X = X[..., np.newaxis]
    if X.ndim != 4 or X.shape[-1] not in (1, 3):
        raise ValueError(
            f"Images must have shape (n, height, width, channels) with 1 or 3 "
            f"channels, (n, height, width) for grayscale, or (n, h*w*c) with "
            f"input_shape. Got an array of shape {X.shape} instead."
        )
    if 0 in X.shape[1:3]:
        raise ValueError(
            f"X has shape {X.shape}: images of height or width 0 have no "
            "pixels. Pass images at least one pixel high and wide."
        )
    warn_if_unit_range(X, backbone)
    return X


def check_table_columns(estimator, table, *, reset: bool, kind="pixels") -> None:
    """scikit-learn's ``feature_names_in_`` and ``n_features_in_`` for images
    given as a table: of pixels, one flattened image per row (``kind``
    "pixels"), or of file paths in one column (``kind`` "paths", see
    :func:`check_path_columns`).

    ``table`` is X as given (a DataFrame keeps its column names), or None
    for images in a layout without columns (an array of images, a list of
    paths): a fit then forgets those of an earlier fit, and prediction
    checks nothing. A table goes through scikit-learn's ``validate_data``,
    as KerasClassifier's X does: fit records its columns and its kind, and
    predict or transform checks a table of the same kind against them,
    refusing a DataFrame whose names differ from them or come in another
    order (its pixels would be read in another order) or a table of
    another width, and warning for a table without names after a fit on
    one with names, or the reverse. A table of the other kind is images in
    another layout, and is not checked.
    """
    if reset:
        for name in ("feature_names_in_", "n_features_in_", "_table_kind"):
            vars(estimator).pop(name, None)
        if table is not None:
            validate_data(estimator, table, reset=True, skip_check_array=True)
            estimator._table_kind = kind
    elif table is not None and _fitted_table_kind(estimator) == kind:
        validate_data(estimator, table, reset=False, skip_check_array=True)


def _fitted_table_kind(estimator) -> str | None:
    """The kind of table the estimator was fitted on, or None; an estimator
    pickled before paths had columns was fitted on pixels if on a table."""
    default = "pixels" if hasattr(estimator, "n_features_in_") else None
    return getattr(estimator, "_table_kind", default)


def check_path_columns(estimator, X, *, reset: bool) -> None:
    """``feature_names_in_`` and ``n_features_in_`` for file paths.

    Paths in a table of one column (a DataFrame such as ``df[["path"]]``,
    or an ``(n, 1)`` array) are a table, as scikit-learn sees it: fit
    records the column (its name, if a string), and after such a fit
    predict or transform checks any paths against it as ``validate_data``
    does: a DataFrame whose column has another name is refused (it may be
    another column of file paths, such as masks), and paths without a
    column name (a list, a Series) warn. Paths in a list, a 1-D array or a
    Series have no columns: a fit on them records none.
    """
    table = X if len(getattr(X, "shape", ())) == 2 else None
    if table is None and not reset:
        # The paths as a column without a name, for the checks alone.
        table = np.empty((len(X), 1), dtype=object)
    check_table_columns(estimator, table, reset=reset, kind="paths")


_PATHS_HELP = (
    "Pass images as an array, or their file paths as one sequence of str: a "
    "list, a 1-D array, a pandas Series or a one-column DataFrame such as "
    "df[['path']]."
)


_EMPTY = "X is empty. Pass at least one image or file path."


def _check_not_one_path(X) -> None:
    """A lone path or an empty sequence is not a set of images."""
    if isinstance(X, (str, bytes, os.PathLike)):
        raise ValueError(
            f"X is a single path, {_shown(X)!r}. {_PATHS_HELP} For a folder with one "
            "subfolder of images per class, skimb.datasets.load_image_folder"
            "(folder) returns the paths and labels."
        )
    if isinstance(X, (list, tuple)) and not X:
        raise ValueError(_EMPTY)


def _one_image_message(shape) -> str:
    """Why X of ``shape`` (n, h, 1 to 4) is refused: it is one image
    (h, w, c), with an alpha channel if c is 2 or 4, without its batch axis."""
    if shape[-1] in (1, 3):
        return (
            f"X has shape {shape}: one image (height, width, channels) "
            "without the batch axis, or grayscale images 1 or 3 pixels wide? "
            "For one image pass X[np.newaxis] (shape (1, height, width, "
            "channels)); grayscale images are (n, height, width) or (n, "
            "height, width, 1)."
        )
    return (
        f"X has shape {shape}: one image with an alpha channel (RGBA or "
        "grayscale + alpha) without the batch axis, or grayscale images 2 "
        "or 4 pixels wide? Images take 1 or 3 channels: drop the alpha "
        "channel (image[..., :3], or image.convert('RGB') in PIL) and pass "
        "one image as image[np.newaxis]; grayscale images are (n, height, "
        "width, 1)."
    )


def _raise_if_text(X, error: Exception) -> None:
    """Explain a failed conversion of text (paths in the wrong form) to pixels."""
    try:
        array = np.asarray(X, dtype=object)
    except (TypeError, ValueError):
        return
    items = array.ravel()
    is_text = [isinstance(item, (str, bytes, os.PathLike)) for item in items]
    if not any(is_text):
        return
    one_column = array.shape[1:] in ((), (1,))
    if one_column and not all(is_text):
        other = items[is_text.index(False)]
        shown = (
            f"an array of shape {np.shape(other)}"
            if np.ndim(other)
            else f"{other!r} ({type(other).__name__})"
        )
        raise ValueError(
            f"X mixes file paths with other values: item {is_text.index(False)} "
            f"is {shown}, not a path. "
            "Every item must be a path; an empty cell of a table column "
            "reads as NaN: drop those rows first (df.dropna(subset=[...]))."
        ) from error
    first = items[is_text.index(True)]
    decode = " Decode bytes paths to str." if isinstance(first, bytes) else ""
    raise ValueError(
        f"X holds text such as {_shown(first)!r} where pixels were expected "
        f"(shape {array.shape}). {_PATHS_HELP}{decode}"
    ) from error


def _raise_if_one_dimensional(X, error: Exception) -> None:
    """Explain numbers in one dimension (or a lone number), which are
    neither images nor file paths: such as a numeric column that a
    ColumnTransformer selected instead of the column of paths, or image ids.
    scikit-learn's message asked to reshape them to one feature, which
    would be flattened images of one pixel."""
    try:
        shape = np.shape(X)
    except (TypeError, ValueError):
        return
    if len(shape) > 1:
        return
    items = np.ravel(np.asarray(X, dtype=object))
    if shape and not items.size:
        raise ValueError(_EMPTY) from error
    first = f"{items[0]!r} ({type(items[0]).__name__})" if items.size else ""
    given = (
        f"X is a single value, {first},"
        if not shape
        else f"X has shape {shape}: one value per sample"
        + (f" such as {first}" if first else "")
        + ","
    )
    raise ValueError(
        f"{given} which is neither an image nor a file path. {_PATHS_HELP} "
        "In a ColumnTransformer, "
        "select the column of file paths for the image estimator, e.g. "
        "('img', ImageEmbedder(), 'path')."
    ) from error


def _shown(path):
    """A path as its user wrote it (numpy's str type prints as np.str_)."""
    return path if isinstance(path, bytes) else str(path)


def warn_if_unit_range(X: np.ndarray, backbone) -> None:
    """Warn when pixels look scaled to 0..1 for a backbone that takes 0..255.

    The registered backbones bring their own preprocessing, which expects raw
    pixels; images divided by 255 reach the network as nearly black.
    """
    if not isinstance(backbone, str) or X.size == 0:
        return
    largest = float(X.max())
    if 0 < largest <= 1 and float(X.min()) >= 0:
        warn_user(
            f"All pixel values are within 0..1, but backbone {backbone!r} "
            "takes raw 0..255 pixels (it applies its own preprocessing). If "
            "the images were scaled to 0..1, multiply them by 255.",
        )


def _as_array(X):
    """Turn a list of images into one array; mixed shapes are an error.

    A pandas Series or a 1-D object array of images counts as a list.
    """
    _check_container(X)
    if (
        getattr(X, "ndim", None) == 1
        and getattr(getattr(X, "dtype", None), "kind", None) == "O"
    ):
        X = list(X)  # numpy would not stack its items
    # Arrays, tensors, and PIL images (which numpy reads through their
    # __array_interface__; of mixed sizes numpy said "inhomogeneous shape").
    if isinstance(X, (list, tuple)) and X and _is_image(X[0]):
        if any(isinstance(item, (str, bytes, os.PathLike)) for item in X):
            return X  # paths among images: check_image_array says so
        shapes = {tuple(np.shape(image)) for image in X}
        if len(shapes) > 1:
            raise ValueError(
                f"The images have mixed shapes {sorted(shapes)[:3]}; an array "
                "input needs images of one size. Resize them first, or pass "
                "file paths, which are resized to input_shape."
            )
    return X


def _is_image(item) -> bool:
    """Whether ``item`` is one image numpy can read: an array, a tensor or a
    PIL image, not a nested list."""
    return hasattr(item, "shape") or hasattr(item, "__array_interface__")


def _check_container(X) -> None:
    """Refuse containers that hold images but are not sequences of them."""
    if type(X).__module__.startswith("tensorflow") and hasattr(X, "element_spec"):
        raise TypeError(
            "X is a tf.data.Dataset; skimb takes images as an array or as file "
            "paths, and streams paths with tf.data itself. Pass the arrays "
            "(np.stack of the images) or the file paths, with y beside them."
        )
    if isinstance(X, (dict, set, frozenset)) or (
        hasattr(X, "__next__") and not hasattr(X, "__len__")
    ):
        raise TypeError(
            f"X is a {type(X).__name__}; images must be an array (n, height, "
            "width, channels) or a list of images or file paths. Turn it into "
            "a list first."
        )


def fitted_input_shape(estimator, *, reset: bool):
    """The ``input_shape`` that flattened images are unflattened with: the
    estimator's at fit (recorded when ``reset``), not a later
    ``set_params``, which takes effect at the next fit. An estimator
    pickled before this was recorded gives its parameter."""
    if reset:
        estimator._fit_input_shape = estimator.input_shape
    return getattr(estimator, "_fit_input_shape", estimator.input_shape)


def checked_input_shape(input_shape) -> tuple:
    """``(height, width)`` or ``(height, width, channels)`` of positive ints,
    with 1 or 3 channels."""
    shape = tuple(input_shape)
    valid = (
        len(shape) in (2, 3)
        and all(isinstance(n, Integral) and n > 0 for n in shape)
        and (len(shape) == 2 or shape[2] in (1, 3))
    )
    if not valid:
        raise ValueError(
            "input_shape must be (height, width) or (height, width, channels) "
            f"with positive integer sizes and 1 or 3 channels. Got {input_shape!r}."
        )
    return shape


def _unflatten(X, input_shape):
    """Reshape ``(n, h*w*c)`` rows to images of ``input_shape``."""
    if input_shape is None:
        raise ValueError(
            f"X has shape {X.shape}: flattened images need input_shape=(height, "
            "width, channels) to be unflattened. Pass input_shape, or pass "
            "images as a 4-D array."
        )
    shape = checked_input_shape(input_shape)
    if len(shape) == 2:
        shape = (*shape, 1) if X.shape[1] == shape[0] * shape[1] else (*shape, 3)
    if int(np.prod(shape)) != X.shape[1]:
        raise ValueError(
            f"X has {X.shape[1]} features per row but input_shape={input_shape} "
            f"holds {int(np.prod(shape))} values. Flattened images must have "
            "height * width * channels features."
        )
    return X.reshape((X.shape[0], *shape))


def match_channels(X: np.ndarray, channels: int) -> np.ndarray:
    """Give images the backbone's channel count.

    Grayscale images are repeated to three channels for a backbone that takes
    RGB; any other mismatch (such as RGB images for a one-channel backbone) is
    a ValueError: which grayscale conversion fits the backbone is the user's
    choice.
    """
    have = X.shape[-1]
    if have == channels:
        return X
    if have == 1 and channels == 3:
        return np.repeat(X, 3, axis=-1)
    if have == 3 and channels == 1:
        fix = (
            "Convert the images to grayscale first (e.g. X.mean(axis=-1) or "
            "tf.image.rgb_to_grayscale), or use a backbone that takes 3 channels."
        )
    else:
        fix = f"Pass images with {channels} channel(s), or a backbone that takes 3."
    raise ValueError(
        f"The backbone takes images with {channels} channel(s), but the images "
        f"have {have} (array of shape {X.shape}). {fix}"
    )


def path_dataset(
    paths, size, batch_size, *, channels=3, labels=None, weights=None, seed=None
):
    """A ``tf.data`` pipeline that reads, decodes and resizes image files.

    Yields float32 batches of ``size`` (height, width) with ``channels``
    channels: 3 (RGB; grayscale files are repeated) or 1 (colour files are
    converted to grayscale), with labels and weights if given; shuffled each
    epoch when ``seed`` is not None.
    """
    import tensorflow as tf

    height, width, channels = int(size[0]), int(size[1]), int(channels)

    def load(path):
        image = tf.io.decode_image(
            tf.io.read_file(path), channels=3, expand_animations=False
        )
        if channels == 1:
            image = tf.image.rgb_to_grayscale(image)
        image = tf.image.resize(tf.cast(image, tf.float32), (height, width))
        image.set_shape((height, width, channels))
        return image

    # File names as the bytes the file system uses: a name that is not
    # valid UTF-8 (a Latin-1 "café.png") cannot become a TensorFlow string.
    names = np.array([os.fsencode(path) for path in paths], dtype=object)
    parts = [tf.data.Dataset.from_tensor_slices(names)]
    if labels is not None:
        parts.append(tf.data.Dataset.from_tensor_slices(labels))
        parts.append(tf.data.Dataset.from_tensor_slices(weights.astype(np.float32)))
    dataset = tf.data.Dataset.zip(tuple(parts)) if len(parts) > 1 else parts[0]
    if seed is not None:
        # Shuffle the names, all of them, before decoding: a buffer of
        # decoded images would hold thousands of them in memory, and a
        # smaller buffer would not mix a folder listed class by class.
        dataset = dataset.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
    if labels is None:
        dataset = dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    else:
        dataset = dataset.map(
            lambda path, label, weight: (load(path), label, weight),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def find_unreadable(paths) -> str | None:
    """The first path that ``tf.io`` cannot decode as an image, or None."""
    import tensorflow as tf

    for path in paths:
        try:
            content = tf.io.read_file(os.fsencode(path))
            tf.io.decode_image(content, expand_animations=False)
        except tf.errors.OpError:  # not an image, gone, or not readable
            return str(path)
    return None


def unreadable_error(paths, exc) -> ValueError:
    """A clear error naming the file that could not be decoded.

    When every file decodes, the files are not the cause, and the error says
    what failed instead of blaming one of them.
    """
    culprit = find_unreadable(paths)
    if culprit is None:
        return ValueError(
            f"Running the network on the image files failed: "
            f"{type(exc).__name__}: {reason(exc)}. Every file "
            "decodes as an image, so the files are not the cause."
        )
    return ValueError(
        f"Cannot read image file {culprit!r}: TensorFlow cannot decode it as a "
        f"PNG, JPEG, BMP, GIF or WebP image ({type(exc).__name__}; some "
        "variants, such as 1-bit BMP, it does not read). Remove it, or "
        "convert it to PNG."
    )


def image_fingerprints(X) -> list[str]:
    """A content hash per image: of the file bytes, or of the pixel array."""
    import hashlib

    if X.dtype.kind in "US":
        digests = []
        for path in X:
            with open(path, "rb") as handle:
                digests.append(hashlib.sha1(handle.read()).hexdigest())
        return digests
    return [
        hashlib.sha1(
            np.ascontiguousarray(image).tobytes() + str(image.shape).encode()
        ).hexdigest()
        for image in X
    ]
