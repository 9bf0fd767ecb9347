"""User settings: defaults < config.toml < TERMWALLET_* environment < explicit arguments."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from wallet.support.config import SupportSettings

Language = Literal["en", "zh-CN"]
LANGUAGES: tuple[Language, ...] = ("en", "zh-CN")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TERMWALLET_", env_nested_delimiter="__", extra="ignore"
    )
    config_file: ClassVar[Path | None] = None

    language: Language = "en"
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
    # Official support channels, helpdesk and SMTP; secrets come from TERMWALLET_SUPPORT__*.
    support: SupportSettings = Field(default_factory=SupportSettings)

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
        raise SettingsError(f"{config_file}: setting '{where}': {first['msg']}") from None
    except ValueError as exc:  # TOML syntax
        raise SettingsError(f"{config_file}: {exc}") from None
    return Settings.model_validate(values.model_dump())


class SettingsError(Exception):
    code = "BAD_SETTINGS"
