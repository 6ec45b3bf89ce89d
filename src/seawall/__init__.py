"""Seawall: the production layer between an LLM application and its models."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seawall.inprocess import ChatResult, Seawall

__version__ = "0.1.0"
__all__ = ["ChatResult", "Seawall", "__version__"]


def __getattr__(name: str) -> Any:
    # Lazy: ``import seawall.guards.pii`` (or the CLI) must not load the whole gateway first.
    if name in ("ChatResult", "Seawall"):
        from seawall import inprocess

        return getattr(inprocess, name)
    raise AttributeError(f"module 'seawall' has no attribute {name!r}")
