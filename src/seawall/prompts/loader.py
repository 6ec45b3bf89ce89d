"""Read ``prompts/*.yaml`` into ``PromptSpec`` objects, or say exactly what is wrong and where.

Every problem names the file, the line, the dotted path to the field and what was expected,
the same way ``seawall.yaml`` errors do::

    prompts/support_reply.yaml:14: messages.1.content: template syntax error at template line 3: unexpected '}'

A template error points at the line of the file that holds the bad template line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from seawall.prompts.spec import PromptSpec, spec_problems
from seawall.prompts.templates import TemplateSyntaxProblem

PROMPT_SUFFIXES = (".yaml", ".yml")

_Path = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Located:
    line: int  # of the key (or list item), where people look for the field
    node: yaml.Node  # the value, whose style tells where a template starts


_Entry = tuple[_Path, _Located]


class PromptFileError(Exception):
    """Prompt files that cannot be used; ``problems`` lists each as ``file:line: path: message``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True, slots=True)
class LoadedPrompt:
    """A valid prompt and the file it came from."""

    spec: PromptSpec
    path: str


def load_prompts(path: str | Path) -> list[LoadedPrompt]:
    """Every prompt in a file or a directory (recursively), all checked before any is returned."""
    root = Path(path)
    if root.is_dir():
        files = sorted(p for p in root.rglob("*") if p.suffix in PROMPT_SUFFIXES and p.is_file())
        if not files:
            raise PromptFileError([f"{root}: no prompt files (*.yaml) in this directory"])
    else:
        files = [root]
    loaded: list[LoadedPrompt] = []
    problems: list[str] = []
    for file in files:
        try:
            loaded.append(LoadedPrompt(load_prompt_file(file), str(file)))
        except PromptFileError as exc:
            problems.extend(exc.problems)
    problems.extend(_duplicate_names(loaded))
    if problems:
        raise PromptFileError(problems)
    return loaded


def load_prompt_file(path: str | Path) -> PromptSpec:
    """One prompt file; raises ``PromptFileError`` with every problem found."""
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise PromptFileError([f"{path}: cannot read the file: {reason}"]) from None
    return parse_prompt(text, str(path))


def parse_prompt(text: str, name: str = "<prompt>") -> PromptSpec:
    """A prompt from YAML text; ``name`` is the file name used in error messages."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"{mark.line + 1}" if mark is not None else "?"
        problem = getattr(exc, "problem", None) or exc
        raise PromptFileError([f"{name}:{line}: not valid YAML: {problem}"]) from None
    if not isinstance(raw, dict):
        raise PromptFileError(
            [f"{name}:1: the file must hold a mapping (name:, model:, messages:)"]
        )
    nodes = dict(_node_index(node, ()))
    try:
        spec = PromptSpec.model_validate(raw)
    except ValidationError as exc:
        raise PromptFileError([f"{name}:{_describe(err, nodes)}" for err in exc.errors()]) from None
    problems = [
        f"{name}:{_line_of(loc, nodes)}: {'.'.join(loc)}: {msg}" for loc, msg in spec_problems(spec)
    ]
    if problems:
        raise PromptFileError(problems)
    return spec


def locate(text: str, loc: tuple[str, ...]) -> int | str:
    """The 1-based line of a field (or of its nearest parent) in prompt YAML; "?" if unknown."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return "?"
    return _line_of(loc, dict(_node_index(node, ())))


def _describe(err: Any, nodes: dict[_Path, _Located]) -> str:
    loc = tuple(str(part) for part in err["loc"])
    path = ".".join(loc) or "(root)"
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, TemplateSyntaxProblem):
        return f"{_template_line(loc, cause.lineno, nodes)}: {path}: {cause}"
    got = err.get("input")
    shown = "" if isinstance(got, dict | list) or err["type"] == "missing" else f" (got {got!r})"
    message = err["msg"].removeprefix("Value error, ")
    return f"{_line_of(loc, nodes)}: {path}: {message}{shown}"


def _template_line(loc: _Path, lineno: int, nodes: dict[_Path, _Located]) -> int | str:
    located = nodes.get(loc)
    if located is None:
        return _line_of(loc, nodes)
    node = located.node
    first = node.start_mark.line + 1
    # A block scalar (| or >) starts on the line after its indicator; a plain or quoted
    # scalar starts on the key's own line.
    is_block = isinstance(node, yaml.ScalarNode) and node.style in ("|", ">")
    return first + lineno if is_block else first + lineno - 1


def _line_of(loc: _Path, nodes: dict[_Path, _Located]) -> int | str:
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in nodes:
            return nodes[loc[:cut]].line
    return "?"


def _node_index(node: yaml.Node | None, path: _Path, line: int = 1) -> Iterator[_Entry]:
    """Every key and list item of the document: its dotted path, its 1-based line, its node."""
    if node is None:
        return
    yield path, _Located(line, node)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _node_index(value, (*path, str(key.value)), key.start_mark.line + 1)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from _node_index(item, (*path, str(i)), item.start_mark.line + 1)


def _duplicate_names(loaded: list[LoadedPrompt]) -> list[str]:
    first: dict[str, str] = {}
    problems = []
    for item in loaded:
        seen = first.setdefault(item.spec.name, item.path)
        if seen != item.path:
            problems.append(f"{item.path}: name: '{item.spec.name}' is also the name in {seen}")
    return problems
