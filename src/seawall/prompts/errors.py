"""Errors of the prompt registry and of rendering, as branches of the one error tree.

InvalidRequest (400)
├── InvalidPrompt          a spec pushed with a problem no single field shows
├── PromptVariableError    a variable is missing, mistyped or unexpected (param names it)
└── PromptNotFound (404)   no such prompt, version or label
SeawallError (500)
└── PromptRenderError      the template itself failed while rendering (sandbox, runtime)
"""

from __future__ import annotations

from seawall.core.errors import InvalidRequest, SeawallError


class InvalidPrompt(InvalidRequest):
    """A prompt spec that cannot be stored (e.g. a template uses an undeclared variable)."""


class PromptVariableError(InvalidRequest):
    """The caller's variables do not fit the prompt; ``param`` is ``variables.<name>``."""


class PromptNotFound(InvalidRequest):
    """No prompt by that name, or it has no such version or label."""

    status_code = 404


class PromptRenderError(SeawallError):
    """The template failed while rendering: the prompt's fault, not the caller's."""
