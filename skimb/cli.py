"""The ``skimb`` command: compare imbalance strategies, fit and predict.

``skimb compare`` runs on the built-in 90:10 table with no arguments, or on
DATA as ``skimb fit`` takes it: a CSV table (``DATA --target COLUMN``, or
``--csv FILE --target COLUMN``) or a folder of class subfolders of images
(``DATA``, or ``--images DIR``). ``-`` as a CSV file (DATA, or ``--csv``)
reads the table from standard input. Bad input ends with one ``error:`` line
on stderr and exit code 2, never a traceback.
"""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import io
import os
import re
import sys
import warnings
from pathlib import Path

import click

from ._messages import reason

#: Exit code for bad input (click uses 2 for usage errors too).
_BAD_INPUT = 2

_METRIC_COLUMNS = [
    ("f1", "F1"),
    ("recall", "recall"),
    ("precision", "precision"),
    ("balanced_accuracy", "bal. acc."),
    ("geometric_mean", "G-mean"),
    ("average_precision", "AP"),
    ("fit_time", "fit s"),
]


class _BadInput(click.ClickException):
    """One clear line on stderr, exit code 2."""

    exit_code = _BAD_INPUT

    def show(self, file=None):
        click.echo(f"error: {self.format_message()}", err=True)


def _guard(function):
    """The library's ValueError/TypeError/OSError as one error line, and its
    warnings as one warning line each, in the command's terms."""
    import functools
    import warnings

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with warnings.catch_warnings():  # restores showwarning on the way out
            warnings.showwarning = _show_warning
            try:
                return function(*args, **kwargs)
            except (ValueError, TypeError, OSError) as exc:
                raise _BadInput(_option_spelling(reason(exc))) from exc

    return wrapper


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """A warning as ``warning: ...``, without the source line under it."""
    click.echo(f"warning: {_option_spelling(str(message))}", err=True)


def _option_spelling(message):
    """The library's keywords in a message, spelt as the command's options.

    ``weights=None`` or ``weights='...'`` becomes ``--weights none`` or
    ``--weights ...``, and ``folds=5`` becomes ``--folds 5``.
    """
    # Not inside a path or a longer name: "/data/folds=5/x.csv" stays.
    message = re.sub(
        r"(?<![\w/])weights=(None|'([^']*)')",
        lambda match: (
            "--weights " + ("none" if match[1] == "None" else match[2] or "''")
        ),
        message,
    )
    return re.sub(r"(?<![\w/])folds=(\d+)", r"--folds \1", message)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="skimb")
def main():
    """skimb: Keras classifiers for imbalanced data, the scikit-learn way."""
    # Quiet TensorFlow's C++ start-up logs (the library itself never does
    # this), for this command only: called in-process (main([...]) from a
    # script or a test), the caller's environment is put back at the end.
    # The lines that TensorFlow 2.21 logs while its libraries load (oneDNN,
    # cudart_stub) ignore every environment setting: see docs/decisions.md.
    if "TF_CPP_MIN_LOG_LEVEL" not in os.environ:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
        click.get_current_context().call_on_close(
            lambda: os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)
        )


def _backbone_options(function):
    """--backbone and --weights, for image folders."""
    options = [
        click.option(
            "--backbone",
            default="mobilenet_v2",
            show_default=True,
            help="Backbone for images (a skimb.transfer.BACKBONES name).",
        ),
        click.option(
            "--weights",
            default="imagenet",
            show_default=True,
            help="Backbone weights for images: imagenet, none or a file.",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _no_dash(why, instead):
    """A callback that refuses ``-`` (standard output, to many Unix tools)
    for an option that writes files: click would write a file named ``-``."""

    def callback(ctx, param, value):
        if value == "-":
            raise click.BadParameter(
                f"'-' would be standard output, but {why}; give a name "
                f"instead, such as {instead}"
            )
        return value

    return callback


def _data_options(function):
    options = [
        click.option(
            "--csv",
            "csv_path",
            type=click.Path(dir_okay=False, allow_dash=True),
            help="A CSV table; needs --target. - reads it from standard input.",
        ),
        click.option("--target", help="The label column of the CSV table."),
        click.option(
            "--images",
            "images_dir",
            type=click.Path(file_okay=False),
            help="A folder with one subfolder of images per class.",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return _backbone_options(function)


@main.command()
@click.argument("data", required=False, type=click.Path(allow_dash=True))
@_data_options
@click.option(
    "--strategies",
    default=None,
    help="Comma-separated strategies (default: all). See 'skimb strategies'.",
)
@click.option(
    "--folds",
    default=5,
    show_default=True,
    type=click.IntRange(2, 50),
    help="Folds of the stratified k-fold.",
)
@click.option(
    "--n-jobs",
    default=lambda: min(2, os.cpu_count() or 1),
    show_default="2, or 1 on a one-core machine",
    type=int,
    help=(
        "Parallel fits (joblib processes); 1 fits everything in this process. "
        "Negative values count back from the cores, as in joblib: -1 one per "
        "core, -2 all but one (at least 1)."
    ),
)
@click.option(
    "--random-state",
    default=0,
    show_default=True,
    type=int,
    help="Seed of the folds, samplers and networks.",
)
@click.option(
    "--output",
    type=click.Path(file_okay=False),
    callback=_no_dash(
        "--output is the folder for results.json and pr_curve.png (the table "
        "is printed on standard output anyway)",
        "--output results",
    ),
    help="Write results.json and pr_curve.png into this folder.",
)
@click.option("--quiet", is_flag=True, help="No progress bar; the table only.")
@_guard
def compare(
    data,
    csv_path,
    target,
    images_dir,
    backbone,
    weights,
    strategies,
    folds,
    n_jobs,
    random_state,
    output,
    quiet,
):
    """Compare imbalance strategies with stratified cross-validation.

    DATA is a CSV file (with --target; - reads it from standard input) or an
    image folder, as for 'skimb fit'; --csv FILE or --images DIR name the
    data instead. Without any of them it runs on the built-in 90:10 table
    (1,000 rows, 20 features).
    """
    from .compare import STRATEGIES, compare_strategies

    names = _parse_strategies(strategies) or list(STRATEGIES)
    if n_jobs == 0:
        raise ValueError(
            "--n-jobs 0 means no worker: use 1 (this process), 2 or more "
            "(processes) or -1 (one per core)"
        )
    if output:
        _writable_folder(output)
    X, y, preprocessor, params, source = _load_data(
        data, csv_path, target, images_dir, backbone, weights
    )
    result = _run_with_progress(
        compare_strategies,
        X,
        y,
        names,
        folds=folds,
        n_jobs=n_jobs,
        random_state=random_state,
        preprocessor=preprocessor,
        estimator_params=params,
        quiet=quiet,
    )
    result.config["data"] = source
    _print_table(result, source)
    if output:
        folder = Path(output)
        _write_whole(folder / "results.json", result.to_json)
        _write_whole(folder / "pr_curve.png", result.plot_pr)
        click.echo(f"wrote {folder / 'results.json'} and {folder / 'pr_curve.png'}")


@main.command()
def strategies():
    """List the strategies that 'skimb compare' knows."""
    from .compare import STRATEGIES

    for name, description in STRATEGIES.items():
        click.echo(f"{name:18s} {description}")


@main.command()
@click.argument("data", type=click.Path(dir_okay=True, allow_dash=True))
@click.option("--target", help="The label column (CSV data).")
@click.option(
    "--strategy",
    default="class_weight",
    show_default=True,
    help="The imbalance strategy to fit.",
)
@click.option(
    "--model-out",
    required=True,
    type=click.Path(dir_okay=False),
    callback=_no_dash("the model is a binary joblib file", "--model-out model.joblib"),
    help="Where to save the fitted model (joblib).",
)
@click.option(
    "--random-state",
    default=0,
    show_default=True,
    type=int,
    help="Seed of the sampler and the network.",
)
@_backbone_options
@_guard
def fit(data, target, strategy, model_out, random_state, backbone, weights):
    """Fit one strategy on DATA (a CSV file, or an image folder) and save it.

    DATA - reads the CSV table from standard input. For an image folder
    (one subfolder per class), the saved model embeds images with the frozen
    backbone and classifies the embeddings.
    """
    import joblib

    from .compare import (
        _check_folds,
        _check_strategies,
        _fit_strategy,
        _smallest_class,
        _smote_neighbors,
        make_strategy,
    )

    strategy = strategy.strip()  # as --strategies of compare reads names
    _check_strategies([strategy])
    _check_not_an_input(model_out, "--model-out", data, "training data")
    _writable_file(model_out, "model.joblib")
    embedder, preprocessor = None, None
    _check_data_exists(data)
    if not _is_stdin(data) and Path(data).is_dir():  # learns on the embeddings
        _check_no_target(target)
        embedder, X, y, _ = _embed_folder(data, backbone, weights)
    else:
        _check_no_backbone(_not_a_folder(data))
        X, y, preprocessor, _, _ = _load_csv(data, target, named_by=_the_csv(data))
    _check_folds(y, 1)  # no folds here: this checks for two classes at least
    model = make_strategy(
        strategy,
        preprocessor=preprocessor,
        random_state=random_state,
        k_neighbors=_smote_neighbors([strategy], _smallest_class(y)[1]),
    )
    _fit_strategy(model, X, y)  # a sampler that removes a class: an error
    if embedder is not None:  # so that the saved model takes image files
        from sklearn.pipeline import make_pipeline

        model = make_pipeline(embedder, model)
    saved = {"model": model, "target": target, "skimb_model": 1}
    _write_whole(model_out, lambda path: joblib.dump(saved, path))
    click.echo(f"fitted {strategy!r} on {len(y)} rows; saved to {model_out}")


@main.command()
@click.argument("model_file", type=click.Path(dir_okay=False))
@click.argument("data", type=click.Path(allow_dash=True))
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="CSV file for the predictions and class probabilities; - writes "
    "them to standard output.",
)
@_guard
def predict(model_file, data, output):
    """Predict DATA with a model saved by 'skimb fit'.

    DATA is a CSV file (the target column, if present, is ignored; - reads it
    from standard input) or, for a model fitted on images, a folder or one
    image file: every image file in the folder and its subfolders is
    predicted, and the output starts with a 'path' column.
    """
    import joblib
    import pandas as pd

    _check_data_exists(data, "a CSV file, an image folder or an image file")
    to_stdout = output == "-"  # as in many Unix tools
    if not to_stdout:
        _check_not_an_input(output, "--output", model_file, "model file")
        _check_not_an_input(output, "--output", data, "data file")
        _writable_file(output, "predictions.csv")
    saved = _load_model_file(model_file, joblib)
    model = saved["model"]
    out = pd.DataFrame()
    images = _image_input(data)
    _check_data_kind(model_file, model, data, images)
    if images:
        X = _image_files(data) if Path(data).is_dir() else [str(data)]
        out["path"] = X
    else:
        X = _read_csv(data)
        if saved["target"] in X.columns:
            X = X.drop(columns=[saved["target"]])
        _check_columns(X, model, _name(data))
        _check_numbers(
            X,
            _numeric_columns(model),
            data,
            "but the model was fitted on numbers there",
        )
        _check_finite(X, data)
    proba = model.predict_proba(X)
    out["prediction"] = model.classes_[proba.argmax(axis=1)]
    for j, label in enumerate(model.classes_):
        out[f"proba_{label}"] = proba[:, j]
    if to_stdout:  # the CSV alone, so that it can be piped
        click.echo(out.to_csv(index=False), nl=False)
        return
    _write_whole(output, lambda path: out.to_csv(path, index=False))
    click.echo(f"wrote {len(out)} predictions to {output}")


# ----------------------------------------------------------------------
# Helpers


def _writable_folder(folder) -> None:
    """Create ``folder`` and its parents now, before any long work."""
    path = Path(folder)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        # "File exists" or "Not a directory": a file where a folder should be.
        existing = next(p for p in (path, *path.parents) if p.exists())
        why = f"{existing} is a file" if existing.is_file() else exc.strerror
        raise ValueError(f"cannot create the folder {folder}: {why}") from exc
    if not os.access(path, os.W_OK):
        raise ValueError(f"cannot write into the folder {folder}")


def _writable_file(file, example: str) -> None:
    """Create the folder of ``file`` now, before any long work; ``example``
    is a file name for the error of a path that names a folder."""
    if str(file).endswith(("/", os.sep)):
        # pathlib drops the slash: "models/" wrote a file named "models".
        raise ValueError(
            f"{file} ends with a slash, so it names a folder; give the file's "
            f"name too, e.g. {Path(file) / example}"
        )
    _writable_folder(Path(file).parent)


def _write_whole(path, write) -> None:
    """Write ``path`` with ``write(other_path)`` and then rename it ``path``.

    A write that fails half-way (a full disk, a quota) leaves no half-written
    file, and a file that was there before as it was. The temporary file,
    beside ``path``, keeps its suffix: joblib, pandas and matplotlib choose
    the compression or format by it. A link is followed (the file it names
    is replaced), and what is not a file (/dev/null, a named pipe) is
    written to directly: renaming over it would replace it.
    """
    import secrets

    path = Path(path)
    direct = path.exists() and not path.is_file()
    real = Path(os.path.realpath(path))
    temporary = real.with_name(f".{real.stem}-{secrets.token_hex(4)}{real.suffix}")
    try:
        if direct:
            write(path)
            return
        # Created here so that it has the permissions of a new file (umask).
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        write(temporary)
        os.replace(temporary, real)
    except OSError as exc:
        kept = f"; {path} is as it was" if path.is_file() else ""
        raise ValueError(
            f"cannot write {path}: {exc.strerror or reason(exc)}{kept}"
        ) from exc
    finally:
        if not direct:
            temporary.unlink(missing_ok=True)


def _check_not_an_input(output, option, path, what) -> None:
    """Refuse to write ``output`` over the input file ``path``."""
    if (
        not _is_stdin(path)
        and Path(output).is_file()
        and Path(path).is_file()
        and os.path.samefile(output, path)
    ):
        raise ValueError(
            f"{option} {output} is the {what} {path}: writing there would "
            f"replace it. Give {option} another file name"
        )


def _parse_strategies(text):
    if text is None:  # not given: all strategies
        return None
    from .compare import _check_strategies

    return _check_strategies([name.strip() for name in text.split(",") if name.strip()])


def _load_data(data, csv_path, target, images_dir, backbone, weights):
    """X, y, the preprocessing step, network params and a description.

    DATA is read as 'skimb fit' reads it: an image folder if it is a folder,
    a CSV file otherwise.
    """
    if csv_path and images_dir:
        raise ValueError("give either --csv or --images, not both")
    if data and (csv_path or images_dir):
        option = f"--csv {csv_path}" if csv_path else f"--images {images_dir}"
        if _is_stdin(csv_path):
            option += " (standard input)"
        stdin = " (standard input)" if _is_stdin(data) else ""
        raise ValueError(
            f"DATA {data}{stdin} and {option} both name the data; give one of them"
        )
    if _is_stdin(images_dir):
        raise ValueError(
            "--images - would be standard input, but an image folder cannot "
            "come from standard input (a CSV table can: --csv -); give the "
            "folder's name"
        )
    if data is not None:
        _check_data_exists(data)
    if data and not _is_stdin(data) and Path(data).is_dir():
        images_dir = data
    if images_dir:
        _check_no_target(target)
        return _load_images(images_dir, backbone, weights)
    if data:
        _check_no_backbone(_not_a_folder(data))
        return _load_csv(data, target, named_by=_the_csv(data))
    if csv_path:
        reads = "reads a CSV table from standard input"
        _check_no_backbone(
            f"--csv - {reads}"
            if _is_stdin(csv_path)
            else f"--csv {csv_path} is a CSV table"
        )
        return _load_csv(csv_path, target)
    if target:
        raise ValueError("--target needs a CSV file: DATA or --csv FILE")
    _check_no_backbone(
        "without DATA, --csv or --images compare runs on its built-in table"
    )
    from .datasets import make_imbalanced_table

    X, y = make_imbalanced_table()
    return X, y, None, None, "built-in 90:10 table (1000 x 20)"


def _check_no_target(target):
    if target:
        raise ValueError(
            "--target names the label column of a CSV file; an image folder's "
            "labels are its subfolder names. Leave --target out."
        )


def _check_data_exists(
    data, kinds="a CSV file or a folder with one subfolder of images per class"
) -> None:
    """DATA must name a file or a folder: a mistyped folder would otherwise
    be read as a CSV file (and asked for --target), an empty name as the
    current folder. ``-`` is standard input."""
    if not str(data).strip():
        raise ValueError(f"DATA is empty; give {kinds}")
    if not _is_stdin(data) and not Path(data).exists():
        raise ValueError(f"DATA {data} does not exist; give {kinds}")


def _check_no_backbone(why):
    """Refuse --backbone or --weights given with table data: they were
    silently ignored there."""
    given = [f"--{name}" for name in ("backbone", "weights") if _given(name)]
    if given:
        options = " and ".join(given)
        applies = "applies" if len(given) == 1 else "apply"
        raise ValueError(
            f"{options} {applies} to image folders only, and {why}. Leave {options} out"
        )


def _given(name) -> bool:
    """True if the option ``name`` was given, not left at its default."""
    from click.core import ParameterSource

    source = click.get_current_context().get_parameter_source(name)
    return source not in (None, ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP)


#: Cells read as missing besides pandas's defaults (empty, NA, NaN, ...):
#: "?" marks a missing value in many public data sets (UCI, KEEL).
_MISSING_MARKERS = ["?"]


def _is_stdin(path) -> bool:
    """True for ``-``, standard input as many Unix tools read it (a file
    named ``-`` is ``./-``)."""
    return isinstance(path, str) and path == "-"


def _name(path) -> str:
    """The data's name in messages: its path, or "standard input"."""
    return "standard input" if _is_stdin(path) else str(path)


def _the_csv(path) -> str:
    """ "the CSV file data.csv", or "the CSV table on standard input"."""
    if _is_stdin(path):
        return "the CSV table on standard input"
    return f"the CSV file {path}"


def _not_a_folder(data) -> str:
    """Why --backbone and --weights do not apply to DATA."""
    if _is_stdin(data):
        return "DATA - is standard input, a CSV table"
    return f"DATA {data} is not a folder"


#: The key of standard input's text in the command's ``click`` context.
_STDIN_TEXT = "skimb.stdin_text"


def _read_stdin() -> str:
    """Standard input as text, read once (UTF-8, a byte-order mark left out).

    The text is kept in the command's context, for :func:`_line_of_row`:
    standard input cannot be read again.
    """
    binary = getattr(sys.stdin, "buffer", None)
    if binary is None:  # a text stream with no bytes under it (io.StringIO)
        text = sys.stdin.read().removeprefix("\ufeff")
    else:
        # Decoded here, not by sys.stdin: its encoding follows the locale.
        text = binary.read().decode("utf-8-sig")  # UnicodeDecodeError: _read_csv
    context = click.get_current_context(silent=True)
    if context is not None:
        context.meta[_STDIN_TEXT] = text
    return text


def _read_csv(path, *, named=False):
    """The CSV file (or standard input, for ``-``) as a DataFrame; ``;`` or
    tab separators are detected.

    With ``;``, decimal commas (``0,25``) are read as numbers. A first
    column with no name (pandas's ``to_csv`` writes its index so) is left
    out, with a note, and so is another column with no name and no value;
    columns of the same name are an error. A separator ending the data
    lines but not the header is no value; data lines with one value more
    than the header names (R's row names) have it left out, with a note.
    With ``named``, as for training,
    another column with no name that holds values is an error too. Standard
    input is read once, into memory, and parsed as a file is.
    """
    import pandas as pd

    name = _name(path)
    if not _is_stdin(path) and not Path(path).is_file():
        raise ValueError(f"file not found: {path}")
    try:
        if _is_stdin(path):
            text = _read_stdin()
            # newline="": lines end at \r, \n or \r\n, as in a file (the
            # default split a table of \r line ends nowhere: "new-line
            # character seen in unquoted field").
            header, separator = _read_header(io.StringIO(text, newline=""), path)

            def source():
                return io.StringIO(text)

        else:
            with open(path, newline="", encoding="utf-8-sig") as file:
                header, separator = _read_header(file, path)

            def source():
                return path

        options = {"na_values": _MISSING_MARKERS, "sep": separator}
        frame, row_names = _read_fields(pd, source, options)
        if separator == ";":  # a European export: 0,25 for 0.25?
            commas, _ = _read_fields(pd, source, {**options, "decimal": ","})
            if _number_columns(commas) > _number_columns(frame):
                frame = commas
    except pd.errors.EmptyDataError as exc:
        raise ValueError(f"{_the_csv(path)} is empty") from exc
    except pd.errors.ParserError as exc:
        raise ValueError(f"cannot parse {name} as CSV: {exc}") from exc
    except UnicodeDecodeError as exc:
        fix = (
            "convert it to UTF-8 first (iconv -t UTF-8, say)"
            if _is_stdin(path)
            else "save it as UTF-8 CSV"
        )
        raise ValueError(
            f"{name} is not UTF-8 text ({exc.reason} at byte {exc.start}); {fix}"
        ) from exc
    _check_unique_names(header, name)
    if row_names:
        click.echo(
            f"note: the rows of {name} have one field more than its header; "
            "the first field is read as the row name and not used as a feature",
            err=True,
        )
    # Rows are named by their place, as messages count them (see _where):
    # pandas names them by their first field when they have one field more
    # than the header ("r1,1,2" under "a,b"), and int("r1") failed.
    frame = frame.reset_index(drop=True)
    # A separator at the end of every line, as some spreadsheets export,
    # is a column with no name and no value; pandas names it by its place
    # ("Unnamed: 3"), which moves when the target column is left out, so a
    # model fitted with it would ask for a column that no file to predict has.
    blank = [
        column
        for number, (header_name, column) in enumerate(zip(header, frame.columns))
        if number > 0 and not header_name.strip() and frame[column].isna().all()
    ]
    if named:
        _check_named(header, frame, name)
    frame = frame.drop(columns=blank)
    if frame.shape[1] > 1 and not header[0].strip():
        frame = frame.drop(columns=frame.columns[0])
        click.echo(
            f"note: the first column of {name} has no name; it is read as the "
            "row index and not used as a feature",
            err=True,
        )
    if frame.empty:
        raise ValueError(f"{_the_csv(path)} has no rows")
    # pandas reads a column of True/False alone as bools, which scikit-learn's
    # SimpleImputer refuses; with an empty cell it is objects, which it takes.
    # Objects either way: a column of categories, whichever cells are empty.
    booleans = frame.select_dtypes("bool").columns
    return frame.astype(dict.fromkeys(booleans, object))


def _read_fields(pd, source, options):
    """The table of ``source()``, and whether its data lines hold row names.

    Fields are read in place of the header's names (``index_col=False``),
    so a separator ending the data lines but not the header is no value.
    Data lines with a value beyond the header's names are read as pandas
    reads them by default: the first field is the line's row name, as R's
    ``write.table`` writes them (``index_col=False`` dropped the last field,
    with a ParserWarning).
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("error", "Length of header", pd.errors.ParserWarning)
        try:
            return pd.read_csv(source(), index_col=False, **options), False
        except pd.errors.ParserWarning:
            return pd.read_csv(source(), **options), True


def _check_named(header, frame, path) -> None:
    """Refuse a column with no name in the header (the first one aside: the
    row index) that holds values.

    pandas names it by its place ("Unnamed: 2"), and a model fitted on it
    asks for that name, which a file to predict does not have when the
    target column, left out, came before it; where the place does not move,
    the column is matched by its place alone.
    """
    numbers = [
        number
        for number, name in enumerate(header[: frame.shape[1]])
        if number > 0 and not name.strip() and frame.iloc[:, number].notna().any()
    ]
    if not numbers:
        return
    places = [f"{number + 1}{_between(header, number)}" for number in numbers]
    s = "s" if len(numbers) > 1 else ""
    listed = " and ".join([", ".join(places[:-1]), places[-1]] if s else places)
    raise ValueError(
        f"the column{s} {listed} of {path} ha{'ve' if s else 's'} no name in the "
        f"header but hold{'' if s else 's'} values; give {'each' if s else 'it'} "
        f"a name in the header (the same in the files to predict), or remove "
        f"{'them' if s else 'it'}"
    )


def _between(header, number) -> str:
    """ " (between 'a' and 'b')": where the column ``number`` is among the
    named columns of ``header`` (or after, or before, one)."""
    before = header[number - 1] if number > 0 else ""
    after = header[number + 1] if number + 1 < len(header) else ""
    if before.strip() and after.strip():
        return f" (between {before!r} and {after!r})"
    if before.strip() or after.strip():
        return f" (after {before!r})" if before.strip() else f" (before {after!r})"
    return ""


def _read_header(file, path) -> tuple[list[str], str]:
    """The column names of a CSV text stream as written ("?" and all), and
    its separator: ``,``, or ``;`` or tab if the first record has no comma
    outside quotes but has those. ``path`` names the data in messages.

    The header's lines are read from ``file`` once: reading it again with
    the separator found replays them (standard input cannot be read twice).
    """
    seen = []

    def lines():
        yield from seen
        for line in file:
            seen.append(line)
            yield line

    names = _first_record(lines(), ",", path)
    separator = ","
    if len(names) == 1 and re.search(r"[;\t]", names[0]):
        separator = ";" if names[0].count(";") >= names[0].count("\t") else "\t"
        names = _first_record(lines(), separator, path)
    return names, separator


def _first_record(lines, separator, path) -> list[str]:
    """The fields of the first CSV record in ``lines`` (a quoted field may
    span lines); blank lines before it are skipped, as pandas skips them
    (see :func:`_is_blank_line`)."""
    import csv
    import itertools

    lines = itertools.dropwhile(lambda line: _is_blank_line(line, separator), lines)
    try:
        record = next(csv.reader(lines, delimiter=separator), None)
    except csv.Error as exc:  # a header field over csv's size limit, say
        raise ValueError(
            f"cannot parse the header of {_name(path)} as CSV: {exc}"
        ) from exc
    if record is None:
        raise ValueError(f"{_the_csv(path)} is empty")
    return record


def _number_columns(frame) -> int:
    return frame.select_dtypes("number").shape[1]


def _check_unique_names(names, path) -> None:
    """Refuse two columns of one name: pandas renames the second ``label.1``,
    which would then be a feature (the target itself, if it is ``label``)."""
    seen = {}
    for number, name in enumerate(names, start=1):
        if name.strip():  # pandas names empty headers apart ("Unnamed: 3")
            seen.setdefault(name, []).append(number)
    repeated = {name: numbers for name, numbers in seen.items() if len(numbers) > 1}
    if repeated:
        listed = "; ".join(
            f"{name!r} (columns {', '.join(map(str, numbers))})"
            for name, numbers in repeated.items()
        )
        raise ValueError(
            f"{path} has more than one column of the same name: {listed}. "
            "Rename or remove the repeated columns"
        )


def _load_csv(path, target, *, named_by="--csv"):
    """X, y, the preprocessing step, no network params, and a description."""
    if not target:
        raise ValueError(f"{named_by} needs --target COLUMN, the label column")
    frame = _read_csv(path, named=True)
    name = _name(path)  # in messages: the file, or standard input
    if target not in frame.columns:
        raise ValueError(
            f"target column {target!r} is not in {name}; its columns are "
            f"{', '.join(map(repr, frame.columns))}"
        )
    frame = frame.dropna(subset=[target])  # rows without a label
    if frame.empty:
        raise ValueError(f"the target column {target!r} of {name} has no values")
    X, y = frame.drop(columns=[target]), _labels(frame[target])
    if X.shape[1] == 0:
        raise ValueError(f"{name} has no feature columns besides {target!r}")
    _check_numbers(X, _mostly_numbers(X), path, "among numbers")
    _check_finite(X, path)
    _check_class_labels(y, target, name)
    return X, y, _table_preprocessor(X), None, f"{name} (target {target!r})"


def _check_finite(X, data):
    """Name the first infinite number (``inf`` in the file) of a column, and
    its line in ``data`` (the file, or ``-``)."""
    import numpy as np

    for column in X.select_dtypes("number").columns:
        infinite = np.isinf(X[column].to_numpy(dtype=float))
        if infinite.any():
            row = int(infinite.argmax())
            value = X[column].iloc[row].item()
            raise ValueError(
                f"the column {column!r} of {_name(data)} holds {value!r} "
                f"{_where(data, int(X.index[row]), value)}; numbers must be finite: "
                "correct that cell or leave it empty (empty cells are imputed)"
            )


def _check_class_labels(y, target, path):
    """Refuse a target column of measurements rather than classes."""
    from sklearn.utils.multiclass import type_of_target

    if type_of_target(y) == "continuous":
        raise ValueError(
            f"the target column {target!r} of {path} holds continuous values "
            f"(such as {y[0].item()!r}), not class labels; compare and fit need a "
            "column of classes"
        )


def _labels(column):
    """The labels as an array; whole numbers stay integers, True/False
    stays bool.

    pandas reads a column of integers with empty cells as floats, and one of
    True/False with empty cells as objects; once the rows without a label
    are dropped, they are integers (or bools) again.
    """
    import numpy as np
    import pandas as pd

    values = column.to_numpy()
    if pd.api.types.is_float_dtype(values) and np.all(values == np.round(values)):
        return values.astype(np.int64)
    if values.dtype == object and all(isinstance(v, bool) for v in values):
        return values.astype(bool)  # True/False with empty cells: objects
    return values


def _mostly_numbers(X) -> list:
    """Text columns whose cells are numbers in the main (a few typos aside)."""
    import pandas as pd

    columns = []
    for column in X.columns:
        values = X[column]
        if pd.api.types.is_numeric_dtype(values) or values.notna().sum() == 0:
            continue
        numbers = pd.to_numeric(values, errors="coerce").notna().sum()
        if numbers >= 0.5 * values.notna().sum():
            columns.append(column)
    return columns


def _table_preprocessor(X):
    """Scale numeric columns; one-hot encode the others (missing imputed).

    An empty column is kept as a constant, without scikit-learn's warning
    at every fit.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = X.select_dtypes("number").columns.tolist()
    other = [c for c in X.columns if c not in numeric]
    return ColumnTransformer(
        [
            (
                "numeric",
                make_pipeline(
                    SimpleImputer(keep_empty_features=True), StandardScaler()
                ),
                numeric,
            ),
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent", keep_empty_features=True),
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ),
                other,
            ),
        ]
    )


def _load_images(folder, backbone, weights):
    """Image paths embedded by a frozen backbone; the network trains on top."""
    _, embeddings, labels, description = _embed_folder(folder, backbone, weights)
    return embeddings, labels, None, None, description


def _embed_folder(folder, backbone, weights):
    """The fitted ImageEmbedder, the embeddings, labels and a description."""
    from .datasets import load_image_folder
    from .embedding import ImageEmbedder

    paths, labels = load_image_folder(folder)
    weights = None if weights.lower() == "none" else weights
    embedder = ImageEmbedder(backbone, weights=weights, random_state=0)
    embeddings = embedder.fit_transform(paths)
    description = f"{folder} ({len(paths)} images, {backbone}, weights={weights})"
    return embedder, embeddings, labels, description


def _image_input(data) -> bool:
    """True if DATA is a folder or an image file rather than a CSV file."""
    from ._images import IMAGE_SUFFIXES

    if _is_stdin(data):  # standard input holds a CSV table, not images
        return False
    path = Path(data)
    return path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES


def _check_data_kind(model_file, model, data, images: bool) -> None:
    """Images for a model fitted on images, a CSV file for one fitted on a table."""
    from ._images import IMAGE_SUFFIXES

    fitted_on_images = _fitted_on_images(model)
    if images and not fitted_on_images:
        raise ValueError(
            f"{data} is an image folder or file, but {model_file} was fitted on "
            "a CSV table. Pass a CSV file with the columns it was fitted on."
        )
    if fitted_on_images and _is_stdin(data):
        raise ValueError(
            f"{model_file} was fitted on images, but DATA - is standard input, "
            "which can hold a CSV table only: images cannot come from standard "
            "input. Pass a folder of images or one image file."
        )
    if fitted_on_images and not images:
        raise ValueError(
            f"{model_file} was fitted on images, but {data} is not a folder or "
            f"an image file ({', '.join(IMAGE_SUFFIXES)}). Pass a folder of "
            "images or one image file."
        )


def _fitted_on_images(model) -> bool:
    """True for the models 'skimb fit' saves for image folders."""
    from .embedding import ImageEmbedder

    steps = getattr(model, "steps", None)
    return bool(steps) and isinstance(steps[0][1], ImageEmbedder)


def _image_files(folder) -> list[str]:
    """Every image file under ``folder`` (hidden ones left out), sorted."""
    from ._images import IMAGE_SUFFIXES, image_files, warn_left_out

    others = []
    files = image_files(folder, others=others)
    warn_left_out(others, folder)
    if not files:
        raise ValueError(
            f"the folder {folder} has no image files ({', '.join(IMAGE_SUFFIXES)})"
        )
    return files


def _load_model_file(path, joblib):
    from . import _keras

    if not Path(path).is_file():
        raise ValueError(f"model file not found: {path}")
    not_a_model = ValueError(
        f"{path} is not a model saved by 'skimb fit'; the command is "
        "'skimb predict MODEL_FILE DATA --output FILE'"
    )
    try:
        saved = joblib.load(path)
    except (ImportError, AttributeError) as exc:  # a pickle of unknown classes
        raise ValueError(
            f"cannot load the model file {path} ({exc}); was it saved with other "
            "versions of skimb and its libraries?"
        ) from exc
    except Exception as exc:  # pickle raises many kinds of errors
        if isinstance(exc, _keras.UnreadableModelError):
            # skimb's own message: a damaged Keras model inside, say.
            raise ValueError(
                f"cannot read the model file {path}: {reason(exc)}"
            ) from exc
        if not _is_pickle(path):
            raise not_a_model from exc
        # A pickle that breaks off or is damaged: a copy or download that
        # stopped short, most likely.
        detail = f": {reason(exc)}" if str(exc) else ": it ends too early"
        raise ValueError(
            f"cannot read the model file {path}: it is truncated or corrupt "
            f"({type(exc).__name__}{detail}). Copy the file again, or fit the "
            "model again with 'skimb fit'"
        ) from exc
    if not isinstance(saved, dict) or "skimb_model" not in saved:
        raise not_a_model
    if not hasattr(saved.get("model"), "predict_proba"):  # a crafted file
        raise not_a_model
    return saved


def _is_pickle(path) -> bool:
    """True if the file starts as a pickle does (protocol 2 or later), as
    the files that 'skimb fit' saves do."""
    with open(path, "rb") as file:
        head = file.read(2)
    return len(head) == 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def _check_columns(X, model, path) -> None:
    """Name the columns that the model was fitted on and the file lacks."""
    fitted = getattr(model, "feature_names_in_", None)
    if fitted is None:
        return
    missing = [str(column) for column in fitted if column not in X.columns]
    if missing:
        s = "s" if len(missing) > 1 else ""
        raise ValueError(
            f"{path} lacks the column{s} {', '.join(map(repr, missing))} that the "
            f"model was fitted on; add {'them' if s else 'it'} (empty cells are "
            "imputed)"
        )


def _numeric_columns(model) -> list:
    """The columns that a model fitted on a CSV table reads as numbers."""
    steps = getattr(model, "steps", None)
    preprocessor = steps[0][1] if steps else None
    for name, _, columns in getattr(preprocessor, "transformers_", []):
        if name == "numeric":
            return list(columns)
    return []


def _check_numbers(X, columns, data, context):
    """Name the first cell that is not a number in a column of numbers, and
    its line in ``data`` (the file, or ``-``)."""
    import pandas as pd

    for column in columns:
        if column not in X.columns or pd.api.types.is_numeric_dtype(X[column]):
            continue
        values = X[column]
        bad = (
            values.notna() & pd.to_numeric(values, errors="coerce").isna()
        ).to_numpy()
        if bad.any():
            row = int(bad.argmax())
            value = values.iloc[row]
            where = _where(data, int(values.index[row]), value)
            raise ValueError(
                f"the column {column!r} of {_name(data)} holds "
                f"{value!r} {where}, "
                f"{context}; correct that cell or leave it empty (empty cells, "
                "NA and ? are imputed)"
            )


def _where(data, row: int, value=None) -> str:
    """ "on line 5": where the data row ``row`` (0-based, as pandas numbers
    the rows of the file it read) of ``data`` is, for an editor; "in data
    row 4" if the line cannot be told. With ``value``, the cell that pandas
    read there, the line is told only if its record holds that value."""
    line = _line_of_row(data, row, value)
    return f"in data row {row + 1}" if line is None else f"on line {line}"


def _line_of_row(data, row: int, value=None) -> int | None:
    """The line of ``data`` (a CSV file, or ``-``) on which its data row
    ``row`` starts, the first line being 1; None if it cannot be told.

    The header is line 1 only if no blank line comes before it, pandas
    skips blank lines (and lines of spaces and tabs) between rows, and a
    quoted field may span lines: the row's number does not say its line.
    The file is read again, with the csv module, only for an error's
    message; standard input is the text that :func:`_read_stdin` kept.
    The csv module and pandas split a file into the same records, but
    only pandas is the truth: with ``value`` (the cell pandas read), a
    record that holds no field that reads as it is not the row, and the
    line is not told (rather than a wrong one).
    """
    import csv

    if _is_stdin(data):
        context = click.get_current_context(silent=True)
        text = context.meta.get(_STDIN_TEXT) if context else None
        if text is None:  # read outside a command
            return None
    try:
        with (
            io.StringIO(text, newline="")
            if _is_stdin(data)
            else open(data, newline="", encoding="utf-8-sig")
        ) as file:
            _, separator = _read_header(file, data)
            file.seek(0)
            raw = []  # the lines of the record being read, as written

            def lines():
                for line in file:
                    raw.append(line)
                    yield line

            reader = csv.reader(lines(), delimiter=separator)
            index, end = -1, 0  # the header is the record before row 0
            for record in reader:
                start, end = end + 1, reader.line_num
                written, raw[:] = "".join(raw), []
                if _is_blank_line(written, separator):
                    continue  # a line that pandas skips
                if index == row:
                    return start if _holds(record, value, separator) else None
                index += 1
    except (OSError, ValueError, csv.Error):  # UnicodeDecodeError included
        return None
    return None


def _is_blank_line(line, separator) -> bool:
    """Whether pandas skips ``line`` as blank: it holds nothing but spaces
    and tabs (a tab that separates fields aside), not even quotes. Other
    white space (a form feed, a no-break space, a vertical tab) is a row
    of one cell, or the header, to pandas."""
    blank = " \t".replace(separator, "")
    return not line.rstrip("\r\n").strip(blank)


def _holds(record, value, separator) -> bool:
    """Whether a field of the csv ``record`` reads as the cell ``value``
    that pandas read: text as written, a float (such as ``inf``) as a
    number, also with a decimal comma in a ``;`` table. No value: True."""
    import math

    if value is None:
        return True
    if isinstance(value, str):
        return value in record
    if isinstance(value, float):
        for field in record:
            texts = [field, field.replace(",", ".")] if separator == ";" else [field]
            for text in texts:
                try:
                    number = float(text)
                except ValueError:
                    continue
                if number == value or (math.isnan(number) and math.isnan(value)):
                    return True
    return False


def _run_with_progress(compare_strategies, X, y, names, *, folds, quiet, **kwargs):
    if quiet:
        return compare_strategies(X, y, names, folds=folds, **kwargs)
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("cross-validating", total=len(names) * folds)

        def advance(strategy, fold):
            bar.update(task, advance=1, description=f"{strategy} fold {fold + 1}")

        return compare_strategies(X, y, names, folds=folds, progress=advance, **kwargs)


def _print_table(result, source):
    from rich.console import Console
    from rich.table import Table

    tied = result._best_by_f1()
    table = Table(
        title=f"skimb compare: {source}, {result.config['folds']}-fold "
        f"stratified CV, {_scored_classes(result)}"
    )
    table.add_column("strategy")
    for _, header in _METRIC_COLUMNS:
        table.add_column(header, justify="right")
    for row in result.table():
        cells = [
            f"{row[m][0]:.3f} ± {row[m][1]:.3f}"
            if m != "fit_time"
            else f"{row[m][0]:.2f}"
            for m, _ in _METRIC_COLUMNS
        ]
        style = "bold green" if row["strategy"] in tied else None
        table.add_row(row["strategy"], *cells, style=style)
    for strategy in result.failed:  # the warning above says why
        table.add_row(
            strategy, "failed", *[""] * (len(_METRIC_COLUMNS) - 1), style="red"
        )
    console = Console(width=max(140, Console().width))
    console.print(table)
    console.print(_best_line(result))


def _best_line(result) -> str:
    """ "best by F1: name", naming every strategy tied with it, or saying
    that none finds the scored class (the strategies of ``results.json``'s
    ``tied_best_by_f1``)."""
    tied = result._best_by_f1()
    if not tied:
        return "best by F1: - (every F1 is 0: no strategy finds the scored class)"
    if len(tied) > 1:
        return f"best by F1: [bold]{', '.join(tied)}[/bold] (tied)"
    return f"best by F1: [bold]{tied[0]}[/bold]"


def _scored_classes(result):
    """What the metrics score: the minority class, or all classes averaged."""
    import numpy as np

    from .compare import _plain

    n_classes = len(np.unique(result.y_true))
    if n_classes > 2:
        return f"metrics macro-averaged over {n_classes} classes"
    return f"minority class {_plain(result.pos_label)!r}"


if __name__ == "__main__":  # python -m skimb.cli
    sys.exit(main())
