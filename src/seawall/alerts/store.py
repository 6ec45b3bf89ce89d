"""Alert state and history in the ``alert_state`` and ``alert_history`` tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from seawall.alerts.events import AlertEvent
from seawall.alerts.state import SeriesState
from seawall.store.schema.alerts import alert_history, alert_state


@dataclass(slots=True)
class Series:
    """One alert of a rule (a label set, or an event's dedup key) and where it stands."""

    rule: str
    series: str
    labels: dict[str, str]
    state: SeriesState = field(default_factory=SeriesState)
    value: float | None = None
    summary: str = ""
    figures: dict[str, float] = field(default_factory=dict)
    occurrences: int = 0  # event rules: events folded into the current firing


class SqlAlertStore:
    """Reads and writes alert state and history over the store's engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def load(self) -> list[Series]:
        """Every stored series (inactive ones too: they remember when they last fired)."""
        async with self._engine.connect() as conn:
            rows = (await conn.execute(sa.select(alert_state))).mappings().all()
        return [_row_to_series(row) for row in rows]

    async def save(
        self, changed: Sequence[Series], events: Sequence[AlertEvent], now: float
    ) -> None:
        """Write changed series and append events, in one transaction."""
        if not changed and not events:
            return
        async with self._engine.begin() as conn:
            for series in changed:
                row = _series_to_row(series, now)
                done = await conn.execute(
                    alert_state.update()
                    .where(alert_state.c.rule == series.rule, alert_state.c.series == series.series)
                    .values(row)
                )
                if done.rowcount == 0:
                    await conn.execute(alert_state.insert().values(row))
            if events:
                await conn.execute(alert_history.insert(), [_event_row(e) for e in events])

    async def history(
        self, limit: int = 100, *, rule: str | None = None, since: float | None = None
    ) -> list[AlertEvent]:
        """Alert events, newest first."""
        query = sa.select(alert_history.c.event)
        if rule is not None:
            query = query.where(alert_history.c.rule == rule)
        if since is not None:
            query = query.where(alert_history.c.at >= since)
        query = query.order_by(alert_history.c.seq.desc()).limit(limit)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).scalars().all()
        return [AlertEvent.from_dict(row) for row in rows]


def _series_to_row(series: Series, now: float) -> dict[str, Any]:
    state = series.state
    return {
        "rule": series.rule,
        "series": series.series,
        "labels": series.labels,
        "state": state.phase,
        "since": state.since,
        "fired_at": state.fired_at,
        "resolved_at": state.resolved_at,
        "last_data_at": state.last_data_at,
        "value": series.value,
        "summary": series.summary,
        "occurrences": series.occurrences,
        "updated_at": now,
    }


def _row_to_series(row: Any) -> Series:
    state = SeriesState(
        phase=row["state"],
        since=row["since"],
        fired_at=row["fired_at"],
        resolved_at=row["resolved_at"],
        last_data_at=row["last_data_at"],
    )
    return Series(
        rule=row["rule"],
        series=row["series"],
        labels=dict(row["labels"] or {}),
        state=state,
        value=row["value"],
        summary=row["summary"],
        occurrences=row["occurrences"],
    )


def _event_row(event: AlertEvent) -> dict[str, Any]:
    return {
        "at": event.at,
        "rule": event.rule,
        "series": event.series,
        "status": event.status,
        "severity": event.severity,
        "event": event.as_dict(),
    }
