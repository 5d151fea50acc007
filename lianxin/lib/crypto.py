"""Field-level encryption and keyed hashing for sensitive columns."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from lianxin.lib.errors import InvalidValue

ENV_KEY = "LIANXIN_FIELD_KEY"
ENV_KEY_FILE = "LIANXIN_FIELD_KEY_FILE"

_VERSION = "v1:"
_NONCE_LEN = 12
_TAG_LEN = 16
_B64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")
_ENC_INFO = b"lianxin/field-encryption/aes-256-gcm/v1"
_HASH_INFO = b"lianxin/field-hash/hmac-sha256/v1"


def generate_key() -> str:
    """A fresh master key: 32 random bytes, urlsafe base64."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")


def _b64decode(text: str) -> bytes:
    if not _B64URL.fullmatch(text):
        raise ValueError("not urlsafe base64")
    bare = text.rstrip("=")
    return base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))


def _derive(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


def _master(master_key: str) -> bytes:
    try:
        master = _b64decode(master_key.strip())
    except (ValueError, binascii.Error):
        master = b""
    if len(master) != 32:
        # Never echo the key itself into an error message.
        raise InvalidValue("字段加密密钥格式错误：应为 urlsafe base64 编码的32字节随机密钥")
    return master


def derive_subkey(master_key: str, info: bytes) -> bytes:
    """A 32-byte key of its own for another purpose (e.g. the audit chain's HMAC), derived from
    the master key with HKDF under `info`: it can neither decrypt nor look up anything."""
    return _derive(_master(master_key), info)


class FieldCipher:
    """AES-256-GCM encryption plus HMAC-SHA256 lookup hashes, both keyed from one master key."""

    __slots__ = ("_aead", "_hmac")

    def __init__(self, master_key: str) -> None:
        master = _master(master_key)
        # Separate subkeys, so a leaked lookup-hash key cannot decrypt anything.
        self._aead = AESGCM(_derive(master, _ENC_INFO))
        self._hmac = hmac.new(_derive(master, _HASH_INFO), digestmod=hashlib.sha256)

    def __repr__(self) -> str:
        return "FieldCipher(<key hidden>)"

    def encrypt(self, plaintext: str) -> str:
        """Encrypt to ``'v1:' + urlsafe_b64(nonce + ciphertext + tag)``."""
        nonce = os.urandom(_NONCE_LEN)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), None)
        return _VERSION + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Decrypt a token made by :meth:`encrypt`; raise InvalidValue if it cannot be."""
        if not token.startswith(_VERSION):
            version = token.split(":", 1)[0] if ":" in token else ""
            if version and len(version) <= 8:
                raise InvalidValue(f"不支持的密文版本：{version}")
            raise InvalidValue("密文格式错误：缺少版本前缀")
        try:
            raw = _b64decode(token[len(_VERSION) :])
        except (ValueError, binascii.Error):
            raise InvalidValue("密文格式错误：不是有效的 base64") from None
        if len(raw) < _NONCE_LEN + _TAG_LEN:
            raise InvalidValue("密文格式错误：长度不足")
        try:
            data = self._aead.decrypt(raw[:_NONCE_LEN], raw[_NONCE_LEN:], None)
        except InvalidTag:
            raise InvalidValue("解密失败：密文已损坏或密钥不匹配") from None
        return data.decode("utf-8")

    def hash(self, value: str) -> str:
        """Hex HMAC-SHA256 of ``value`` for equality lookups (callers normalize first)."""
        mac = self._hmac.copy()
        mac.update(value.encode("utf-8"))
        return mac.hexdigest()


def load_key_from_env(environ: Mapping[str, str] = os.environ) -> str | None:
    """The master key from ``LIANXIN_FIELD_KEY`` or the file named by ``LIANXIN_FIELD_KEY_FILE``."""
    key = environ.get(ENV_KEY, "").strip()
    if key:
        return key
    path = environ.get(ENV_KEY_FILE, "").strip()
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            key = fh.read().strip()
    except OSError as exc:
        raise InvalidValue(f"无法读取字段加密密钥文件 {path}：{exc.strerror or exc}") from exc
    if not key:
        raise InvalidValue(f"字段加密密钥文件 {path} 为空")
    return key
