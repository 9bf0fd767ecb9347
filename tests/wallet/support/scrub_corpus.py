"""The scrubber's corpus: ways of writing a secret into a ticket that must be refused, and
texts that must pass. Shared by the test and by `measure`, which prints the figures (also
runnable against another scrubber module, e.g. the one before a change:
`python3 -m tests.wallet.support.scrub_corpus path/to/scrubber.py`)."""

from __future__ import annotations

import base64
import codecs
import hashlib
import json
import sys
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from mnemonic import Mnemonic

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
ZW = "\u200b"
SHY = "\u00ad"


def b58check(payload: bytes) -> str:
    data = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = _B58[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


# The secrets (fixed, so a failure names the same case every run).
WORDS = Mnemonic("english").to_mnemonic(bytes.fromhex("7f3a9c21e54b0d86f19e2c4a7b3d5e60")).split()
WORDS24 = Mnemonic("english").to_mnemonic(hashlib.sha256(b"corpus-24").digest()).split()
ZH_WORDS = Mnemonic("chinese_simplified").to_mnemonic(hashlib.sha256(b"zh").digest()[:16]).split()
KEY = hashlib.sha256(b"corpus private key").hexdigest()
WIF = b58check(b"\x80" + bytes.fromhex(KEY) + b"\x01")
_CHAIN_CODE = hashlib.sha256(b"cc").digest()
XPRV = b58check(bytes.fromhex("0488ade4") + bytes(9) + _CHAIN_CODE + b"\0" + bytes.fromhex(KEY))
PASSWORD = "Tr0ub4dor&3xyz"  # the canary
PHRASE = " ".join(WORDS)


def _fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def _cyrillic(s: str) -> str:
    return s.translate(str.maketrans("aeopcxy", "аеорсху"))


def _accents(s: str) -> str:
    return s.translate(str.maketrans("aeiou", "áéíóú"))


def _zw(s: str, ch: str = ZW) -> str:
    return ch.join(s[i : i + 3] for i in range(0, len(s), 3))


def _b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def _keystore_ciphertext() -> str:
    """A real termwallet keystore's ciphertext (cheap KDF: the ciphertext has the same shape)."""
    import tempfile

    from wallet.keystore import KdfParams, Keystore

    with tempfile.TemporaryDirectory() as d:
        ks = Keystore(Path(d) / "keystore.json", kdf=KdfParams.cheap_for_tests())
        ks.create(PHRASE, PASSWORD)
        return str(json.loads(ks.path.read_text())["ciphertext"])


@dataclass(frozen=True)
class Case:
    name: str
    fields: Mapping[str, str]
    own_addresses: tuple[str, ...] = ()


def _d(text: str) -> dict[str, str]:
    return {"subject": "Help with my wallet", "description": text}


def bypasses() -> list[Case]:
    p = PHRASE
    letters = "  ".join(" ".join(w) for w in WORDS)
    cases = [
        # the plain forms (caught before this corpus existed)
        Case("phrase plain", _d(f"my words are {p} thanks")),
        Case("phrase numbered", _d("\n".join(f"{i + 1}. {w}" for i, w in enumerate(WORDS)))),
        Case("key plain", _d(f"key {KEY}")),
        Case("wif plain", _d(f"wif {WIF}")),
        Case("xprv plain", _d(f"here {XPRV}")),
        Case("password colon", _d(f"password: {PASSWORD}")),
        # phrase disguises
        Case("phrase zero-width", _d(" ".join(_zw(w) for w in WORDS))),
        Case("phrase soft hyphen", _d(" ".join(_zw(w, SHY) for w in WORDS))),
        Case("phrase fullwidth", _d(_fullwidth(p))),
        Case("phrase cyrillic", _d(_cyrillic(p))),
        Case("phrase 4 letters", _d(" ".join(w[:4] for w in WORDS))),
        Case("phrase a) list", _d(" ".join(f"{chr(97 + i)}) {w}" for i, w in enumerate(WORDS)))),
        Case("phrase html li", _d("<ol>" + "".join(f"<li>{w}</li>" for w in WORDS) + "</ol>")),
        Case("phrase filler", _d(" and ".join(WORDS))),
        Case("phrase camelcase", _d("".join(w.title() for w in WORDS))),
        Case("phrase glued lowercase", _d("".join(WORDS))),
        Case("phrase spaced letters", _d(letters)),
        Case("phrase reversed words", _d(" ".join(w[::-1] for w in WORDS))),
        Case("phrase reversed text", _d(p[::-1])),
        Case("phrase accents", _d(_accents(p))),
        Case("phrase base64", _d(f"decode this: {_b64(p)}")),
        Case("phrase hex", _d(f"data {p.encode().hex()}")),
        Case("phrase 24 html br", _d("<br>".join(WORDS24))),
        Case("phrase upper case slashes", _d("/".join(WORDS).upper())),
        Case("phrase dotted letters", _d(" ".join(".".join(w) for w in WORDS))),
        Case("phrase json array", _d(json.dumps(WORDS))),
        Case("phrase url-encoded", _d(urllib.parse.quote(p))),
        Case("phrase rot13", _d(codecs.encode(p, "rot13"))),
        Case("phrase html entities", _d(p.replace("a", "&#97;").replace("e", "&#x65;"))),
        Case(
            "phrase split fields",
            {"subject": " ".join(WORDS[:6]), "description": " ".join(WORDS[6:])},
        ),
        Case(
            "chinese split fields",
            {"subject": " ".join(ZH_WORDS[:6]), "description": " ".join(ZH_WORDS[6:])},
        ),
        Case(
            "chinese unspaced split fields",
            {"subject": "".join(ZH_WORDS[:6]), "description": "".join(ZH_WORDS[6:])},
        ),
        Case(
            "phrase split fields+attachment",
            {
                "subject": " ".join(WORDS[:4]),
                "description": " ".join(WORDS[4:8]),
                "diagnostics": " ".join(WORDS[8:]),
            },
        ),
        # hex key disguises
        Case("key groups of 4", _d(" ".join(KEY[i : i + 4] for i in range(0, 64, 4)))),
        Case("key two lines", _d(f"key:\n{KEY[:32]}\n{KEY[32:]}\n")),
        Case("key colons", _d(":".join(KEY[i : i + 2] for i in range(0, 64, 2)))),
        Case("key glued", _d(f"privkey{KEY}")),
        Case("key 0x glued", _d(f"mykey0x{KEY}please")),
        Case("key zero-width", _d(_zw(KEY))),
        Case("key fullwidth", _d(_fullwidth(KEY))),
        Case("key split fields", {"subject": KEY[:30], "description": KEY[30:]}),
        Case("key base64", _d(base64.b64encode(bytes.fromhex(KEY)).decode())),
        Case("key base64 of hex", _d(_b64(KEY))),
        Case("key decimal", _d(f"my key number {int(KEY, 16)}")),
        Case("key byte list", _d(f"secretKey: {list(bytes.fromhex(KEY))}")),
        Case("key hex byte list", _d(", ".join(f"0x{b:02x}" for b in bytes.fromhex(KEY)))),
        # WIF and xprv disguises
        Case("wif space", _d(f"{WIF[:20]} {WIF[20:]}")),
        Case("wif glued", _d(f"mykey{WIF}thanks")),
        Case("wif zero-width", _d(_zw(WIF))),
        Case("wif fullwidth", _d(_fullwidth(WIF))),
        Case("wif lines", _d("\n".join(WIF[i : i + 10] for i in range(0, len(WIF), 10)))),
        Case("xprv newline", _d(f"{XPRV[:50]}\n{XPRV[50:]}")),
        Case("xprv zero-width", _d(_zw(XPRV))),
        Case("xprv glued", _d(f"backup{XPRV}end")),
        Case("xprv base64", _d(_b64(XPRV))),
        # passwords
        Case("password is", _d(f"my password is {PASSWORD}")),
        Case("password dash", _d(f"password - {PASSWORD}")),
        Case("password pw", _d(f"pw: {PASSWORD}")),
        Case("password quoted", _d(f'the password "{PASSWORD}" does not work')),
        Case("password zh shi", _d(f"我的密码是{PASSWORD}，打不开")),
        Case("password zh colon", _d(f"密码：{PASSWORD}")),
        # keystores
        Case("keystore json", _d(json.dumps({"version": 3, "crypto": {"ciphertext": KEY}}))),
        Case("keystore ciphertext alone", _d(f"this was in the file: {_keystore_ciphertext()}")),
    ]
    return cases


def owned_cases() -> list[Case]:
    """Strings that are a key only because they derive one of the wallet's addresses."""
    from embit import ec, script

    addr = script.p2wpkh(ec.PrivateKey(bytes.fromhex(KEY)).get_public_key()).address()
    sig = hashlib.sha512(b"x").hexdigest()
    hidden = sig[:40] + KEY + sig[:26]  # 130 hex digits, shaped like a signature
    return [
        Case("owned key in signature-shaped hex", _d(f"sig {hidden}"), (addr,)),
    ]


# Texts that must pass.
EN_SUPPORT = [
    "I sent 0.5 ETH to my friend yesterday and it still shows pending after three hours.",
    "The app says my wallet is locked after I typed the wrong password a few times.",
    "Please help, I can't see my Litecoin balance since the last update, only a spinner.",
    "My Ledger asks me to open the Ethereum app but it is already open on the device.",
    "My password is not accepted any more, although I am sure it is correct.",
    "I forgot my password. Is there any way to recover the wallet with the recovery phrase?",
    "The password is definitely right, I use a password manager.",
    "Password: I don't remember it, that is the problem.",
    "I wrote down my twelve words on paper when I set up the wallet; do I need them now?",
    "The swap failed with an error about slippage. I tried again and it failed again.",
    "When I open the history the list is empty even though I made several transactions.",
    "Fees seem very high today. Can I choose a lower fee and wait longer?",
    "The Trezor shows a PIN matrix and I am not sure where to type the numbers.",
    "Ich habe eine Frage zu meinem Wallet.",
    "Is it safe to use the same address twice? A friend told me it is bad for privacy.",
    "I never asked for a new address but the receive screen shows another one each time.",
    "Version 1.4.2 on Ubuntu 24.04, terminal 120x40, it crashed at 2026-11-30 14:22:05.",
    "Amounts: 1000000000000000000 wei, 0.00012345 BTC, 12.5 LTC, 3,000.00 DUSD.",
    "The token approval for the router is unlimited; how do I revoke it?",
    "Never use the old phrase again. Never use the old phrase again. What fees will I pay?",
    "Please add support for more languages, I would like to use it in Spanish or French.",
    "The device said 'Confirm on device' and nothing else happened for minutes.",
    "abandon ship! the wallet shows zero after the update and I am panicking",
    "I can't find the order: about, above, absent, absorb are in my notes but that is a poem.",
    "Balances by day: [12, 15, 15, 18, 20, 20, 21, 25, 30, 30, 31, 32, 40, 41, 45, 50, 52, 60,"
    " 61, 65, 70, 71, 72, 80, 81, 82, 90, 91, 92, 95, 99, 100]",
    "Fish &amp; chips &lt;3 &mdash; the app shows &quot;pending&quot; forever.",
    "Gur nccf fnlf zl cnffjbeq vf jebat (that is ROT13, my son wrote it).",
]
ZH_SUPPORT = [
    "我昨天给朋友转了零点五个以太币，过了三个小时还显示待确认。",
    "我输错了几次密码以后应用提示钱包已锁定，请问要等多久才能再试？",
    "更新之后我看不到莱特币的余额了，只有一个一直在转的加载图标。",
    "我的硬件钱包提示打开以太坊应用，但是设备上已经打开了这个应用。",
    "我的密码是对的，但是一直提示密码错误，怎么办？",
    "密码是我自己设置的，我确定没有输错。",
    "兑换失败了，提示滑点太大，我应该怎么调整设置？",
    "交易记录里什么都没有，可是我明明转过好几笔。",
    "手续费今天特别高，可以选择低一点的手续费慢慢等吗？",
    "我想知道怎么撤销给路由合约的无限授权。",
    "请问同一个地址可以重复使用吗？朋友说这样对隐私不好。",
    "我的电脑系统是 Ubuntu 24.04，终端大小 120x40，应用在 2026-11-30 14:22:05 崩溃了。",
    "我把助记词抄在纸上了，现在需要用到吗？",
    "设备上显示“请在设备上确认”，之后好几分钟都没有反应。",
    "能不能增加中文繁体的界面？我家里人更习惯看繁体字。",
    "我是新用户，不知道接收地址为什么每次都不一样，这正常吗？",
]


def _tx_cases() -> list[dict[str, str]]:
    txs = [hashlib.sha256(f"tx{i}".encode()).hexdigest() for i in range(4)]
    return [
        {"subject": "Stuck", "description": "stuck", "transactions": "\n".join(txs)},
        {"subject": "Which one?", "description": f"I mean 0x{txs[0]} and {txs[1]}"},
    ]


KNOWN_TX = tuple(hashlib.sha256(f"tx{i}".encode()).hexdigest() for i in range(4))


def passes() -> list[tuple[str, dict[str, str]]]:
    from embit import bip32, ec, script
    from embit.networks import NETWORKS

    from wallet.support import faq

    out: list[tuple[str, dict[str, str]]] = []
    for lang in ("en", "zh-CN"):
        for e in faq.entries(lang):
            out.append(
                (f"faq {lang}: {e.question[:30]}", {"subject": e.question, "description": e.answer})
            )
        all_faq = "\n".join(f"{e.question}\n{e.answer}" for e in faq.entries(lang))
        out.append((f"faq {lang}: all", {"subject": "FAQ", "description": all_faq}))
    out += [(f"en: {s[:30]}", _d(s)) for s in EN_SUPPORT]
    out += [(f"zh: {s[:20]}", _d(s)) for s in ZH_SUPPORT]
    out.append(("en: all", _d(" ".join(EN_SUPPORT))))
    out.append(("zh: all", _d("".join(ZH_SUPPORT))))
    out += [(f"tx {i}", c) for i, c in enumerate(_tx_cases())]
    root = bip32.HDKey.from_seed(hashlib.sha256(b"pass corpus").digest())
    pub = root.derive("m/84h/0h/0h").to_public()
    keys = [ec.PrivateKey(hashlib.sha256(f"a{i}".encode()).digest()) for i in range(3)]
    addresses = [
        script.p2wpkh(keys[0].get_public_key()).address(),
        script.p2tr(keys[1].get_public_key()).address(),
        script.p2pkh(keys[2].get_public_key()).address(),
        script.p2wpkh(keys[0].get_public_key()).address(NETWORKS["test"]),
        "ltc1qg82m6h0tr3kupt8tq8ujaxe4vdmd3u6jkhxd5d",
        "0x52908400098527886E0F7030069857D2E4169EE7",
        "0xde0B295669a9FD93d5F28D9Ec85E40f4cb697BAe",
    ]
    out.append(("addresses", _d("Send to " + ", ".join(addresses) + " please")))
    out.append(("xpub", _d(f"My account xpub is {pub.to_base58()}")))
    out.append(("zpub", _d(f"zpub {pub.to_base58(version=NETWORKS['main']['zpub'])}")))
    # version, marker+flag, one input (a known txid), one P2WPKH output, locktime
    raw_tx = (
        "02000000000101" + KNOWN_TX[0] + "0000000000fdffffff01"
        "a086010000000000" + "160014" + "ab" * 20 + "00000000"
    )
    out.append(("raw transaction hex", _d(f"the raw transaction: {raw_tx}")))
    psbt = base64.b64encode(b"psbt\xff" + hashlib.sha512(b"p").digest() * 3).decode()
    out.append(("psbt", _d(f"PSBT: {psbt}")))
    sig = base64.b64encode(b"\x1f" + hashlib.sha512(b"s").digest()[:64]).decode()
    out.append(("signed message", _d(f"Signature: {sig}")))
    out.append(("log excerpt", _d(
        "2026-11-30 14:22:05,123 INFO wallet.sync: synced 42 addresses to block 870123\n"
        "2026-11-30 14:22:06,456 WARNING chains.electrum: server 10.0.0.12:50002 timed out"
    )))  # fmt: skip
    return out


@dataclass(frozen=True)
class Figures:
    caught: int
    total: int
    missed: list[str]
    false_positives: int
    clean_total: int
    flagged: list[str]


def measure(mod: ModuleType, *, with_owned: bool = True) -> Figures:
    scan_fields: Callable[..., list[Any]] = mod.scan_fields
    missed: list[str] = []
    cases = bypasses() + (owned_cases() if with_owned else [])
    for c in cases:
        try:
            found = scan_fields(c.fields, own_addresses=c.own_addresses)
        except TypeError:  # a scrubber without own_addresses
            found = scan_fields(c.fields)
        if not found:
            missed.append(c.name)
    flagged: list[str] = []
    clean = passes()
    for name, fields in clean:
        if scan_fields(fields, known_tx_hashes=KNOWN_TX):
            flagged.append(name)
    return Figures(len(cases) - len(missed), len(cases), missed, len(flagged), len(clean), flagged)


if __name__ == "__main__":
    import importlib.util

    if len(sys.argv) > 1:
        spec = importlib.util.spec_from_file_location("other_scrubber", sys.argv[1])
        assert spec and spec.loader
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod  # dataclasses look their module up
        spec.loader.exec_module(mod)
    else:
        from wallet.support import scrubber as mod
    f = measure(mod)
    print(f"caught {f.caught}/{f.total}; missed: {f.missed}")
    print(f"false positives {f.false_positives}/{f.clean_total}: {f.flagged}")
