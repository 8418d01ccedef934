"""ImageEmbedder: a pretrained backbone as a scikit-learn transformer.

Its content-addressed cache makes a grid search over the steps after it
compute each image's embedding once.
"""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, check_memory

from . import _images, _keras

__all__ = ["ImageEmbedder", "clear_embedding_cache"]

#: Embeddings kept in memory per process, over all backbones (LRU).
_CACHE_MAX_ITEMS = 100_000
_CACHE: OrderedDict = OrderedDict()
_CACHE_LOCK = threading.Lock()


def clear_embedding_cache() -> None:
    """Empty the in-memory embedding cache of this process.

    Examples
    --------
    >>> from skimb.embedding import clear_embedding_cache
    >>> clear_embedding_cache()
    """
    with _CACHE_LOCK:
        _CACHE.clear()


class ImageEmbedder(TransformerMixin, BaseEstimator):
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
        ``(height, width, channels)`` the backbone runs at; ``None`` takes the
        images' size at fit (at least 32), or the backbone's default size for
        file paths.

    pooling : {"avg", "max"}, default="avg"
        Global pooling of the last feature map.

    batch_size : int, default=32
        Images per forward pass.

    cache : bool, default=True
        Keep embeddings in a process-wide, content-addressed cache: the key
        is a hash of the image's bytes and of the extractor's weights, so
        clones of this transformer (as in a grid search) share it.

    memory : str, joblib.Memory or None, default=None
        Also keep embeddings on disk with ``joblib.Memory``, across runs.

    random_state : int, RandomState instance or None, default=None
        Seeds the backbone's initialisation when ``weights=None``; give an int
        so that clones embed alike and share the cache.

    Attributes
    ----------
    extractor_ : keras.Model
        The frozen feature extractor.

    input_shape_ : tuple of int
        The ``(height, width, 3)`` the backbone runs at.

    n_features_out_ : int
        The length of an embedding.

    fingerprint_ : str
        A hash of the extractor's configuration and weights: the cache's
        namespace.

    Examples
    --------
    >>> import numpy as np
    >>> from skimb import ImageEmbedder
    >>> images = np.random.RandomState(0).uniform(0, 255, size=(4, 32, 32, 3))
    >>> embedder = ImageEmbedder("mobilenet_v3_small", weights=None,
    ...                          random_state=0)
    >>> embedder.fit_transform(images).shape
    (4, 576)
    """

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
        from .transfer import make_feature_extractor, target_input_shape

        X = self._validate_images(X)
        image_size = None if X.dtype.kind in "US" else X.shape[1:3]
        self.input_shape_ = target_input_shape(
            self.backbone, self.input_shape, image_size
        )
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        with _keras.seeded(seed):
            self.extractor_ = make_feature_extractor(
                self.backbone,
                weights=self.weights,
                input_shape=self.input_shape_,
                pooling=self.pooling,
            )
        self.n_features_out_ = int(self.extractor_.output_shape[-1])
        self.fingerprint_ = _model_fingerprint(self.extractor_)
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
        embeddings : ndarray of shape (n_samples, n_features_out_)
            The pooled backbone features, float32.
        """
        check_is_fitted(self, "extractor_")
        X = self._validate_images(X)
        if not self.cache and self.memory is None:
            return self._embed(X)
        keys = [f"{self.fingerprint_}:{key}" for key in _images.image_fingerprints(X)]
        found = _cache_lookup(keys) if self.cache else {}
        missing = [i for i, key in enumerate(keys) if key not in found]
        if missing:
            new = self._embed_missing(X[missing], [keys[i] for i in missing])
            found.update(zip((keys[i] for i in missing), new))
            if self.cache:
                _cache_store({keys[i]: found[keys[i]] for i in missing})
        return np.stack([found[key] for key in keys]).astype(np.float32)

    def get_feature_names_out(self, input_features=None):
        """Names ``embedding0``, ``embedding1``, ... of the output features.

        Parameters
        ----------
        input_features : None
            Ignored.

        Returns
        -------
        names : ndarray of str
            One name per embedding dimension.
        """
        check_is_fitted(self, "extractor_")
        return np.array(
            [f"embedding{i}" for i in range(self.n_features_out_)], dtype=object
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.requires_fit = True
        return tags

    def _validate_images(self, X):
        if _images.is_path_input(X):
            return _images.check_paths(X)
        return _images.to_rgb(
            _images.check_image_array(X, input_shape=self.input_shape)
        )

    def _embed(self, X) -> np.ndarray:
        from .transfer import embed_images

        return embed_images(
            self.extractor_, X, batch_size=self.batch_size, size=self.input_shape_[:2]
        )

    def _embed_missing(self, X, keys) -> np.ndarray:
        """Embed images not in memory, through joblib.Memory if given."""
        if self.memory is None:
            return self._embed(X)
        cached = check_memory(self.memory).cache(_embed_keys, ignore=["embedder", "X"])
        return cached(self, X, tuple(keys))

    def __getstate__(self):
        state = dict(super().__getstate__())
        if "extractor_" in state:
            state["extractor_"] = _keras.model_to_bytes(state["extractor_"])
        return _keras.stamp_version(state)

    def __setstate__(self, state):
        state = _keras.check_version(state, type(self).__name__)
        if isinstance(state.get("extractor_"), bytes):
            state["extractor_"] = _keras.model_from_bytes(state["extractor_"])
        super().__setstate__(state)


def _embed_keys(embedder, X, keys):
    """Embeddings of ``X``; joblib.Memory keys this call on ``keys`` only."""
    return embedder._embed(X)


def _model_fingerprint(model) -> str:
    """A hash of a model's structure and weights.

    Layer names are left out: Keras numbers them per process
    (``input_layer_1``), so equal models would hash apart.
    """
    structure = [
        (type(layer).__name__, getattr(layer, "mode", None)) for layer in model.layers
    ]
    digest = hashlib.sha1(repr((structure, model.output_shape)).encode())
    for weight in model.get_weights():
        digest.update(str(weight.shape).encode())
        digest.update(np.ascontiguousarray(weight).tobytes())
    return digest.hexdigest()


def _cache_lookup(keys) -> dict:
    with _CACHE_LOCK:
        found = {}
        for key in keys:
            if key in _CACHE:
                _CACHE.move_to_end(key)
                found[key] = _CACHE[key]
        return found


def _cache_store(items: dict) -> None:
    with _CACHE_LOCK:
        _CACHE.update(items)
        while len(_CACHE) > _CACHE_MAX_ITEMS:
            _CACHE.popitem(last=False)
