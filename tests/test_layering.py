"""The dependency rule of design.md as tests: arrows point down; the start-up path stays light."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

HEAVY = [
    "web3",
    "eth_account",
    "bip_utils",
    "trezorlib",
    "ledgerwallet",
    "hwilib",
    "httpx",
    "aiohttp",
]


def test_import_linter_contracts_hold() -> None:
    """Contracts live in pyproject.toml: layers tui -> wallet -> (devices | chains), and
    forbidden imports (no textual below tui, no device/network library in tui)."""
    # The lint-imports console script may sit behind a pyenv shim; call its function directly.
    code = "import sys; from importlinter.cli import lint_imports_command; lint_imports_command()"
    result = subprocess.run(
        [sys.executable, "-c", code, "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: " in result.stdout and " broken" in result.stdout
    assert "0 broken" in result.stdout


def test_the_app_module_imports_no_heavy_library() -> None:
    """What the first frame needs is tui.cli + tui.app; web3 and the device libraries must not be
    among the modules they pull in (web3 alone takes over a second to import here)."""
    code = (
        "import sys, tui.cli, tui.app, tui.services, tui.commands.app\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert out.stdout.strip() == "", f"heavy imports on the start-up path: {out.stdout}"


def test_signers_know_every_evm_network_of_the_registry() -> None:
    """devices/ may not import chains/, so it keeps its own list of EVM network ids."""
    from chains.models import ChainKind
    from chains.networks import NETWORKS
    from devices.emulator import EVM_CHAINS

    evm = {i for i, n in NETWORKS.items() if n.kind is ChainKind.EVM} | {"devnet"}
    assert set(EVM_CHAINS) == evm
