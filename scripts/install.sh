#!/usr/bin/env bash
# Installs everything termwallet needs on a fresh machine (Debian/Ubuntu: python3, npm, apt).
# Usage: bash scripts/install.sh          the wallet and its offline demo
#        bash scripts/install.sh --test   the same plus what the tests need
# Everything Python goes into .venv in this checkout, whatever python3 is (Debian's own, whose
# site-packages PEP 668 forbids touching, a pyenv or a virtualenv interpreter), at the versions
# in requirements.lock / requirements-test.lock (refreshed by `bash scripts/lock.sh`).
# Then .venv/bin/termwallet runs the wallet and .venv/bin/python the tests.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

lock=requirements.lock
[[ "${1:-}" == "--test" ]] && lock=requirements-test.lock

# Debian packages: libusb (trezorlib and hwilib load it to find USB devices); python3-venv where
# python3 cannot make a virtualenv (Debian ships ensurepip separately); for the tests, litecoind
# (the Litecoin regtest node the Bitcoin/Litecoin tests run against), openssh-server (the
# signer agent's `ssh -R` tests) and electrum (the other wallet of the PSBT round-trip
# tests, run offline through /usr/bin/python3).
need=()
ldconfig -p 2>/dev/null | grep -q 'libusb-1.0.so.0' || need+=(libusb-1.0-0)
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  need+=("python$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv")
fi
if [[ $lock == requirements-test.lock ]] && ! command -v litecoind >/dev/null; then
  need+=(litecoind)
fi
# The signer agent's tests start their own sshd on 127.0.0.1 (never the system's service).
if [[ $lock == requirements-test.lock ]] && [[ ! -x /usr/sbin/sshd ]]; then
  need+=(openssh-server openssh-client)
fi
if [[ $lock == requirements-test.lock ]] && ! command -v electrum >/dev/null; then
  need+=(electrum)
fi
if (( ${#need[@]} )); then
  if command -v apt-get >/dev/null; then
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "warning: no apt-get to install ${need[*]}" >&2
  fi
fi

# The project's own virtualenv: never the system interpreter, never --break-system-packages.
[[ -x .venv/bin/python ]] || python3 -m venv .venv
py=.venv/bin/python
# uv, because pip has no way to override one package's declared pin (see overrides.txt); the
# lock files already hold the overridden versions, so sync installs exactly them.
"$py" -m pip install --quiet --disable-pip-version-check "uv>=0.5,<1"
# Trust the machine's own certificate store, as pip does, not only uv's bundled roots: behind a
# TLS-inspecting proxy (companies, CI) only the system store knows its CA. (Both spellings:
# uv renamed the setting.)
export UV_SYSTEM_CERTS=1 UV_NATIVE_TLS=1
# --compile-bytecode: uv writes no .pyc by default, and without them every start of the app
# compiles textual, rich and pydantic from source again (about 0.3 s).
"$py" -m uv pip sync --quiet --python "$py" --compile-bytecode "$lock"
"$py" -m uv pip install --quiet --python "$py" --compile-bytecode --no-deps -e .

# anvil and the Uniswap V2 artifacts for the demo devnet and the tests.
if command -v npm >/dev/null; then
  npm ci --no-audit --no-fund --no-update-notifier --loglevel=error
else
  echo "warning: npm not found; 'termwallet demo' needs it for the devnet (anvil)" >&2
fi

# `termwallet` on PATH for later shells, where ~/.local/bin is on PATH (Debian's default
# profile adds it when it exists); the README's commands call .venv/bin/ directly.
if [[ -n "${HOME:-}" ]] && mkdir -p "$HOME/.local/bin" 2>/dev/null; then
  ln -sf "$PWD/.venv/bin/termwallet" "$HOME/.local/bin/termwallet"
fi
