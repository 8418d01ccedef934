"""TransferClassifier and the backbone registry over ``keras.applications``.

The recipe "pretrained backbone without its top, frozen, global pooling, a
small dense head, softmax, balanced class weights" as a scikit-learn
classifier, with optional fine-tuning of the top of the backbone.
"""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import difflib
import os
import warnings
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
from sklearn.utils import metadata_routing
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from . import _images, _keras
from ._messages import reason, warn_user
from .base import _KERAS_FIT_ARGUMENTS, KerasClassifier, _copy_model, _GivenModel
from .class_weight import CLASS_WEIGHT_STRATEGIES
from .mlp import _hidden_sizes

__all__ = ["BACKBONES", "BackboneSpec", "TransferClassifier", "make_feature_extractor"]

#: keras.applications refuse inputs smaller than this.
_MIN_SIZE = 32


@dataclass(frozen=True)
class BackboneSpec:
    """How to build one registered backbone.

    Parameters
    ----------
    application : str
        The factory's name in ``keras.applications`` (e.g. ``"MobileNetV2"``).
    preprocessing : {"tf", "torch", "caffe", "none"}
        The pixel preprocessing the backbone was trained with; ``"none"`` for
        backbones that preprocess inside themselves.
    default_size : int, default=224
        The input height and width the ImageNet weights were trained at.
    options : dict, default={}
        Extra keyword arguments for the factory.

    Examples
    --------
    >>> from skimb.transfer import BACKBONES
    >>> spec = BACKBONES["efficientnet_b1"]
    >>> spec.application, spec.preprocessing, spec.default_size
    ('EfficientNetB1', 'none', 240)
    """

    application: str
    preprocessing: str
    default_size: int = 224
    options: dict = field(default_factory=dict)


#: The registered backbones: name -> :class:`BackboneSpec`. Add an entry to
#: register another ``keras.applications`` model.
BACKBONES = {
    "mobilenet_v2": BackboneSpec("MobileNetV2", "tf"),
    "mobilenet_v3_small": BackboneSpec(
        "MobileNetV3Small", "none", options={"include_preprocessing": True}
    ),
    "mobilenet_v3_large": BackboneSpec(
        "MobileNetV3Large", "none", options={"include_preprocessing": True}
    ),
    "efficientnet_b0": BackboneSpec("EfficientNetB0", "none"),
    "efficientnet_b1": BackboneSpec("EfficientNetB1", "none", default_size=240),
    "efficientnet_b2": BackboneSpec("EfficientNetB2", "none", default_size=260),
    "efficientnet_b3": BackboneSpec("EfficientNetB3", "none", default_size=300),
    "resnet50": BackboneSpec("ResNet50", "caffe"),
    "resnet101": BackboneSpec("ResNet101", "caffe"),
    "convnext_tiny": BackboneSpec(
        "ConvNeXtTiny", "none", options={"include_preprocessing": True}
    ),
    "densenet121": BackboneSpec("DenseNet121", "torch"),
    "vgg16": BackboneSpec("VGG16", "caffe"),
}


def make_feature_extractor(
    backbone, *, weights="imagenet", input_shape=(224, 224, 3), pooling="avg"
):
    """Build a frozen feature extractor: raw pixels in, pooled features out.

    The model takes images of any size with values in 0..255 and the
    backbone's channel count (RGB for registered backbones), resizes them to
    ``input_shape``, applies the backbone's own preprocessing, and runs the
    backbone (in inference mode) with global pooling.

    Parameters
    ----------
    backbone : str or keras.Model
        A name of :data:`BACKBONES` or a Keras model (copied; its output may
        be a feature map, which is pooled, or already a vector).
    weights : "imagenet", None or str, default="imagenet"
        ImageNet weights (downloaded by Keras on first use), random weights,
        or the path of a weights file for the backbone without its top.
    input_shape : tuple of int, default=(224, 224, 3)
        The height and width the backbone runs at; the channels are the
        backbone's own (3 for a registered backbone; a Keras model's input
        gives its own, 1 or 3).
    pooling : {"avg", "max"}, default="avg"
        Global pooling of the last feature map.

    Returns
    -------
    extractor : keras.Model
        The feature extractor. Its backbone, a model named ``"backbone"``
        wrapped in a layer named ``"inference_mode"``, is frozen and runs in
        inference mode even when the extractor trains: its Dropout and
        BatchNormalization layers act as at prediction.

    Examples
    --------
    >>> from skimb.transfer import make_feature_extractor
    >>> extractor = make_feature_extractor("mobilenet_v2", weights=None,
    ...                                    input_shape=(32, 32, 3))
    >>> extractor.output_shape
    (None, 1280)
    """
    keras = _keras.import_keras()
    from ._layers import ImagePreprocessing, InferenceMode

    if keras.config.image_data_format() != "channels_last":
        raise ValueError(
            "skimb's image estimators take channels-last images (n, height, "
            "width, channels), but Keras's image_data_format is "
            f"{keras.config.image_data_format()!r}. Set it to 'channels_last' "
            "(keras.config.set_image_data_format or ~/.keras/keras.json)."
        )
    channels = _backbone_channels(backbone)
    shape = (int(input_shape[0]), int(input_shape[1]), channels)
    base, mode = _make_backbone(backbone, weights, shape, pooling)
    base.trainable = False
    inputs = keras.Input((None, None, channels), name="image")
    x = keras.layers.Resizing(input_shape[0], input_shape[1], name="resize")(inputs)
    x = ImagePreprocessing(mode, name="preprocess")(x)
    try:
        x = InferenceMode(base, name="inference_mode")(x)
    except ValueError as exc:  # e.g. a feature map shrunk to nothing
        cause = reason(exc).removeprefix(
            "Exception encountered when calling InferenceMode.call(): "
        )
        raise ValueError(
            f"The backbone cannot run on {shape[0]}x{shape[1]} images: {cause}. "
            "Use larger images, or an input_shape the backbone accepts (images "
            "are resized to it)."
        ) from exc
    if len(x.shape) == 4:
        layer = {
            "avg": keras.layers.GlobalAveragePooling2D,
            "max": keras.layers.GlobalMaxPooling2D,
        }[pooling]
        x = layer(name="pool")(x)
    elif len(x.shape) != 2:
        raise ValueError(
            f"The backbone's output has shape {x.shape}; expected a feature map "
            "(batch, height, width, channels) or features (batch, n)."
        )
    return keras.Model(inputs, x, name="feature_extractor")


def _extractor_backbone(extractor):
    """The backbone model inside a feature extractor (inside its
    :class:`~skimb._layers.InferenceMode` wrapper)."""
    try:
        return extractor.get_layer("inference_mode").layer
    except ValueError:  # pickled before the wrapper: the backbone is a layer
        return extractor.get_layer("backbone")


def _backbone_channels(backbone) -> int:
    """The number of image channels a backbone takes: 1 or 3.

    Registered backbones take RGB; a Keras model's input shape gives its own
    count (3 when the model leaves the channels open).

    Examples
    --------
    >>> from skimb.transfer import _backbone_channels
    >>> _backbone_channels("mobilenet_v2")
    3
    """
    shape = _image_input_shape(backbone)
    if shape is None or shape[-1] is None:
        return 3
    if shape[-1] not in (1, 3):
        raise ValueError(
            f"The backbone takes inputs of shape {shape}, with {shape[-1]} "
            "channels; skimb feeds it images with 1 (grayscale) or 3 (RGB) "
            "channels. Use a backbone whose input has 1 or 3 channels."
        )
    return int(shape[-1])


def _image_input_shape(backbone) -> tuple | None:
    """A Keras model backbone's ``(batch, height, width, channels)`` input
    shape, or None (a registered name, a model never built, several inputs)."""
    if isinstance(backbone, str):
        return None
    try:
        shape = backbone.input_shape
    except (AttributeError, ValueError):  # never built, or several inputs
        return None
    return shape if isinstance(shape, tuple) and len(shape) == 4 else None


def _make_backbone(backbone, weights, input_shape, pooling):
    """The backbone model and its preprocessing mode."""
    keras = _keras.import_keras()
    _check_weights(weights)
    weights_file = weights if weights not in (None, "imagenet") else None
    if isinstance(backbone, keras.Model):
        base = _copy_model(backbone, parameter="backbone")
        if weights_file:
            _load_weights_file(base, weights_file, "your backbone model")
        return _renamed(base), "none"
    spec = _backbone_spec(backbone)
    factory = getattr(keras.applications, spec.application)
    try:
        base = factory(
            include_top=False,
            weights=None if weights_file else weights,
            input_shape=input_shape,
            pooling=pooling,
            **spec.options,
        )
    except ValueError as exc:
        raise ValueError(
            f"Cannot build backbone {backbone!r} for input_shape={input_shape} "
            f"and weights={weights!r}: {reason(exc)}"
        ) from exc
    except Exception as exc:  # Keras raises a bare Exception on download errors
        raise ValueError(
            f"Cannot load weights={weights!r} for backbone {backbone!r}: "
            f"{reason(exc)}. "
            "ImageNet weights are downloaded on first use; offline, pass "
            "weights=None or the path of a weights file."
        ) from exc
    if weights_file:
        _load_weights_file(base, weights_file, f"backbone {backbone!r}")
        if spec.application.startswith("EfficientNetB"):
            _rescale_imagenet_normalization(base)
    return _renamed(base), spec.preprocessing


def _rescale_imagenet_normalization(base) -> None:
    """Make an EfficientNet built for a weights file normalise as Keras's
    ``weights="imagenet"`` build does, when the file holds ImageNet's
    input statistics.

    The ImageNet weights store the standard deviations as the variance of
    the model's Normalization layer (tensorflow/tensorflow#49930), and
    Keras's "imagenet" build adds a Rescaling by ``1 / sqrt(std)`` after it
    to make up for that; a build with ``weights=None``, then loaded from the
    file, has no such layer, and its inputs came out up to 2.2 times too
    large. The same factor goes into the variance instead. A file saved from
    such a corrected model holds ``std ** 2`` and is left as it is, and so
    is a file whose statistics are not ImageNet's.
    """
    keras = _keras.import_keras()
    from ._layers import _IMAGENET_STD_RGB

    norm = next(
        layer for layer in base.layers if isinstance(layer, keras.layers.Normalization)
    )
    variance = keras.ops.convert_to_numpy(norm.adapt_variance)
    std = np.asarray(_IMAGENET_STD_RGB, dtype=variance.dtype)
    if variance.shape == std.shape and np.allclose(variance, std, rtol=0, atol=1e-6):
        norm.adapt_variance.assign(variance * std)
        norm.finalize_state()


def _load_weights_file(model, path, what: str) -> None:
    """``model.load_weights(path)``; a file that does not fit is a ValueError.

    Keras warns once per layer it cannot match before it fails (over a
    hundred warnings for a ResNet); those are dropped when the load fails,
    and shown when it succeeds.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.load_weights(path)
        except Exception as exc:  # Keras raises ValueError, OSError, ...
            first_sentence = reason(exc).split(". ")[0].rstrip(".")
            raise ValueError(
                f"Cannot load the weights file {os.fspath(path)!r} into {what} "
                f"({first_sentence}). The file must hold the "
                "weights of the same architecture (for a registered backbone: "
                "without its top, include_top=False), as saved by "
                "model.save_weights()."
            ) from exc
    for warning in caught:
        warnings.warn_explicit(
            warning.message, warning.category, warning.filename, warning.lineno
        )


def _renamed(model):
    """Give the backbone a fixed layer name, so fine-tuning can find it."""
    model.name = "backbone"
    return model


def _backbone_spec(name) -> BackboneSpec:
    if not isinstance(name, str) or name not in BACKBONES:
        close = difflib.get_close_matches(str(name), list(BACKBONES), n=3)
        hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
        raise ValueError(
            f"Unknown backbone {name!r}.{hint} Use one of {sorted(BACKBONES)} or "
            "pass a keras.Model."
        )
    return BACKBONES[name]


def _check_weights(weights) -> None:
    if weights is None or weights == "imagenet":
        return
    if not isinstance(weights, (str, os.PathLike)) or not os.path.isfile(weights):
        raise ValueError(
            "Use weights='imagenet', weights=None or weights='<path of an "
            f"existing weights file>'. Got weights={weights!r}, which is not a file."
        )


class TransferClassifier(KerasClassifier):
    """Transfer learning from a pretrained image backbone, balanced by default.

    A frozen backbone from ``keras.applications`` (or your own ``keras.Model``)
    with global pooling, a small dense head and a softmax, trained with
    balanced class weights. With ``trainable_layers > 0`` and
    ``fine_tune_epochs > 0`` the top of the backbone is then fine-tuned at a
    lower learning rate. The backbone runs in inference mode in both phases
    (its BatchNormalization and Dropout layers act as at prediction).

    Parameters
    ----------
    backbone : str or keras.Model, default="mobilenet_v2"
        A name of :data:`skimb.transfer.BACKBONES` (each brings its own
        preprocessing: pass raw 0..255 pixels), or a Keras model (its output
        a feature map or a feature vector; pass pixels as it expects).
        Grayscale images are repeated to RGB for a backbone that takes 3
        channels, and kept as one channel for a model that takes 1.

    weights : "imagenet", None or str, default="imagenet"
        ImageNet weights (downloaded by Keras on first use), random weights,
        or the path of a weights file for the backbone without its top.

    input_shape : tuple of int, default=None
        ``(height, width, channels)`` the backbone runs at; images of another
        size are resized. A Keras model backbone's fixed input size wins over
        it. ``None`` takes the training images' size (at least 32 pixels for
        a registered backbone), or the backbone's default size for file
        inputs. Required for flattened ``(n, h*w*c)`` input, whose shape it
        gives; ``predict`` unflattens rows with the value of the fit.

    pooling : {"avg", "max"}, default="avg"
        Global pooling of the backbone's last feature map.

    hidden_units : int or tuple of int, default=(64,)
        Units of the dense ReLU layers of the head (an int: one layer; an
        empty tuple: none).

    dropout : float, default=0.0
        Dropout after each dense layer of the head.

    trainable_layers : int, default=0
        How many of the backbone's top layers to train in the fine-tuning
        phase, counting the layers with weights other than
        BatchNormalization (which stays frozen, in inference mode).

    fine_tune_epochs : int, default=0
        Epochs of the fine-tuning phase. Fine-tuning needs both this and
        ``trainable_layers`` above 0; one without the other warns.

    fine_tune_learning_rate : float, default=1e-5
        Learning rate of the fine-tuning phase.

    augmentation : None, "default" or list of keras layers, default=None
        Random augmentation applied only while training: ``"default"`` is a
        horizontal flip, a 10% rotation, a 10% zoom and a 10% contrast change.
        None or an empty list: none, and the head trains on embeddings.

    learning_rate : float, default=0.001
        Adam's learning rate for the head. Changed between ``partial_fit``
        calls, it takes effect at the next call, the optimizer's state
        (step count, moments) going on.

    epochs : int, default=10
        Epochs of the head-training phase.

    batch_size : int, default=32
        Images per batch.

    validation_split : float, default=0.0
        Share of the data held out (stratified) as validation data.

    early_stopping : bool, default=False
        Stop on the validation loss, keeping the best weights (over both
        phases when fine-tuning).

    class_weight : {"balanced", "balanced_sqrt", "effective"}, dict or None, \
            default="balanced"
        Class weighting, see :func:`skimb.class_weight.compute_class_weight`.

    class_weight_beta : float, default=0.999
        The ``beta`` of ``class_weight="effective"``.

    loss : str, keras.losses.Loss or callable, default="auto"
        ``"auto"`` (cross-entropy), ``"focal"``, ``"logit_adjusted"`` or a
        Keras loss.

    random_state : int, RandomState instance or None, default=None
        Seeds the head's initialisation, shuffling, augmentation and the
        validation split; global random states are restored after fit.

    verbose : int, default=0
        Keras's verbosity.

    logit_adjustment : float, default=0.0
        Post-hoc logit adjustment strength ``tau`` (Menon et al., 2021):
        predictions use ``log p - tau * log(class_prior_)``; no retraining.

    Attributes
    ----------
    model_ : keras.Model
        The fitted network: resizing, augmentation, preprocessing, backbone,
        head.

    classes_ : ndarray of shape (n_classes,)
        The class labels.

    input_shape_ : tuple of int
        The ``(height, width, channels)`` the backbone runs at; ``channels``
        is the backbone's (3 for registered backbones).

    class_prior_ : ndarray of shape (n_classes,)
        The share of each class in the training labels, weighted by
        ``sample_weight``.

    history_ : dict
        Training history; the fine-tuning epochs follow the head's.

    n_iter_ : int
        Epochs run in all phases.

    n_features_in_ : int
        The number of columns of a table seen during fit: of flattened
        images ``(n, h*w*c)``, or 1 for file paths in a one-column table
        such as ``df[["path"]]``; absent after a fit on images in another
        layout or on paths in a list or a Series.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        The column names of a DataFrame seen during fit (of flattened
        images, or the one column of file paths), when they are all
        strings. ``predict`` checks a table of the same kind against them,
        as scikit-learn's estimators do.

    See Also
    --------
    skimb.ImageEmbedder : The frozen backbone as a transformer.

    Notes
    -----
    With a frozen backbone and no augmentation (the default), each image goes
    through the backbone once per fit: the head trains on the embeddings.
    File paths are streamed with ``tf.data`` and never loaded all at once.

    Examples
    --------
    >>> import numpy as np
    >>> from skimb import TransferClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(0, 255, size=(40, 32, 32, 3))
    >>> y = np.array([0] * 30 + [1] * 10)
    >>> # weights=None keeps the example offline; real work wants "imagenet".
    >>> clf = TransferClassifier("resnet50", weights=None, epochs=2,
    ...                          random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:3]).shape
    (3, 2)
    """

    _parameter_constraints: dict = {
        "backbone": [str, HasMethods(["get_config", "call"])],
        "weights": [str, os.PathLike, None],
        "input_shape": [tuple, list, None],
        "pooling": [StrOptions({"avg", "max"})],
        "hidden_units": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "trainable_layers": [Interval(Integral, 0, None, closed="left")],
        "fine_tune_epochs": [Interval(Integral, 0, None, closed="left")],
        "fine_tune_learning_rate": [Interval(Real, 0, None, closed="neither")],
        "augmentation": [StrOptions({"default"}), list, tuple, None],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "validation_split": [Interval(Real, 0, 1, closed="left")],
        "early_stopping": ["boolean"],
        "class_weight": [StrOptions(set(CLASS_WEIGHT_STRATEGIES)), dict, None],
        "class_weight_beta": [Interval(Real, 0, 1, closed="left")],
        "loss": [str, callable],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "logit_adjustment": [Interval(Real, 0, None, closed="left")],
    }

    # KerasClassifier parameters that TransferClassifier does not offer.
    batch_sampler = None
    warm_start = False
    callbacks = None
    metrics = None
    run_eagerly = False
    shuffle = True

    def __init__(
        self,
        backbone="mobilenet_v2",
        *,
        weights="imagenet",
        input_shape=None,
        pooling="avg",
        hidden_units=(64,),
        dropout=0.0,
        trainable_layers=0,
        fine_tune_epochs=0,
        fine_tune_learning_rate=1e-5,
        augmentation=None,
        learning_rate=0.001,
        epochs=10,
        batch_size=32,
        validation_split=0.0,
        early_stopping=False,
        class_weight="balanced",
        class_weight_beta=0.999,
        loss="auto",
        random_state=None,
        verbose=0,
        logit_adjustment=0.0,
    ):
        self.backbone = backbone
        self.weights = weights
        self.input_shape = input_shape
        self.pooling = pooling
        self.hidden_units = hidden_units
        self.dropout = dropout
        self.trainable_layers = trainable_layers
        self.fine_tune_epochs = fine_tune_epochs
        self.fine_tune_learning_rate = fine_tune_learning_rate
        self.augmentation = augmentation
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.validation_split = validation_split
        self.early_stopping = early_stopping
        self.class_weight = class_weight
        self.class_weight_beta = class_weight_beta
        self.loss = loss
        self.random_state = random_state
        self.verbose = verbose
        self.logit_adjustment = logit_adjustment

    # fit takes validation_data alone of KerasClassifier's Keras fit arguments.
    __metadata_request__fit = {
        name: metadata_routing.UNUSED
        for name in _KERAS_FIT_ARGUMENTS
        if name != "validation_data"
    }

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit the head (and fine-tune the backbone if asked).

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width, channels) or list of str
            Training images: pixel arrays (also ``(n_samples, height,
            width)`` for grayscale, or flattened ``(n_samples,
            height * width * channels)`` with ``input_shape``), or image file
            paths, which are streamed from disk.

        y : array-like of shape (n_samples,)
            Class labels of any type (strings, integers), two or more classes.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights, multiplied with the class weights.

        **fit_params : dict
            Only ``validation_data=(X_val, y_val)`` or ``(X_val, y_val,
            sample_weight_val)``: validation images watched by early stopping
            instead of the ``validation_split`` held out of ``X``. Epochs and
            batch size are the estimator's parameters.

        Returns
        -------
        self : TransferClassifier
            The fitted estimator.
        """
        return super().fit(X, y, sample_weight=sample_weight, **fit_params)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        _images.set_input_tags(tags)
        return tags

    # Inputs ----------------------------------------------------------------

    def _validate_X(self, X, *, reset):
        """Float32 images ``(n, h, w, c)``, c the backbone's, or checked
        paths; a table (flattened images, a column of paths) is checked as
        scikit-learn checks X, and flattened images are unflattened with the
        ``input_shape`` of the fit."""
        input_shape = _images.fitted_input_shape(self, reset=reset)
        if _images.is_path_input(X):
            _images.check_path_columns(self, X, reset=reset)
            X = _images.check_paths(X)
            if reset:
                self.input_shape_ = self._target_shape(None)
            return X
        X = _images.check_image_array(
            X,
            input_shape=input_shape,
            backbone=self.backbone,
            estimator=self,
            reset=reset,
        )
        if reset:
            self.input_shape_ = self._target_shape(X.shape[1:3])
        return _images.match_channels(X, self.input_shape_[-1])

    def _target_shape(self, image_size) -> tuple:
        return _target_input_shape(self.backbone, self.input_shape, image_size)

    def _input_shape(self) -> tuple:
        return self.input_shape_

    def _batch_size(self, n_samples: int) -> int:
        return self.batch_size

    def _fast_path_max_rows(self) -> int:
        return self.batch_size

    # Training ----------------------------------------------------------------

    def _make_optimizer(self):
        keras = _keras.import_keras()
        return keras.optimizers.Adam(learning_rate=float(self.learning_rate))

    def _trains_on_embeddings(self) -> bool:
        """Frozen backbone, no augmentation (None, or an empty list of
        layers): train the head on embeddings."""
        return not self.augmentation

    def _trained_model(self, model):
        """The head, when the network trains it alone on the backbone's
        embeddings (the whole network then has no train step, and no
        augmentation layers); else the whole network."""
        if getattr(self, "_head_on_embeddings", self._trains_on_embeddings()):
            return model.get_layer("head")
        return model

    def _train(self, train, valid, *, warm, epochs, fit_params, incremental):
        if fit_params:  # validation_data was taken out into ``valid``
            raise ValueError(
                f"TransferClassifier.fit takes no Keras fit arguments; got "
                f"{sorted(fit_params)}. Set epochs and batch_size as parameters; "
                "validation_data=(X_val, y_val) is accepted."
            )
        self._logit_outputs = False  # the head ends in a softmax
        if warm:  # partial_fit after the first call: the fitted network goes on
            self._check_same_network()
            model = self.model_
            extractor = model.get_layer("feature_extractor")
            head = model.get_layer("head")
            if not hasattr(self, "_head_on_embeddings"):  # pickled before it was
                self._head_on_embeddings = self._trains_on_embeddings()
        else:
            # How this network trains its head, kept for partial_fit.
            self._head_on_embeddings = self._trains_on_embeddings()
            extractor = make_feature_extractor(
                self.backbone,
                weights=self.weights,
                input_shape=self.input_shape_,
                pooling=self.pooling,
            )
            head = self._build_head(extractor.output_shape[-1])
            model = self._assemble(
                extractor, head, augment=not self._head_on_embeddings
            )
            # What partial_fit checks against (see _check_same_network), and
            # the backbone model the network was built from (see _backbone_key).
            self._built_with = {
                "network": self._network_params(),
                "compile": None,
                "backbone": None
                if isinstance(self.backbone, str)
                else _GivenModel(self.backbone),
            }
        # A warm head keeps its optimizer, unless it lost it in a pickle.
        if self._head_on_embeddings:
            self._compile_or_go_on(head, fresh=not warm or not head.compiled)
            history = self._fit_head_on_embeddings(
                extractor, head, train, valid, epochs, incremental
            )
        else:
            # After a fit that fine-tuned, the backbone is partly trainable
            # and the model compiled at the fine-tuning rate: the head alone
            # goes on, at its own rate.
            backbone = _extractor_backbone(extractor)
            refreeze = bool(backbone.trainable_weights)
            backbone.trainable = False
            self._compile_or_go_on(
                model, fresh=not warm or refreeze or not model.compiled
            )
            history = self._fit_on_images(model, train, valid, epochs, incremental)
        # partial_fit trains the head only, one epoch per call; initialize
        # (no epochs) trains nothing.
        fine_tunes = self.trainable_layers > 0 and self.fine_tune_epochs > 0
        if not fine_tunes and not incremental:
            self._warn_half_fine_tuning()
        if fine_tunes and epochs > 0 and not incremental:
            tuned = self._fine_tune(model, train, valid, history)
            history = _concat_histories(history, tuned)
        return model, history

    def _compile_or_go_on(self, model, *, fresh: bool) -> None:
        """Compile the network (or the head) that trains, when ``fresh``;
        else it goes on with its optimizer, at a ``learning_rate`` set
        since the last ``partial_fit`` call (it kept the first call's,
        silently), and is compiled anew after a change of ``loss`` (see
        ``KerasClassifier._recompile_if_changed``)."""
        if not fresh:
            self._recompile_if_changed(model, incremental=True)
            return
        model.compile(**self._compile_kwargs(model))
        built = getattr(self, "_built_with", None)  # absent in older pickles
        if built is not None:
            self._built_with = {**built, "compile": self._compile_state()}

    def _compile_params(self) -> dict:
        """The parameters that decide the head's optimizer and loss."""
        return {"learning_rate": self.learning_rate, "loss": self.loss}

    def _warn_half_fine_tuning(self) -> None:
        """Warn when one of the two fine-tuning parameters is set without the
        other: the phase needs both, and was skipped in silence."""
        if self.trainable_layers > 0:
            warn_user(
                f"trainable_layers={self.trainable_layers} has no effect with "
                "fine_tune_epochs=0: the backbone is fine-tuned only for "
                "fine_tune_epochs > 0."
            )
        elif self.fine_tune_epochs > 0:
            warn_user(
                f"fine_tune_epochs={self.fine_tune_epochs} has no effect with "
                "trainable_layers=0: give the number of the backbone's top "
                "layers to fine-tune, trainable_layers > 0."
            )

    def _network_params(self) -> dict:
        """The parameters that decide the network's layers: partial_fit
        cannot go on after one of them changed (it trained the old network
        silently). ``augmentation`` may change: it decides only how the
        head trains, which partial_fit keeps from the first call."""
        weights = self.weights
        return {
            "backbone": self._backbone_key(),
            "weights": weights if weights is None else os.fspath(weights),
            "input_shape": None
            if self.input_shape is None
            else tuple(self.input_shape),
            "pooling": self.pooling,
            "hidden_units": tuple(
                _hidden_sizes(self.hidden_units, name="hidden_units")
            ),
            "dropout": self.dropout,
        }

    def _backbone_key(self):
        """``backbone`` as :meth:`_network_params` compares it: a name as
        it is, a ``keras.Model`` by its content (a pickled and loaded copy
        is the same backbone). The model the network was built from, or the
        estimator's own copy of it in a pickle, is the same backbone without
        a look at its content: Keras serialises a copy's ``Lambda`` layer
        (its function's bytecode) otherwise, and its fingerprint differs."""
        backbone = self.backbone
        if isinstance(backbone, str):
            return backbone
        built = getattr(self, "_built_with", None) or {}
        given = built.get("backbone")
        if isinstance(given, _GivenModel) and given.refers_to(backbone):
            return built["network"]["backbone"]
        from .embedding import _backbone_fingerprint

        # Hashing takes 50 ms for MobileNetV2, 200 ms for ResNet50: once per
        # model object, not at every partial_fit call.
        return _backbone_fingerprint(backbone, once=True)

    def __getstate__(self):
        """The pickled state; the backbone model the network was built from
        is recorded as whether ``backbone`` still is it (a weak reference
        does not pickle)."""
        state = super().__getstate__()
        built = state.get("_built_with")
        given = built and built.get("backbone")
        if isinstance(given, _GivenModel):
            state["_built_with"] = {**built, "backbone": given.refers_to(self.backbone)}
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        built = vars(self).get("_built_with")
        if built and built.get("backbone") is not None:
            # Pickled while backbone was the network's: the loaded one is.
            same = built["backbone"] is True and not isinstance(self.backbone, str)
            self._built_with = {
                **built,
                "backbone": _GivenModel(self.backbone) if same else None,
            }

    def _build_head(self, n_features: int):
        keras = _keras.import_keras()
        layers = [keras.Input((n_features,))]
        for units in _hidden_sizes(self.hidden_units, name="hidden_units"):
            layers.append(keras.layers.Dense(units, activation="relu"))
            if self.dropout:
                layers.append(keras.layers.Dropout(self.dropout))
        layers.append(keras.layers.Dense(self.n_classes_, activation="softmax"))
        return keras.Sequential(layers, name="head")

    def _assemble(self, extractor, head, augment=False):
        """Images in, class probabilities out."""
        keras = _keras.import_keras()
        inputs = keras.Input((None, None, self.input_shape_[-1]), name="image")
        x = inputs
        for layer in self._augmentation_layers() if augment else []:
            x = layer(x)
        outputs = head(extractor(x))
        return keras.Model(inputs, outputs, name="transfer_classifier")

    def _augmentation_layers(self) -> list:
        keras = _keras.import_keras()
        if self.augmentation == "default":
            return [
                keras.layers.RandomFlip("horizontal"),
                keras.layers.RandomRotation(0.1),
                keras.layers.RandomZoom(0.1),
                keras.layers.RandomContrast(0.1),
            ]
        layers = list(self.augmentation or [])
        for layer in layers:
            if not isinstance(layer, keras.layers.Layer):
                raise TypeError(
                    "augmentation must be 'default', None or a list of Keras "
                    "layers, such as [keras.layers.RandomFlip('horizontal')]. "
                    f"Got {layer!r} in the list."
                )
        return [type(layer).from_config(layer.get_config()) for layer in layers]

    def _fit_head_on_embeddings(
        self, extractor, head, train, valid, epochs, incremental
    ):
        """Fit the compiled head on the backbone's embeddings of the images."""
        if epochs == 0:  # initialize: the network is built, nothing to embed
            return {}
        X, y, w = train
        embedded_train = (self._embed(extractor, X), y, w)
        embedded_valid = None
        if valid is not None:
            embedded_valid = (self._embed(extractor, valid[0]), *valid[1:])
        history = self._fit_keras_model(
            head,
            embedded_train,
            embedded_valid,
            epochs=epochs,
            fit_params={},
            incremental=incremental,
        )
        return history.history

    def _embed(self, extractor, X) -> np.ndarray:
        """Pooled features of every image, computed batch by batch."""
        return _embed_images(
            extractor, X, batch_size=self.batch_size, size=self.input_shape_[:2]
        )

    def _fit_on_images(
        self, model, train, valid, epochs, incremental=False, resume=None
    ) -> dict:
        """Fit the whole network on pixels (arrays) or streamed files, as
        every fit goes (``_fit_keras_model``: callbacks, epochs, verbosity,
        history); ``resume`` goes to early stopping (see :meth:`_fine_tune`).
        A failure on files names the file that does not decode."""
        X = train[0]
        # Training and validation images may each be pixels or file paths.
        valid_files = valid[0] if valid is not None and _are_paths(valid[0]) else None
        try:
            history = self._fit_keras_model(
                model,
                train,
                valid,
                epochs=epochs,
                fit_params={},
                incremental=incremental,
                resume=resume,
            )
        except Exception as exc:  # tf.errors.* while decoding a file?
            if _are_paths(X):
                files = X if valid_files is None else np.concatenate([X, valid_files])
            elif valid_files is not None and isinstance(exc, ValueError):
                files = valid_files
            else:
                raise
            # skimb's own ValueError (a bad setting, a failing callback) says
            # what went wrong, unless a file is the cause; any other error
            # on streamed files gets one that says whether a file is.
            if not isinstance(exc, ValueError) or _images.find_unreadable(files):
                raise _images.unreadable_error(files, exc) from exc
            raise
        return history.history

    def _training_dataset(self, model, train, *, batch_size, shuffle):
        """Training images as pixels (the base class's feed) or as files,
        read and decoded batch by batch (shuffled by the fit's seed)."""
        if not _are_paths(train[0]):
            return super()._training_dataset(
                model, train, batch_size=batch_size, shuffle=shuffle
            )
        X, y, weights = train
        data = _images.path_dataset(
            X,
            self.input_shape_[:2],
            batch_size,
            channels=self.input_shape_[-1],
            labels=self._targets_for_model(model, y),
            weights=weights,
            seed=self._fit_seed if shuffle else None,
        )
        return data, None

    def _validation_dataset(self, model, valid, batch_size):
        """Validation images as pixels (the base class's feed) or as files,
        whatever the training images are."""
        if not _are_paths(valid[0]):
            return super()._validation_dataset(model, valid, batch_size)
        X_valid, y_valid, w_valid = valid
        data = _images.path_dataset(
            X_valid,
            self.input_shape_[:2],
            batch_size,
            channels=self.input_shape_[-1],
            labels=self._targets_for_model(model, y_valid),
            weights=w_valid,
        )
        return data, None

    def _fine_tune(self, model, train, valid, head_history) -> dict:
        """Unfreeze the backbone's top layers and train at a lower rate.

        With early stopping, fine-tuning goes on from the head's best
        validation loss: an epoch must beat it to count, and when none does
        the network ends as the head's phase left it.
        """
        keras = _keras.import_keras()
        head_losses = np.asarray(head_history.get("val_loss", []), dtype=float)
        resume = None
        if self.early_stopping and np.isfinite(head_losses).any():
            resume = {
                "best": np.nanmin(head_losses),
                "best_weights": model.get_weights(),
            }
        backbone = _extractor_backbone(model.get_layer("feature_extractor"))
        _unfreeze_top_layers(backbone, self.trainable_layers)
        kwargs = self._compile_kwargs(model)
        kwargs["optimizer"] = keras.optimizers.Adam(float(self.fine_tune_learning_rate))
        model.compile(**kwargs)
        return self._fit_on_images(
            model, train, valid, self.fine_tune_epochs, resume=resume
        )

    # Prediction --------------------------------------------------------------

    def _forward(self, X) -> np.ndarray:
        if _are_paths(X):
            data = _images.path_dataset(
                X,
                self.input_shape_[:2],
                self.batch_size,
                channels=self.input_shape_[-1],
            )
            try:
                return np.asarray(self.model_.predict(data, verbose=0))
            except Exception as exc:  # tf.errors.* while decoding a file
                raise _images.unreadable_error(X, exc) from exc
        return super()._forward(X)


def _target_input_shape(backbone, input_shape, image_size) -> tuple:
    """The ``(height, width, channels)`` a backbone runs at.

    Side by side: a Keras model backbone's fixed height or width, if it has
    one; else ``input_shape`` if given; else the images' own size; else (for
    file inputs) the backbone's default size. A registered backbone never
    runs below 32 pixels, the smallest that ``keras.applications`` accept.
    Images of another size are resized. The channels are the backbone's
    (:func:`_backbone_channels`).
    """
    channels = _backbone_channels(backbone)
    fixed = _fixed_size(backbone)
    if input_shape is not None:
        wanted = _images.checked_input_shape(input_shape)[:2]
    elif image_size is not None:
        wanted = image_size
    else:  # file inputs: a fixed side, or the backbone's default size
        default = next((side for side in fixed if side), None)
        wanted = (default or _default_size(backbone),) * 2
    size = tuple(
        side if side is not None else int(own) for side, own in zip(fixed, wanted)
    )
    if isinstance(backbone, str):
        size = tuple(max(side, _MIN_SIZE) for side in size)
    return (*size, channels)


def _fixed_size(backbone) -> tuple:
    """A Keras model backbone's fixed height and width, None where free."""
    shape = _image_input_shape(backbone)
    if shape is None:
        return (None, None)
    return tuple(None if side is None else int(side) for side in shape[1:3])


def _default_size(backbone) -> int:
    if isinstance(backbone, str):
        return _backbone_spec(backbone).default_size
    return 224


def _embed_images(extractor, X, *, batch_size, size) -> np.ndarray:
    """Run ``extractor`` over images (array or paths), batch by batch."""
    with _keras.predicting(extractor):
        embeddings = _embed_batches(extractor, X, batch_size=batch_size, size=size)
    _warn_if_features_vanish(embeddings)
    return embeddings


def _embed_batches(extractor, X, *, batch_size, size) -> np.ndarray:
    if _are_paths(X):
        channels = int(extractor.input_shape[-1])
        data = _images.path_dataset(X, size, batch_size, channels=channels)
        try:
            return np.asarray(extractor.predict(data, verbose=0))
        except Exception as exc:  # tf.errors.* while decoding a file
            raise _images.unreadable_error(X, exc) from exc
    if len(X) <= batch_size:  # one call, without a data pipeline
        return _keras.call_on_small_input(extractor, X)
    # Batch by batch through the model's compiled predict step: two to five
    # times faster than calling it eagerly, and each batch is sliced from X
    # (model.predict would copy all of X into its own pipeline first).
    batches = [
        _keras.predict_on_batch(extractor, X[start : start + batch_size])
        for start in range(0, len(X), batch_size)
    ]
    return np.concatenate(batches)


#: Below this, a backbone's pooled features carry nothing a head can use.
_VANISHING_FEATURES = 1e-4


def _warn_if_features_vanish(embeddings: np.ndarray) -> None:
    """Warn when every feature of every image is close to zero.

    MobileNet and EfficientNet backbones with random weights output features
    of about 1e-12 to 1e-6. A head trained on them as they are (as
    TransferClassifier's) predicts the same probabilities for every image;
    standardised, they still differ between images, but say little.
    """
    if embeddings.size and np.abs(embeddings).max() < _VANISHING_FEATURES:
        warn_user(
            "The backbone's features are all close to zero (below "
            f"{_VANISHING_FEATURES:g} for every image), as MobileNet and "
            "EfficientNet backbones give with random weights (weights=None). "
            "A head trained on them unscaled, as TransferClassifier's, predicts "
            "the same for every image; standardised (StandardScaler) they "
            "differ between images but carry little. Use weights='imagenet', a "
            "weights file, or a backbone whose weights you trained."
        )


def _unfreeze_top_layers(backbone, n_layers: int) -> None:
    """Make the top ``n_layers`` layers that can learn trainable.

    Those are the layers with weights other than BatchNormalization, counted
    through nested models; BatchNormalization stays frozen (and so in
    inference mode) wherever it is.
    """
    keras = _keras.import_keras()
    layers = _leaf_layers(backbone)
    learners = [
        layer
        for layer in layers
        if layer.weights and not isinstance(layer, keras.layers.BatchNormalization)
    ]
    top = set(id(layer) for layer in learners[-n_layers:])
    backbone.trainable = True  # nested models too; their layers are set below
    for layer in layers:
        layer.trainable = id(layer) in top
    # A layer of the user's own that holds a BatchNormalization made it
    # trainable with everything inside it.
    for layer in backbone._flatten_layers(include_self=False):
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False


def _are_paths(X: np.ndarray) -> bool:
    """True for validated file paths (a str array), False for pixels."""
    return X.dtype.kind in "US"


def _leaf_layers(model) -> list:
    """The layers of a model, those of nested models in their place."""
    leaves = []
    for layer in model.layers:
        if getattr(layer, "layers", None):
            leaves += _leaf_layers(layer)
        else:
            leaves.append(layer)
    return leaves


def _concat_histories(first: dict, second: dict) -> dict:
    keys = list(dict.fromkeys([*first, *second]))
    return {key: list(first.get(key, [])) + list(second.get(key, [])) for key in keys}
