"""User settings: defaults < config.toml < TERMWALLET_* environment < explicit arguments."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from said import Said, said_of
from wallet.support.config import SupportSettings

Language = Literal["en", "zh-CN"]
LANGUAGES: tuple[Language, ...] = ("en", "zh-CN")
UtxoBackendKind = Literal["electrum", "esplora"]


class ExplorerSettings(BaseModel):
    """The history API of one network (`[explorers.<network>]`): `api` says which kind
    ("etherscan": Etherscan-compatible, the default with a url or a key; "blockscout": a
    Blockscout instance's REST API; "node": no API, read the node). Without a table, a network
    with a public Blockscout instance uses it, keyless. The key is best kept out of files:
    TERMWALLET_EXPLORERS__<NETWORK>__KEY."""

    api: Literal["etherscan", "blockscout", "node"] | None = None
    url: str | None = None
    key: SecretStr | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TERMWALLET_", env_nested_delimiter="__", extra="ignore"
    )
    config_file: ClassVar[Path | None] = None

    language: Language = "en"
    # East Asian ambiguous-width characters (─ · … ●): "wide" draws without them, for
    # terminals that give them two cells; "auto" does so in Chinese, Japanese and Korean
    # locales. Read before the first frame by wallet/startup.py (ambiguous_wide).
    ambiguous_width: Literal["auto", "narrow", "wide"] = "auto"
    network: str = "eth"
    # Per-network RPC URLs the user trusts more than the built-in ones: {"eth": ["https://..."]}
    rpc_urls: dict[str, list[str]] = Field(default_factory=dict)
    auto_lock_minutes: int = Field(default=10, ge=0, le=24 * 60)
    refresh_seconds: int = Field(default=30, ge=5, le=3600)
    # The wallet's own fee on swaps, in basis points; shown to the user even when zero.
    swap_service_fee_bps: int = Field(default=0, ge=0, le=500)
    # Where a non-zero service fee goes, as its own visible transfer; without it such a fee
    # refuses to quote rather than being skipped or hidden.
    swap_service_fee_address: str | None = None
    # A 0x-style quote API (none by default: swaps quote from Uniswap V2 pools on chain).
    swap_aggregator_url: str | None = None
    swap_aggregator_key: SecretStr | None = None  # TERMWALLET_SWAP_AGGREGATOR_KEY
    # The one contract its quotes may call and take allowances for (default: 0x's Exchange
    # Proxy); a quote naming another is refused. For a self-hosted or other 0x-style API.
    swap_aggregator_exchange: str | None = None
    # Bitcoin/Litecoin servers per network id ("btc", "ltc", "ltc-regtest", ...). Like rpc_urls
    # they REPLACE the built-in public ones for that network, so the wallet's addresses never go
    # to a public server while the user's own is down. Electrum: tcp:// or ssl://host:port;
    # Esplora: the REST base URL (https://host/api).
    electrum_servers: dict[str, list[str]] = Field(default_factory=dict)
    esplora_urls: dict[str, list[str]] = Field(default_factory=dict)
    utxo_backend: UtxoBackendKind = "electrum"  # which protocol first, where both are known
    # As Electrum's "one server": talk to the first server of each network only, never fall
    # over to another (a down server shows as down instead of sending the addresses elsewhere).
    one_server: bool = False
    # One SOCKS5 proxy for every outbound connection (node RPC, Electrum, Esplora, history
    # APIs, prices, the helpdesk), names resolved by the proxy: "socks5h://127.0.0.1:9050" (Tor).
    proxy: str | None = None
    # Bitcoin-like networks shown next to the EVM network; None: btc and ltc mainnet when the
    # wallet has accounts for them.
    utxo_networks: list[str] | None = None
    # History explorer APIs per network (Etherscan-compatible); without one, history reads
    # the node.
    explorers: dict[str, ExplorerSettings] = Field(default_factory=dict)
    # The fiat currency of values beside balances (USD, CNY, EUR, ...); None: CNY for zh-CN,
    # USD otherwise. Prices are shown, never used to decide a transaction.
    currency: str | None = None
    fiat_prices: bool = True  # false: no price requests at all (the Value column says so)
    # A CoinGecko-compatible API (its /simple/price) instead of CoinGecko's public one; the
    # exchange tickers (Coinbase, Kraken) stay as fallbacks.
    price_api_url: str | None = None
    # Official support channels, helpdesk and SMTP; secrets come from TERMWALLET_SUPPORT__*.
    support: SupportSettings = Field(default_factory=SupportSettings)

    @field_validator("auto_lock_minutes", "refresh_seconds", "swap_service_fee_bps", mode="before")
    @classmethod
    def _ascii_number(cls, value: Any) -> Any:
        """A number given as text (an environment variable) is ASCII digits only: pydantic
        would read "0_1" as 1 (and a TOML number is never text)."""
        if isinstance(value, str) and not re.fullmatch(r"[0-9]+", value.strip(" "), re.ASCII):
            raise ValueError(
                Said("settings.use_ascii_digits_only", "use ASCII digits only (0-9), no separators")
            )
        return value

    @model_validator(mode="before")
    @classmethod
    def _legacy_explorers(cls, data: Any) -> Any:
        """Config files written before `explorers` moved to the top level kept them under
        `[history.explorers.<network>]`: still read, the new table wins."""
        if isinstance(data, dict):
            old = data.get("history", {})
            old = old.get("explorers") if isinstance(old, dict) else None
            new = data.get("explorers") or {}
            if isinstance(old, dict) and old and isinstance(new, dict):
                merged = dict(old)
                for net, table in new.items():
                    before = merged.get(net)
                    both = isinstance(before, dict) and isinstance(table, dict)
                    merged[net] = {**before, **table} if both else table  # type: ignore[dict-item]
                data = {**data, "explorers": merged}
        return data

    @field_validator("swap_aggregator_exchange")
    @classmethod
    def _exchange_address(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"0x[0-9a-fA-F]{40}", value):
            raise ValueError(
                Said(
                    "settings.swap_aggregator_exchange_must",
                    "swap_aggregator_exchange must be a 0x address (40 hex digits)",
                )
            )
        return value

    @field_validator("utxo_networks")
    @classmethod
    def _known_utxo_networks(cls, value: list[str] | None) -> list[str] | None:
        from chains.utxo_networks import UTXO_NETWORKS

        for n in value or ():
            if n not in UTXO_NETWORKS:
                raise ValueError(
                    Said(
                        "settings.unknown_network_choose_from",
                        "unknown network '{network}': choose from {networks}",
                        network=n,
                        networks=", ".join(UTXO_NETWORKS),
                    )
                )
        return value

    @field_validator("electrum_servers")
    @classmethod
    def _electrum_urls(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for urls in value.values():
            for url in urls:
                if not url.startswith(("tcp://", "ssl://")):
                    raise ValueError(
                        Said(
                            "settings.must_start_with_ssl",
                            "'{url}' must start with ssl:// (or tcp://)",
                            url=url,
                        )
                    )
        return value

    @field_validator("rpc_urls")
    @classmethod
    def _rpc_urls(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        # Only network schemes: file:// (or anything else) would make the node client read
        # local files, or fail deep inside it with a traceback.
        for urls in value.values():
            for url in urls:
                if not url.startswith(("https://", "http://", "wss://", "ws://")):
                    raise ValueError(
                        Said(
                            "settings.must_start_with_https_2",
                            "{url!r} must start with https:// or wss:// (or http://, ws://)",
                            url=url,
                        )
                    )
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from chains.prices import CURRENCIES

        code = value.strip().upper()
        if code not in CURRENCIES:
            raise ValueError(
                Said(
                    "settings.not_known_currency_choose",
                    "'{value}' is not a known currency: choose {currencies}",
                    value=value,
                    currencies=", ".join(CURRENCIES),
                )
            )
        return code

    @field_validator("price_api_url")
    @classmethod
    def _price_api_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError(
                Said(
                    "settings.must_start_with_https",
                    "'{value}' must start with https:// (or http://)",
                    value=value,
                )
            )
        return value

    @field_validator("proxy")
    @classmethod
    def _proxy(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        from chains.proxy import check_proxy

        return check_proxy(value)

    @field_validator("esplora_urls")
    @classmethod
    def _esplora_urls(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for urls in value.values():
            for url in urls:
                if not url.startswith(("https://", "http://")):
                    raise ValueError(
                        Said(
                            "settings.must_start_with_https_3",
                            "'{url}' must start with https:// (or http://)",
                            url=url,
                        )
                    )
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if cls.config_file is not None and cls.config_file.exists():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=cls.config_file))
        return tuple(sources)


def load_settings(config_file: Path | None, **overrides: Any) -> Settings:
    """Read settings; a broken config file raises SettingsError naming the file and the field."""
    from pydantic import ValidationError

    class _Bound(Settings):
        pass

    _Bound.config_file = config_file
    try:
        values = _Bound(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        problem: str = first["msg"]
        error = first.get("ctx", {}).get("error")
        if isinstance(error, ValueError) and said_of(error) is not None:
            # Our own validator's sentence, in pydantic's words around it as before; pydantic's
            # own messages ("Input should be a valid integer") stay as pydantic writes them.
            problem = Said("settings.value_error", "Value error, {reason}", reason=error)
        raise SettingsError(
            Said(
                "settings.bad_setting",
                "{config_file}: setting '{where}': {problem}",
                config_file=config_file,
                where=where,
                problem=problem,
            )
        ) from None
    except ValueError as exc:  # TOML syntax
        raise SettingsError(
            Said(
                "settings.unreadable_file",
                "{config_file}: {problem}",
                config_file=config_file,
                problem=exc,
            )
        ) from None
    settings = Settings.model_validate(values.model_dump())
    apply_network_settings(settings)
    return settings


def apply_network_settings(settings: Settings) -> None:
    """What the settings decide for every connection of this process: the proxy
    (chains/proxy.py), set here so that no command or screen that read the settings can
    connect around it."""
    from chains.proxy import use_proxy

    use_proxy(settings.proxy)


class SettingsError(Exception):
    code = "BAD_SETTINGS"
