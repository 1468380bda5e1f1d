"""API keys: stored hashed, compared in constant time, each with scopes.

A key file (JSON) lists ``{"id": ..., "hash": "sha256:<hex>", "scopes": [...]}``; keys themselves
are never stored. Bearer tokens carry the key; LRS clients send HTTP Basic with the key id as user
and the key as password. Scopes: ``read`` (recommend, gaps), ``write`` (ingest), ``admin`` (erase,
reload; implies the others).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pathfinder.errors import ConfigError

__all__ = ["ApiKeyRecord", "ApiKeys", "Principal", "hash_key", "new_key"]

Scope = Literal["read", "write", "admin"]
_PREFIX = "sha256:"
_KEY_PREFIX = "pf_"


def hash_key(key: str) -> str:
    """The stored form of a key (keys are 256-bit random tokens, so one SHA-256 suffices)."""
    return _PREFIX + hashlib.sha256(key.encode()).hexdigest()


class ApiKeyRecord(BaseModel):
    """One key as stored: id, hash, scopes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    hash: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    scopes: tuple[Scope, ...] = Field(min_length=1)


@dataclass(frozen=True)
class Principal:
    """Who called: the key id and what it may do."""

    key_id: str
    scopes: frozenset[str]

    def allows(self, scope: Scope) -> bool:
        return scope in self.scopes or "admin" in self.scopes


def new_key(key_id: str, scopes: tuple[Scope, ...]) -> tuple[str, ApiKeyRecord]:
    """A fresh random key and the record to store for it.

    Keys carry a ``pf_`` prefix: secret scanners can recognise them, and a key never starts
    with ``-`` (a bare URL-safe token does one time in 64, and a command line then reads it
    as an option).
    """
    key = f"{_KEY_PREFIX}{secrets.token_urlsafe(32)}"
    return key, ApiKeyRecord(id=key_id, hash=hash_key(key), scopes=scopes)


class ApiKeys:
    """The set of accepted keys."""

    def __init__(self, records: list[ApiKeyRecord]) -> None:
        ids = [r.id for r in records]
        if len(set(ids)) != len(ids):
            raise ConfigError("API key file: key ids must be unique")
        self.records = records

    @classmethod
    def from_file(cls, path: Path) -> ApiKeys:
        """Read a JSON list of key records; errors name the file, the entry and the field."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as err:
            raise ConfigError(f"API key file {path} not found") from err
        except json.JSONDecodeError as err:
            raise ConfigError(f"API key file {path} is not valid JSON: {err}") from err
        if not isinstance(raw, list) or not raw:
            raise ConfigError(f"API key file {path}: expected a non-empty JSON list of keys")
        records = []
        for k, entry in enumerate(raw):
            try:
                records.append(ApiKeyRecord.model_validate(entry))
            except ValidationError as err:
                first = err.errors()[0]
                field = ".".join(str(p) for p in first["loc"])
                raise ConfigError(
                    f"API key file {path}: entry {k}, field '{field}': {first['msg']}"
                ) from err
        return cls(records)

    def _match(self, key: str, key_id: str | None = None) -> Principal | None:
        digest = hash_key(key)
        found = None
        for record in self.records:  # compare against every record: time does not leak which
            same = hmac.compare_digest(digest, record.hash)
            if same and (key_id is None or hmac.compare_digest(key_id, record.id)):
                found = record
        return None if found is None else Principal(found.id, frozenset(found.scopes))

    def authenticate(self, authorization: str | None) -> Principal | None:
        """The principal of an ``Authorization`` header (Bearer or Basic), or None."""
        if not authorization:
            return None
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and value:
            return self._match(value.strip())
        if scheme.lower() == "basic" and value:
            try:
                user, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return None
            return self._match(password, user) if sep else None
        return None
