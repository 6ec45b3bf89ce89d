"""The injection detector: normalise, run the rules on every variant, ask the classifier.

Score (documented formula). Each piece of evidence is a probability-like weight in [0, 1]:

* one weight per rule family: the strongest match of that family on the normalised text or
  on any decoded variant (base64, hex, rot13, URL/HTML-decoded, leetspeak, Unicode tags);
* ``obfuscation``: when an attack only shows after decoding, or when the text that matched
  was hidden by zero-width characters, look-alike letters or spaced-out letters, weight
  ``0.5 + 0.5 * w`` for the strongest such match ``w`` (hiding an attack is evidence too);
  also ``zero_width`` / ``confusables`` / ``bidi_control`` / ``unicode_tags`` findings on
  their own, with small weights that grow with how much was hidden;
* the classifier's probability ``c`` (the maximum over the text and its decoded payloads),
  multiplied by ``DISCUSSION_DAMPING`` when the text talks *about* attacks (articles,
  questions, incident reports) and no rule saw an order stronger than 0.5: the words of an
  attack in the third person are not an attack, and the classifier cannot tell the person.

They are combined as a noisy-OR, ``score = 1 - (1 - c) * prod(1 - w_i)``: independent
pieces of evidence each raise the score, none can lower it, and the result stays in [0, 1].
``flagged`` is ``score >= threshold``. ``reasons`` lists every rule family and finding with a
weight, then ``classifier`` when ``c >= CLASSIFIER_REASON``, strongest family first.
"""

from __future__ import annotations

from dataclasses import dataclass

from seawall.guards.injection.classifier import Classifier
from seawall.guards.injection.normalize import Normalized, normalize
from seawall.guards.injection.patterns import SPECS
from seawall.guards.injection.rules import DISCUSSION, RuleSet

CLASSIFIER_REASON = 0.3  # the classifier is named in reasons from this probability up
DISCUSSION_DAMPING = 0.6
MAX_CHARS = 200_000  # longer inputs are scanned up to here and reported as "truncated"
_ATTACK_FLOOR = 0.3  # a rule hit this strong makes hiding it count as obfuscation
_HIDING = ("zero_width", "confusables", "spaced_letters")


@dataclass(frozen=True, slots=True)
class InjectionResult:
    """The verdict on one text: combined score, whether it crossed the threshold, and why."""

    score: float
    flagged: bool
    reasons: tuple[str, ...]


class InjectionDetector:
    """Prompt-injection and jailbreak detector; build once, ``scan`` many times."""

    def __init__(
        self,
        threshold: float = 0.5,
        *,
        classifier: Classifier | None = None,
        max_chars: int = MAX_CHARS,
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")
        self.threshold = threshold
        self.max_chars = max_chars
        self._rules = RuleSet(SPECS)
        self._classifier = classifier if classifier is not None else Classifier.load()

    def scan(self, text: str) -> InjectionResult:
        """Score ``text`` (a user message, a tool result, a retrieved document or an answer)."""
        evidence: dict[str, float] = {}
        if len(text) > self.max_chars:
            text = text[: self.max_chars]
            evidence["truncated"] = 0.0
        norm = normalize(text)
        primary = norm.text.lower()
        hits = self._rules.scan(primary)
        _merge(evidence, hits)
        _hidden_attack(evidence, norm, max(hits.values(), default=0.0))
        _findings(evidence, norm)
        self._variants(evidence, norm, hits)
        c = self._classify(primary, norm)
        if c >= 0.2 and max(hits.values(), default=0.0) < 0.5 and DISCUSSION.search(primary):
            c *= DISCUSSION_DAMPING
        keep = 1.0 - c
        for weight in evidence.values():
            keep *= 1.0 - weight
        score = round(1.0 - keep, 4)
        reasons = sorted(evidence, key=lambda k: -evidence[k])
        if c >= CLASSIFIER_REASON:
            reasons.append("classifier")
        return InjectionResult(score, score >= self.threshold, tuple(reasons))

    def _variants(
        self, evidence: dict[str, float], norm: Normalized, hits: dict[str, float]
    ) -> None:
        for variant in norm.variants:
            found = self._rules.scan(variant.text.lower(), folded=variant.folded)
            new = {f: w for f, w in found.items() if w > hits.get(f, 0.0)}
            strongest = max(new.values(), default=0.0)
            if strongest < _ATTACK_FLOOR:
                continue
            _merge(evidence, new)
            _merge(evidence, {"obfuscation": 0.5 + 0.5 * strongest})
            _merge(evidence, dict.fromkeys(variant.chain, 0.0))

    def _classify(self, primary: str, norm: Normalized) -> float:
        best = self._classifier.score(primary)
        for variant in norm.variants:
            if not variant.folded:
                best = max(best, self._classifier.score(variant.text.lower()))
        return best


def _merge(evidence: dict[str, float], new: dict[str, float]) -> None:
    for key, weight in new.items():
        evidence[key] = max(evidence.get(key, 0.0), weight)


def _hidden_attack(evidence: dict[str, float], norm: Normalized, strongest: float) -> None:
    """An attack that only matched after undoing zero-width, look-alike or spaced letters."""
    used = [
        step
        for step in _HIDING
        if step in norm.transformations
        and (step != "zero_width" or norm.interior_invisible)
        and (step != "confusables" or norm.confusable_words)
    ]
    if used and strongest >= _ATTACK_FLOOR:
        _merge(evidence, {"obfuscation": 0.5 + 0.5 * strongest})
        _merge(evidence, dict.fromkeys(used, 0.0))


def _findings(evidence: dict[str, float], norm: Normalized) -> None:
    """Hiding tricks are weak evidence on their own; a lot of them is strong evidence."""
    found: dict[str, float] = {}
    if norm.interior_invisible:
        found["zero_width"] = min(0.6, 0.2 + 0.04 * norm.interior_invisible)
    if norm.confusable_words:
        found["confusables"] = min(0.55, 0.15 + 0.1 * norm.confusable_words)
    if norm.bidi_overrides:
        found["bidi_control"] = 0.3
    if norm.hidden_tags:
        found["unicode_tags"] = 0.5
    _merge(evidence, found)
    if max(found.values(), default=0.0) >= 0.5:
        _merge(evidence, {"obfuscation": max(found.values())})
