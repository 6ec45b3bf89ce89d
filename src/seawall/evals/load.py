"""Read an eval suite, or explain exactly what is wrong and where.

Errors name the file, the line, the dotted path and what was expected, as for seawall.yaml::

    evals/support.yaml:23: cases.2.assert.0.pattern: not a valid regular expression: ...

Everything that can be checked before the first call is checked here: variables, judge models,
custom functions (imported), optional extras (present), and the models named in the config.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from seawall.configload import line_index, nearest_line
from seawall.evals.assertions.similarity import EXTRA_HINT, embedder_key, sentence_transformer
from seawall.evals.assertions.specs import ASSERTION_TAGS, LlmJudge, Python, Similarity
from seawall.evals.suite import Suite, walk

Plugin = Callable[..., Any]
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SuiteError(Exception):
    """A suite that cannot be run; ``problems`` lists each issue as ``line: path: message``."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(f"{path}:{p}" for p in problems))


@dataclass(frozen=True, slots=True)
class LoadedSuite:
    """A valid suite, where it came from, and the functions its assertions import."""

    suite: Suite
    path: Path
    plugins: dict[str, Plugin] = field(default_factory=dict)
    lines: dict[tuple[str, ...], int] = field(default_factory=dict)

    def problem(self, dotted: str, message: str) -> str:
        """One problem line (``line: path: message``) for the field at ``dotted``."""
        return f"{nearest_line(tuple(dotted.split('.')), self.lines)}: {dotted}: {message}"

    def fail(self, dotted: str, message: str) -> SuiteError:
        return SuiteError(str(self.path), [self.problem(dotted, message)])


def load_suite(path: str | Path) -> LoadedSuite:
    """Parse and validate ``path``; raises ``SuiteError`` with every problem found."""
    name = str(path)
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise SuiteError(name, [f" cannot read the file: {exc.strerror or exc}"]) from exc
    raw, lines = _parse_yaml(text, name)
    raw.setdefault("name", Path(path).stem)
    try:
        suite = Suite.model_validate(raw)
    except ValidationError as exc:
        raise SuiteError(name, [_describe(err, lines) for err in exc.errors()]) from exc
    loaded = LoadedSuite(suite, Path(path), {}, lines)
    loaded.plugins.update(_plugins(loaded))
    return loaded


def check_models(
    loaded: LoadedSuite, known: Collection[str], source: str, *, prompt_model: str | None = None
) -> None:
    """Every model the suite names (target, judges) must be one of ``known`` (from ``source``).

    ``prompt_model``: the model of the prompt version a prompt target resolved to.
    """
    suite = loaded.suite
    wanted: list[tuple[str, str]] = []
    if suite.target.model is not None:
        wanted.append(("target.model", suite.target.model))
    if prompt_model is not None:
        wanted.append(("target.prompt", prompt_model))
    if suite.judge is not None:
        wanted.append(("judge.model", suite.judge.model))
    for i, case in enumerate(suite.cases):
        for spec in walk(list(case.assert_)):
            if isinstance(spec, LlmJudge) and spec.model is not None:
                wanted.append((f"cases.{i}.assert", spec.model))
    listed = ", ".join(sorted(known)) or "none"
    problems = [
        loaded.problem(where, f"unknown model '{model}' in {source} (known: {listed})")
        for where, model in wanted
        if model not in known
    ]
    if problems:
        raise SuiteError(str(loaded.path), problems)


# --------------------------------------------------------------------------- plugins


def _plugins(loaded: LoadedSuite) -> dict[str, Plugin]:
    found: dict[str, Plugin] = {}
    suite = loaded.suite
    specs = [("assert", s) for s in walk(list(suite.assert_))]
    for i, case in enumerate(suite.cases):
        specs += [(f"cases.{i}.assert", s) for s in walk(list(case.assert_))]
    for where, spec in specs:
        if isinstance(spec, Python) and spec.function not in found:
            found[spec.function] = _import(loaded, where, spec.function)
        elif isinstance(spec, Similarity) and embedder_key(spec) not in found:
            found[embedder_key(spec)] = _embedder(loaded, where, spec)
    return found


def _embedder(loaded: LoadedSuite, where: str, spec: Similarity) -> Plugin:
    if spec.embedder is not None:
        return _import(loaded, where, spec.embedder)
    if importlib.util.find_spec("sentence_transformers") is None:
        raise loaded.fail(
            where,
            f"similarity needs the 'embeddings' extra, which is not installed ({EXTRA_HINT}), "
            "or an 'embedder: module:function' of your own",
        )
    return sentence_transformer(spec.model)


def _import(loaded: LoadedSuite, where: str, target: str) -> Plugin:
    """``module:function``; a module beside the suite file is found without touching sys.path."""
    module_name, _, attribute = target.partition(":")
    try:
        module = _module(module_name, loaded.path.resolve().parent)
        function = getattr(module, attribute)
    except (ImportError, AttributeError, SyntaxError) as exc:
        raise loaded.fail(where, f"cannot import {target}: {type(exc).__name__}: {exc}") from exc
    if not callable(function):
        raise loaded.fail(where, f"{target} is not callable")
    return function  # type: ignore[no-any-return]


def _module(name: str, beside: Path) -> Any:
    if name in sys.modules:
        return sys.modules[name]
    local = beside.joinpath(*name.split(".")).with_suffix(".py")
    if not local.is_file():
        return importlib.import_module(name)
    spec = importlib.util.spec_from_file_location(name, local)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {local}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # so the function's own imports of its module work
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- YAML and errors


def _parse_yaml(text: str, name: str) -> tuple[dict[str, Any], dict[tuple[str, ...], int]]:
    # One parse (libyaml when present) gives both the line marks and the data: suites grow to
    # thousands of cases, where the pure-Python parser takes seconds.
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        raw = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"{mark.line + 1}" if mark is not None else "?"
        problem = getattr(exc, "problem", None) or exc
        raise SuiteError(name, [f"{line}: not valid YAML: {problem}"]) from exc
    finally:
        loader.dispose()
    if not isinstance(raw, dict):
        raise SuiteError(name, ["1: the file must hold a mapping (target:, cases:, ...)"])
    return raw, dict(line_index(node, ()))


def _describe(err: Any, lines: dict[tuple[str, ...], int]) -> str:
    loc = _without_union_tags(tuple(str(p) for p in err["loc"]))
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "union_tag_invalid":
        known = ", ".join(sorted(ASSERTION_TAGS))
        message = f"unknown assertion type '{err['ctx']['tag']}' (known: {known})"
    elif err["type"] == "union_tag_not_found":
        message = "an assertion needs a 'type'"
    if not loc:  # a check across fields names its own path: "cases.3.id: ..."
        head, sep, rest = message.partition(": ")
        if sep and " " not in head:
            loc, message = tuple(head.split(".")), rest
    got = err.get("input")
    shown = "" if isinstance(got, dict | list) or err["type"] == "missing" else f" (got {got!r})"
    return f"{nearest_line(loc, lines)}: {'.'.join(loc) or '(root)'}: {message}{shown}"


def _without_union_tags(loc: tuple[str, ...]) -> tuple[str, ...]:
    # pydantic puts the assertion's type into the path: cases.0.assert.1.contains.value.
    return tuple(
        part
        for i, part in enumerate(loc)
        if not (part in ASSERTION_TAGS and i >= 2 and loc[i - 2] == "assert")
    )
