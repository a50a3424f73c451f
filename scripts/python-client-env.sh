#!/usr/bin/env bash
# The virtualenv the Python consumer library (clients/python) is tested in:
# its one dependency, boto3, and pytest, at the versions clients/python pins.
# Cached outside the clone like scripts/python-env.sh's; the library itself is
# not installed into it (tests put clients/python/src on PYTHONPATH), so one
# venv serves every clone. Prints the venv's path last.
set -euo pipefail

python=${PYTHON:-python3}
boto3_version=1.44.5  # keep in sync with clients/python/pyproject.toml
pytest_version=8.3.4

py_version=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
cache=${HTM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ha-token-manager}
venv="$cache/client-py$py_version-boto3-$boto3_version-pytest-$pytest_version"
stamp="$venv/.complete"

if [ -f "$stamp" ]; then
  echo "$venv"
  exit 0
fi

echo "python-client-env: creating virtualenv $venv (first use only)" >&2
mkdir -p "$cache"
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --progress-bar off \
  "boto3==$boto3_version" "pytest==$pytest_version" >&2
touch "$stamp"
echo "$venv"
