"""Lazy package attributes: a name loads its module on first use (``import probes.x`` stays instant).

Example:
    >>> __getattr__, __dir__ = lazy_exports(__name__, {"run": "probes.truth.study"}, globals())
"""

from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_exports(package: str, where: dict[str, str], namespace: dict) -> tuple[Callable, Callable]:
    """A module-level ``__getattr__`` that imports ``where[name]`` on first use, and its ``__dir__``."""

    def __getattr__(name: str):
        if name in where:
            value = getattr(importlib.import_module(where[name]), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(where))

    return __getattr__, __dir__
