"""Placeholder for the prompts tables."""

from __future__ import annotations
