"""Where termwallet keeps things. TERMWALLET_HOME moves every path (tests and the demo use it)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP = "termwallet"


@dataclass(frozen=True)
class Paths:
    config_dir: Path
    data_dir: Path
    cache_dir: Path
    log_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def database(self) -> Path:
        return self.data_dir / "termwallet.sqlite3"

    def ensure(self) -> Paths:
        for d in (self.config_dir, self.data_dir, self.cache_dir, self.log_dir):
            d.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self

    @classmethod
    def under(cls, home: Path) -> Paths:
        return cls(home / "config", home / "data", home / "cache", home / "logs")

    @classmethod
    def default(cls) -> Paths:
        home = os.environ.get("TERMWALLET_HOME")
        if home:
            return cls.under(Path(home).expanduser())
        import platformdirs  # only here: the home override path needs none of it

        return cls(
            Path(platformdirs.user_config_dir(APP)),
            Path(platformdirs.user_data_dir(APP)),
            Path(platformdirs.user_cache_dir(APP)),
            Path(platformdirs.user_log_dir(APP)),
        )
