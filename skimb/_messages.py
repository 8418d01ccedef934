"""Messages to the user: warnings that point at the user's line, and the
reason of another library's error in one line."""

import os
import re
import sys
import warnings

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep

#: scikit-learn's decorators around estimator methods (``_fit_context``,
#: ``set_output``'s wrapping of ``transform``): frames between the user's
#: call and skimb's method.
_METHOD_WRAPPERS = (
    os.path.join("sklearn", "base.py"),
    os.path.join("sklearn", "utils", "_set_output.py"),
)


def warn_user(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn``, attributed to the first caller outside skimb.

    A fixed ``stacklevel`` is right for one call path only: the same check
    runs under ``fit``, ``transform`` or ``fit_transform`` at different
    depths. (Python 3.12's ``skip_file_prefixes`` does part of this; 3.11
    lacks it.)
    """
    frame, level = sys._getframe(0), 1
    while frame is not None and _internal(frame.f_code.co_filename):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def _internal(filename: str) -> bool:
    filename = os.path.abspath(filename)
    return filename.startswith(_PACKAGE) or filename.endswith(_METHOD_WRAPPERS)


def reason(exc: BaseException) -> str:
    """The first line of an exception's message, or its type's name.

    Keras's messages can run to many lines (whole weight arrays, model
    configurations). skimb's own message wraps this first line and ends with
    its advice; the whole original stays chained (``raise ... from exc``).
    """
    text = _ANSI_CODES.sub("", str(exc))
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    if lines[0].startswith(_LAYER_CALL) and len(lines) > 1:
        # Keras: "Exception encountered when calling Embedding.call()." and,
        # on the next line, TensorFlow's cause inside {{function_node ...}}.
        cause = _TF_OP_NOISE.sub("", lines[1]).strip()
        return f"{lines[0].rstrip('.:')}: {cause}".rstrip(":.")
    if lines[0] == _GRAPH_ERROR:
        # TensorFlow: the cause is the last line before the op's name, after a
        # traceback of the graph; its long lists of values are cut.
        causes = [line for line in lines[1:] if not line.startswith(_GRAPH_NOISE)]
        if causes:
            return causes[-1].split("  ")[0].rstrip(".")
    return lines[0].rstrip(":.!")  # skimb's message goes on after it


#: Keras's wrapper around an error raised inside a layer's call.
_LAYER_CALL = "Exception encountered when calling"
#: Terminal colour codes (Keras prints the cause in bold).
_ANSI_CODES = re.compile(r"\x1b\[[0-9;]*m")
#: TensorFlow's names around an eager op's error message.
_TF_OP_NOISE = re.compile(r"\{\{function_node [^}]*\}\}|\[Op:[^\]]*\]")
#: TensorFlow's runtime errors in a graph start with this line.
_GRAPH_ERROR = "Graph execution error:"
#: The lines of such an error around its cause: traceback, node names.
_GRAPH_NOISE = ("[[", "File ", "Detected at node", "Traceback", "Stack trace")
