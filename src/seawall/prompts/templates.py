"""The one Jinja2 environment prompt templates are parsed and rendered in.

Sandboxed and immutable: a template can read the variables it is given but cannot reach
Python internals (``''.__class__``) or mutate a list it was passed. Undefined variables are
errors (``StrictUndefined``), never an empty string in a prompt sent to a model. Autoescape is
off: prompts are text, not HTML. Jinja's whitespace defaults are kept (no ``trim_blocks``), so a
template renders the way the Jinja documentation says it does.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment


class TemplateSyntaxProblem(ValueError):
    """A template that does not parse; ``lineno`` is its 1-based line inside the template."""

    def __init__(self, message: str, lineno: int) -> None:
        super().__init__(f"template syntax error at template line {lineno}: {message}")
        self.lineno = lineno


@lru_cache(maxsize=1)
def environment() -> ImmutableSandboxedEnvironment:
    """The shared sandboxed environment (created once; Jinja environments are thread-safe)."""
    return ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def check_syntax(source: str) -> None:
    """Raise ``TemplateSyntaxProblem`` when ``source`` is not a valid template."""
    try:
        environment().parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateSyntaxProblem(exc.message or "invalid syntax", exc.lineno) from None


def compile_template(source: str) -> Template:
    """A compiled template (the source was checked when its spec was validated)."""
    return environment().from_string(source)


def variables_used(source: str) -> frozenset[str]:
    """Top-level names a template reads from its variables (loop variables and globals excluded)."""
    names = meta.find_undeclared_variables(environment().parse(source))
    return frozenset(names - environment().globals.keys())
