"""Keras layers that skimb puts inside its models (private).

They are registered as serialisable, so models that contain them survive
pickling and ``.keras`` files. This module imports Keras: import it lazily.
"""

# SPDX-License-Identifier: BSD-3-Clause

import keras
from keras import ops

#: ImageNet channel statistics of the "torch" and "caffe" preprocessing modes.
_IMAGENET_MEAN_RGB = (0.485, 0.456, 0.406)
_IMAGENET_STD_RGB = (0.229, 0.224, 0.225)
_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)

PREPROCESSING_MODES = ("tf", "torch", "caffe", "none")


@keras.saving.register_keras_serializable(package="skimb")
class ImagePreprocessing(keras.layers.Layer):
    """Map raw 0..255 RGB pixels to what a ``keras.applications`` backbone expects.

    The modes are those of ``keras.applications.imagenet_utils``:
    ``"tf"`` scales to [-1, 1], ``"torch"`` scales to [0, 1] and normalises
    with ImageNet's mean and standard deviation, ``"caffe"`` flips RGB to BGR
    and subtracts ImageNet's mean, ``"none"`` passes the pixels through (for
    backbones that preprocess inside themselves).
    """

    def __init__(self, mode="tf", **kwargs):
        super().__init__(**kwargs)
        if mode not in PREPROCESSING_MODES:
            raise ValueError(
                f"mode must be one of {PREPROCESSING_MODES}. Got {mode!r} instead."
            )
        self.mode = mode

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        if self.mode == "tf":
            return x / 127.5 - 1.0
        if self.mode == "torch":
            mean = ops.convert_to_tensor(_IMAGENET_MEAN_RGB, dtype=x.dtype)
            std = ops.convert_to_tensor(_IMAGENET_STD_RGB, dtype=x.dtype)
            return (x / 255.0 - mean) / std
        if self.mode == "caffe":
            mean = ops.convert_to_tensor(_CAFFE_MEAN_BGR, dtype=x.dtype)
            return ops.flip(x, axis=-1) - mean
        return x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


@keras.saving.register_keras_serializable(package="skimb")
class InferenceMode(keras.layers.Layer):
    """Run a wrapped layer (a backbone) in inference mode, always.

    A functional model passes its own ``training`` flag on to every layer
    whose ``call`` takes one, over a ``training=False`` given where the
    layer was called: training the model around a backbone would run the
    backbone's Dropout and BatchNormalization in training mode. This
    layer's ``call`` takes no ``training``, so nothing passes one to it,
    and it calls the wrapped layer with ``training=False``. Which of the
    wrapped layer's weights train is still decided by their ``trainable``.
    """

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build(input_shape)
        self.built = True

    def call(self, inputs):
        return self.layer(inputs, training=False)

    def compute_output_spec(self, inputs):
        # The wrapped layer's own: a subclassed keras.Model without a
        # compute_output_shape traces its call (its compute_output_shape,
        # asked here before, raised NotImplementedError).
        return self.layer.compute_output_spec(inputs)

    def get_config(self):
        layer = keras.saving.serialize_keras_object(self.layer)
        return {**super().get_config(), "layer": layer}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = keras.saving.deserialize_keras_object(config["layer"])
        return cls(**config)
