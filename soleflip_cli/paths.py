"""Where soleflip keeps its config file and data, relocatable with SOLEFLIP_HOME."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Paths:
    """The config file, data directory and default SQLite database location."""

    config_file: Path
    data_dir: Path

    @property
    def default_database(self) -> Path:
        """The embedded SQLite database used when no URL is configured."""
        return self.data_dir / "soleflip.db"


def resolve_paths() -> Paths:
    """`$SOLEFLIP_HOME/config.toml` and `$SOLEFLIP_HOME`, else the platform's user dirs."""
    home = os.environ.get("SOLEFLIP_HOME")
    if home:
        root = Path(home).expanduser()
        return Paths(config_file=root / "config.toml", data_dir=root)
    import platformdirs

    return Paths(
        config_file=Path(platformdirs.user_config_dir("soleflip")) / "config.toml",
        data_dir=Path(platformdirs.user_data_dir("soleflip")),
    )


def shown(path: Path | str) -> str:
    """A path as text to print and store: bytes a file name has that are not UTF-8 as `\\xe9` escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")
