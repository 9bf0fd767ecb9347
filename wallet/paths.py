"""Where termwallet keeps things. TERMWALLET_HOME moves every path (tests and the demo use it)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP = "termwallet"


class FolderNotWritable(Exception):
    """A folder termwallet must write in cannot be written (read-only file system or mount,
    permissions, a file in the way, a full disk). Its sentence names the folder and the fix
    (errors.FOLDER_NOT_WRITABLE); nothing was written anywhere, the keystore least of all."""

    code = "FOLDER_NOT_WRITABLE"

    def __init__(self, folder: Path, reason: str) -> None:
        super().__init__(f"cannot write in {folder}: {reason}")
        self.folder = folder
        self.details = {"folder": str(folder), "reason": reason}

    @classmethod
    def from_os_error(cls, folder: Path, exc: OSError) -> FolderNotWritable:
        # mkdir(parents=True) names the folder it could not make, which may be a parent.
        return cls(Path(exc.filename) if exc.filename else folder, exc.strerror or str(exc))


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
        """Make the folders, and prove the ones written at once (data, logs) take a file:
        mkdir of a folder that exists succeeds on a read-only mount, and the first failed
        write would otherwise come from SQLite or the log handler, as an unexplained error."""
        for d in (self.config_dir, self.data_dir, self.cache_dir, self.log_dir):
            try:
                d.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError as exc:
                raise FolderNotWritable.from_os_error(d, exc) from exc
        for d in (self.data_dir, self.log_dir):
            check_writable(d)
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


def check_writable(folder: Path) -> None:
    """Create and remove an empty file in `folder` (never touching anything else there, the
    keystore included); FolderNotWritable when that fails."""
    probe = folder / f".termwallet-write-test-{os.getpid()}"
    try:
        probe.unlink(missing_ok=True)  # left by a killed process that had this pid
        os.close(os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        os.unlink(probe)
    except OSError as exc:
        raise FolderNotWritable(folder, exc.strerror or str(exc)) from exc
