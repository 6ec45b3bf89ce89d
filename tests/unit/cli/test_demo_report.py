from seawall.cli.demo_report import empty_answers, percentile
from seawall.telemetry.records import CallRecord


def record(outcome: str, response: dict[str, object] | None) -> CallRecord:
    return CallRecord(
        trace_id="t", started_at=0.0, model="m", stream=False, outcome=outcome, response=response
    )


def answer(text: str | None) -> dict[str, object]:
    return {"choices": [{"message": {"role": "assistant", "content": text}}]}


def test_empty_answers_are_counted_from_the_payloads() -> None:
    records = [
        record("ok", answer("hello")),
        record("ok", answer("")),
        record("degraded", answer(None)),
        record("ok", {"content": "", "finish_reason": "stop"}),  # a stream
        record("error", None),  # errors carry no answer
    ]
    assert empty_answers(records) == "3"
    assert empty_answers(records[:1]) == "0"
    assert empty_answers([record("ok", None)]) == "unknown (payloads not stored)"


def test_percentile_nearest_rank() -> None:
    assert percentile([], 50) == 0.0
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert percentile([float(i) for i in range(1, 101)], 95) == 95.0
