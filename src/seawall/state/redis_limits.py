"""Rate limits, spend budgets and the response cache in Redis: one Lua script call each.

The scripts port ``state/counters.py`` (GCRA and budget arithmetic) expression for
expression, so both backends give the same answers; ``redis.py`` owns the connection and the
failure policy and delegates here. Keys: ``{prefix}:v1:rate:{key}`` (a float tat),
``{prefix}:v1:spend:{key}:{period_end}`` (a hash of nano-dollars), ``{prefix}:v1:cache:{key}``
(a hash of value and deadlines). Deadlines are compared with the caller's clock inside the
scripts; Redis's own expiry only collects garbage, with slack, so that a frozen test clock
and a real one never disagree about what is live.

Failure policy (Redis unreachable, or failed within the last second):

- ``rate_acquire`` fails open (``degraded=True``): an outage of a counter store must not
  become an outage of the product, and each upstream still enforces its own limits.
- ``rate_adjust`` is dropped: a settlement only moves a bucket that is forgotten anyway.
- ``budget_reserve`` fails open (``degraded=True``). At 3 a.m. the operator wants the
  product up and the spend counted, not every budgeted tenant locked out by a counter store
  with "budget exceeded" (which would also be a lie). What is lost is enforcement during the
  outage, not accounting: the limits service settles a degraded reservation with estimate 0,
  and settlements that cannot reach Redis are kept here (summed per counter, at most
  ``MAX_PENDING`` counters) and written by the first budget operation after Redis returns,
  so usage catches up with the call records and a budget spent during the outage bites then
  (its soft alert fires on the next reservation or settle of that budget).
- ``budget_usage`` returns None (unknown); ``cache_get`` misses; ``cache_set`` is dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final

from redis.commands.core import AsyncScript

from seawall.core.clock import Clock
from seawall.state.base import (
    BudgetCharge,
    BudgetDecision,
    BudgetSettle,
    BudgetUsage,
    CachedEntry,
    RateCharge,
    RateDecision,
    to_nanos,
)
from seawall.state.counters import EPSILON_S, from_nanos

log = logging.getLogger(__name__)

UNAVAILABLE: Final = object()
# Garbage collection only: a key outlives its last meaningful instant by this much.
SLACK_MS: Final = 60_000
BUDGET_GRACE_S: Final = 3600.0  # calls that settle after their period ended still find it
MAX_PENDING: Final = 10_000

Runner = Callable[[AsyncScript, list[str], list[Any]], Awaitable[Any]]

_FMT = "local function fmt(x) return string.format('%.17g', x) end"

# KEYS: buckets. ARGV: now, then rate, burst, amount per key, then slack_ms.
# Returns {allowed, retry_after, remaining, index of the refusing key or 0}.
RATE_ACQUIRE_V1: Final = f"""-- seawall:v1:rate_acquire
{_FMT}
local now, eps = tonumber(ARGV[1]), {EPSILON_S!r}
local slack = tonumber(ARGV[#ARGV])
local updated = {{}}
local refused_wait, refused_i, refused_left = nil, 0, 0
local remaining = math.huge
for i, key in ipairs(KEYS) do
  local rate, burst = tonumber(ARGV[3 * i - 1]), tonumber(ARGV[3 * i])
  local amount = tonumber(ARGV[3 * i + 1])
  local tat = updated[key] or tonumber(redis.call('GET', key)) or now
  local base = math.max(tat, now)
  local wait = base + math.min(amount, burst) / rate - burst / rate - now
  if wait > eps then
    if refused_wait == nil or wait > refused_wait then
      refused_wait, refused_i = wait, i
      refused_left = math.max(0, burst - (base - now) * rate)
    end
  else
    local new_tat = base + amount / rate
    updated[key] = new_tat
    remaining = math.min(remaining, math.max(0, burst - (new_tat - now) * rate))
  end
end
if refused_wait then return {{0, fmt(refused_wait), fmt(refused_left), refused_i}} end
for key, tat in pairs(updated) do
  redis.call('SET', key, fmt(tat), 'PX', math.ceil((tat - now) * 1000) + slack)
end
return {{1, '0', fmt(remaining), 0}}
"""

# KEYS: buckets. ARGV: now, then rate, burst, amount per key, then slack_ms.
RATE_ADJUST_V1: Final = f"""-- seawall:v1:rate_adjust
{_FMT}
local now, slack = tonumber(ARGV[1]), tonumber(ARGV[#ARGV])
for i, key in ipairs(KEYS) do
  local rate, amount = tonumber(ARGV[3 * i - 1]), tonumber(ARGV[3 * i + 1])
  local tat = tonumber(redis.call('GET', key)) or now
  tat = math.max(now, math.max(tat, now) + amount / rate)
  redis.call('SET', key, fmt(tat), 'PX', math.ceil((tat - now) * 1000) + slack)
end
return 1
"""

_BUDGET_LIB = f"""
{_FMT}
local function load(key)
  local v = redis.call('HMGET', key, 'spent', 'reserved', 'soft', 'alerted')
  return {{spent = tonumber(v[1]) or 0, reserved = tonumber(v[2]) or 0,
    soft = tonumber(v[3]) or -1, alerted = v[4] == '1', exists = v[1] ~= false}}
end

local function save(key, r)
  redis.call('HSET', key, 'spent', fmt(r.spent), 'reserved', fmt(r.reserved),
    'soft', fmt(r.soft), 'alerted', r.alerted and '1' or '0')
end

-- True only the first time in the period (BudgetCounter.reach_soft).
local function reach_soft(r)
  if r.alerted or r.soft < 0 or r.spent + r.reserved < r.soft then return false end
  r.alerted = true
  return true
end
"""

# KEYS: counters. ARGV: estimate, limit, soft (-1: none), ttl_ms per key (nano-dollars).
# Returns {allowed, index of the refusing or tightest key, its spent, its reserved, crossed...}.
BUDGET_RESERVE_V1: Final = f"""-- seawall:v1:budget_reserve
{_BUDGET_LIB}
local rows, extra = {{}}, {{}}
local function row(key)
  if not rows[key] then rows[key] = load(key) end
  return rows[key]
end

local function mark_soft(out)
  for i, key in ipairs(KEYS) do
    local r = row(key)
    r.soft = tonumber(ARGV[4 * i - 1])
    if reach_soft(r) then out[#out + 1] = i end
  end
end

local tight_i, tight_head = 0, nil
for i, key in ipairs(KEYS) do
  local r = row(key)
  local estimate, limit = tonumber(ARGV[4 * i - 3]), tonumber(ARGV[4 * i - 2])
  local held = r.spent + r.reserved + (extra[key] or 0)
  if held + estimate > limit then
    local out = {{0, i, fmt(r.spent), fmt(r.reserved)}}
    mark_soft(out)
    for k, kept in pairs(rows) do
      if kept.exists then save(k, kept) end  -- a refusal creates no counter
    end
    return out
  end
  extra[key] = (extra[key] or 0) + estimate
  if tight_head == nil or limit - held - estimate < tight_head then
    tight_i, tight_head = i, limit - held - estimate
  end
end
for i, key in ipairs(KEYS) do
  rows[key].reserved = rows[key].reserved + tonumber(ARGV[4 * i - 3])
end
local out = {{1, tight_i, '0', '0'}}
mark_soft(out)
for i, key in ipairs(KEYS) do
  save(key, rows[key])
  redis.call('PEXPIRE', key, ARGV[4 * i])
end
if tight_i > 0 then
  out[3], out[4] = fmt(rows[KEYS[tight_i]].spent), fmt(rows[KEYS[tight_i]].reserved)
end
return out
"""

# KEYS: counters. ARGV: estimate, actual per key (nano-dollars), then alert (1/0).
# Returns the indices of keys that reached their soft limit (none when alert is 0: a flush
# of an outage's settles leaves the alert to the next operation that carries the limit).
BUDGET_SETTLE_V1: Final = f"""-- seawall:v1:budget_settle
{_BUDGET_LIB}
local out, alert = {{}}, ARGV[#ARGV] == '1'
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    local r = load(key)
    r.reserved = math.max(0, r.reserved - tonumber(ARGV[2 * i - 1]))
    r.spent = r.spent + tonumber(ARGV[2 * i])
    if alert and reach_soft(r) then out[#out + 1] = i end
    save(key, r)
  end
end
return out
"""

BUDGET_USAGE_V1: Final = """-- seawall:v1:budget_usage
local v = redis.call('HMGET', KEYS[1], 'spent', 'reserved')
return {v[1] or '0', v[2] or '0'}
"""

# ARGV: now. Returns {value, fresh (1/0)} or nil when absent or expired.
CACHE_GET_V1: Final = """-- seawall:v1:cache_get
local v = redis.call('HMGET', KEYS[1], 'value', 'fresh_until', 'expires_at')
local now = tonumber(ARGV[1])
if not v[1] or now >= tonumber(v[3]) then return false end
return {v[1], now < tonumber(v[2]) and 1 or 0}
"""

# ARGV: value, fresh_until, expires_at, px.
CACHE_SET_V1: Final = """-- seawall:v1:cache_set
redis.call('HSET', KEYS[1], 'value', ARGV[1], 'fresh_until', ARGV[2], 'expires_at', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
"""


class RedisLimits:
    """The rate, budget and cache operations of ``RedisState`` (which owns the connection)."""

    def __init__(
        self,
        text: Callable[[str], AsyncScript],
        binary: Callable[[str], AsyncScript],
        run: Runner,
        prefix: str,
        clock: Clock,
    ) -> None:
        self._run, self._prefix, self._clock = run, prefix, clock
        self._acquire = text(RATE_ACQUIRE_V1)
        self._adjust = text(RATE_ADJUST_V1)
        self._reserve = text(BUDGET_RESERVE_V1)
        self._settle = text(BUDGET_SETTLE_V1)
        self._usage = text(BUDGET_USAGE_V1)
        self._cache_get = binary(CACHE_GET_V1)  # values are bytes: a client that keeps them so
        self._cache_set = binary(CACHE_SET_V1)
        self._pending: dict[tuple[str, float], list[int]] = {}  # unsent settles: [est, actual]

    async def rate_acquire(self, charges: Sequence[RateCharge]) -> RateDecision:
        if not charges:
            return RateDecision(True, remaining=float("inf"))
        keys, args = self._rate_args(charges)
        reply = await self._run(self._acquire, keys, args)
        if reply is UNAVAILABLE:
            return RateDecision(True, remaining=float("inf"), degraded=True)  # fail open
        allowed, wait, remaining, index = reply
        limited_by = charges[int(index) - 1].key if int(index) else None
        return RateDecision(bool(allowed), float(wait), float(remaining), limited_by)

    async def rate_adjust(self, charges: Sequence[RateCharge]) -> None:
        if charges:
            keys, args = self._rate_args(charges)
            await self._run(self._adjust, keys, args)  # dropped when Redis is down

    async def budget_reserve(self, charges: Sequence[BudgetCharge]) -> BudgetDecision:
        if not charges:
            return BudgetDecision(True)
        await self._flush_pending()
        now = self._clock.wall()
        args: list[Any] = []
        for c in charges:
            soft = -1 if c.soft_usd is None else to_nanos(c.soft_usd)
            ttl_ms = max(1, int((c.period_end - now + BUDGET_GRACE_S) * 1000))
            args += [to_nanos(c.estimate_usd), to_nanos(c.limit_usd), soft, ttl_ms]
        keys = [self._spend_key(c.key, c.period_end) for c in charges]
        reply = await self._run(self._reserve, keys, args)
        if reply is UNAVAILABLE:
            return BudgetDecision(True, degraded=True)  # fail open
        allowed, index, spent, reserved, *soft_indices = reply
        crossed = tuple(charges[int(i) - 1].key for i in soft_indices)
        if not int(index):
            return BudgetDecision(bool(allowed), soft_crossed=crossed)
        charge = charges[int(index) - 1]
        return BudgetDecision(
            bool(allowed),
            limited_by=charge.key,
            spent_usd=from_nanos(int(spent)),
            reserved_usd=from_nanos(int(reserved)),
            limit_usd=charge.limit_usd,
            resets_at=charge.period_end,
            soft_crossed=crossed,
        )

    async def budget_settle(self, settles: Sequence[BudgetSettle]) -> tuple[str, ...]:
        await self._flush_pending()
        items = [
            ((s.key, s.period_end), to_nanos(s.estimate_usd), to_nanos(s.actual_usd))
            for s in settles
        ]
        reply = await self._send_settles(items, alert=True)
        if reply is None:
            for counter, estimate, actual in items:
                self._keep_pending(counter, estimate, actual)
            return ()
        return reply

    async def budget_usage(self, key: str, period_end: float) -> BudgetUsage | None:
        await self._flush_pending()
        reply = await self._run(self._usage, [self._spend_key(key, period_end)], [])
        if reply is UNAVAILABLE:
            return None
        return BudgetUsage(from_nanos(int(reply[0])), from_nanos(int(reply[1])))

    async def cache_get(self, key: str) -> CachedEntry | None:
        reply = await self._run(self._cache_get, [self._cache_key(key)], [self._clock.wall()])
        if reply is UNAVAILABLE or reply is None:
            return None  # a miss: the call goes upstream
        return CachedEntry(bytes(reply[0]), fresh=bool(reply[1]))

    async def cache_set(self, key: str, value: bytes, ttl_s: float, stale_ttl_s: float) -> None:
        if ttl_s + stale_ttl_s <= 0:
            return
        fresh_until = self._clock.wall() + ttl_s
        px = int((ttl_s + stale_ttl_s) * 1000) + SLACK_MS
        args = [value, repr(fresh_until), repr(fresh_until + stale_ttl_s), px]
        await self._run(self._cache_set, [self._cache_key(key)], args)

    # ------------------------------------------------------------------ helpers

    def _rate_args(self, charges: Sequence[RateCharge]) -> tuple[list[str], list[Any]]:
        args: list[Any] = [repr(self._clock.wall())]
        for c in charges:
            args += [repr(c.rate_per_s), repr(c.burst), repr(c.amount)]
        args.append(SLACK_MS)
        return [f"{self._prefix}:rate:{c.key}" for c in charges], args

    def _spend_key(self, key: str, period_end: float) -> str:
        return f"{self._prefix}:spend:{key}:{int(period_end)}"

    def _cache_key(self, key: str) -> str:
        return f"{self._prefix}:cache:{key}"

    async def _send_settles(
        self, items: list[tuple[tuple[str, float], int, int]], *, alert: bool
    ) -> tuple[str, ...] | None:
        """Settle in one script call; the keys that reached their soft limit, None if down."""
        if not items:
            return ()
        keys = [self._spend_key(*counter) for counter, _, _ in items]
        args = [n for _, estimate, actual in items for n in (estimate, actual)]
        args.append(int(alert))
        reply = await self._run(self._settle, keys, args)
        if reply is UNAVAILABLE:
            return None
        return tuple(items[int(i) - 1][0][0] for i in reply)

    def _keep_pending(self, counter: tuple[str, float], estimate: int, actual: int) -> None:
        held = self._pending.get(counter)
        if held is None:
            if len(self._pending) >= MAX_PENDING:
                log.error(
                    "budget settlement for %s lost: too many pending during the outage", counter[0]
                )
                return
            held = self._pending[counter] = [0, 0]
        held[0] += estimate
        held[1] += actual

    async def _flush_pending(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        items = [(counter, estimate, actual) for counter, (estimate, actual) in pending.items()]
        if await self._send_settles(items, alert=False) is None:
            for counter, estimate, actual in items:
                self._keep_pending(counter, estimate, actual)
