"""Seawall: the production layer between an LLM application and its models."""

from seawall.inprocess import ChatResult, Seawall

__version__ = "0.1.0"
__all__ = ["ChatResult", "Seawall", "__version__"]
