"""wallet/paths.py: where termwallet keeps things, and config files it would never read."""

from __future__ import annotations

from pathlib import Path

from wallet.paths import Paths


def test_a_config_file_at_the_top_of_the_home_is_found_as_misplaced(tmp_path: Path):
    paths = Paths.under(tmp_path).ensure()
    assert paths.misplaced_config_files() == []
    paths.config_file.write_text('language = "zh-CN"\n')
    assert paths.misplaced_config_files() == []  # the one it reads
    (tmp_path / "config.toml").write_text('language = "zh-CN"\n')
    (paths.data_dir / "config.toml").write_text('language = "zh-CN"\n')
    assert paths.misplaced_config_files() == [
        tmp_path / "config.toml",
        paths.data_dir / "config.toml",
    ]
