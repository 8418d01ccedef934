"""ImageEmbedder: a pretrained backbone as a scikit-learn transformer.

Its content-addressed cache makes a grid search over the steps after it
compute each image's embedding once.
"""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
import time
import weakref
from collections import OrderedDict
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    check_memory,
)

from . import _images, _keras

__all__ = ["ImageEmbedder", "clear_embedding_cache"]


class _LRU:
    """A dictionary shared by threads that keeps its ``max_items`` most
    recently used entries."""

    def __init__(self, max_items: int):
        self.max_items = max_items
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def get_many(self, keys) -> dict:
        """The entries of ``keys`` that are kept, as a dict."""
        with self._lock:
            found = {}
            for key in keys:
                if key in self._items:
                    self._items.move_to_end(key)
                    found[key] = self._items[key]
            return found

    def put_many(self, items: dict) -> None:
        with self._lock:
            self._items.update(items)
            self._forget_oldest()

    def get_or_build(self, key, build):
        """The entry of ``key``, made by ``build()`` and kept if missing.
        Other threads wait for the build rather than repeat it."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            built = self._items[key] = build()
            self._forget_oldest()
            return built

    def _forget_oldest(self) -> None:
        while len(self._items) > self.max_items:
            self._items.popitem(last=False)


#: Embeddings kept in memory per process, over all backbones.
_CACHE = _LRU(max_items=100_000)

#: Feature extractors built by fits with ``cache=True``, by recipe.
_EXTRACTORS = _LRU(max_items=2)


def clear_embedding_cache() -> None:
    """Empty the in-memory embedding cache of this process.

    It also forgets the feature extractors kept for reuse by later fits
    (those of fitted embedders stay with them).

    Examples
    --------
    >>> from skimb.embedding import clear_embedding_cache
    >>> clear_embedding_cache()
    """
    _CACHE.clear()
    _EXTRACTORS.clear()


class ImageEmbedder(_keras.KerasModelsMixin, TransformerMixin, BaseEstimator):
    """Pooled features of a pretrained image backbone, with a cache.

    ``fit`` builds the frozen feature extractor (nothing is trained);
    ``transform`` maps images to their embeddings, so any sampler or
    classifier can follow it in a pipeline, e.g.
    ``make_pipeline(ImageEmbedder(), SMOTE(), MLPClassifier())``.

    Parameters
    ----------
    backbone : str or keras.Model, default="mobilenet_v2"
        A name of :data:`skimb.transfer.BACKBONES` or a Keras model.

    weights : "imagenet", None or str, default="imagenet"
        ImageNet weights, random weights, or a weights file path.

    input_shape : tuple of int, default=None
        ``(height, width, channels)`` the backbone runs at (a Keras model
        backbone's fixed input size wins over it); ``None`` takes the images'
        size at fit (at least 32 for a registered backbone), or the
        backbone's default size for file paths. Required for flattened
        ``(n, h*w*c)`` input, whose shape it gives; ``transform``
        unflattens rows with the value of the fit.

    pooling : {"avg", "max"}, default="avg"
        Global pooling of the last feature map.

    batch_size : int, default=32
        Images per forward pass.

    cache : bool, default=True
        Keep embeddings in a process-wide, content-addressed cache: the key
        is a hash of the image's bytes and of the extractor (every layer's
        configuration, hence ``input_shape``, ``pooling`` and the
        preprocessing, and its weights), so clones of this transformer (as in
        a grid search) share it. Fits with the same backbone, weights,
        input shape and pooling (and ``random_state``, for random weights)
        also share one built extractor (the two most recent are kept), so a
        grid search builds it once per process.

    memory : str, joblib.Memory or None, default=None
        Also keep embeddings on disk with ``joblib.Memory``, across runs.

    random_state : int, RandomState instance or None, default=None
        Seeds the backbone's initialisation when ``weights=None``; give an int
        so that clones embed alike and share the cache.

    Attributes
    ----------
    extractor_ : keras.Model
        The frozen feature extractor. With ``cache=True`` it may be shared
        with other embedders fitted alike in this process: treat it as
        read-only (changing its weights would also make the cached
        embeddings stale).

    input_shape_ : tuple of int
        The ``(height, width, channels)`` the backbone runs at; ``channels``
        is the backbone's (3 for registered backbones, whose grayscale input
        is repeated to RGB).

    n_features_out_ : int
        The length of an embedding.

    fingerprint_ : str
        A hash of the extractor's layer configurations (without the layer
        names Keras numbers per process), input shape, pooling,
        preprocessing and weights: the cache's namespace.

    n_features_in_ : int
        The number of columns of a table seen during fit: of flattened
        images ``(n, h*w*c)``, or 1 for file paths in a one-column table
        such as ``df[["path"]]``; absent after a fit on images in another
        layout or on paths in a list or a Series.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        The column names of a DataFrame seen during fit (of flattened
        images, or the one column of file paths), when they are all
        strings. ``transform`` checks a table of the same kind against them,
        as scikit-learn's transformers do.

    Examples
    --------
    >>> import numpy as np
    >>> from skimb import ImageEmbedder
    >>> images = np.random.RandomState(0).uniform(0, 255, size=(4, 32, 32, 3))
    >>> # weights=None keeps the example offline; real work wants "imagenet".
    >>> embedder = ImageEmbedder("resnet50", weights=None, random_state=0)
    >>> embedder.fit_transform(images).shape
    (4, 2048)
    """

    #: The fitted Keras model, pickled as ``.keras`` bytes.
    _fitted_model_attr = "extractor_"

    _parameter_constraints: dict = {
        "backbone": [str, HasMethods(["get_config", "call"])],
        "weights": [str, os.PathLike, None],
        "input_shape": [tuple, list, None],
        "pooling": [StrOptions({"avg", "max"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "cache": ["boolean"],
        "memory": [None, str, HasMethods(["cache"])],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        backbone="mobilenet_v2",
        *,
        weights="imagenet",
        input_shape=None,
        pooling="avg",
        batch_size=32,
        cache=True,
        memory=None,
        random_state=None,
    ):
        self.backbone = backbone
        self.weights = weights
        self.input_shape = input_shape
        self.pooling = pooling
        self.batch_size = batch_size
        self.cache = cache
        self.memory = memory
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Build the feature extractor for images like ``X``.

        Parameters
        ----------
        X : array-like of shape (n, h, w, c), (n, h, w) or (n, h*w*c), or \
                sequence of str
            Images (raw 0..255 pixels) or image file paths.

        y : None
            Ignored.

        Returns
        -------
        self : ImageEmbedder
            The fitted transformer.
        """
        from .transfer import (
            _backbone_channels,
            _target_input_shape,
            make_feature_extractor,
        )

        X = self._validate_images(X, _backbone_channels(self.backbone), reset=True)
        _check_memory_location(self.memory)
        image_size = None if X.dtype.kind in "US" else X.shape[1:3]
        self.input_shape_ = _target_input_shape(
            self.backbone, self.input_shape, image_size
        )
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)

        def build():
            with _keras.seeded(seed):
                extractor = make_feature_extractor(
                    self.backbone,
                    weights=self.weights,
                    input_shape=self.input_shape_,
                    pooling=self.pooling,
                )
            fingerprint = _model_fingerprint(
                extractor,
                input_shape=self.input_shape_,
                pooling=self.pooling,
                preprocessing=extractor.get_layer("preprocess").mode,
            )
            return extractor, fingerprint

        recipe = self._recipe(seed) if self.cache else None
        self.extractor_, self.fingerprint_ = _built_extractor(recipe, build)
        self.n_features_out_ = int(self.extractor_.output_shape[-1])
        return self

    def transform(self, X):
        """Embed images.

        Parameters
        ----------
        X : array-like of shape (n, h, w, c), (n, h, w) or (n, h*w*c), or \
                sequence of str
            Images (raw 0..255 pixels) or image file paths.

        Returns
        -------
        embeddings : ndarray of shape (n_samples, ``n_features_out_``)
            The pooled backbone features, float32.
        """
        check_is_fitted(self, "extractor_")
        X = self._validate_images(X, self.input_shape_[-1], reset=False)
        if not self.cache and self.memory is None:
            # float32 also under a mixed_float16 policy (float16 features)
            return self._embed(X).astype(np.float32, copy=False)
        keys = [f"{self.fingerprint_}:{key}" for key in _images.image_fingerprints(X)]
        found = _CACHE.get_many(keys) if self.cache else {}
        missing = [i for i, key in enumerate(keys) if key not in found]
        if missing:
            new = self._embed_missing(X[missing], [keys[i] for i in missing])
            found.update(zip((keys[i] for i in missing), new))
            if self.cache:
                _CACHE.put_many({keys[i]: found[keys[i]] for i in missing})
        return np.stack([found[key] for key in keys]).astype(np.float32)

    def get_feature_names_out(self, input_features=None):
        """Names ``embedding0``, ``embedding1``, ... of the output features.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked, as scikit-learn's transformers check it: after a
            fit on a DataFrame (of flattened images, or a column of file
            paths) it must equal ``feature_names_in_``, after one on another
            table have ``n_features_in_`` names.

        Returns
        -------
        names : ndarray of str
            One name per embedding dimension.
        """
        check_is_fitted(self, "extractor_")
        _check_feature_names_in(self, input_features, generate_names=False)
        return np.array(
            [f"embedding{i}" for i in range(self.n_features_out_)], dtype=object
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        _images.set_input_tags(tags)
        tags.requires_fit = True
        # transform gives float32 whatever the input's float type
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    def _recipe(self, seed) -> tuple | None:
        """What decides the extractor that ``fit`` builds, as a hashable key,
        or None when that cannot be told cheaply (then nothing is reused).

        The seed counts only where the weights are drawn at random (a
        registered backbone with ``weights=None``); a registered backbone
        by its name and its entry in ``BACKBONES`` (which a user may
        replace); a weights file by
        a hash of its content (its size and modification time survive a copy
        of other weights with ``cp -p``); a model backbone by its fingerprint
        (configuration and weights: its weights are read at every fit, so
        that a model trained further or given other weights in place is
        another backbone). Keras's float type and dtype policy count as
        well.
        """
        keras = _keras.import_keras()
        backbone, weights = self.backbone, self.weights
        if isinstance(backbone, keras.Model):
            try:
                backbone = ("model", _backbone_fingerprint(backbone))
            except (AttributeError, TypeError, ValueError):  # e.g. not built
                return None
        else:
            from .transfer import BACKBONES

            backbone = (backbone, repr(BACKBONES.get(backbone)))
        if weights is not None and weights != "imagenet":
            try:
                weights = ("file", _file_digest(weights))
            except (OSError, TypeError, ValueError):
                return None  # the build says what is wrong with it
        random_weights = weights is None and isinstance(self.backbone, str)
        return (
            backbone,
            weights,
            seed if random_weights else None,
            tuple(self.input_shape_),
            self.pooling,
            keras.config.floatx(),
            keras.config.dtype_policy().name,
        )

    def _validate_images(self, X, channels, *, reset):
        """Checked paths, or float32 images ``(n, h, w, channels)``; a
        table of flattened images or a column of paths is checked as
        scikit-learn checks X (``feature_names_in_``, ``n_features_in_``),
        recorded when ``reset``, and flattened images are unflattened with
        the ``input_shape`` of the fit."""
        input_shape = _images.fitted_input_shape(self, reset=reset)
        if _images.is_path_input(X):
            _images.check_path_columns(self, X, reset=reset)
            X = _images.check_paths(X)
            return X
        X = _images.check_image_array(
            X,
            input_shape=input_shape,
            backbone=self.backbone,
            estimator=self,
            reset=reset,
        )
        return _images.match_channels(X, channels)

    def _embed(self, X) -> np.ndarray:
        from .transfer import _embed_images

        return _embed_images(
            self.extractor_, X, batch_size=self.batch_size, size=self.input_shape_[:2]
        )

    def _embed_missing(self, X, keys) -> np.ndarray:
        """Embed images not in memory, through joblib.Memory if given.

        On disk each image has its own entry, keyed on its cache key, so a
        subset or a reordering of cached images (a cross-validation fold, a
        worker's share) is read, not recomputed.
        """
        if self.memory is None:
            return self._embed(X)
        on_disk = check_memory(self.memory).cache(
            _stored, ignore=["embedding"], verbose=0
        )
        rows = [_read(on_disk, key) for key in keys]
        missing = [i for i, row in enumerate(rows) if row is None]
        if missing:
            for i, embedding in zip(missing, self._embed(X[missing])):
                rows[i] = on_disk(keys[i], embedding=embedding)  # stores it
        return np.stack(rows)


def _built_extractor(recipe, build) -> tuple:
    """``build()``'s (extractor, fingerprint), kept for later fits with the
    same ``recipe``: clones in a grid search then share one extractor, which
    takes about a second to build, instead of building it per fit. A None
    recipe is built and not kept."""
    if recipe is None:
        return build()
    return _EXTRACTORS.get_or_build(recipe, build)


def _file_digest(path) -> str:
    """The SHA-1 of a file's content, hashed once per version of the file:
    writing to it or replacing it changes its status-change time (which,
    unlike its modification time, a copy cannot set). As in git's "racy"
    check, a file changed within the last second is hashed every time: its
    next change might fall in the same clock tick."""
    info = os.stat(path)
    if time.time_ns() - info.st_ctime_ns < _SETTLED_NS:
        return _content_digest.__wrapped__(path)
    return _content_digest(
        os.fspath(path), info.st_dev, info.st_ino, info.st_size, info.st_ctime_ns
    )


#: How long ago a file must have changed for its hash to be kept.
_SETTLED_NS = 1_000_000_000


@functools.lru_cache(maxsize=16)
def _content_digest(path, *version) -> str:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha1").hexdigest()


def _check_memory_location(memory) -> None:
    """Open ``memory`` in fit: joblib creates its folder then, so a folder
    that cannot be made is an error of ``fit`` naming the parameter (it was
    ``transform``'s bare OSError)."""
    try:
        check_memory(memory)
    except OSError as exc:
        raise ValueError(
            f"ImageEmbedder cannot keep embeddings in memory={memory!r}: "
            f"{exc.strerror or exc}. Pass a folder that can be created and "
            "written, or memory=None."
        ) from exc


def _stored(key, embedding=None):
    """The embedding of the image with cache key ``key``.

    Wrapped in ``joblib.Memory.cache`` with ``embedding`` ignored: a first
    call with the computed embedding stores it on disk under ``key``, later
    calls with the key alone read it back. Called with the key alone when
    the disk has nothing (readable) for it, it raises instead of letting
    joblib store a None.
    """
    if embedding is None:
        raise LookupError(key)
    return embedding


def _read(on_disk, key):
    """The stored embedding of ``key``, or None if the disk has none."""
    if not on_disk.check_call_in_cache(key):
        return None
    try:
        return on_disk(key)
    except LookupError:  # an entry that could not be read
        return None


def _model_fingerprint(model, **settings) -> str:
    """A hash of everything that decides a model's outputs.

    That is every layer's configuration (so a ``Resizing`` target, a pooling
    layer or a preprocessing mode count), the wiring between layers, the
    ``settings`` given (e.g. input shape and pooling), and the weights. Layer
    names are replaced by their position: Keras numbers them per process
    (``input_layer_1``), so equal models would otherwise hash apart.
    """
    return _with_weights(_structure_digest(model, settings), model)


def _structure_digest(model, settings: dict):
    """The SHA-1 object fed with what :func:`_model_fingerprint` hashes
    before the weights."""
    config = _model_config(model)
    config = _anonymous(config, _layer_names(config))
    structure = (type(model).__name__, config, model.output_shape, settings)
    return hashlib.sha1(json.dumps(structure, sort_keys=True, default=repr).encode())


def _with_weights(digest, model) -> str:
    """``digest`` fed with ``model``'s weights, as a hex string."""
    for weight in model.get_weights():
        digest.update(f"{weight.dtype}{weight.shape}".encode())
        digest.update(np.ascontiguousarray(weight).tobytes())
    return digest.hexdigest()


class _BackboneDigests:
    """What :func:`_backbone_fingerprint` keeps of one backbone model: the
    digest of its configuration (``_structure_digest(model, {})``) and the
    fingerprint of its first ``once=True`` call, each once known."""

    structure = None
    first: str | None = None


#: For each Keras model given as a backbone (to ImageEmbedder or
#: TransferClassifier), the hash of its configuration, read once per model
#: object, and the fingerprint that TransferClassifier compares.
_BACKBONE_DIGESTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _backbone_fingerprint(model, *, once: bool = False) -> str:
    """``_model_fingerprint(model)`` of a user's backbone model, its
    configuration serialised once per model object.

    Serialising a functional model's configuration costs about 30 ms for
    MobileNetV2 and 45 ms for ResNet50 (reading and hashing their weights
    20 and 150 ms), and a cached ``ImageEmbedder`` fit, which keys the
    extractor it reuses on the backbone, did both at every fit. The
    weights are still read at every call: a model trained further, or
    given other weights in place, is another backbone, whose extractor
    must not be reused. A layer's configuration changed in place (an
    attribute set on a built layer) is not seen.

    With ``once``, the fingerprint of the object's first such call, or its
    class name if that call could not hash it (a model never built):
    ``TransferClassifier`` compares it at every ``partial_fit`` call, which
    need not read the weights each time. An in-place change of the weights
    is not seen there. Without ``once``, a model that cannot be hashed
    raises what :func:`_model_fingerprint` raises.
    """
    entry = _BACKBONE_DIGESTS.get(model)
    if entry is None:
        entry = _BACKBONE_DIGESTS[model] = _BackboneDigests()
    if once and entry.first is not None:
        return entry.first
    try:
        if entry.structure is None:
            entry.structure = _structure_digest(model, {})
        fingerprint = _with_weights(entry.structure.copy(), model)
    except (AttributeError, TypeError, ValueError):  # e.g. never built
        if not once:
            raise
        fingerprint = type(model).__name__
    if once:
        entry.first = fingerprint
    return fingerprint


def _model_config(layer):
    """``layer.get_config()``; for layers without one, their class and parts."""
    try:
        return layer.get_config()
    except NotImplementedError:
        return {
            "class_name": type(layer).__qualname__,
            "layers": [_model_config(sub) for sub in getattr(layer, "layers", [])],
        }


def _layer_names(config: dict) -> dict:
    """Each layer name in a model's configuration, nested ones included,
    mapped to a placeholder that numbers it in order of appearance."""
    names: dict = {}
    for entry in [config, *_layer_entries(config)]:
        inner = entry.get("config")
        inner_name = inner.get("name") if isinstance(inner, dict) else None
        for name in (entry.get("name"), inner_name):
            if isinstance(name, str):
                names.setdefault(name, f"<layer {len(names)}>")
    return names


def _layer_entries(node):
    """Every entry of a ``"layers"`` list in a configuration, depth first."""
    if isinstance(node, dict):
        if isinstance(node.get("layers"), list):
            yield from (entry for entry in node["layers"] if isinstance(entry, dict))
        for value in node.values():
            yield from _layer_entries(value)
    elif isinstance(node, list):
        for value in node:
            yield from _layer_entries(value)


def _anonymous(node, names: dict):
    """``node`` with layer names replaced where they name a layer: as the
    value of a ``"name"`` key or an entry of a list (the wiring)."""
    if isinstance(node, dict):
        return {
            key: (
                names.get(value, value)
                if key == "name" and isinstance(value, str)
                else _anonymous(value, names)
            )
            for key, value in node.items()
        }
    if isinstance(node, (list, tuple)):
        return [
            names.get(value, value)
            if isinstance(value, str)
            else _anonymous(value, names)
            for value in node
        ]
    return node
