"""The ``drift:`` config section, the reference windows and the embedder hook."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import pydantic
import pytest

from seawall.drift.config import (
    DEFAULT_FEATURES,
    DriftConfig,
    PinnedReference,
    parse_reference,
    reference_window,
)
from seawall.drift.embedding import (
    EmbedderError,
    cosine_distance,
    distance_counts,
    embed,
    load_embedder,
)

JAN_1 = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
DAY = 86_400.0


def test_defaults() -> None:
    config = DriftConfig()
    assert config.reference == "previous_week"
    assert config.features == DEFAULT_FEATURES
    assert "embedding" not in config.features
    assert (config.thresholds.psi_watch, config.thresholds.psi_drift) == (0.1, 0.25)


def test_a_pinned_reference_from_yaml_shapes() -> None:
    config = DriftConfig.model_validate({"reference": {"start": "2026-01-01", "end": "2026-01-07"}})
    assert config.reference == PinnedReference(start=date(2026, 1, 1), end=date(2026, 1, 7))
    assert reference_window(config.reference, current_start=0.0) == (JAN_1, JAN_1 + 7 * DAY)


def test_previous_week_is_the_week_before_the_current_window() -> None:
    assert reference_window("previous_week", JAN_1) == (JAN_1 - 7 * DAY, JAN_1)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"features": ["embedding"]}, "embedder is not set"),
        ({"features": ["colour"]}, "input_tokens"),
        ({"thresholds": {"psi_watch": 0.3, "psi_drift": 0.2}}, "psi_watch (0.3) exceeds"),
        ({"reference": {"start": "2026-01-07", "end": "2026-01-01"}}, "is before start"),
        ({"reference": "last_week"}, "previous_week"),
        ({"embedder": "not a function name"}, "pattern"),
        ({"min_calls": 0}, "greater than or equal to 1"),
        ({"windw_s": 60}, "Extra inputs are not permitted"),
    ],
)
def test_bad_config_is_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(
        pydantic.ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        DriftConfig.model_validate(fields)


def test_feature_thresholds_override_the_common_ones() -> None:
    config = DriftConfig.model_validate(
        {"feature_thresholds": {"validation": {"psi_drift": 0.05, "psi_watch": 0.02}}}
    )
    assert config.thresholds_for("validation").psi_drift == 0.05
    assert config.thresholds_for("script").psi_drift == 0.25


def test_parse_reference() -> None:
    assert parse_reference("previous_week") == "previous_week"
    pinned = parse_reference(" 2026-01-01..2026-01-07 ")
    assert pinned == PinnedReference(start=date(2026, 1, 1), end=date(2026, 1, 7))
    assert isinstance(pinned, PinnedReference)
    assert pinned.label() == "2026-01-01..2026-01-07"
    one_day = parse_reference("2026-01-01..2026-01-01")
    assert isinstance(one_day, PinnedReference)
    assert one_day.window() == (JAN_1, JAN_1 + DAY)


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("last week", "two dates joined by '..'"),
        ("2026-01-01..soon", "Invalid isoformat"),
        ("2026-01-07..2026-01-01", "is before start"),
    ],
)
def test_bad_references_say_what_is_expected(text: str, detail: str) -> None:
    with pytest.raises(
        ValueError, match=r"must be previous_week or YYYY-MM-DD\.\.YYYY-MM-DD"
    ) as info:
        parse_reference(text)
    assert detail in str(info.value)


# --------------------------------------------------------------------------- the embedder hook


def test_the_embedder_must_be_set() -> None:
    with pytest.raises(EmbedderError, match=r"drift\.embedder is not set"):
        load_embedder(None)


def test_an_unimportable_embedder_names_the_module_and_the_extra() -> None:
    with pytest.raises(
        EmbedderError, match=r"cannot import 'no_such_module_x'.*seawall\[embeddings\]"
    ):
        load_embedder("no_such_module_x:embed")
    with pytest.raises(EmbedderError, match="math has no function no_such"):
        load_embedder("math:no_such")
    with pytest.raises(EmbedderError, match="must look like 'module:function'"):
        load_embedder("math")


def test_a_loaded_embedder_is_the_named_function() -> None:
    assert load_embedder("math:fsum") is math.fsum


def test_embed_checks_what_comes_back() -> None:
    assert embed(lambda texts: [[len(t), 1] for t in texts], ["ab", "c"]) == [
        [2.0, 1.0],
        [1.0, 1.0],
    ]
    with pytest.raises(EmbedderError, match="1 vectors for 2 texts"):
        embed(lambda texts: [[1.0]], ["a", "b"])
    with pytest.raises(EmbedderError, match="different or zero lengths"):
        embed(lambda texts: [[1.0], [1.0, 2.0]], ["a", "b"])
    with pytest.raises(EmbedderError, match="NaN"):
        embed(lambda texts: [[math.nan]], ["a"])
    with pytest.raises(EmbedderError, match="the embedder failed: RuntimeError: out of memory"):
        embed(_fails, ["a"])


def _fails(texts: list[str]) -> list[list[float]]:
    raise RuntimeError("out of memory")


def test_cosine_distance_by_hand() -> None:
    assert cosine_distance([1, 0], [1, 0]) == pytest.approx(0.0)
    assert cosine_distance([1, 0], [0, 1]) == pytest.approx(1.0)
    assert cosine_distance([1, 0], [-1, 0]) == pytest.approx(2.0)
    assert cosine_distance([1, 1], [1, 0]) == pytest.approx(1 - 1 / math.sqrt(2))
    assert cosine_distance([0, 0], [1, 0]) == 1.0


def test_distances_use_half_the_reference_for_the_centroid() -> None:
    # centroid of the even rows ([1,0] and [1,0]) is [1,0]; the odd rows are measured against it
    reference = [[1, 0], [1, 0], [1, 0], [0, 1]]
    ref, cur = distance_counts(reference, [[1, 0], [-1, 0]])
    assert ref == {0.0: 1, 1.0: 1}
    assert cur == {0.0: 1, 2.0: 1}
    assert distance_counts([[1, 0]], [[1, 0]]) == ({}, {})
