"""``llm_judge``: a configured model scores the output against a rubric, and says why."""

from __future__ import annotations

import re
from typing import Any

import orjson

from seawall.evals.assertions.base import CheckContext, CheckError, result, short
from seawall.evals.assertions.specs import LlmJudge
from seawall.evals.results import AssertionResult, Output

INSTRUCTIONS = (
    "You are an impartial evaluator. Score how well the OUTPUT satisfies the RUBRIC, from 0 "
    "(not at all) to 1 (fully), given the INPUT it answers. Reply with only a JSON object: "
    '{"score": <number between 0 and 1>, "reason": "<one short sentence>"}.'
)
_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


def judge_messages(rubric: str, prompt: str, output: str, guidance: str | None) -> list[Any]:
    """The judgement request: instructions, then rubric, input and output as plain sections."""
    system = INSTRUCTIONS if not guidance else f"{INSTRUCTIONS}\n\n{guidance}"
    user = f"RUBRIC:\n{rubric}\n\nINPUT:\n{prompt}\n\nOUTPUT:\n{output}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


async def llm_judge(spec: LlmJudge, output: Output, ctx: CheckContext) -> AssertionResult:
    """Ask the judge model; pass when its score reaches ``min_score``."""
    model = spec.model or ctx.judge_model
    if ctx.judge is None or model is None:
        raise CheckError("llm_judge needs a judge model (suite 'judge.model')")
    messages = judge_messages(spec.rubric, ctx.prompt, output.text, ctx.judge_guidance)
    answer = await ctx.judge.judge(model, messages, ctx.sample)
    score, reason = parse_judgement(answer)
    passed = score >= spec.min_score
    return result(spec, passed, reason or f"score {score:.2f} < {spec.min_score:g}", score)


def parse_judgement(answer: str) -> tuple[float, str]:
    """(score, reason) from the judge's answer; a judge that does not follow the format is an
    error of the check, not a verdict on the output."""
    found = _OBJECT.search(answer)  # tolerate code fences or a word around the object
    try:
        value = orjson.loads(found.group(0)) if found else None
    except orjson.JSONDecodeError:
        value = None
    score = value.get("score") if isinstance(value, dict) else None
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:
        raise CheckError(f'the judge did not answer {{"score": 0..1, "reason"}}: {short(answer)!r}')
    reason = value.get("reason") if isinstance(value, dict) else None
    return float(score), reason if isinstance(reason, str) else ""
