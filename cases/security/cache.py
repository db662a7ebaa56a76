"""A Redis cache that degrades instead of failing, and never flushes a shared database.

While Redis is unreachable every read is a miss and every write is skipped, so the web
keeps working on the database alone: sessions (``cached_db``) are read from and written
to the database, throttles count nothing (the database lock-out still guards sign-in),
the health page reports the broker. After a failure Redis is left alone for
``CACHE_RETRY_SECONDS`` so that no request waits on a connect timeout twice.

Sessions written or deleted during the outage exist only in the database; the copy Redis
kept may be stale (a signed-out session, for one). On the first success after an outage
this process therefore drops the cached sessions (its key prefix only): they are read
again from the database.

``clear()`` deletes the keys of this cache's prefix, not the whole Redis database, which
other deployments, test runs and the broker may share.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

log = logging.getLogger(__name__)
T = TypeVar("T")
SESSION_KEY_PREFIX = "django.contrib.sessions.cached_db"


class FailSoftRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        # Give up fast: a user's page must not wait for a Redis that is gone.
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 1.0)
        super().__init__(server, {**params, "OPTIONS": options})
        self._down_until = 0.0
        self._had_outage = False
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _call(self, default: T, operation: Callable[[], T]) -> T:

        if not self.available:
            return default
        try:
            if self._had_outage:
                # Before anything is read: what Redis kept from before may be stale.
                self._after_outage()
            return operation()
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
            with self._lock:
                if not self._had_outage:
                    log.warning("cache: Redis unreachable (%s); serving without it", exc)
                self._had_outage = True
                self._down_until = time.monotonic() + settings.CACHE_RETRY_SECONDS
            return default

    def _after_outage(self) -> None:
        """Drop the cached sessions (this prefix's only); raises while Redis is down."""
        self.delete_prefix(self.make_key(SESSION_KEY_PREFIX))
        self._had_outage = False
        log.warning("cache: Redis is back; the cached sessions of the outage were dropped")

    def delete_prefix(self, prefix: str) -> int:
        """Delete every key that starts with ``prefix`` (SCAN, never FLUSHDB)."""
        client = self._cache.get_client(write=True)
        deleted = 0
        batch: list[bytes] = []
        for key in client.scan_iter(match=f"{prefix}*", count=500):
            batch.append(key)
            if len(batch) >= 500:
                deleted += client.delete(*batch)
                batch = []
        if batch:
            deleted += client.delete(*batch)
        return deleted

    # --- the cache API, each call degraded ---------------------------------------------

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        return self._call(
            False, lambda: super(FailSoftRedisCache, self).add(key, value, timeout, version)
        )

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._call(
            default, lambda: super(FailSoftRedisCache, self).get(key, default, version)
        )

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        self._call(None, lambda: super(FailSoftRedisCache, self).set(key, value, timeout, version))

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return self._call(
            False, lambda: super(FailSoftRedisCache, self).touch(key, timeout, version)
        )

    def delete(self, key: Any, version: Any = None) -> bool:
        return self._call(False, lambda: super(FailSoftRedisCache, self).delete(key, version))

    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        return self._call({}, lambda: super(FailSoftRedisCache, self).get_many(keys, version))

    def has_key(self, key: Any, version: Any = None) -> bool:
        return self._call(False, lambda: super(FailSoftRedisCache, self).has_key(key, version))

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        # Without Redis there is no counter to increase: as if the key were missing.
        result = self._call(None, lambda: super(FailSoftRedisCache, self).incr(key, delta, version))
        if result is None:
            raise ValueError(f"Key '{key}' not found")
        return result

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> list[Any]:
        return self._call(
            list(data), lambda: super(FailSoftRedisCache, self).set_many(data, timeout, version)
        )

    def delete_many(self, keys: Any, version: Any = None) -> None:
        self._call(None, lambda: super(FailSoftRedisCache, self).delete_many(keys, version))

    def clear(self) -> None:
        """Delete this cache's keys (its ``KEY_PREFIX``), not the Redis database."""
        prefix = f"{self.key_prefix}:" if self.key_prefix else ""
        if not prefix:
            raise RuntimeError(
                "A cache without KEY_PREFIX is not cleared: it would empty a shared Redis database."
            )
        self._call(0, lambda: self.delete_prefix(prefix))
