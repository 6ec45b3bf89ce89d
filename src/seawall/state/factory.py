"""Pick the shared-state backend named by ``state.url``."""

from __future__ import annotations

from seawall.core.clock import Clock
from seawall.state.base import SharedState
from seawall.state.memory import DEFAULT_CACHE_BYTES, MemoryState

REDIS_SCHEMES = ("redis", "rediss", "unix")


def build_state(
    url: str,
    clock: Clock,
    *,
    prefix: str = "seawall",
    timeout_s: float = 0.25,
    cache_max_bytes: int = DEFAULT_CACHE_BYTES,
) -> SharedState:
    """``memory://`` or ``redis://host:port/db`` (``rediss://`` for TLS); ValueError otherwise.

    ``cache_max_bytes`` bounds the in-process response cache; Redis bounds its own memory
    (``maxmemory`` with an eviction policy such as ``volatile-lru``).
    """
    scheme, sep, _ = url.partition("://")
    if sep and scheme == "memory":
        return MemoryState(clock, cache_max_bytes=cache_max_bytes)
    if sep and scheme in REDIS_SCHEMES:
        try:
            # Imported here: redis is an optional dependency (``seawall[redis]``).
            from seawall.state.redis import RedisState
        except ImportError as exc:
            if not (exc.name or "").startswith("redis"):
                raise
            raise ValueError(
                f"shared state {scheme}:// needs the redis package: pip install 'seawall[redis]'"
            ) from exc
        return RedisState(url, prefix=prefix, clock=clock, timeout_s=timeout_s)
    # Only the scheme is quoted: the URL may carry a password.
    shown = f"{scheme}://" if sep else "a URL without a scheme"
    raise ValueError(
        f"unsupported shared state {shown}: use memory:// (one process) or "
        "redis://host:port/db (rediss:// for TLS) for several replicas"
    )
