"""A reviewer's correction becomes a regression case, and the eval gate then fails the old release.

The loop of issue 7 closed end to end: a high-stakes call is queued for review, a reviewer edits
the wrong answer, the resolution is added to the suite as a case (what `review resolve
--add-to-suite` does), and `seawall eval run` against the unchanged release now exits 1 naming
that case, while it passed before.
"""

from __future__ import annotations

import time
from pathlib import Path

from helpers.process import run_cli
from seawall.configload import parse_config
from seawall.core.context import RequestContext
from seawall.evals.addcase import add_case
from seawall.review.cases import case_from_review
from seawall.security.roles import Principal
from seawall.stages.admit import parse_chat_request
from seawall.wiring import build_runtime

CONFIG = """
store: {url: "sqlite:///.seawall/loop.db"}
providers:
  sim:
    kind: sim
    sim:
      scenarios:
        - {match: "capital of Australia", reply: "Sydney"}
        - {match: "capital of France", reply: "Paris"}
models:
  geo:
    targets: [{provider: sim, model: sim-small}]
    review: {high_stakes: true, mode: advise}
"""

SUITE = """# Geography answers (a comment that must survive add-case)
name: geo
target:
  model: geo
  config: seawall.yaml
samples: 1
thresholds: {pass_rate: 1.0}
cases:
  - id: france
    tags: [happy]
    messages: [{role: user, content: "What is the capital of France?"}]
    assert: [{type: contains, value: Paris}]
"""


async def test_a_correction_fails_the_old_release_at_the_gate(tmp_path: Path) -> None:
    (tmp_path / "seawall.yaml").write_text(CONFIG)
    suite = tmp_path / "geo.yaml"
    suite.write_text(SUITE)
    before = run_cli("eval", "run", str(suite), "--no-cache", cwd=tmp_path)
    assert before.returncode == 0, before.stdout + before.stderr

    config = parse_config(
        CONFIG.replace(".seawall/loop.db", f"{tmp_path}/.seawall/loop.db"), "seawall.yaml"
    )
    runtime = build_runtime(config, seed=1)
    await runtime.start(server=False)
    try:
        request = parse_chat_request(
            {
                "model": "geo",
                "messages": [{"role": "user", "content": "The capital of Australia?"}],
            },
            max_messages=10,
        )
        done = await runtime.pipeline.chat(
            request, RequestContext.begin(time.monotonic(), time.time())
        )
        assert done.response.content == "Sydney"
        review_id = done.run.review_id
        assert review_id is not None
        assert runtime.reviews is not None
        reviewer = Principal("rev1", None, "reviewer")
        await runtime.reviews.claim(review_id, reviewer)
        item = await runtime.reviews.resolve(
            review_id, reviewer, "edit", answer="Canberra", reason="Sydney is not the capital"
        )
    finally:
        await runtime.close()

    add_case(suite, case_from_review(item))
    assert suite.read_text().startswith("# Geography answers")  # comments kept
    after = run_cli("eval", "run", str(suite), "--no-cache", cwd=tmp_path)
    assert after.returncode == 1, after.stdout + after.stderr
    assert f"review-{review_id}" in after.stdout
