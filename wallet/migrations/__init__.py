"""Schema migrations, applied in order by Store.migrate.

Each module mNNNN_*.py defines `SQL`, a script of statements; its number is its schema version.
Never edit a migration that has shipped: add one."""

from __future__ import annotations

import importlib
import pkgutil
import re


def _discover() -> list[str]:
    found: dict[int, str] = {}
    for mod in pkgutil.iter_modules(__path__):
        m = re.match(r"m(\d{4})_", mod.name)
        if m:
            number = int(m.group(1))
            if number in found:
                raise RuntimeError(f"two migrations numbered {number}")
            found[number] = importlib.import_module(f"{__name__}.{mod.name}").SQL
    numbers = sorted(found)
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"migration numbers must run 1..N without gaps, got {numbers}")
    return [found[n] for n in numbers]


MIGRATIONS: list[str] = _discover()
