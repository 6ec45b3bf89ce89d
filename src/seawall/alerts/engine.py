"""The alert engine: evaluates rules over the store, keeps each alert's state, notifies.

``evaluate_once(now)`` is one round: take the events other subsystems reported (``emit``),
read every window once in SQL, read the breakers, step each alert's state machine, hand the
transitions to the notifiers (never waiting for them) and save state and history. ``run()``
repeats it every ``interval_s``; a reported event wakes it at once, so event alerts do not wait
for the next round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from seawall.alerts.catalog import RuleEntry, build_catalog
from seawall.alerts.config import AlertsConfig
from seawall.alerts.events import AlertEvent, AlertSignal, Status, series_id
from seawall.alerts.notifiers import Notifiers
from seawall.alerts.rules import Labelled, Reading, Rows, breaker_reading
from seawall.alerts.state import step
from seawall.alerts.store import Series, SqlAlertStore
from seawall.alerts.windows import CallWindows, Slice, merge_measures
from seawall.core.clock import Clock, SystemClock

log = logging.getLogger("seawall.alerts")

BreakerSource = Callable[[], Awaitable[Mapping[str, str]]]
"""Current breaker state per target (``SharedState.breaker_states``)."""
BREAKER_READ_TIMEOUT_S = 2.0
_MAX_UNSAVED_EVENTS = 10_000
SeriesKey = tuple[str, str]  # (rule, series id)


class AlertEngine:
    """Rules, their state and their notifications, over one store."""

    def __init__(
        self,
        config: AlertsConfig,
        engine: AsyncEngine,
        *,
        clock: Clock | None = None,
        notifiers: Notifiers | None = None,
        breakers: BreakerSource | None = None,
    ) -> None:
        self.config = config
        self.catalog = build_catalog(config)
        self.notifiers = (
            notifiers if notifiers is not None else Notifiers.from_config(config.notifiers)
        )
        self.clock = clock or SystemClock()
        self._breakers = breakers
        self._windows = CallWindows(engine)
        self._store = SqlAlertStore(engine)
        self._rules = {entry.name: entry for entry in self.catalog}
        self._series: dict[SeriesKey, Series] = {}
        self._dirty: set[SeriesKey] = set()
        self._unsaved: list[AlertEvent] = []
        self._signals: deque[AlertSignal] = deque(maxlen=config.events_queue_size)
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._loaded = False
        self._task: asyncio.Task[None] | None = None
        self.signals_dropped = 0
        self.signals_unmatched = 0
        self.rounds = 0  # evaluations completed (window rounds and event-only ones)

    # ------------------------------------------------------------------ lifecycle

    async def start(self, *, background: bool = True) -> None:
        """Load saved state, start the notifiers and (``background``) the evaluation loop."""
        await self._load()
        self.notifiers.start()
        if background and self.config.enabled and self._task is None:
            self._task = asyncio.create_task(self.run(), name="alert-engine")

    async def aclose(self, grace_s: float = 5.0) -> None:
        """Stop the loop, save what is unsaved, give notifiers ``grace_s`` to drain."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(Exception):
            await self._save(self.clock.wall())
        await self.notifiers.aclose(grace_s)

    async def run(self, interval_s: float | None = None) -> None:
        """Evaluate every ``interval_s`` (default: the config's); reported events at once."""
        interval = interval_s or self.config.interval_s
        loop = asyncio.get_running_loop()
        next_full = loop.time()
        while True:
            self._wake.clear()  # before the round: an emit during it wakes the next one
            try:
                if loop.time() >= next_full:
                    next_full = loop.time() + interval
                    await self.evaluate_once()
                elif self._signals:
                    await self.evaluate_once(windows=False)
            except Exception:  # a bad round (store down) must not end alerting
                log.exception("alert evaluation failed; retrying next round")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.0, next_full - loop.time()))

    # ------------------------------------------------------------------ intake

    def emit(self, signal: AlertSignal) -> None:
        """Report an event (never blocks); event rules of its ``kind`` fire on it."""
        if len(self._signals) == self._signals.maxlen:
            self.signals_dropped += 1
        self._signals.append(signal)
        self._wake.set()

    # ------------------------------------------------------------------ evaluation

    async def evaluate_once(
        self, now: float | None = None, *, windows: bool = True
    ) -> list[AlertEvent]:
        """One round at ``now`` (default: the clock); returns the alerts that fired or resolved."""
        async with self._lock:
            await self._load()
            now = self.clock.wall() if now is None else now
            events = self._take_signals(now)
            if windows:
                events += await self._evaluate_windows(now)
                events += await self._evaluate_breakers(now)
            events += self._quiet_events(now)
            for event in events:
                entry = self._rules[event.rule]
                if event.status == "firing" or entry.notify_resolved:
                    self.notifiers.submit(event, entry.notify)
            self._unsaved = (self._unsaved + events)[-_MAX_UNSAVED_EVENTS:]
            try:
                await self._save(now)
            except Exception:  # notifications went out; state is saved on a later round
                log.warning("could not save alert state; will retry", exc_info=True)
            self.rounds += 1
            return events

    def _take_signals(self, now: float) -> list[AlertEvent]:
        events = []
        while self._signals:
            signal = self._signals.popleft()
            entries = [e for e in self.catalog if e.event_kind == signal.kind]
            if not entries:
                self.signals_unmatched += 1
                log.debug("no alert rule for event kind %s", signal.kind)
            for entry in entries:
                event = self._take_signal(entry, signal, now)
                if event is not None:
                    events.append(event)
        return events

    def _take_signal(self, entry: RuleEntry, signal: AlertSignal, now: float) -> AlertEvent | None:
        labels = dict(signal.labels)
        series = self._get(entry, series_id(labels, signal.key), labels)
        at = now if signal.at is None else signal.at
        reading = Reading("breach", None, signal.summary, dict(signal.values))
        event = self._advance(entry, series, reading, at)
        # A repeat of a firing event alert is folded into it: counted, not notified.
        series.occurrences = 1 if event is not None else series.occurrences + 1
        return event

    def _quiet_events(self, now: float) -> list[AlertEvent]:
        events = []
        for (rule, _), series in list(self._series.items()):
            entry = self._rules.get(rule)
            if entry is not None and entry.event_kind is not None and series.state.active:
                event = self._advance(entry, series, Reading("no_data"), now)
                if event is not None:
                    events.append(event)
        return events

    async def _evaluate_windows(self, now: float) -> list[AlertEvent]:
        entries = [e for e in self.catalog if e.evaluator is not None]
        if not entries:
            return []
        try:
            rows = await self._read_windows(entries, now)
            readings = []
            for entry in entries:
                assert entry.evaluator is not None
                readings.append(
                    (entry, await entry.evaluator.read(rows, now, self._windows.quantile))
                )
        except Exception:  # leave every window alert as it is rather than guess
            log.warning("could not read call windows for alert rules", exc_info=True)
            return []
        events = []
        for entry, found in readings:
            events += self._apply(entry, found, now)
        return events

    async def _read_windows(self, entries: list[RuleEntry], now: float) -> Rows:
        needs: dict[Slice, list[Any]] = {}
        for entry in entries:
            assert entry.evaluator is not None
            for part, measures in entry.evaluator.needs(now):
                needs.setdefault(part, []).append(measures)
        return {
            part: await self._windows.aggregate(part, merge_measures(measures))
            for part, measures in needs.items()
        }

    async def _evaluate_breakers(self, now: float) -> list[AlertEvent]:
        entries = [e for e in self.catalog if e.kind == "breaker_open"]
        if not entries or self._breakers is None:
            return []
        try:
            async with asyncio.timeout(BREAKER_READ_TIMEOUT_S):
                states = dict(await self._breakers())
        except Exception:
            log.warning("could not read breaker states for alert rules", exc_info=True)
            return []
        events = []
        for entry in entries:
            wanted = entry.breaker_targets
            readings = [
                ({"target": target}, breaker_reading(state))
                for target, state in sorted(states.items())
                if wanted is None or target in wanted
            ]
            events += self._apply(entry, readings, now)
        return events

    def _apply(self, entry: RuleEntry, readings: list[Labelled], now: float) -> list[AlertEvent]:
        """Step every series of a rule: those read now, and those known but absent (no data)."""
        events, seen = [], set()
        for labels, reading in readings:
            sid = series_id(labels)
            seen.add(sid)
            if (entry.name, sid) not in self._series and reading.verdict != "breach":
                continue  # keep no state for label sets that never breached
            event = self._advance(entry, self._get(entry, sid, labels), reading, now)
            if event is not None:
                events.append(event)
        for (rule, sid), series in list(self._series.items()):
            if rule == entry.name and sid not in seen and series.state.phase != "inactive":
                event = self._advance(entry, series, Reading("no_data"), now)
                if event is not None:
                    events.append(event)
        return events

    def _get(self, entry: RuleEntry, sid: str, labels: dict[str, str]) -> Series:
        key = (entry.name, sid)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = Series(entry.name, sid, labels)
        return series

    def _advance(
        self, entry: RuleEntry, series: Series, reading: Reading, now: float
    ) -> AlertEvent | None:
        before = series.state
        series.state, transition = step(before, reading.verdict, now, entry.timing)
        if reading.verdict != "no_data":
            series.value, series.figures = reading.value, dict(reading.figures)
            series.summary = reading.summary or series.summary
        elif transition == "resolved":
            series.summary = (
                f"no data for {now - (before.last_data_at or now):.0f}s: {series.summary}"
            )
        # Saved on a change of phase, and while active (so the stored figures stay fresh).
        if series.state.phase != before.phase or (
            series.state.active and reading.verdict != "no_data"
        ):
            self._dirty.add((series.rule, series.series))
        if transition is None:
            return None
        status: Status = "firing" if transition == "fired" else "resolved"
        return self._event(entry, series, status, now)

    def _event(self, entry: RuleEntry, series: Series, status: Status, now: float) -> AlertEvent:
        return AlertEvent(
            rule=entry.name,
            kind=entry.kind,
            status=status,
            severity=entry.severity,
            labels={**entry.labels, **series.labels},
            summary=series.summary,
            runbook_url=entry.runbook_url,
            at=now,
            fired_at=series.state.fired_at,
            value=series.value,
            figures=dict(series.figures),
            series=series.series,
        )

    # ------------------------------------------------------------------ state

    async def _load(self) -> None:
        if self._loaded:
            return
        for series in await self._store.load():
            if series.rule in self._rules:  # rules deleted from the config are forgotten
                self._series[(series.rule, series.series)] = series
        self._loaded = True

    async def _save(self, now: float) -> None:
        changed = [self._series[key] for key in self._dirty if key in self._series]
        await self._store.save(changed, self._unsaved, now)
        self._dirty.clear()
        self._unsaved = []

    def series(self) -> list[Series]:
        """Every alert series the engine knows, firing ones first."""
        order = {"firing": 0, "resolving": 1, "pending": 2, "inactive": 3}
        return sorted(
            (replace(s, figures=dict(s.figures)) for s in self._series.values()),
            key=lambda s: (order[s.state.phase], s.rule, s.series),
        )

    def firing(self) -> list[AlertEvent]:
        """The alerts firing now, as events (for the dashboard and ``/admin/alerts``)."""
        now = self.clock.wall()
        return [
            self._event(self._rules[s.rule], s, "firing", now)
            for s in self.series()
            if s.state.active and s.rule in self._rules
        ]
