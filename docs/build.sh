#!/usr/bin/env bash
# Build the documentation: HTML with every warning an error (the examples of
# the gallery run as part of it), then a check of the internal links.
# Installs nothing: needs `pip install ".[docs]"` first.
#
#   bash docs/build.sh                      # full build, examples included
#   bash docs/build.sh -D plot_gallery=0    # text only, examples not run
#
# Extra arguments go to both sphinx-build calls.
set -euo pipefail
cd "$(dirname "$0")"

export TF_CPP_MIN_LOG_LEVEL=2 MPLBACKEND=Agg

sphinx-build -W --keep-going -b html -d _build/doctrees "$@" . _build/html
# The pages' tables of example results against what the examples printed in
# this build (unless the examples did not run).
if [[ "$*" != *plot_gallery=0* ]]; then
    python check_example_tables.py
fi
# External links are ignored (linkcheck_ignore in conf.py): the build machines
# have no network. Internal links and anchors are checked; the examples do
# not run again (sphinx-gallery skips unchanged ones).
sphinx-build -W --keep-going -b linkcheck -d _build/doctrees "$@" . _build/linkcheck
# linkcheck reports internal links as "local" without opening them; this
# script opens every relative link and #anchor of the built pages.
python check_links.py _build/html
echo "docs built in docs/_build/html; internal links checked"
