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
    home: Path | None = None  # TERMWALLET_HOME, when it moved all of the above

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    def misplaced_config_files(self) -> list[Path]:
        """config.toml files where termwallet never reads them: the top of TERMWALLET_HOME
        (the file belongs in its config/ folder) and the data folder. Settings there are
        silently not applied, so callers tell the user (CLI: stderr, app: a notification)."""
        places = [self.data_dir] if self.home is None else [self.home, self.data_dir]
        found = [place / "config.toml" for place in places]
        return [f for f in found if f != self.config_file and f.is_file()]

    @property
    def database(self) -> Path:
        return self.data_dir / "termwallet.sqlite3"

    def ensure(self) -> Paths:
        for d in (self.config_dir, self.data_dir, self.cache_dir, self.log_dir):
            d.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self

    @classmethod
    def under(cls, home: Path) -> Paths:
        return cls(home / "config", home / "data", home / "cache", home / "logs", home)

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
