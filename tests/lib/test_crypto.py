"""Field encryption and lookup hashing."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lianxin.lib.crypto import FieldCipher, generate_key, load_key_from_env
from lianxin.lib.errors import InvalidValue

KEY = generate_key()
OTHER_KEY = generate_key()
CIPHER = FieldCipher(KEY)


def test_it_generates_32_byte_urlsafe_keys() -> None:
    key = generate_key()
    assert len(base64.urlsafe_b64decode(key)) == 32
    assert key != generate_key()


def test_it_accepts_keys_without_padding() -> None:
    token = CIPHER.encrypt("x")
    assert FieldCipher(KEY.rstrip("=")).decrypt(token) == "x"


@pytest.mark.parametrize(
    "bad",
    ["", "not a key", base64.urlsafe_b64encode(b"short").decode(), KEY + "AAAA", KEY[:-2] + "+/"],
)
def test_it_rejects_malformed_keys(bad: str) -> None:
    with pytest.raises(InvalidValue, match="字段加密密钥格式错误") as info:
        FieldCipher(bad)
    if bad:
        assert bad not in str(info.value)


def test_it_uses_a_versioned_token_format() -> None:
    token = CIPHER.encrypt("510184199001011234")
    assert token.startswith("v1:")
    raw = base64.urlsafe_b64decode(token[3:])
    assert len(raw) == 12 + len("510184199001011234") + 16


def test_it_refuses_tampered_or_foreign_tokens() -> None:
    token = CIPHER.encrypt("张三")
    raw = bytearray(base64.urlsafe_b64decode(token[3:]))
    raw[-1] ^= 1
    tampered = "v1:" + base64.urlsafe_b64encode(bytes(raw)).decode()
    with pytest.raises(InvalidValue, match="解密失败"):
        CIPHER.decrypt(tampered)
    with pytest.raises(InvalidValue, match="解密失败"):
        FieldCipher(OTHER_KEY).decrypt(token)
    with pytest.raises(InvalidValue, match="不支持的密文版本：v2"):
        CIPHER.decrypt("v2:" + token[3:])
    with pytest.raises(InvalidValue, match="缺少版本前缀"):
        CIPHER.decrypt("张三")
    with pytest.raises(InvalidValue, match="长度不足"):
        CIPHER.decrypt("v1:AAAA")
    with pytest.raises(InvalidValue, match="base64"):
        CIPHER.decrypt("v1:@@@@")


def test_it_hashes_with_a_key_separate_from_the_encryption_key() -> None:
    digest = CIPHER.hash("510184199001011234")
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert digest == FieldCipher(KEY).hash("510184199001011234")


def test_it_hides_the_key_in_repr() -> None:
    assert KEY not in repr(CIPHER)


@settings(max_examples=200)
@given(st.text())
def test_it_round_trips_any_text(text: str) -> None:
    assert CIPHER.decrypt(CIPHER.encrypt(text)) == text


@given(st.text())
def test_it_encrypts_the_same_text_differently_each_time(text: str) -> None:
    assert CIPHER.encrypt(text) != CIPHER.encrypt(text)


@given(st.text())
def test_it_hashes_deterministically_and_per_key(text: str) -> None:
    assert CIPHER.hash(text) == CIPHER.hash(text)
    assert CIPHER.hash(text) != FieldCipher(OTHER_KEY).hash(text)


@given(st.text(min_size=4))
def test_it_never_shows_the_plaintext_in_the_token(text: str) -> None:
    token = CIPHER.encrypt(text)
    assert text not in token
    assert text.encode("utf-8") not in base64.urlsafe_b64decode(token[3:])


def test_it_loads_the_key_from_the_environment(tmp_path: Path) -> None:
    assert load_key_from_env({}) is None
    assert load_key_from_env({"LIANXIN_FIELD_KEY": f" {KEY}\n"}) == KEY
    key_file = tmp_path / "field.key"
    key_file.write_text(KEY + "\n")
    assert load_key_from_env({"LIANXIN_FIELD_KEY_FILE": str(key_file)}) == KEY
    env = {"LIANXIN_FIELD_KEY": OTHER_KEY, "LIANXIN_FIELD_KEY_FILE": str(key_file)}
    assert load_key_from_env(env) == OTHER_KEY


def test_it_reports_unreadable_or_empty_key_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidValue, match="无法读取字段加密密钥文件"):
        load_key_from_env({"LIANXIN_FIELD_KEY_FILE": str(tmp_path / "missing")})
    empty = tmp_path / "empty.key"
    empty.write_text("\n")
    with pytest.raises(InvalidValue, match="为空"):
        load_key_from_env({"LIANXIN_FIELD_KEY_FILE": str(empty)})
