"""BC-UR crypto-psbt (wallet/psbt_ur.py) against the JavaScript reference, @ngraveio/bc-ur
(npm): our parts, single and fountain-coded (the plain fragments skipped, so only mixed parts
complete it), decode to the same PSBT with its decoder; parts its encoder made decode with
ours (the return path from a QR signer); damaged or foreign UR text is refused."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from wallet.psbt_ur import UrEncoder, UrError, decode_ur_text

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("ur_reference.js")
VECTOR = json.loads((ROOT / "tests/devices/vectors/bip174_signer.json").read_text("utf-8"))
PSBT = bytes.fromhex(VECTOR["unsigned_psbt_hex"])  # BIP174's signer vector


def _modules() -> Path | None:
    for base in [ROOT / "node_modules", *map(Path, filter(None, [os.environ.get("NODE_PATH")]))]:
        if (base / "@ngraveio" / "bc-ur").is_dir():
            return base
    return None


pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or _modules() is None,
    reason="the reference decoder @ngraveio/bc-ur is not installed (npm ci) or node is missing",
)


def reference(*args: str, stdin: str = "") -> str:
    env = dict(os.environ, NODE_PATH=str(_modules()))
    out = subprocess.run(
        ["node", str(SCRIPT), *args], input=stdin, capture_output=True, text=True, env=env,
        timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def _cbor(psbt: bytes) -> str:
    n = len(psbt)
    if n < 24:
        head = bytes([0x40 | n])
    else:
        head = bytes([0x58, n]) if n < 256 else bytes([0x59]) + n.to_bytes(2, "big")
    return (head + psbt).hex()


def test_a_single_part_decodes_with_the_reference() -> None:
    enc = UrEncoder.for_psbt(PSBT, max_fragment=2000)
    assert enc.single
    (part,) = list(enc.parts())
    assert part.startswith("UR:CRYPTO-PSBT/") and part.count("/") == 1
    got = json.loads(reference("decode", stdin=part))
    assert got == {"ok": True, "type": "crypto-psbt", "cbor": _cbor(PSBT)}
    assert decode_ur_text(part) == PSBT


def test_fountain_parts_decode_with_the_reference_from_mixed_parts_only() -> None:
    enc = UrEncoder.for_psbt(PSBT, max_fragment=40)
    n = enc.seq_len
    assert n > 4
    # A scanner that missed every plain fragment: only mixed parts (seq > seq_len).
    mixed = [enc.part(s) for s in range(n + 1, 4 * n + 1)]
    got = json.loads(reference("decode", stdin="\n".join(mixed)))
    assert got == {"ok": True, "type": "crypto-psbt", "cbor": _cbor(PSBT)}
    assert decode_ur_text("\n".join(mixed)) == PSBT
    # And in order from the start, as the animation shows them.
    plain = [enc.part(s) for s in range(1, n + 1)]
    assert json.loads(reference("decode", stdin="\n".join(plain)))["cbor"] == _cbor(PSBT)


def test_parts_the_reference_encoded_decode_with_ours() -> None:
    """The return path: what a QR signer shows (the reference's encoder), pasted as text."""
    parts = reference("encode", PSBT.hex(), "50", "40").split()
    assert parts[0].lower().startswith("ur:crypto-psbt/1-")
    assert decode_ur_text("\n".join(parts)) == PSBT
    # Missed the plain ones: ours completes from the mixed parts too.
    seq_len = int(parts[0].split("/")[1].split("-")[1])
    assert decode_ur_text(" ".join(parts[seq_len:])) == PSBT


def test_damaged_incomplete_and_foreign_ur_are_refused() -> None:
    enc = UrEncoder.for_psbt(PSBT, max_fragment=40)
    first = enc.part(1)
    broken = first[:-3] + ("A" if first[-3] != "A" else "B") + first[-2:]
    with pytest.raises(UrError, match=r"checksum|not a byteword"):
        decode_ur_text(broken)
    with pytest.raises(UrError, match="keep scanning"):
        decode_ur_text(first)
    with pytest.raises(UrError, match="not a crypto-psbt"):
        decode_ur_text(first.replace("CRYPTO-PSBT", "CRYPTO-SEED"))


def test_the_cli_prints_parts_the_reference_decodes(
    termwallet_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`termwallet psbt qr FILE --text`: what the animation shows, as text (no node needed);
    and the return path, a file of UR parts, reads back as the PSBT."""
    from tui.cli import main
    from tui.cli_psbt import _read_inputs

    path = termwallet_home / "v.psbt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(PSBT)
    assert main(["psbt", "qr", str(path), "--text", "--fragment", "60", "--parts", "48"]) == 0
    parts = capsys.readouterr().out.split()
    assert len(parts) == 48 and all(p.startswith("UR:CRYPTO-PSBT/") for p in parts)
    got = json.loads(reference("decode", stdin="\n".join(parts[3:])))
    assert got["ok"] and got["cbor"] == _cbor(PSBT)
    back = termwallet_home / "back.txt"
    back.write_text("\n".join(parts[2:]) + "\n", "ascii")
    assert _read_inputs([str(back)]) == [PSBT]
    # An animation needs a terminal: captured output is none, and the CLI says what to do.
    assert main(["psbt", "qr", str(path)]) == 2
    assert "use --text" in capsys.readouterr().err
