"""Field encryption (a keyring, values bound to column and row) and lookup hashing."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lianxin.lib.crypto import (
    Keyring,
    LookupHasher,
    decrypt_v1,
    generate_key,
    key_id,
    load_key_from_env,
)
from lianxin.lib.errors import InvalidValue

KEY = generate_key()
OTHER_KEY = generate_key()
RING = Keyring(KEY)
HASHER = LookupHasher(KEY)
AT = {"label": "people.resident.phone", "ref": "row-1"}


def _body(token: str) -> bytes:
    return base64.urlsafe_b64decode(token.split(":", 2)[2])


def test_it_generates_32_byte_urlsafe_keys() -> None:
    key = generate_key()
    assert len(base64.urlsafe_b64decode(key)) == 32
    assert key != generate_key()


def test_it_accepts_keys_without_padding() -> None:
    token = RING.encrypt("x", **AT)
    assert Keyring(KEY.rstrip("=")).decrypt(token, **AT) == "x"


@pytest.mark.parametrize(
    "bad",
    ["", "not a key", base64.urlsafe_b64encode(b"short").decode(), KEY + "AAAA", KEY[:-2] + "+/"],
)
def test_it_rejects_malformed_keys(bad: str) -> None:
    with pytest.raises(InvalidValue, match="密钥格式错误") as info:
        Keyring(bad)
    with pytest.raises(InvalidValue, match="密钥格式错误"):
        LookupHasher(bad)
    if bad:
        assert bad not in str(info.value)


def test_it_names_the_key_in_each_token_without_revealing_it() -> None:
    token = RING.encrypt("510184199001011234", **AT)
    version, kid, _ = token.split(":")
    assert version == "v2" and kid == key_id(KEY) == RING.current and len(kid) == 8
    assert kid not in KEY and key_id(OTHER_KEY) != kid
    assert len(_body(token)) == 12 + len("510184199001011234") + 16
    assert RING.sealed_by(token) == kid and token.startswith(RING.prefix)


def test_it_binds_each_value_to_its_column_and_row() -> None:
    token = RING.encrypt("13800138000", **AT)
    assert RING.decrypt(token, **AT) == "13800138000"
    # Copied into another row's field, or another column of the same row: it does not open.
    with pytest.raises(InvalidValue, match="不属于此字段或此行"):
        RING.decrypt(token, label=AT["label"], ref="row-2")
    with pytest.raises(InvalidValue, match="不属于此字段或此行"):
        RING.decrypt(token, label="org.cadre.phone", ref=AT["ref"])
    with pytest.raises(InvalidValue, match="须指明字段和行"):
        RING.encrypt("x", label="people.resident.phone", ref="")


def test_it_reads_old_keys_of_the_ring_and_seals_under_the_current_one() -> None:
    old_token = Keyring(OTHER_KEY).encrypt("张三", **AT)
    rotated = Keyring(KEY, [OTHER_KEY])
    assert rotated.decrypt(old_token, **AT) == "张三"
    assert rotated.sealed_by(old_token) == key_id(OTHER_KEY)
    assert rotated.sealed_by(rotated.encrypt("张三", **AT)) == key_id(KEY)
    assert set(rotated.key_ids()) == {key_id(KEY), key_id(OTHER_KEY)}
    # Without the old key in the ring: refused, naming the key id it needs.
    with pytest.raises(InvalidValue, match=f"编号为 {key_id(OTHER_KEY)} 的密钥"):
        RING.decrypt(old_token, **AT)


def test_it_refuses_tampered_or_malformed_tokens() -> None:
    token = RING.encrypt("张三", **AT)
    raw = bytearray(_body(token))
    raw[-1] ^= 1
    tampered = RING.prefix + base64.urlsafe_b64encode(bytes(raw)).decode()
    with pytest.raises(InvalidValue, match="解密失败"):
        RING.decrypt(tampered, **AT)
    with pytest.raises(InvalidValue, match="不支持的密文版本：v1"):
        RING.decrypt("v1:" + token.split(":", 2)[2], **AT)
    with pytest.raises(InvalidValue, match="缺少版本前缀"):
        RING.decrypt("张三", **AT)
    with pytest.raises(InvalidValue, match="缺少密钥编号"):
        RING.decrypt("v2:" + token.split(":", 2)[2], **AT)
    with pytest.raises(InvalidValue, match="长度不足"):
        RING.decrypt(RING.prefix + "AAAA", **AT)
    with pytest.raises(InvalidValue, match="base64"):
        RING.decrypt(RING.prefix + "@@@@", **AT)


def test_it_opens_version_1_tokens_for_the_migration_only() -> None:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from lianxin.lib import crypto

    aead = AESGCM(crypto._derive(crypto._master(KEY), crypto._ENC_INFO))
    nonce = b"\0" * 12
    v1 = "v1:" + base64.urlsafe_b64encode(nonce + aead.encrypt(nonce, b"abc", None)).decode()
    assert decrypt_v1(KEY, v1) == "abc"
    with pytest.raises(InvalidValue, match="解密失败"):
        decrypt_v1(OTHER_KEY, v1)


def test_it_hashes_with_the_lookup_key_alone() -> None:
    digest = HASHER.hash("510184199001011234")
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert digest == LookupHasher(KEY).hash("510184199001011234")
    assert digest != LookupHasher(OTHER_KEY).hash("510184199001011234")


def test_it_hides_the_keys_in_repr() -> None:
    assert KEY not in repr(RING) and KEY not in repr(HASHER)


@settings(max_examples=200)
@given(st.text())
def test_it_round_trips_any_text(text: str) -> None:
    assert RING.decrypt(RING.encrypt(text, **AT), **AT) == text


@given(st.text())
def test_it_encrypts_the_same_text_differently_each_time(text: str) -> None:
    assert RING.encrypt(text, **AT) != RING.encrypt(text, **AT)


@given(st.text())
def test_it_hashes_deterministically_and_per_key(text: str) -> None:
    assert HASHER.hash(text) == HASHER.hash(text)
    assert HASHER.hash(text) != LookupHasher(OTHER_KEY).hash(text)


@given(st.text(min_size=4))
def test_it_never_shows_the_plaintext_in_the_token(text: str) -> None:
    token = RING.encrypt(text, **AT)
    assert text not in token
    assert text.encode("utf-8") not in _body(token)


def test_it_loads_a_key_from_the_environment(tmp_path: Path) -> None:
    assert load_key_from_env("LIANXIN_FIELD_KEY", {}) is None
    assert load_key_from_env("LIANXIN_FIELD_KEY", {"LIANXIN_FIELD_KEY": f" {KEY}\n"}) == KEY
    key_file = tmp_path / "lookup.key"
    key_file.write_text(KEY + "\n")
    assert (
        load_key_from_env("LIANXIN_LOOKUP_KEY", {"LIANXIN_LOOKUP_KEY_FILE": str(key_file)}) == KEY
    )
    env = {"LIANXIN_FIELD_KEY": OTHER_KEY, "LIANXIN_FIELD_KEY_FILE": str(key_file)}
    assert load_key_from_env("LIANXIN_FIELD_KEY", env) == OTHER_KEY


def test_it_reports_unreadable_or_empty_key_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidValue, match=r"无法读取密钥文件.*LIANXIN_AUDIT_KEY_FILE"):
        load_key_from_env("LIANXIN_AUDIT_KEY", {"LIANXIN_AUDIT_KEY_FILE": str(tmp_path / "x")})
    empty = tmp_path / "empty.key"
    empty.write_text("\n")
    with pytest.raises(InvalidValue, match="为空"):
        load_key_from_env("LIANXIN_FIELD_KEY", {"LIANXIN_FIELD_KEY_FILE": str(empty)})
