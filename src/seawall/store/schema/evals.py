"""Placeholder for the evals tables."""

from __future__ import annotations
