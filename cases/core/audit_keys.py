"""The keys of the audit trail, held outside the database.

Two kinds:

- the **HMAC keyring** that seals every event (``CaseEvent.key_id`` names the key): from
  ``AUDIT_HMAC_KEYS`` (an environment secret, ``id:hex,id:hex``) or else the file
  ``AUDIT_HMAC_KEY_FILE`` (one ``id hex`` per line). The current key is
  ``AUDIT_HMAC_KEY_ID``, or the last one listed. Rotation adds a key and keeps the old
  ones, which still verify the events they sealed (``rotate_hmac_key``).
- the **Ed25519 key** that signs checkpoints of the global chain
  (``AUDIT_CHECKPOINT_SIGNING_KEY_FILE``, PEM); the verifier needs only its public half.

A missing file is created (mode 0600) when ``AUDIT_AUTOGENERATE_KEYS`` is on (the default
for a local run); in production a missing key fails loudly.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_cache: dict[tuple[object, ...], object] = {}


def _write_private(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)


def _parse_keyring(items: list[str], *, separator: str) -> dict[str, bytes]:
    ring: dict[str, bytes] = {}
    for item in items:
        item = item.strip()
        if not item or item.startswith("#"):
            continue
        key_id, _sep, secret = item.partition(separator)
        key_id, secret = key_id.strip(), secret.strip()
        if not key_id or len(key_id) > 32 or not secret:
            raise ImproperlyConfigured(f"audit HMAC key entry {key_id!r} is malformed")
        try:
            value = bytes.fromhex(secret)
        except ValueError as exc:
            raise ImproperlyConfigured(f"audit HMAC key {key_id!r} is not hex") from exc
        if len(value) < 32:
            raise ImproperlyConfigured(f"audit HMAC key {key_id!r} is shorter than 32 bytes")
        ring[key_id] = value
    return ring


def keyring() -> tuple[dict[str, bytes], str]:
    """Every HMAC key by id, and the id of the current one."""
    env = settings.AUDIT_HMAC_KEYS
    path = Path(settings.AUDIT_HMAC_KEY_FILE)
    mtime = path.stat().st_mtime_ns if not env and path.exists() else None
    cache_key = ("hmac", env, str(path), mtime, settings.AUDIT_HMAC_KEY_ID)
    cached = _cache.get(cache_key)
    if cached is not None:
        return cached  # type: ignore[return-value]  # the cache holds this type under this key
    if env:
        ring = _parse_keyring(env.split(","), separator=":")
    else:
        if not path.exists():
            if not settings.AUDIT_AUTOGENERATE_KEYS:
                raise ImproperlyConfigured(
                    f"No audit HMAC key: set AUDIT_HMAC_KEYS or create {path} "
                    "(python manage.py rotate_audit_key)."
                )
            try:
                _write_private(path, f"k1 {secrets.token_hex(32)}\n".encode("ascii"))
            except FileExistsError:
                pass  # another process made it first
        ring = _parse_keyring(path.read_text(encoding="ascii").splitlines(), separator=" ")
    if not ring:
        raise ImproperlyConfigured("The audit HMAC keyring is empty.")
    current = settings.AUDIT_HMAC_KEY_ID or list(ring)[-1]
    if current not in ring:
        raise ImproperlyConfigured(f"AUDIT_HMAC_KEY_ID {current!r} is not in the keyring.")
    _cache[cache_key] = (ring, current)
    return ring, current


def current_hmac_key() -> tuple[str, bytes]:
    ring, current = keyring()
    return current, ring[current]


def hmac_key(key_id: str) -> bytes | None:
    """The key of that id, or None when the keyring no longer (or never) had it."""
    return keyring()[0].get(key_id)


def rotate_hmac_key() -> str:
    """Append a new key to the key file and make it current; the old keys stay."""
    if settings.AUDIT_HMAC_KEYS:
        raise ImproperlyConfigured(
            "The keyring comes from AUDIT_HMAC_KEYS: add the new key to that secret."
        )
    ring, _current = keyring()
    number = 1 + max((int(k[1:]) for k in ring if k[1:].isdigit()), default=0)
    key_id = f"k{number}"
    with Path(settings.AUDIT_HMAC_KEY_FILE).open("a", encoding="ascii") as handle:
        handle.write(f"{key_id} {secrets.token_hex(32)}\n")
    return key_id


def signing_key() -> Ed25519PrivateKey:
    path = Path(settings.AUDIT_CHECKPOINT_SIGNING_KEY_FILE)
    if not path.exists():
        if not settings.AUDIT_AUTOGENERATE_KEYS:
            raise ImproperlyConfigured(f"No checkpoint signing key at {path}.")
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            _write_private(path, pem)
        except FileExistsError:
            pass
    cache_key = ("ed25519", str(path), path.stat().st_mtime_ns)
    cached = _cache.get(cache_key)
    if cached is None:
        cached = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(cached, Ed25519PrivateKey):
            raise ImproperlyConfigured(f"{path} is not an Ed25519 private key.")
        _cache[cache_key] = cached
    return cached  # type: ignore[return-value]  # the cache holds this type under this key


def verifying_key() -> Ed25519PublicKey:
    """The public key checkpoints are verified with (a file of its own when configured)."""
    configured = settings.AUDIT_CHECKPOINT_PUBLIC_KEY_FILE
    if configured:
        key = serialization.load_pem_public_key(Path(configured).read_bytes())
        if not isinstance(key, Ed25519PublicKey):
            raise ImproperlyConfigured(f"{configured} is not an Ed25519 public key.")
        return key
    return signing_key().public_key()


def public_key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b32encode(hashlib.sha256(raw).digest()[:10]).decode("ascii").lower()
