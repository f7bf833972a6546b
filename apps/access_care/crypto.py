"""Field encryption of the patient requests (AES-256-GCM) and their duplicate index (HMAC).

Keys come from the environment (``ACCESS_CARE_KEYS``: ``id:base64key`` entries, the first one
encrypts; ``ACCESS_CARE_INDEX_KEY``). A stored value is ``v1:<key id>:<base64(nonce | ciphertext
| tag)>``: the key id travels with each value, so after a new key is put first every value still
decrypts with the key that wrote it, and ``manage.py reencrypt_access_care`` rewrites the old ones.
The field name is bound as associated data: a value copied into another column does not decrypt.

The blind index is HMAC-SHA256 of the normalised name and birth date: equal identities give equal
indexes, so duplicates are found with an indexed equality, without decrypting anything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from apps.geo.text import normalize

PREFIX = "v1"
NONCE_BYTES = 12


class DecryptionError(ValueError):
    """A stored value could not be decrypted (unknown key id, altered value, wrong field)."""


@dataclass(frozen=True)
class Keyring:
    current_id: str
    keys: dict[str, bytes]
    index_key: bytes


def _decode_key(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except ValueError as error:
        raise ImproperlyConfigured(f"{what} is not valid base64.") from error
    return raw


def parse_keyring(entries: list[str], index_key: str) -> Keyring:
    """The keyring of settings-like values; raises ImproperlyConfigured naming what is wrong."""
    keys: dict[str, bytes] = {}
    current = ""
    for entry in entries:
        key_id, sep, material = entry.strip().partition(":")
        if not sep or not key_id or ":" in material:
            raise ImproperlyConfigured("ACCESS_CARE_KEYS entries are written id:base64key.")
        raw = _decode_key(material, f"ACCESS_CARE_KEYS key {key_id!r}")
        if len(raw) != 32:
            raise ImproperlyConfigured(f"ACCESS_CARE_KEYS key {key_id!r} must be 32 bytes (AES-256).")
        if key_id in keys:
            raise ImproperlyConfigured(f"ACCESS_CARE_KEYS names key {key_id!r} twice.")
        keys[key_id] = raw
        current = current or key_id
    if not keys:
        raise ImproperlyConfigured("ACCESS_CARE_KEYS is empty: the access-to-care desk cannot store data.")
    index = _decode_key(index_key, "ACCESS_CARE_INDEX_KEY") if index_key else b""
    if len(index) < 32:
        raise ImproperlyConfigured("ACCESS_CARE_INDEX_KEY must hold at least 32 bytes.")
    return Keyring(current_id=current, keys=keys, index_key=index)


@lru_cache(maxsize=8)
def _cached_keyring(entries: tuple[str, ...], index_key: str) -> Keyring:
    return parse_keyring(list(entries), index_key)


def keyring() -> Keyring:
    """The keyring of the current settings (parsed once per distinct value)."""
    return _cached_keyring(tuple(settings.ACCESS_CARE_KEYS), settings.ACCESS_CARE_INDEX_KEY)


@lru_cache(maxsize=16)
def _cipher(key: bytes) -> AESGCM:
    # One cipher object per key: building it per value was a measurable part of a page that
    # decrypts a few hundred values.
    return AESGCM(key)


def encrypt(plaintext: str, *, field: str) -> str:
    """``plaintext`` encrypted with the current key, bound to ``field``."""
    ring = keyring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = _cipher(ring.keys[ring.current_id]).encrypt(nonce, plaintext.encode(), field.encode())
    return f"{PREFIX}:{ring.current_id}:{base64.b64encode(nonce + sealed).decode()}"


def key_id_of(value: str) -> str:
    """The id of the key that wrote ``value`` ("" for an empty value)."""
    parts = value.split(":", 2)
    return parts[1] if len(parts) == 3 and parts[0] == PREFIX else ""


def decrypt(value: str, *, field: str) -> str:
    """The plaintext of a stored value; raises DecryptionError."""
    parts = value.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise DecryptionError("not an encrypted value")
    key = keyring().keys.get(parts[1])
    if key is None:
        raise DecryptionError(f"unknown key id {parts[1]!r}")
    try:
        blob = base64.b64decode(parts[2], validate=True)
        return _cipher(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], field.encode()).decode()
    except (ValueError, InvalidTag) as error:
        raise DecryptionError("altered value or wrong field") from error


def identity_index(last_name: str, first_name: str, birth_date: str) -> str:
    """The blind index of an identity: case, accents and punctuation do not matter."""
    message = "|".join((normalize(last_name), normalize(first_name), birth_date)).encode()
    return hmac.new(keyring().index_key, message, hashlib.sha256).hexdigest()
