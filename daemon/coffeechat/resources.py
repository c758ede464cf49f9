"""Where packaged files live: inside the wheel (``_data``) or, in a checkout, beside ``daemon/``."""

from __future__ import annotations

from pathlib import Path

import coffeechat

_PACKAGE = Path(coffeechat.__file__).resolve().parent
_REPO = _PACKAGE.parent.parent  # daemon/coffeechat -> repo root


def templates_dir() -> Path:
    """The default email templates (a user's ``[templates] dir`` overrides them file by file)."""
    packaged = _PACKAGE / "_data" / "templates"
    return packaged if packaged.is_dir() else _REPO / "templates"


def example_config_path() -> Path:
    """The commented example settings file that ``coffeechat init`` copies."""
    packaged = _PACKAGE / "_data" / "coffeechat.example.toml"
    return packaged if packaged.is_file() else _REPO / "config" / "coffeechat.example.toml"
