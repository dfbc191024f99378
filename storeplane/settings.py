"""Settings from the environment and the command line, in one frozen value passed explicitly."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def default_data_dir() -> Path:
    explicit = os.environ.get("STOREPLANE_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser().resolve()
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "storeplane"


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    data_dir: Path
    base_domain: str = "stores.localhost"
    # The built dashboard; None: web/dist beside the code (a checkout). The image sets it.
    dashboard_dir: Path | None = None

    @classmethod
    def from_env(cls, data_dir: str | None = None) -> Settings:
        return cls(
            database_url=os.environ.get("DATABASE_URL") or None,
            data_dir=Path(data_dir).expanduser().resolve() if data_dir else default_data_dir(),
            base_domain=os.environ.get("STOREPLANE_BASE_DOMAIN", "stores.localhost"),
            dashboard_dir=Path(built) if (built := os.environ.get("STOREPLANE_DASHBOARD_DIR")) else None,
        )

