"""A compiled contract as the devnet deploys it (chains/devnet/artifacts.py finds and loads
the files): its own module, so finding anvil does not import pydantic."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator


class Artifact(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    abi: tuple[dict[str, Any], ...]
    bytecode: str  # 0x-prefixed creation code

    @field_validator("bytecode", mode="before")
    @classmethod
    def _hex(cls, value: object) -> object:
        # The Uniswap build files store the bytecode without 0x; ours with it.
        if isinstance(value, str) and not value.startswith("0x"):
            return "0x" + value
        return value
