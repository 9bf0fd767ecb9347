#!/usr/bin/env bash
# Refreshes requirements.lock (the wallet) and requirements-test.lock (the wallet and its tests)
# from pyproject.toml and overrides.txt: one resolution for every platform and Python 3.11+.
# Run after changing a dependency, then `bash scripts/install.sh --test` installs exactly them.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x .venv/bin/python ]] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check "uv>=0.5,<1"
export UV_SYSTEM_CERTS=1 UV_NATIVE_TLS=1  # see install.sh
common=(pyproject.toml --override overrides.txt --universal --python-version 3.11 --quiet)
.venv/bin/python -m uv pip compile "${common[@]}" -o requirements.lock
.venv/bin/python -m uv pip compile "${common[@]}" --extra test -o requirements-test.lock
