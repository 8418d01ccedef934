"""Tests of the focal and logit-adjusted losses, against hand-computed values."""

import re

import keras
import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score

from skimb import MLPClassifier
from skimb.losses import FocalLoss, LogitAdjustedLoss, _resolve_skimb_loss

Y3 = np.array([0, 2])
P3 = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])


def test_focal_hand_computed_multiclass():
    """Focal loss on two 3-class rows equals the formula computed by hand."""
    expected = np.mean([-(0.3**2) * np.log(0.7), -(0.4**2) * np.log(0.6)])
    assert float(FocalLoss(gamma=2.0)(Y3, P3)) == pytest.approx(expected, rel=1e-5)


def test_focal_binary_sigmoid_and_alpha():
    """One sigmoid unit: p_t is p for class 1, 1 - p for class 0; alpha weighs."""
    y, p = np.array([1, 0]), np.array([[0.8], [0.4]])
    terms = np.array([-(0.2**1) * np.log(0.8), -(0.4**1) * np.log(0.6)])
    got = float(FocalLoss(gamma=1.0)(y, p))
    assert got == pytest.approx(terms.mean(), rel=1e-5)
    weighted = float(FocalLoss(gamma=1.0, alpha=0.25)(y, p))
    assert weighted == pytest.approx(np.mean(terms * [0.25, 0.75]), rel=1e-5)


def test_focal_alpha_per_class():
    """A per-class alpha multiplies each row by its true class's weight."""
    alpha = [0.2, 0.3, 0.5]
    expected = np.mean([-0.2 * 0.3**2 * np.log(0.7), -0.5 * 0.4**2 * np.log(0.6)])
    got = float(FocalLoss(gamma=2.0, alpha=alpha)(Y3, P3))
    assert got == pytest.approx(expected, rel=1e-5)


def test_focal_gamma_zero_is_cross_entropy():
    """At gamma=0 the focal loss is Keras's cross-entropy."""
    ce = keras.losses.SparseCategoricalCrossentropy()(Y3, P3)
    assert float(FocalLoss(gamma=0.0)(Y3, P3)) == pytest.approx(float(ce), rel=1e-5)
    y, p = np.array([1.0, 0.0]), np.array([[0.8], [0.4]])
    bce = keras.losses.BinaryCrossentropy()(y.reshape(-1, 1), p)
    assert float(FocalLoss(gamma=0.0)(y, p)) == pytest.approx(float(bce), rel=1e-5)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0, 2.0])
@pytest.mark.parametrize("units", [2, 1])
def test_focal_gradient_on_confident_logits_is_finite(gamma, units):
    """Confidently right logits (p_t rounds to 1) have a zero, finite
    gradient, as cross-entropy's; for gamma < 1 it was NaN: the slope of
    (1 - p_t) ** gamma at 0 is infinite."""
    import tensorflow as tf

    y = np.array([0, 1])
    logits = [[30.0, -30.0], [-30.0, 30.0]] if units == 2 else [[-30.0], [30.0]]
    logits = tf.Variable(logits)
    with tf.GradientTape() as tape:
        loss = FocalLoss(gamma=gamma, from_logits=True)(y, logits)
    gradient = tape.gradient(loss, logits).numpy()
    np.testing.assert_allclose(gradient, 0.0, atol=1e-6)
    # Values away from p_t = 1 are still the formula's.
    p = float(FocalLoss(gamma=gamma)(np.array([0]), np.array([[0.7, 0.3]])))
    assert p == pytest.approx(-(0.3**gamma) * np.log(0.7), rel=1e-5)


def test_focal_loss_trains_a_logits_network_at_small_gamma():
    """Separable data and a large step: a linear output with loss__gamma=0.5
    trains as cross-entropy does (its gradient turned NaN, and the fit ended
    in "Training diverged")."""
    from skimb import KerasClassifier

    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(-3, 1, (180, 2)), rng.normal(3, 1, (20, 2))]
    y = np.r_[np.zeros(180), np.ones(20)].astype(int)
    for gamma in (0.0, 0.5):
        clf = KerasClassifier(
            _logits_model,
            loss="focal",
            loss__gamma=gamma,
            epochs=30,
            optimizer__learning_rate=1.0,
            random_state=0,
        ).fit(X, y)
        assert balanced_accuracy_score(y, clf.predict(X)) > 0.95


def test_focal_down_weights_easy_samples():
    """On confidently right predictions, focal loss is far below cross-entropy."""
    easy = np.array([[0.95, 0.05]] * 4)
    y = np.zeros(4)
    assert float(FocalLoss()(y, easy)) < 0.01 * float(FocalLoss(gamma=0)(y, easy))


def test_from_logits_matches_probabilities():
    """from_logits=True on logits equals the loss on their softmax."""
    logits = np.log(P3) + 1.7  # a constant shift per row changes nothing
    for loss_class, params in (
        (FocalLoss, {}),
        (LogitAdjustedLoss, {"class_prior": [0.5, 0.3, 0.2]}),
    ):
        on_logits = loss_class(from_logits=True, **params)(Y3, logits)
        on_proba = loss_class(**params)(Y3, P3)
        assert float(on_logits) == pytest.approx(float(on_proba), rel=1e-5)


def test_logit_adjusted_hand_computed():
    """Logit adjustment adds tau * log prior to the logits before softmax."""
    prior, p = np.array([0.9, 0.1]), np.array([[0.6, 0.4]])
    z = np.log(p[0]) + np.log(prior)
    expected = -(z[1] - np.log(np.exp(z).sum()))
    got = float(LogitAdjustedLoss(class_prior=prior, tau=1.0)(np.array([1]), p))
    assert got == pytest.approx(expected, rel=1e-5)
    ce = keras.losses.SparseCategoricalCrossentropy()(Y3, P3)
    zero = LogitAdjustedLoss(class_prior=[0.5, 0.3, 0.2], tau=0.0)(Y3, P3)
    assert float(zero) == pytest.approx(float(ce), rel=1e-5)


def test_sample_weight_is_applied():
    """Keras's sample_weight scales each row's loss."""
    loss = FocalLoss(gamma=2.0)
    rows = [-(0.3**2) * np.log(0.7), -(0.4**2) * np.log(0.6)]
    got = float(loss(Y3, P3, sample_weight=np.array([2.0, 0.0])))
    assert got == pytest.approx(2.0 * rows[0] / 2, rel=1e-5)


@pytest.mark.parametrize(
    "loss, y_pred",
    [
        (FocalLoss(), P3),
        (FocalLoss(alpha=[1.0, 1.0, 1.0]), P3),
        (LogitAdjustedLoss([0.5, 0.3, 0.2]), P3),
        (FocalLoss(), np.array([[0.4], [0.7]])),  # one sigmoid unit
        (LogitAdjustedLoss([0.7, 0.3]), np.array([[0.4], [0.7]])),
    ],
)
@pytest.mark.parametrize("bad_label", [3, -1])
def test_a_label_outside_the_classes_gives_nan(loss, y_pred, bad_label):
    """A label the outputs do not have makes its row's loss NaN; its one-hot
    row is all zero, so the loss was a silent 0 (the sample taught nothing)."""
    per_row = loss.call(np.array([0, bad_label]), y_pred)
    assert np.isfinite(float(per_row[0])) and np.isnan(float(per_row[1]))
    assert np.isnan(float(loss(np.array([0, bad_label]), y_pred)))


@pytest.mark.parametrize(
    "loss",
    [
        FocalLoss(gamma=1.5, alpha=[0.3, 0.7]),
        LogitAdjustedLoss(class_prior=[0.8, 0.2], tau=0.5),
    ],
)
def test_saved_and_loaded_with_a_model(loss, tmp_path):
    """A model compiled with the loss survives a .keras round trip."""
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(20, 3)), rng.randint(0, 2, 20)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, "softmax")])
    model.compile("adam", loss)
    model.fit(X, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert loaded.loss.get_config() == loss.get_config()
    np.testing.assert_allclose(
        loaded.predict(X, verbose=0), model.predict(X, verbose=0)
    )


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda: FocalLoss(gamma=-1),
            "The 'gamma' parameter of FocalLoss must be a finite number >= 0. "
            "Got -1 instead.",
        ),
        # NaN trained to NaN weights ("Training diverged ... scale the features").
        (lambda: FocalLoss(gamma=float("nan")), "Got nan instead"),
        (lambda: FocalLoss(gamma=float("inf")), "Got inf instead"),
        # "no" is truthy: the loss treated probabilities as logits.
        (lambda: FocalLoss(from_logits="no"), "must be True or False. Got 'no'"),
        (
            lambda: LogitAdjustedLoss([0.9, 0.1], from_logits=1),
            "'from_logits' parameter of LogitAdjustedLoss must be True or False",
        ),
        (
            lambda: LogitAdjustedLoss([0.9, 0.1], tau=float("inf")),
            "'tau' parameter of LogitAdjustedLoss must be a finite number",
        ),
        (lambda: FocalLoss(alpha=1.5), "The 'alpha' parameter of FocalLoss must be in"),
        (lambda: FocalLoss(alpha=[0.5, -1]), "one non-negative weight per class"),
        (lambda: LogitAdjustedLoss(class_prior=[1.0]), "at least two classes"),
        # Not a sequence of numbers: NumPy's TypeError or ValueError named no
        # parameter ("float() argument must be ... not 'dict'").
        (lambda: FocalLoss(alpha={0: 0.2, 1: 0.8}), "one non-negative weight per"),
        (lambda: FocalLoss(alpha="x"), "The 'alpha' parameter of FocalLoss must"),
        (lambda: LogitAdjustedLoss(class_prior="ab"), "at least two classes"),
        (lambda: LogitAdjustedLoss(class_prior={0: 0.9, 1: 0.1}), "'class_prior'"),
        # 2-D values were flattened silently, whatever their rows meant.
        (
            lambda: FocalLoss(alpha=[[0.25, 0.75]]),
            "The 'alpha' parameter of FocalLoss must be a 1-D sequence, one value "
            "per class in the order of the classes. Got an array of shape (1, 2)",
        ),
        (
            lambda: FocalLoss(alpha=np.array([[0.2, 0.3], [0.1, 0.4]])),
            "'alpha' parameter of FocalLoss must be a 1-D sequence",
        ),
        (
            lambda: LogitAdjustedLoss(class_prior=[[0.9], [0.1]]),
            "The 'class_prior' parameter of LogitAdjustedLoss must be a 1-D "
            "sequence, one value per class in the order of the classes. Got an "
            "array of shape (2, 1)",
        ),
        (
            lambda: _resolve_skimb_loss("focal", class_prior=None, params={"gama": 1}),
            "FocalLoss got an unexpected parameter 'gama' (routed as 'loss__gama')",
        ),
    ],
)
def test_clear_errors(make, message):
    """Bad loss parameters are ValueErrors that name the parameter."""
    with pytest.raises(ValueError, match=re.escape(message)):
        make()


def test_losses_by_name_on_an_estimator(imbalanced_data):
    """loss='focal' / 'logit_adjusted' with routed-style parameters train."""
    X, y = imbalanced_data
    for loss in ("focal", "logit_adjusted"):
        clf = MLPClassifier(
            hidden_layer_sizes=(16,),
            max_iter=20,
            loss=loss,
            learning_rate_init=0.01,
            random_state=0,
        ).fit(X, y)
        assert type(clf.model_.loss).__name__ in ("FocalLoss", "LogitAdjustedLoss")
        assert balanced_accuracy_score(y, clf.predict(X)) > 0.9
    clf = MLPClassifier(max_iter=2, loss="logit_adjusted", random_state=0).fit(X, y)
    np.testing.assert_allclose(clf.model_.loss.class_prior, np.bincount(y) / len(y))
    # The prior correction replaces class weights: all samples weigh one.
    np.testing.assert_allclose(clf._sample_weight(y, None), 1.0)


def _logits_model(meta):
    """A network whose last layer is linear: it outputs logits."""
    return keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(meta["n_classes_"]),
        ]
    )


@pytest.mark.parametrize("loss", ["focal", "logit_adjusted"])
def test_losses_by_name_on_a_logits_model(imbalanced_data, loss):
    """On a network that outputs logits, skimb's losses get from_logits=True.

    They used to be built with from_logits=False whatever the network, so
    they read logits as probabilities: the training loss was NaN.
    """
    from skimb import KerasClassifier

    X, y = imbalanced_data
    clf = KerasClassifier(
        _logits_model,
        loss=loss,
        epochs=10,
        optimizer__learning_rate=0.01,
        random_state=0,
    ).fit(X, y)
    assert clf.model_.loss.from_logits is True
    assert np.all(np.isfinite(clf.history_["loss"]))
    assert balanced_accuracy_score(y, clf.predict(X)) > 0.85
    # A routed loss__from_logits is the user's word and still wins.
    clf = KerasClassifier(
        _logits_model, loss=loss, loss__from_logits=False, epochs=1, random_state=0
    ).fit(X, y)
    assert clf.model_.loss.from_logits is False


@pytest.mark.parametrize("given", ["object", "class", "subclass"])
def test_logit_adjusted_loss_object_replaces_class_weights(imbalanced_data, given):
    """A LogitAdjustedLoss object or class corrects for the prior, as the
    name does, so no class weights go on top (they did: the prior was
    corrected twice)."""
    from skimb import KerasClassifier

    class MyLogitAdjusted(LogitAdjustedLoss):
        pass

    X, y = imbalanced_data
    prior = list(np.bincount(y) / len(y))
    loss, params = {
        "object": (LogitAdjustedLoss(prior, from_logits=True), {}),
        "class": (LogitAdjustedLoss, {"loss__class_prior": prior}),
        "subclass": (MyLogitAdjusted, {"loss__class_prior": prior}),
    }[given]
    clf = KerasClassifier(_logits_model, loss=loss, epochs=1, random_state=0, **params)
    clf.fit(X, y)
    assert isinstance(clf.model_.loss, LogitAdjustedLoss)
    np.testing.assert_allclose(clf._sample_weight(y, None), 1.0)
    # Another Keras loss keeps the default balanced class weights.
    plain = KerasClassifier(_logits_model, loss="sparse_categorical_crossentropy")
    weights = plain.set_params(epochs=1).fit(X, y)._sample_weight(y, None)
    assert weights[y == 1].mean() > 3 * weights[y == 0].mean()


def test_posthoc_logit_adjustment(imbalanced_data):
    """logit_adjustment divides probabilities by prior**tau without refitting."""
    X, y = imbalanced_data
    clf = MLPClassifier(
        hidden_layer_sizes=(16,),
        max_iter=10,
        class_weight=None,
        learning_rate_init=0.01,
        random_state=0,
    ).fit(X, y)
    plain = clf.predict_proba(X)
    clf.set_params(logit_adjustment=1.0)
    adjusted = clf.predict_proba(X)
    expected = plain / clf.class_prior_
    np.testing.assert_allclose(adjusted, expected / expected.sum(1, keepdims=True))
    assert np.sum(clf.predict(X) == 1) >= np.sum(plain.argmax(1) == 1)


def test_large_posthoc_logit_adjustment_stays_finite(imbalanced_data):
    """prior**-tau overflowed for a large tau (160 with a 1% class): rows of
    NaN. In log space the rows stay probabilities, the rare class winning."""
    X, y = imbalanced_data
    clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    clf.fit(X, y)
    for tau in (160.0, 1000.0):
        proba = clf.set_params(logit_adjustment=tau).predict_proba(X)
        assert np.isfinite(proba).all()
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        rare = np.argmin(clf.class_prior_)
        assert (proba.argmax(axis=1) == rare).all()


@pytest.mark.parametrize(
    "make",
    [
        lambda dtype: FocalLoss(dtype=dtype),
        lambda dtype: FocalLoss(gamma=0.5, alpha=0.25, dtype=dtype),
        lambda dtype: LogitAdjustedLoss([0.8, 0.2], dtype=dtype),
    ],
)
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_losses_are_finite(make, dtype):
    """In half precision a sigmoid output of 1 on a row of class 0 (and 0
    on a row of class 1) gave an infinite loss: 1 - epsilon rounds to 1, so
    the loss took log(0). They are computed in float32 and cast back."""
    y_true = np.array([0, 1, 1, 0])
    y_pred = np.array([[1.0], [0.0], [0.5], [0.25]])
    half = make(dtype)
    value = half(y_true, y_pred.astype("float16"))
    assert keras.backend.standardize_dtype(value.dtype) == dtype
    expected = float(make("float32")(y_true, y_pred))
    assert np.isfinite(float(value))
    np.testing.assert_allclose(float(value), expected, rtol=1e-2)
    per_row = half.call(y_true, keras.ops.convert_to_tensor(y_pred, dtype=dtype))
    per_row = np.asarray(keras.ops.cast(per_row, "float32"))
    assert np.isfinite(per_row).all()


LOSSES_3 = [
    FocalLoss(gamma=2.0, alpha=[0.2, 0.3, 0.5]),
    FocalLoss(gamma=0.5, from_logits=True),
    LogitAdjustedLoss([0.5, 0.3, 0.2], tau=1.0),
]


@pytest.mark.parametrize("loss", LOSSES_3)
@pytest.mark.parametrize("n_rows", [2, 1])
def test_one_hot_labels_give_the_loss_of_integer_labels(loss, n_rows):
    """One-hot rows (keras.utils.to_categorical) are the integer labels'
    loss. They were reshaped to n * K labels: a TensorFlow shape error, and
    for a batch of one row a silently wrong loss."""
    y, p = Y3[:n_rows], P3[:n_rows]
    one_hot = keras.utils.to_categorical(y, 3)
    assert float(loss(one_hot, p)) == pytest.approx(float(loss(y, p)), rel=1e-6)


def test_one_hot_labels_with_one_sigmoid_unit():
    """Two one-hot columns are the labels of a single sigmoid unit."""
    y, p = np.array([1, 0]), np.array([[0.8], [0.4]])
    for loss in (FocalLoss(gamma=1.0, alpha=0.25), LogitAdjustedLoss([0.7, 0.3])):
        one_hot = keras.utils.to_categorical(y, 2)
        assert float(loss(one_hot, p)) == pytest.approx(float(loss(y, p)), rel=1e-6)


def test_soft_labels_match_keras():
    """Soft label rows (label smoothing) give Keras's categorical focal
    cross-entropy, and the cross-entropy at tau=0 for logit adjustment."""
    soft = np.array([[0.8, 0.1, 0.1], [0.05, 0.05, 0.9]])
    focal = FocalLoss(gamma=2.0, alpha=[0.25, 0.25, 0.25])(soft, P3)
    keras_focal = keras.losses.CategoricalFocalCrossentropy(alpha=0.25, gamma=2.0)
    assert float(focal) == pytest.approx(float(keras_focal(soft, P3)), rel=1e-5)
    adjusted = LogitAdjustedLoss([0.5, 0.3, 0.2], tau=0.0)(soft, P3)
    ce = keras.losses.CategoricalCrossentropy()(soft, P3)
    assert float(adjusted) == pytest.approx(float(ce), rel=1e-5)


@pytest.mark.parametrize(
    "loss",
    [FocalLoss(gamma=0.0), LogitAdjustedLoss([0.5, 0.3, 0.2], tau=0.0)],
)
def test_outputs_per_time_step_with_a_mask(loss):
    """Outputs of shape (n, steps, K) with a Keras mask: at gamma=0 and tau=0
    the loss is the masked sparse cross-entropy. Labels were flattened to
    one column, a TensorFlow shape error."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Embedding(5, 3, mask_zero=True),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    X = np.array([[1, 2, 0, 0], [3, 4, 1, 0]])
    y = np.array([[0, 1, 2, 2], [1, 0, 2, 0]])
    model.compile(loss="sparse_categorical_crossentropy")
    expected = model.evaluate(X, y, verbose=0)
    model.compile(loss=loss)
    assert model.evaluate(X, y, verbose=0) == pytest.approx(expected, rel=1e-5)
    model.compile(loss=loss)
    one_hot = model.evaluate(X, keras.utils.to_categorical(y, 3), verbose=0)
    assert one_hot == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("loss", LOSSES_3)
def test_labels_of_another_shape_are_a_clear_error(loss):
    """y_true that is neither labels nor one-hot rows names both shapes."""
    with pytest.raises(ValueError, match=re.escape("Got y_true of shape (2, 2)")):
        loss(np.array([[1, 0], [0, 1]]), P3)
