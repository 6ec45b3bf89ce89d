"""Reports of runs and comparisons: ``table`` (Rich), ``json``, ``junit``, ``markdown``, ``html``.

``render`` returns the text of every format but ``table``, which the CLI prints with Rich
(``table.run_table`` / ``table.comparison_table``). A run compared with a baseline carries
the comparison in the same document.
"""

from __future__ import annotations

from typing import Any, Literal

import orjson

from seawall.evals.calibration import Calibration
from seawall.evals.compare import Comparison
from seawall.evals.reports import data, html, junit, markdown
from seawall.evals.reports.calibration import (
    calibration_data,
    calibration_html,
    calibration_markdown,
)
from seawall.evals.summary import RunSummary

Format = Literal["table", "json", "junit", "markdown", "html"]
FORMATS: tuple[Format, ...] = ("table", "json", "junit", "markdown", "html")

_JSON = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS


def render(
    fmt: Format,
    summary: RunSummary | None = None,
    comparison: Comparison | None = None,
    calibration: Calibration | None = None,
) -> str:
    """A run, a comparison, or a run and its comparison, as ``fmt`` text (not ``table``).

    ``calibration`` (``--calibration``) goes with the run: under ``"calibration"`` in JSON, a
    section of its own in Markdown and HTML (JUnit has no place for it).
    """
    if fmt == "json":
        document: dict[str, Any] = data.run_data(summary) if summary is not None else {}
        if calibration is not None:
            document["calibration"] = calibration_data(calibration)
        if comparison is not None:
            compared = data.comparison_data(comparison)
            document = {**document, "comparison": compared} if summary is not None else compared
        return orjson.dumps(document, option=_JSON, default=str).decode() + "\n"
    if fmt == "junit":
        suites = [junit.run_suite_element(summary)] if summary is not None else []
        if comparison is not None:
            suites.append(junit.comparison_suite_element(comparison))
        return junit.junit_document(suites)
    if fmt == "markdown":
        parts = [markdown.run_markdown(summary)] if summary is not None else []
        if calibration is not None:
            parts.append(calibration_markdown(calibration))
        if comparison is not None:
            parts.append(markdown.comparison_markdown(comparison))
        return "\n".join(parts)
    if fmt == "html":
        body = html.run_body(summary) if summary is not None else []
        if calibration is not None:
            body += calibration_html(calibration)
        if comparison is not None:
            body += html.comparison_body(comparison)
        return html.page(f"Eval {_suite_name(summary, comparison)}", body)
    raise ValueError(f"no text rendering for format {fmt!r}")


def _suite_name(summary: RunSummary | None, comparison: Comparison | None) -> str:
    if summary is not None:
        return summary.run.suite
    return comparison.candidate.run.suite if comparison is not None else ""
