"""The rule engine: precompiled weighted patterns, each belonging to a stable reason id.

A rule is a regular expression over *lowercased, normalised* text plus a base weight in
(0, 1] and, optionally, a context function that scales the weight by what surrounds the
match (an imperative at the start of a clause weighs more than the same words reported in
the third person or quoted in an article about attacks). A family's score is the largest
weight any of its rules reached. Rules are written with a plain space between words; the
space compiles to ``SEP`` (up to five non-alphanumerics, possibly none) so that the same
rule also matches ``ignore+all+previous`` and de-spaced ``ignoreallprevious``.

Speed (pure Python, 20 KB inputs) comes from never running a regex over a whole text when a
cheaper test can say no:

* *triggers*: words that any match must contain, checked as set intersections against the
  text's word prefixes, built once per text;
* *anchors*: the possible starts of a match's first word, derived from the parsed regex;
  the regex is then tried with ``match`` only at word starts carrying such a prefix.
  Python's engine skips ahead fast only for patterns that start with a literal or a
  character set; a leading ``\b`` or a nested alternation disables that (8-10x slower).

The leetspeak variant of a text is i-folded ("1", "l" and "i" all read "i"), so every rule
is compiled a second time with its literals folded the same way (the sources never use
``l`` in escapes or group names for this reason).
"""

from __future__ import annotations

import bisect
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

with warnings.catch_warnings():  # the stdlib regex parser, to find where patterns can start
    warnings.simplefilter("ignore", DeprecationWarning)
    import sre_constants as sc
    import sre_parse

FAMILIES = (
    "instruction_override",
    "role_hijack",
    "system_prompt_extraction",
    "delimiter_attack",
    "format_attack",
    "obfuscation",
    "tool_abuse",
)
SEP = r"[^a-z0-9]{0,5}"
_MAX_MATCHES = 4  # matches examined per rule: enough to find one that is not quoted
_PREFIX_LEN = 6  # anchors: first-word prefixes up to this long
_LONG_WORD = (12, 64)  # run-together words of this length also offer their inner substrings
_WORD = re.compile(r"[a-z0-9]+")

DISCUSSION = re.compile(
    r"\b(?:prompt injections?|injection attacks?|jailbreak(?:s|ing)?|attackers?|adversar\w*|"
    r"red[- ]team\w*|researchers?|for example|examples?|e\.g\.|such as|techniques?|payloads?|"
    r"malicious|classifiers?|detect\w*|defen[cs]\w*|mitigat\w*|phrases? like|strings? like|"
    r"vulnerabilit\w*|security|exploit\w*|well-known|famous|classic)\b"
)
_QUOTES = "\"'“”‘’«»`"


def _index(text: str) -> tuple[dict[str, list[int]], frozenset[str], frozenset[str]]:
    """One pass over the words of ``text``: where each word starts, and two key sets.

    ``vocab`` holds whole 1-2 letter words and every 3- and 4-letter word prefix (trigger
    keys); ``prefixes`` every 2-, 3- and 4-letter word prefix (anchor keys). Run-together
    words ("ignoreallprevious") also offer their inner 3- and 4-grams, so triggers still fire
    on text whose spaces were removed. Set tests then replace per-rule loops.
    """
    starts: dict[str, list[int]] = {}
    for match in _WORD.finditer(text):
        starts.setdefault(match.group(), []).append(match.start())
    p2 = {w[:2] for w in starts}
    p34 = {w[:3] for w in starts} | {w[:4] for w in starts}
    low, high = _LONG_WORD
    for word in starts:
        if low <= len(word) <= high:
            p34.update(word[i : i + 3] for i in range(len(word) - 2))
            p34.update(word[i : i + 4] for i in range(len(word) - 3))
    short = {w for w in starts if len(w) <= 2}
    return starts, frozenset(short | p34), frozenset(p2 | p34)


class ScanContext:
    """Facts about the whole text that context functions need, computed at most once."""

    __slots__ = (
        "_discussion",
        "_found",
        "_sorted",
        "_starts",
        "folded",
        "prefixes",
        "text",
        "vocab",
    )

    def __init__(self, text: str, *, folded: bool = False) -> None:
        self.text = text
        self.folded = folded
        self._discussion: bool | None = None
        self._starts, self.vocab, self.prefixes = _index(text)
        self._sorted: list[str] | None = None
        self._found: dict[str, list[int]] = {}

    def word_starts(self, prefix: str) -> list[int]:
        """Where the words that start with ``prefix`` begin."""
        found = self._found.get(prefix)
        if found is None:
            if self._sorted is None:
                self._sorted = sorted(self._starts)
            words, found = self._sorted, []
            i = bisect.bisect_left(words, prefix)
            while i < len(words) and words[i].startswith(prefix):
                found.extend(self._starts[words[i]])
                i += 1
            self._found[prefix] = found
        return found

    @property
    def discussion(self) -> bool:
        """True when the text talks *about* attacks (articles, questions, tutorials)."""
        if self._discussion is None:
            self._discussion = DISCUSSION.search(self.text) is not None
        return self._discussion

    def before(self, match: re.Match[str], width: int = 60) -> str:
        """Up to ``width`` characters before the match."""
        return self.text[max(0, match.start() - width) : match.start()]

    def after(self, match: re.Match[str], width: int = 80) -> str:
        """Up to ``width`` characters after the match."""
        return self.text[match.end() : match.end() + width]

    def quoted(self, match: re.Match[str]) -> bool:
        """True when the match opens right after a quote mark (a cited phrase)."""
        head = self.before(match, 4).rstrip()
        return bool(head) and head[-1] in _QUOTES


Context = Callable[[ScanContext, "re.Match[str]"], float]


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One rule: reason id, name, base weight, source, triggers and an optional context.

    ``triggers`` is a cheap pre-check: groups separated by ``;``, alternatives by ``|``; the
    regex runs only when, for every group, some word of the text starts with one of its
    alternatives (compared on their first four letters; a one- or two-letter alternative
    must be a whole word; a non-word alternative such as ``<|`` is a substring test).
    """

    family: str
    name: str
    weight: float
    source: str
    triggers: str = ""
    context: Context | None = None


@dataclass(frozen=True, slots=True)
class _Rule:
    spec: RuleSpec
    pattern: re.Pattern[str]
    gates: tuple[tuple[frozenset[str], tuple[str, ...]], ...]  # (word keys, substrings) groups
    boundary: bool  # the source began with \\b, checked by hand (see compile_source)
    prefixes: tuple[str, ...] | None  # what the first word of any match starts with
    anchors: dict[str, tuple[str, ...]]  # prefixes keyed by their first 2-4 characters
    keys: frozenset[str]  # the anchors' keys

    def matches(self, ctx: ScanContext) -> Iterator[re.Match[str]]:
        text = ctx.text
        starts = self._candidates(ctx)
        if starts is not None:
            # Each start is a word start, so a leading word boundary holds by construction.
            for start in starts:
                match = self.pattern.match(text, start)
                if match is not None:
                    yield match
            return
        pos = 0
        while (match := self.pattern.search(text, pos)) is not None:
            start = match.start()
            if not self.boundary or start == 0 or not text[start - 1].isalnum():
                yield match
                pos = match.end() if match.end() > start else start + 1
            else:
                pos = start + 1

    def _candidates(self, ctx: ScanContext) -> list[int] | None:
        if self.prefixes is None:
            return None
        present = self.keys & ctx.prefixes
        starts: list[int] = []
        for key in present:
            for prefix in self.anchors[key]:
                starts.extend(ctx.word_starts(prefix))
        return sorted(set(starts)) if len(present) > 1 else starts

    def gated(self, ctx: ScanContext) -> bool:
        """Every trigger group has a word (prefix) or substring present in the text."""
        for keys, others in self.gates:
            if keys.isdisjoint(ctx.vocab) and not any(t in ctx.text for t in others):
                return False
        return True

    def best(self, ctx: ScanContext) -> float:
        context = self.spec.context
        best = 0.0
        for n, match in enumerate(self.matches(ctx)):
            if context is None:
                return self.spec.weight
            best = max(best, self.spec.weight * context(ctx, match))
            if n + 1 >= _MAX_MATCHES or best >= self.spec.weight:
                break
        return min(best, 1.0)


def compile_source(source: str, *, folded: bool = False) -> tuple[re.Pattern[str], bool]:
    """Compile a rule source: spaces become ``SEP``; ``folded`` reads every ``l`` as ``i``.

    A leading ``\\b`` is removed and returned as a flag for the caller to check on each
    match: Python's regex engine skips ahead with a fast first-character scan only when the
    pattern starts with literals, and a leading word boundary disables that (8-10x slower).
    """
    if folded:
        source = source.replace("l", "i")
    boundary = source.startswith(r"\b")
    if boundary:
        source = source[2:]
    return re.compile(source.replace(" ", SEP)), boundary


def _build(spec: RuleSpec, *, folded: bool) -> _Rule:
    pattern, boundary = compile_source(spec.source, folded=folded)
    triggers = spec.triggers.replace("l", "i") if folded else spec.triggers
    gates = tuple(_gate(group.split("|")) for group in triggers.split(";") if group)
    prefixes = first_word_prefixes(pattern.pattern) if boundary else None
    anchors: dict[str, tuple[str, ...]] = {}
    for prefix in prefixes or ():
        anchors[prefix[:4]] = (*anchors.get(prefix[:4], ()), prefix)
    return _Rule(spec, pattern, gates, boundary, prefixes, anchors, frozenset(anchors))


def _gate(alternatives: list[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    keys = frozenset(t[:4] for t in alternatives if t.isalnum())
    return keys, tuple(t for t in alternatives if t and not t.isalnum())


def first_word_prefixes(source: str) -> tuple[str, ...] | None:
    """What the first word of any match must start with (2-6 characters), or None if unknown.

    Walks the parsed pattern through literals, groups, alternations and small character
    sets; stops at anything else. None means some match could start with fewer than two
    known characters, so the rule must search the whole text.
    """
    found: set[str] = set()
    if not _walk(list(sre_parse.parse(source).data), "", found):
        return None
    return tuple(sorted(found))


def _walk(items: list[tuple[Any, Any]], prefix: str, found: set[str]) -> bool:
    for i, (op, av) in enumerate(items):
        if len(prefix) >= _PREFIX_LEN:
            break
        if op is sc.LITERAL and chr(av).isalnum():
            prefix += chr(av)
            continue
        rest = items[i + 1 :]
        if op is sc.SUBPATTERN:
            return _walk(list(av[3].data) + rest, prefix, found)
        if op is sc.BRANCH:
            return all(_walk(list(alt.data) + rest, prefix, found) for alt in av[1])
        if (
            op is sc.IN
            and len(av) <= 4
            and all(o is sc.LITERAL and chr(a).isalnum() for o, a in av)
        ):
            return all(_walk([(sc.LITERAL, a), *rest], prefix, found) for _, a in av)
        break
    if len(prefix) < 2:
        return False
    found.add(prefix)
    return True


class RuleSet:
    """A compiled set of rules; ``scan`` returns the score of each family that matched."""

    def __init__(self, specs: Sequence[RuleSpec]) -> None:
        unknown = {s.family for s in specs} - set(FAMILIES)
        if unknown:
            raise ValueError(f"unknown rule families: {sorted(unknown)}")
        self._plain = tuple(_build(s, folded=False) for s in specs)
        self._folded = tuple(_build(s, folded=True) for s in specs)

    def scan(self, text: str, *, folded: bool = False) -> dict[str, float]:
        """Family -> score for lowercased normalised ``text`` (``folded``: leetspeak variant)."""
        hits: dict[str, float] = {}
        for name, weight in self.explain(text, folded=folded):
            family = name.partition(".")[0]
            hits[family] = max(hits.get(family, 0.0), weight)
        return hits

    def explain(self, text: str, *, folded: bool = False) -> list[tuple[str, float]]:
        """Every rule that matched as ``("family.name", weight)``, for tests and debugging."""
        ctx = ScanContext(text, folded=folded)
        found: list[tuple[str, float]] = []
        for rule in self._folded if folded else self._plain:
            if not rule.gated(ctx):
                continue
            weight = rule.best(ctx)
            if weight > 0.0:
                found.append((f"{rule.spec.family}.{rule.spec.name}", round(weight, 4)))
        return found
