"""API keys: hashed storage, constant-time matching, scopes, Bearer and Basic."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from pathfinder.errors import ConfigError
from pathfinder.service._auth import ApiKeys, hash_key, new_key


@pytest.fixture
def keys(tmp_path: Path) -> tuple[ApiKeys, str, str, Path]:
    lms_key, lms = new_key("lms", ("read", "write"))
    admin_key, admin = new_key("ops", ("admin",))
    path = tmp_path / "keys.json"
    path.write_text(json.dumps([lms.model_dump(), admin.model_dump()]))
    return ApiKeys.from_file(path), lms_key, admin_key, path


def test_keys_are_stored_hashed_only(keys: tuple[ApiKeys, str, str, Path]) -> None:
    _, lms_key, admin_key, path = keys
    text = path.read_text()
    assert lms_key not in text and admin_key not in text
    assert hash_key(lms_key) in text


def test_bearer_and_scopes(keys: tuple[ApiKeys, str, str, Path]) -> None:
    store, lms_key, admin_key, _ = keys
    lms = store.authenticate(f"Bearer {lms_key}")
    assert lms is not None and lms.key_id == "lms"
    assert lms.allows("read") and lms.allows("write") and not lms.allows("admin")
    admin = store.authenticate(f"bearer {admin_key}")
    assert admin is not None and admin.allows("write") and admin.allows("admin")


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer wrong",
        "Token abc",
        "Basic !!!",
        "Basic " + base64.b64encode(b"lms").decode(),
    ],
)
def test_bad_credentials_are_rejected(
    keys: tuple[ApiKeys, str, str, Path], header: str | None
) -> None:
    assert keys[0].authenticate(header) is None


def test_basic_auth_needs_the_matching_id(keys: tuple[ApiKeys, str, str, Path]) -> None:
    store, lms_key, _, _ = keys
    good = base64.b64encode(f"lms:{lms_key}".encode()).decode()
    wrong_id = base64.b64encode(f"ops:{lms_key}".encode()).decode()
    principal = store.authenticate(f"Basic {good}")
    assert principal is not None and principal.key_id == "lms"
    assert store.authenticate(f"Basic {wrong_id}") is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[]", "non-empty JSON list"),
        ("{", "not valid JSON"),
        ('[{"id": "a", "hash": "md5:x", "scopes": ["read"]}]', "entry 0, field 'hash'"),
        (
            '[{"id": "a", "hash": "sha256:' + "0" * 64 + '", "scopes": ["root"]}]',
            "entry 0, field 'scopes.0'",
        ),
        (
            '[{"id": "a", "hash": "sha256:' + "0" * 64 + '", "scopes": ["read"]},'
            ' {"id": "a", "hash": "sha256:' + "1" * 64 + '", "scopes": ["read"]}]',
            "unique",
        ),
    ],
)
def test_key_file_errors_name_the_problem(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "keys.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        ApiKeys.from_file(path)


def test_new_keys_are_prefixed_and_never_read_as_a_command_line_option() -> None:
    keys = [new_key("lms", ("read",))[0] for _ in range(500)]
    assert all(k.startswith("pf_") and len(k) >= 40 for k in keys)
    assert len(set(keys)) == len(keys)
