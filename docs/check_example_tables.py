"""Check the tables that repeat an example's results against this build.

A table that copies numbers an example prints is marked by a comment line
above it, which the HTML does not show::

    .. example-output: plot_smote_pipelines

    .. list-table::
       ...

Every row of the table that holds numbers must match one line of that
example's output, as sphinx-gallery captured it in this build
(``auto_examples/<example>.rst``): the line holds each of the row's numbers
as printed. So a change that moves an example's results fails the build
until the page says what the example now prints.

A marker that ends in ``(varies by CPU)`` is for an example whose numbers
move with the machine (a convolutional network trained for many epochs:
oneDNN picks its floating-point kernels by the CPU's instruction set, and
the training drifts apart). Its table is one machine's run, which the page
says; the check only asks that the example ran in this build. ``build.sh``
runs this after the gallery has run:

    python check_example_tables.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

HERE = Path(__file__).parent
MARKER = re.compile(r"^\.\. example-output: (\w+)( \(varies by CPU\))?\s*$")
NUMBER = re.compile(r"^-?\d+\.\d+$")


def marked_tables(text: str) -> list[tuple[int, str, list[list[str]]]]:
    """``(line number, example, rows)`` of each marked table of a page."""
    lines = text.splitlines()
    tables = []
    for number, line in enumerate(lines):
        match = MARKER.match(line)
        if match:
            tables.append((number + 1, match[1], _table_rows(lines, number + 1)))
    return tables


def varies_by_cpu(text: str) -> set[int]:
    """The line numbers of the markers that say ``(varies by CPU)``."""
    return {
        number + 1
        for number, line in enumerate(text.splitlines())
        if (match := MARKER.match(line)) and match[2]
    }


def _table_rows(lines: list[str], start: int) -> list[list[str]]:
    """The cells of each row of the first list-table from line ``start``."""
    while start < len(lines) and not lines[start].strip():
        start += 1
    if start == len(lines) or not lines[start].startswith(".. list-table::"):
        raise ValueError(f"line {start + 1}: a marker not followed by a list-table")
    rows = []
    for line in lines[start + 1 :]:
        if line.strip() and not line.startswith(" "):
            break  # the text after the table
        cell = line.strip()
        if cell.startswith("* - ") or cell == "* -":
            rows.append([cell[4:]])
        elif cell.startswith("- ") and rows:
            rows[-1].append(cell[2:])
    return rows


def missing_rows(rows: list[list[str]], output: str) -> list[list[str]]:
    """The rows with numbers that no line of ``output`` matches."""
    lines = output.splitlines()
    missing = []
    for row in rows:
        numbers = [cell for cell in row if NUMBER.match(cell)]
        patterns = [re.compile(rf"(?<![\d.]){re.escape(n)}(?!\d)") for n in numbers]
        if numbers and not any(all(p.search(line) for p in patterns) for line in lines):
            missing.append(row)
    return missing


def main() -> int:
    problems, checked = [], 0
    for page in sorted(HERE.glob("*.rst")):
        text = page.read_text()
        varying = varies_by_cpu(text)
        for line, example, rows in marked_tables(text):
            output_file = HERE / "auto_examples" / f"{example}.rst"
            if not output_file.is_file():
                problems.append(
                    f"{page.name}:{line}: no output of {example} in this build "
                    f"({output_file} is missing: was the gallery run?)"
                )
                continue
            checked += 1
            if line in varying:  # the example ran; its numbers are one CPU's
                continue
            for row in missing_rows(rows, output_file.read_text()):
                problems.append(
                    f"{page.name}:{line}: the row {row} is not what {example} "
                    f"printed in this build; see {output_file}"
                )
    for problem in problems:
        print(problem)
    print(f"{checked} tables of example results checked, {len(problems)} problems")
    return 1 if problems or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
