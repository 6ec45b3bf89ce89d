"""docs/configuration.md documents every config field, and its examples are valid."""

from __future__ import annotations

import re
from pathlib import Path

from seawall.configdoc import BEGIN, END, field_paths, reference
from seawall.configload import parse_config

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_reference_section_matches_the_models() -> None:
    text = DOC.read_text("utf-8")
    embedded = text[text.index(BEGIN) : text.index(END) + len(END)]
    assert embedded == reference(), "run: python -m seawall.configdoc --write docs/configuration.md"


def test_every_field_has_a_description() -> None:
    reference_text = reference()
    for row in reference_text.splitlines():
        if row.startswith("| `"):
            assert not row.rstrip().endswith("|  |"), f"field without a docstring: {row}"
    assert len(field_paths()) >= 60


def test_the_yaml_examples_in_the_doc_are_valid_configs() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text("utf-8"), re.DOTALL)
    assert blocks
    for block in blocks:
        parse_config(block, "docs/configuration.md")
