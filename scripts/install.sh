#!/usr/bin/env bash
# Installs everything termwallet needs on a fresh machine (Python 3.11, pip, npm, apt).
# Usage: bash scripts/install.sh          the wallet and its offline demo
#        bash scripts/install.sh --test   the same plus what the tests need
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

extra=""
[[ "${1:-}" == "--test" ]] && extra="[test]"

# Debian packages: libusb (trezorlib and hwilib load it to find USB devices) and, for the tests,
# litecoind (the Litecoin regtest node the Bitcoin/Litecoin tests run against).
need=()
ldconfig -p 2>/dev/null | grep -q 'libusb-1.0.so.0' || need+=(libusb-1.0-0)
if [[ -n "$extra" ]] && ! command -v litecoind >/dev/null; then need+=(litecoind); fi
if (( ${#need[@]} )); then
  if command -v apt-get >/dev/null; then
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "warning: no apt-get to install ${need[*]}; USB devices or the regtest tests will not work" >&2
  fi
fi

# uv, because pip has no way to override one package's declared pin (see overrides.txt).
python3 -m pip install --quiet --disable-pip-version-check "uv>=0.5"
target="--system"
[[ -n "${VIRTUAL_ENV:-}" ]] && target=""
# --compile-bytecode: pip does this by default, uv does not; without it every start of the app
# compiles textual, rich and pydantic from source again (about 0.3 s here).
python3 -m uv pip install --quiet --compile-bytecode $target --override overrides.txt -e ".${extra}"

# anvil and the Uniswap V2 artifacts for the demo devnet and the tests.
if command -v npm >/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error
else
  echo "warning: npm not found; 'termwallet demo' needs it for the devnet (anvil)" >&2
fi

# pyenv installs console scripts behind shims that exist only after a rehash.
if command -v pyenv >/dev/null; then pyenv rehash; fi
