"""What a test run must leave as it found: PostgreSQL databases, other Redis databases'
keys, the broker queue. ``snapshot FILE`` before the run, ``compare FILE`` after it.

Uses only DATABASE_URL / REDIS_URL (and CADRE_TEST_REDIS_DB, the one Redis database the
tests may use, for keys of their own prefix ``cadre-test-``).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from urllib.parse import urlsplit


def _databases() -> list[str]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return []
    parts = urlsplit(url)
    env = {**os.environ}
    if parts.password:
        env["PGPASSWORD"] = parts.password
    out = subprocess.run(
        [
            "psql", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
            "-U", parts.username or "postgres", "-d", "postgres", "-Atc",
            "SELECT datname FROM pg_database ORDER BY 1",
        ],
        check=True, capture_output=True, text=True, env=env,
    )  # fmt: skip
    return out.stdout.split()


def _redis() -> dict[str, object]:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        return {}
    import redis

    test_db = int(os.environ.get("CADRE_TEST_REDIS_DB", "9"))
    base = urlsplit(url)
    report: dict[str, object] = {}
    for number in range(16):
        client = redis.Redis(host=base.hostname or "127.0.0.1", port=base.port or 6379, db=number)
        try:
            keys = sorted(k.decode("utf-8", "replace") for k in client.scan_iter(count=1000))
        finally:
            client.close()
        if number == test_db:
            report[f"db{number}:test-keys"] = [k for k in keys if k.startswith("cadre-test-")]
            keys = [k for k in keys if not k.startswith("cadre-test-")]
        report[f"db{number}"] = hashlib.sha256("\n".join(keys).encode()).hexdigest()
        report[f"db{number}:count"] = len(keys)
    # The app's own broker queue (REDIS_URL's database, no prefix): "celery" and its unacked.
    client = redis.Redis.from_url(url)
    try:
        report["broker-queue"] = client.llen("celery")
    finally:
        client.close()
    return report


def main() -> int:
    command, path = sys.argv[1], sys.argv[2]
    state = {"databases": _databases(), "redis": _redis()}
    if command == "snapshot":
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(state, handle)
        return 0
    with open(path, encoding="utf-8") as handle:
        before = json.load(handle)
    problems = []
    extra = sorted(set(state["databases"]) - set(before["databases"]))
    if extra:
        problems.append(f"databases left behind: {', '.join(extra)}")
    for key, value in state["redis"].items():
        if key.endswith(":test-keys"):
            if value:
                problems.append(f"{key}: {len(value)} test keys left, e.g. {value[:3]}")
        elif key == "broker-queue":
            if value:
                problems.append(f"{value} task messages left in the broker queue")
        elif before["redis"].get(key) != value and not key.endswith(":count"):
            problems.append(
                f"Redis {key} changed ({before['redis'].get(key + ':count')} → "
                f"{state['redis'].get(key + ':count')} keys)"
            )
    for line in problems:
        print(f"leftovers: {line}", file=sys.stderr)
    if not problems:
        print("leftovers: none (databases, Redis keys, broker queue)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
