"""Shared state in Redis: breakers, retry budgets, limits and cache for every replica.

Each operation is exactly one Lua script call, so concurrent replicas never interleave a
read-modify-write (no get-then-set under a process-local lock). The scripts port
``resilience/breaker.py`` and ``resilience/retry.py`` operation for operation, down to
Python's float floor division in the bucket rotation; a contract suite runs both backends
side by side to keep them identical. Keys are versioned (``{prefix}:v1:breaker:{target}``,
``{prefix}:v1:budget:{target}``): a layout change bumps ``SCHEMA`` so that replicas of two
releases never misread each other's hashes during a rolling deploy.

Time: the caller's ``clock.wall()`` goes into every script as an argument. Tests drive it with
a ``FrozenClock``, and replicas on NTP-synced hosts agree to a few milliseconds, which is noise
next to a 3 s bucket or a 5 s open period. ``monotonic()`` is not comparable across hosts, and
Redis ``TIME`` would make the breaker untestable without sleeping. Skew is tolerated: buckets
only rotate forward, and a budget's ``updated`` never moves back, so a lagging replica cannot
make a leading one trickle the same seconds twice.

Two deliberate differences from the in-process backend, both outside the pure model:

- A half-open probe slot reserved more than ``max(60 s, window_s)`` ago is presumed lost (a
  replica crashed, or Redis failed between ``allow`` and ``record``) and is handed to the next
  caller; otherwise one lost probe would hold every replica's breaker half-open until expiry.
- Keys expire after a long idle time (``IDLE_TTL_S``, at least ten windows), so dead targets
  do not leak; an expired target starts afresh, as after a restart of the in-process backend.

``breaker_states`` lists the targets this instance has touched (one script call over their
keys), not a ``SCAN`` of the prefix: every replica routes to the same targets, and a scan
would block on large keyspaces and list targets of other deployments sharing the prefix.

Rate limits, spend budgets and the response cache live in ``redis_limits.py`` (its docstring
gives their failure policy: limits, budgets and cache fail open, budget settlements wait in
memory until Redis is back). Connections come from a blocking pool of ``MAX_CONNECTIONS`` per
client: a burst beyond it queues for a connection instead of reading as an outage.

Failure policy: Redis being down must not take the gateway down. Every Redis error or timeout
is caught here and never reaches the pipeline: ``breaker_allow`` fails open (the call goes
upstream, still bounded by its own timeouts), ``breaker_record`` and ``retry_deposit`` are
dropped, ``retry_withdraw`` fails closed (no retry, so an outage of Redis cannot unleash a
retry storm), ``breaker_states`` returns the last states seen. Each operation is bounded by
``timeout_s`` (0.25 s); after a failure Redis is left alone for ``RECONNECT_AFTER_S`` (one
caller then tries again), so a dead Redis costs calls nothing. A warning is logged at most
every ``WARN_EVERY_S``, and once when Redis is back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, Final
from urllib.parse import urlsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from seawall.config import BreakerPolicy, RetryPolicy
from seawall.core.clock import Clock, SystemClock
from seawall.resilience import breaker, retry
from seawall.state.base import (
    BudgetCharge,
    BudgetDecision,
    BudgetSettle,
    BudgetUsage,
    CachedEntry,
    RateCharge,
    RateDecision,
)
from seawall.state.redis_limits import UNAVAILABLE, RedisLimits

log = logging.getLogger(__name__)

SCHEMA: Final = "v1"
IDLE_TTL_S: Final = 3600.0
RECONNECT_AFTER_S: Final = 1.0
WARN_EVERY_S: Final = 10.0
MAX_CONNECTIONS: Final = 64  # per client; one Lua call holds a connection for ~0.1 ms
BUDGET_CAP: Final = retry.RetryBudgetState().cap

_BREAKER_LIB = f"""
local BUCKETS = {breaker.BUCKETS}

local function fmt(x) return string.format('%.17g', x) end

-- Python's float a // b, step for step (CPython's _float_div_mod): it is not floor(a / b)
-- (1.0 // 0.1 == 9.0), and the bucket rotation must match resilience/breaker.py exactly.
local function floordiv(a, b)
  local mod = math.fmod(a, b)
  local div = (a - mod) / b
  if mod ~= 0 and (b < 0) ~= (mod < 0) then div = div - 1 end
  if div == 0 then return 0 end
  local floored = math.floor(div)
  if div - floored > 0.5 then floored = floored + 1 end
  return floored
end

local function ints(csv)
  local out = {{}}
  for n in string.gmatch(csv, '[^,]+') do out[#out + 1] = tonumber(n) end
  return out
end

local function load(key, now)
  local v = redis.call('HMGET', key, 'state', 'opened_at', 'probes_in_flight', 'probes_ok',
    'probe_at', 'bucket_start', 'head', 'calls', 'failures')
  if not v[1] then
    local s = {{state = 'closed', opened_at = 0, inflight = 0, probes_ok = 0, probe_at = 0,
      bucket_start = now, head = 0, calls = {{}}, failures = {{}}}}
    for i = 1, BUCKETS do s.calls[i] = 0; s.failures[i] = 0 end
    return s, true
  end
  return {{state = v[1], opened_at = tonumber(v[2]), inflight = tonumber(v[3]),
    probes_ok = tonumber(v[4]), probe_at = tonumber(v[5]), bucket_start = tonumber(v[6]),
    head = tonumber(v[7]), calls = ints(v[8]), failures = ints(v[9])}}, false
end

local function save(key, s, ttl_ms)
  redis.call('HSET', key, 'state', s.state, 'opened_at', fmt(s.opened_at),
    'probes_in_flight', s.inflight, 'probes_ok', s.probes_ok, 'probe_at', fmt(s.probe_at),
    'bucket_start', fmt(s.bucket_start), 'head', s.head,
    'calls', table.concat(s.calls, ','), 'failures', table.concat(s.failures, ','))
  redis.call('PEXPIRE', key, ttl_ms)
end
"""

# ARGV: now, open_s, probe_lease_s, ttl_ms. Returns 1 (allowed) or 0.
BREAKER_ALLOW_V1: Final = f"""-- seawall:{SCHEMA}:breaker_allow
{_BREAKER_LIB}
local now, open_s, lease = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local s, dirty = load(KEYS[1], now)
local allowed = 1
if s.state == 'open' then
  if now - s.opened_at < open_s then return 0 end
  s.state, s.inflight, s.probes_ok = 'half_open', 0, 0
  dirty = true
end
if s.state == 'half_open' then
  if s.inflight >= 1 and now - s.probe_at < lease then
    allowed = 0
  else
    s.inflight, s.probe_at, dirty = 1, now, true
  end
end
if dirty then save(KEYS[1], s, ARGV[4]) end
return allowed
"""

# ARGV: now, ok (1/0), window_s, min_calls, failure_rate, half_open_probes, ttl_ms.
# Returns the new state when it changed, else nil.
BREAKER_RECORD_V1: Final = f"""-- seawall:{SCHEMA}:breaker_record
{_BREAKER_LIB}
local now, ok, window_s = tonumber(ARGV[1]), ARGV[2] == '1', tonumber(ARGV[3])
local min_calls, rate, probes = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local s = load(KEYS[1], now)
local change = false

local function open()
  s.state, s.opened_at, s.inflight, s.probes_ok = 'open', now, 0, 0
  return 'open'
end

if s.state == 'open' then return false end  -- a straggler that started before it opened
if s.state == 'half_open' then
  s.inflight = math.max(0, s.inflight - 1)
  if not ok then
    change = open()
  else
    s.probes_ok = s.probes_ok + 1
    if s.probes_ok >= probes then
      for i = 1, BUCKETS do s.calls[i] = 0; s.failures[i] = 0 end
      s.head, s.bucket_start, s.state, change = 0, now, 'closed', 'closed'
    end
  end
else
  local width = window_s / BUCKETS
  local steps = floordiv(now - s.bucket_start, width)
  if steps > 0 then
    for _ = 1, math.min(steps, BUCKETS) do
      s.head = (s.head + 1) % BUCKETS
      s.calls[s.head + 1], s.failures[s.head + 1] = 0, 0
    end
    s.bucket_start = s.bucket_start + steps * width
  end
  local h = s.head + 1
  s.calls[h] = s.calls[h] + 1
  if not ok then s.failures[h] = s.failures[h] + 1 end
  local total, failed = 0, 0
  for i = 1, BUCKETS do total, failed = total + s.calls[i], failed + s.failures[i] end
  if total >= min_calls and failed >= rate * total then change = open() end
end
save(KEYS[1], s, ARGV[7])
return change
"""

# KEYS: breaker keys. Returns their states in order (an expired key is a fresh, closed one).
BREAKER_STATES_V1: Final = f"""-- seawall:{SCHEMA}:breaker_states
local out = {{}}
for i, key in ipairs(KEYS) do out[i] = redis.call('HGET', key, 'state') or 'closed' end
return out
"""

_BUDGET_LIB = """
local now, per_s, cap = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local v = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens, updated = tonumber(v[1]) or 0, tonumber(v[2]) or 0
if updated == 0 then
  tokens = per_s  -- a new target starts with one second's worth of retries
elseif now > updated then
  tokens = math.min(cap, tokens + (now - updated) * per_s)
end
updated = math.max(updated, now)  -- never back: a lagging replica cannot re-trickle

local function save()
  redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens),
    'updated', string.format('%.17g', updated))
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
end
"""

# ARGV: now, budget_min_per_s, cap, budget_ratio, ttl_ms.
RETRY_DEPOSIT_V1: Final = f"""-- seawall:{SCHEMA}:retry_deposit
{_BUDGET_LIB}
tokens = math.min(cap, tokens + tonumber(ARGV[4]))
save()
return 1
"""

# ARGV: now, budget_min_per_s, cap, unused, ttl_ms. Returns 1 (granted) or 0.
RETRY_WITHDRAW_V1: Final = f"""-- seawall:{SCHEMA}:retry_withdraw
{_BUDGET_LIB}
local granted = 0
if tokens >= 1 then tokens, granted = tokens - 1, 1 end
save()
return granted
"""


class RedisState:
    """Shared state in Redis, the same for every replica using the same prefix."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "seawall",
        clock: Clock | None = None,
        timeout_s: float = 0.25,
    ) -> None:
        self._clock = clock or SystemClock()
        self._redis = _client(url, timeout_s, decode=True)
        self._binary = _client(url, timeout_s, decode=False)  # cached values stay bytes
        self._timeout_s = timeout_s
        self._prefix = f"{prefix}:{SCHEMA}"
        self._where = _redact(url)
        self._allow = self._redis.register_script(BREAKER_ALLOW_V1)
        self._record = self._redis.register_script(BREAKER_RECORD_V1)
        self._states = self._redis.register_script(BREAKER_STATES_V1)
        self._deposit = self._redis.register_script(RETRY_DEPOSIT_V1)
        self._withdraw = self._redis.register_script(RETRY_WITHDRAW_V1)
        self._limits = RedisLimits(
            self._redis.register_script,
            self._binary.register_script,
            self._run,
            self._prefix,
            self._clock,
        )
        self._touched: dict[str, str] = {}  # target key → last state seen (or "closed")
        self._down = False
        self._retry_at = 0.0
        self._warned_at: float | None = None

    async def breaker_allow(self, key: str, policy: BreakerPolicy) -> bool:
        self._touched.setdefault(key, breaker.CLOSED)
        lease = breaker.probe_lease(policy)
        args = [self._clock.wall(), policy.open_s, lease, _breaker_ttl_ms(policy)]
        reply = await self._run(self._allow, [self._breaker_key(key)], args)
        return True if reply is UNAVAILABLE else bool(reply)  # fail open

    async def breaker_record(self, key: str, policy: BreakerPolicy, ok: bool) -> str | None:
        self._touched.setdefault(key, breaker.CLOSED)
        args = [
            self._clock.wall(),
            int(ok),
            policy.window_s,
            policy.min_calls,
            policy.failure_rate,
            policy.half_open_probes,
            _breaker_ttl_ms(policy),
        ]
        reply = await self._run(self._record, [self._breaker_key(key)], args)
        if reply is UNAVAILABLE or reply is None:
            return None
        self._touched[key] = str(reply)
        return str(reply)

    async def breaker_states(self) -> dict[str, str]:
        targets = list(self._touched)
        if not targets:
            return {}
        reply = await self._run(self._states, [self._breaker_key(t) for t in targets], [])
        if reply is not UNAVAILABLE:
            self._touched.update(zip(targets, map(str, reply), strict=True))
        return dict(self._touched)  # the last states seen when Redis is unreachable

    async def retry_deposit(self, key: str, policy: RetryPolicy) -> None:
        args = _budget_args(self._clock.wall(), policy, policy.budget_ratio)
        await self._run(self._deposit, [self._budget_key(key)], args)

    async def retry_withdraw(self, key: str, policy: RetryPolicy) -> bool:
        args = _budget_args(self._clock.wall(), policy, 0)
        reply = await self._run(self._withdraw, [self._budget_key(key)], args)
        return reply is not UNAVAILABLE and bool(reply)  # fail closed

    async def rate_acquire(self, charges: Sequence[RateCharge]) -> RateDecision:
        return await self._limits.rate_acquire(charges)

    async def rate_adjust(self, charges: Sequence[RateCharge]) -> None:
        await self._limits.rate_adjust(charges)

    async def budget_reserve(self, charges: Sequence[BudgetCharge]) -> BudgetDecision:
        return await self._limits.budget_reserve(charges)

    async def budget_settle(self, settles: Sequence[BudgetSettle]) -> tuple[str, ...]:
        return await self._limits.budget_settle(settles)

    async def budget_usage(self, key: str, period_end: float) -> BudgetUsage | None:
        return await self._limits.budget_usage(key, period_end)

    async def cache_get(self, key: str) -> CachedEntry | None:
        return await self._limits.cache_get(key)

    async def cache_set(self, key: str, value: bytes, ttl_s: float, stale_ttl_s: float) -> None:
        await self._limits.cache_set(key, value, ttl_s, stale_ttl_s)

    async def aclose(self) -> None:
        for client in (self._redis, self._binary):
            try:
                await client.aclose()
            except (RedisError, OSError) as exc:
                log.debug("closing the Redis connection failed: %r", exc)

    def _breaker_key(self, key: str) -> str:
        return f"{self._prefix}:breaker:{key}"

    def _budget_key(self, key: str) -> str:
        return f"{self._prefix}:budget:{key}"

    async def _run(self, script: AsyncScript, keys: list[str], args: list[Any]) -> Any:
        """One script call, or ``UNAVAILABLE`` when Redis failed (or failed just before)."""
        now = self._clock.monotonic()
        if self._down:
            if now < self._retry_at:
                return UNAVAILABLE
            self._retry_at = now + RECONNECT_AFTER_S  # this caller probes; others keep away
        try:
            async with asyncio.timeout(self._timeout_s):
                reply = await script(keys=keys, args=args)
        except (RedisError, OSError) as exc:  # OSError covers TimeoutError
            self._failed(exc, now)
            return UNAVAILABLE
        if self._down:
            self._down = False
            log.warning("shared state at %s is reachable again", self._where)
        return reply

    def _failed(self, exc: BaseException, now: float) -> None:
        self._down, self._retry_at = True, now + RECONNECT_AFTER_S
        if self._warned_at is None or now - self._warned_at >= WARN_EVERY_S:
            self._warned_at = now
            log.warning(
                "shared state at %s unavailable (%s): breakers, limits, budgets and cache "
                "fail open, retries are refused",
                self._where,
                f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__,
            )


def _client(url: str, timeout_s: float, *, decode: bool) -> Redis:
    # A blocking pool: beyond MAX_CONNECTIONS calls in flight, callers queue for a connection
    # (bounded by the operation timeout). redis-py's default pool raises at 100 instead, which
    # read as "Redis is down" and failed everything open for a second under a burst.
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=None,  # the caller's asyncio.timeout bounds the wait
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        retry=Retry(NoBackoff(), 0),  # a retry here would only stretch the caller's wait
        decode_responses=decode,
    )
    return Redis.from_pool(pool)


def _breaker_ttl_ms(policy: BreakerPolicy) -> int:
    return int(1000 * max(IDLE_TTL_S, 10 * policy.window_s, 10 * policy.open_s))


def _budget_args(now: float, policy: RetryPolicy, ratio: float) -> list[Any]:
    return [now, policy.budget_min_per_s, BUDGET_CAP, ratio, int(1000 * IDLE_TTL_S)]


def _redact(url: str) -> str:
    """The URL without credentials, for logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    where = f"{host}:{parts.port}" if parts.port else host
    return f"{parts.scheme}://{where}{parts.path}"
