"""Accounts: which keys of a wallet the user works with, stored in the SQLite store.

An account row keeps its account-level extended public key, so addresses are derived without
the password (the `address` command, receive screens). Watch-only accounts come from an
xpub/zpub (every address) or a single address. The `network` column holds the account
family (keys.ChainSpec.family): one Ethereum account serves eth, sepolia and devnet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from said import Said
from wallet.keys import ScriptKind, account_path, chain_spec

if TYPE_CHECKING:
    from wallet.store import Store


class AccountError(ValueError):
    code = "ACCOUNT"


# SLIP-132 version bytes of extended public keys: (hex, testnet, script it implies or None)
_XPUB_VERSIONS: dict[str, tuple[str, bool, ScriptKind | None]] = {
    "xpub": ("0488b21e", False, None),
    "tpub": ("043587cf", True, None),
    "zpub": ("04b24746", False, ScriptKind.P2WPKH),
    "vpub": ("045f1cf6", True, ScriptKind.P2WPKH),
    "Ltub": ("019da462", False, None),
    "ttub": ("0436f6e1", True, None),
}


def convert_xpub(xpub: str, prefix: str) -> str:
    """The same key with other SLIP-132 version bytes (zpub <-> xpub, vpub <-> tpub). embit's
    base58, not bip_utils': the demo stores its Litecoin account while it starts, and bip_utils'
    import alone takes a third of a second."""
    from embit import base58

    try:
        raw = base58.decode_check(xpub)
    except Exception:
        raise AccountError(
            Said(
                "accounts.not_extended_public_key_2",
                "not an extended public key (bad base58 or checksum)",
            )
        ) from None
    if len(raw) != 78:
        raise AccountError(
            Said("accounts.not_extended_public_key", "not an extended public key (wrong length)")
        )
    return str(base58.encode_check(bytes.fromhex(_XPUB_VERSIONS[prefix][0]) + raw[4:]))


def display_xpub(xpub: str, script: ScriptKind, testnet: bool) -> str:
    """How wallets show an account key: zpub/vpub for BIP84, xpub/tpub otherwise."""
    if script is ScriptKind.P2WPKH:
        return convert_xpub(xpub, "vpub" if testnet else "zpub")
    return convert_xpub(xpub, "tpub" if testnet else "xpub")


def _node(xpub: str) -> Any:
    from bip_utils import Bip32Slip10Secp256k1

    prefix = xpub[:4]
    if prefix not in _XPUB_VERSIONS:
        raise AccountError(
            Said(
                "accounts.extended_keys_must_start",
                "extended keys must start with xpub, tpub, zpub, vpub, Ltub or ttub",
            )
        )
    plain = convert_xpub(xpub, "xpub")
    if plain[:4] == "xprv" or xpub[1:4] == "prv":
        raise AccountError(
            Said(
                "accounts.private_key_give_public",
                "that is a private key: give the public key (xpub/zpub)",
            )
        )
    from bip_utils.bip.bip32 import Bip32KeyError

    try:
        return Bip32Slip10Secp256k1.FromExtendedKey(plain)
    except (Bip32KeyError, ValueError):
        # Right length and checksum, but its key bytes are not a point on the curve (or its
        # depth and index contradict each other): a corrupted or hand-made key.
        raise AccountError(
            Said(
                "accounts.not_valid_extended_public",
                "not a valid extended public key (its key is not on the curve)",
            )
        ) from None


def derive_address(chain: str, script: ScriptKind, xpub: str, *path: int) -> str:
    """The address at `path` (non-hardened steps) below an account key."""
    from bip_utils import EthAddrEncoder, P2TRAddrEncoder, P2WPKHAddrEncoder

    node = _node(xpub)
    for i in path:
        node = node.ChildKey(i)
    pub = node.PublicKey().KeyObject()
    spec = chain_spec(chain)
    if script is ScriptKind.ETH:
        return str(EthAddrEncoder.EncodeKey(pub))
    if script is ScriptKind.P2WPKH:
        return str(P2WPKHAddrEncoder.EncodeKey(pub, hrp=spec.hrp, wit_ver=0))
    return str(P2TRAddrEncoder.EncodeKey(pub, hrp=spec.hrp))


@dataclass(frozen=True)
class Account:
    id: int
    wallet_id: int
    family: str
    script: ScriptKind
    account_index: int | None
    path: str | None
    xpub: str | None
    address: str  # the first receiving address (or the watched address)
    label: str | None
    watch_only: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "wallet_id": self.wallet_id,
            "family": self.family,
            "script": self.script.value,
            "account": self.account_index,
            "path": self.path,
            "xpub": self.xpub,
            "address": self.address,
            "label": self.label,
            "watch_only": self.watch_only,
        }


# SLIP-132 private-key prefixes (xprv, tprv, zprv, vprv, Ltpv, ttpv and the rest).
_PRIVATE_PREFIXES = frozenset({"xprv", "tprv", "yprv", "zprv", "uprv", "vprv", "Ltpv", "ttpv"})

_ETH_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


class AccountBook:
    """The accounts of one store. With `wallet_id`, lookups (`find`, `address`, `list`) see that
    wallet's accounts and the watch-only ones; without it, every account (one wallet per store,
    as before wallets were told apart)."""

    def __init__(self, store: Store, wallet_id: int | None = None) -> None:
        self._db = store.db
        self.wallet_id = wallet_id

    def _wallet(self, name: str, kind: str) -> int:
        row = self._db.execute(
            "SELECT id FROM wallets WHERE name = ? AND kind = ?", (name, kind)
        ).fetchone()
        if row is not None:
            return int(row[0])
        cur = self._db.execute(
            "INSERT INTO wallets(name, kind, created_at) VALUES(?, ?, ?)",
            (name, kind, datetime.now(UTC).isoformat()),
        )
        return int(cur.lastrowid or 0)

    def software_wallet(self, name: str = "Software wallet") -> int:
        return self._wallet(name, "software")

    def _insert(self, wallet_id: int, family: str, script: ScriptKind, **kw: Any) -> Account:
        try:
            cur = self._db.execute(
                "INSERT INTO accounts(wallet_id, network, path, address, label, script, "
                "account_index, xpub, watch_only) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    wallet_id,
                    family,
                    kw.get("path"),
                    kw["address"],
                    kw.get("label"),
                    script.value,
                    kw.get("account_index"),
                    kw.get("xpub"),
                    int(kw.get("watch_only", False)),
                ),
            )
        except Exception as exc:
            if "UNIQUE" in str(exc):
                raise AccountError(
                    Said("accounts.account_already_wallet", "that account is already in the wallet")
                ) from None
            raise
        return self.get(int(cur.lastrowid or 0))

    def add_from_signer(
        self,
        signer: Any,
        wallet_id: int,
        chain: str,
        script: ScriptKind,
        account_index: int = 0,
        label: str | None = None,
    ) -> Account:
        """An account of a signer's keys: its xpub is read once, addresses come from it."""
        path = account_path(chain, script, account_index)
        xpub = signer.get_xpub(path)
        return self.add_xpub_account(wallet_id, chain, script, xpub, account_index, label)

    def add_xpub_account(
        self,
        wallet_id: int,
        chain: str,
        script: ScriptKind,
        xpub: str,
        account_index: int = 0,
        label: str | None = None,
        *,
        address: str | None = None,
    ) -> Account:
        """An account whose account-level key (at keys.account_path) is `xpub`. `address`: its
        first receive address when the caller derived it already (the demo: with embit, so
        bip_utils' import stays off its start)."""
        spec = chain_spec(chain)
        xpub = convert_xpub(xpub, "xpub")  # as watched keys are kept: one form to compare
        path = account_path(chain, script, account_index)
        row = self._db.execute(
            "SELECT * FROM accounts WHERE wallet_id = ? AND network = ? AND script = ? "
            "AND account_index = ? AND watch_only = 0",
            (wallet_id, spec.family, script.value, account_index),
        ).fetchone()
        if row is not None:
            existing = self._from_row(row)
            if existing.xpub == xpub:
                return existing  # restoring the same wallet again
            raise AccountError(
                Said(
                    "accounts.store_holds_accounts_another",
                    "the store holds accounts of another wallet; move the data folder away first",
                )
            )
        if script is ScriptKind.ETH:
            address = derive_address(chain, script, xpub, account_index)
        elif address is None:
            address = derive_address(chain, script, xpub, 0, 0)
        self._adopt_watched(spec.family, script, address)
        return self._insert(
            wallet_id,
            spec.family,
            script,
            path=path,
            address=address,
            label=label,
            account_index=account_index,
            xpub=xpub,
        )

    def _adopt_watched(self, family: str, script: ScriptKind, address: str) -> None:
        """A watch-only account of the same keys becomes part of the wallet that can sign for
        it: the watched row goes, its history and labels (kept by address) stay."""
        self._db.execute(
            "DELETE FROM accounts WHERE network = ? AND script = ? AND address = ? "
            "AND watch_only = 1",
            (family, script.value, address),
        )

    def add_default_accounts(self, signer: Any, wallet_id: int) -> list[Account]:
        """Account 0 of each kind on mainnets and testnets: eth, btc and ltc (BIP84 and BIP86)."""
        out = []
        for chain in ("eth", "btc", "ltc", "btc-testnet", "ltc-testnet"):
            for script in chain_spec(chain).kinds:
                out.append(self.add_from_signer(signer, wallet_id, chain, script, 0))
        return out

    def add_watch_xpub(
        self, chain: str, xpub: str, script: ScriptKind | None = None, label: str | None = None
    ) -> Account:
        spec = chain_spec(chain)
        xpub = xpub.strip()
        if xpub[:4] not in _XPUB_VERSIONS:
            raise AccountError(
                Said(
                    "accounts.extended_keys_must_start",
                    "extended keys must start with xpub, tpub, zpub, vpub, Ltub or ttub",
                )
            )
        _, testnet, implied = _XPUB_VERSIONS[xpub[:4]]
        if testnet != spec.testnet:
            raise AccountError(
                Said("accounts.key_for_testnet", "that key is for a test network")
                if testnet
                else Said("accounts.key_for_mainnet", "that key is for the main network")
            )
        script = script or implied
        if script is None:
            raise AccountError(
                Said(
                    "accounts.say_which_addresses_key",
                    "say which addresses this key makes: p2wpkh or p2tr",
                )
            )
        if script not in spec.kinds:
            raise AccountError(
                Said(
                    "accounts.has_no_accounts",
                    "{chain} has no {script} accounts",
                    chain=chain,
                    script=script,
                )
            )
        plain = convert_xpub(xpub, "xpub")
        address = derive_address(chain, script, plain, 0, 0)
        self._refuse_watched(spec.family, script, address)
        wallet_id = self._wallet(label or "Watch-only", "watch")
        return self._insert(
            wallet_id,
            spec.family,
            script,
            address=address,
            label=label,
            xpub=plain,
            watch_only=True,
        )

    def add_watch_address(self, chain: str, address: str, label: str | None = None) -> Account:
        spec = chain_spec(chain)
        address = address.strip()
        if spec.family == "eth":
            if not _ETH_ADDRESS.fullmatch(address):
                raise AccountError(
                    Said(
                        "accounts.ethereum_address_0x_40",
                        "an Ethereum address is 0x and 40 hex digits",
                    )
                )
            from eth_utils import to_checksum_address

            if address != address.lower() and address != to_checksum_address(address):
                raise AccountError(
                    Said(
                        "accounts.address_s_checksum_upper",
                        "the address's checksum (its upper/lower case) is wrong",
                    )
                )
            address, script = to_checksum_address(address), ScriptKind.ETH
        else:
            script = _segwit_script(spec.hrp or "", address)
            address = address.lower()  # all-caps is valid (QR codes); stored as everyone writes it
        self._refuse_watched(spec.family, script, address)
        wallet_id = self._wallet(label or "Watch-only", "watch")
        return self._insert(
            wallet_id, spec.family, script, address=address, label=label, watch_only=True
        )

    def _refuse_watched(self, family: str, script: ScriptKind, address: str) -> None:
        # Each label is its own watch wallet, so the table's UNIQUE constraint (per wallet)
        # would let the same key in twice under two labels and count its coins twice.
        row = self._db.execute(
            "SELECT 1 FROM accounts WHERE network = ? AND script = ? AND address = ? "
            "AND watch_only = 1",
            (family, script.value, address),
        ).fetchone()
        if row is not None:
            raise AccountError(
                Said("accounts.account_already_watched", "that account is already watched")
            )

    def add_watch(
        self,
        chain: str,
        key_or_address: str,
        script: ScriptKind | None = None,
        label: str | None = None,
    ) -> Account:
        """A watch-only account from an xpub/zpub (every address) or a single address. Private
        keys are refused without repeating them (they are already somewhere they should not
        be: an argument, a paste buffer)."""
        text = key_or_address.strip()
        if text[1:4] == "prv" or text[:4] in _PRIVATE_PREFIXES:
            raise AccountError(
                Said(
                    "accounts.private_key_watch_only",
                    "that is a private key: a watch-only account takes the "
                    "public key (xpub/zpub) or an address. Treat that private "
                    "key as exposed.",
                )
            )
        if text[:4] in _XPUB_VERSIONS:
            return self.add_watch_xpub(chain, text, script, label)
        if script is not None:
            raise AccountError(
                Said(
                    "accounts.address_type_comes_from",
                    "the address type comes from the address itself: leave it out",
                )
            )
        return self.add_watch_address(chain, text, label)

    def list(self) -> list[Account]:
        rows = self._db.execute(
            "SELECT * FROM accounts WHERE (:w IS NULL OR wallet_id = :w OR watch_only = 1) "
            "ORDER BY id",
            {"w": self.wallet_id},
        ).fetchall()
        return [self._from_row(r) for r in rows]

    def get(self, account_id: int) -> Account:
        row = self._db.execute("SELECT * FROM accounts WHERE id = ?", (account_id,)).fetchone()
        if row is None:
            raise AccountError(
                Said("accounts.no_account", "no account {account_id}", account_id=account_id)
            )
        return self._from_row(row)

    def find(self, chain: str, script: ScriptKind, account_index: int) -> Account | None:
        family = chain_spec(chain).family
        row = self._db.execute(
            "SELECT * FROM accounts WHERE network = :n AND script = :s AND account_index = :i "
            "AND watch_only = 0 AND (:w IS NULL OR wallet_id = :w) ORDER BY id LIMIT 1",
            {"n": family, "s": script.value, "i": account_index, "w": self.wallet_id},
        ).fetchone()
        return None if row is None else self._from_row(row)

    def address(
        self,
        chain: str,
        script: ScriptKind,
        account_index: int = 0,
        index: int = 0,
        *,
        change: bool = False,
    ) -> str:
        """An address of a stored account, derived from its xpub: no password needed."""
        if script is ScriptKind.ETH:
            if index or change:
                raise AccountError(
                    Said(
                        "accounts.ethereum_accounts_have_one",
                        "Ethereum accounts have one address each: use --account",
                    )
                )
            # Every Ethereum account row stores the same m/44'/60'/0'/0 key; account i is its
            # child i, so any account number can be derived from any row.
            acct = self.find(chain, script, account_index) or self.find(chain, script, 0)
        else:
            acct = self.find(chain, script, account_index)
        if acct is None or acct.xpub is None:
            raise AccountError(
                Said(
                    "accounts.no_account_wallet",
                    "no {script} account {account_index} for {chain} in this wallet",
                    script=script,
                    account_index=account_index,
                    chain=chain,
                )
            )
        if script is ScriptKind.ETH:
            return derive_address(chain, script, acct.xpub, account_index)
        if not 0 <= index < 2**31:
            raise AccountError(
                Said("accounts.address_index_out_range", "address index out of range")
            )
        return derive_address(chain, script, acct.xpub, int(change), index)

    @staticmethod
    def _from_row(r: Any) -> Account:
        return Account(
            id=int(r["id"]),
            wallet_id=int(r["wallet_id"]),
            family=str(r["network"]),
            script=ScriptKind(r["script"] or "eth"),
            account_index=r["account_index"],
            path=r["path"],
            xpub=r["xpub"],
            address=str(r["address"]),
            label=r["label"],
            watch_only=bool(r["watch_only"]),
        )


def _segwit_script(hrp: str, address: str) -> ScriptKind:
    from bip_utils import SegwitBech32Decoder

    from chains.utxo import MIXED_CASE

    if address != address.lower() and address != address.upper():
        # As `send` refuses it (chains.utxo.address_to_script): BIP173 makes mixed case invalid.
        raise AccountError(MIXED_CASE)

    try:
        version, program = SegwitBech32Decoder.Decode(hrp, address.lower())
    except Exception:
        raise AccountError(
            Said(
                "accounts.not_native_segwit_taproot",
                "not a native segwit or taproot address for this network ({hrp}1...)",
                hrp=hrp,
            )
        ) from None
    if version == 0 and len(program) == 20:
        return ScriptKind.P2WPKH
    if version == 1 and len(program) == 32:
        return ScriptKind.P2TR
    raise AccountError(
        Said(
            "accounts.only_p2wpkh_1q_taproot",
            "only P2WPKH (…1q…) and taproot (…1p…) addresses can be watched",
        )
    )
