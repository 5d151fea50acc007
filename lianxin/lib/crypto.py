"""Field-level encryption and keyed hashing for sensitive columns.

Three keys, each 32 random bytes and none in the database: the field key seals values (with a
keyring of old field keys for reading while a rotation runs), the lookup key makes the hashes
exact search uses, the audit key chains the audit log. Each purpose derives its own subkey with
HKDF, so a key given for one purpose can do nothing for another."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from lianxin.lib.errors import InvalidValue

ENV_KEY = "LIANXIN_FIELD_KEY"

_VERSION = "v2:"
_V1 = "v1:"
_KID = re.compile(r"[0-9a-f]{8}")
_NONCE_LEN = 12
_TAG_LEN = 16
_B64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")
_ENC_INFO = b"lianxin/field-encryption/aes-256-gcm/v1"
_HASH_INFO = b"lianxin/field-hash/hmac-sha256/v1"
_KID_INFO = b"lianxin/key-id/v1"


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
        raise InvalidValue("密钥格式错误：应为 urlsafe base64 编码的32字节随机密钥")
    return master


def derive_subkey(master_key: str, info: bytes) -> bytes:
    """A 32-byte key of its own for another purpose (e.g. the audit chain's HMAC), derived from
    a master key with HKDF under `info`."""
    return _derive(_master(master_key), info)


def key_id(master_key: str) -> str:
    """Eight hex digits naming a key in sealed values, derived from it one way (HKDF), so a token
    says which key of the keyring opens it without saying anything about the key."""
    return _derive(_master(master_key), _KID_INFO)[:4].hex()


def associated_data(label: str, ref: str) -> bytes:
    """What a sealed value is bound to: its column (`label`, e.g. "people.resident.phone") and
    its row (`ref`, the row's random seal reference). AES-GCM authenticates it with the value, so
    a token copied into another column or another row's field does not open there."""
    if not label or not ref:
        raise InvalidValue("密文缺少绑定：须指明字段和行")
    return f"lianxin/{label}/{ref}".encode()


class Keyring:
    """AES-256-GCM under the current field key, and every old key of the keyring for reading.

    Tokens are ``'v2:' + key id + ':' + urlsafe_b64(nonce + ciphertext + tag)``, each bound by
    associated data to its column and row (:func:`associated_data`). Version 1 tokens (no key id,
    no binding) are read only by the migration that re-sealed them (:func:`decrypt_v1`)."""

    __slots__ = ("_keys", "current")

    def __init__(self, current: str, old: Iterable[str] = ()) -> None:
        self.current = key_id(current)
        self._keys: dict[str, AESGCM] = {}
        for master_key in (current, *old):
            self._keys.setdefault(
                key_id(master_key), AESGCM(_derive(_master(master_key), _ENC_INFO))
            )

    def __repr__(self) -> str:
        return f"Keyring(current={self.current}, keys={len(self._keys)})"

    @property
    def prefix(self) -> str:
        """How every token sealed under the current key begins."""
        return f"{_VERSION}{self.current}:"

    def key_ids(self) -> list[str]:
        return list(self._keys)

    def encrypt(self, plaintext: str, *, label: str, ref: str) -> str:
        nonce = os.urandom(_NONCE_LEN)
        aad = associated_data(label, ref)
        sealed = self._keys[self.current].encrypt(nonce, plaintext.encode("utf-8"), aad)
        return self.prefix + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, token: str, *, label: str, ref: str) -> str:
        """Open a token made by :meth:`encrypt` for this column and row, under whichever key of
        the ring sealed it; raise InvalidValue (in Chinese, never with the value) otherwise."""
        kid, raw = _parse_token(token)
        aead = self._keys.get(kid)
        if aead is None:
            raise InvalidValue(
                f"密文由编号为 {kid} 的密钥加密，该密钥不在密钥环中（LIANXIN_FIELD_KEYS_OLD）"
            )
        try:
            data = aead.decrypt(raw[:_NONCE_LEN], raw[_NONCE_LEN:], associated_data(label, ref))
        except InvalidTag:
            raise InvalidValue("解密失败：密文已损坏、不属于此字段或此行，或密钥不匹配") from None
        return data.decode("utf-8")

    def sealed_by(self, token: str) -> str:
        """The id of the key that sealed `token`."""
        return _parse_token(token)[0]


def _parse_token(token: str) -> tuple[str, bytes]:
    version, sep, rest = token.partition(":")
    if not sep:
        raise InvalidValue("密文格式错误：缺少版本前缀")
    if f"{version}:" != _VERSION:
        if len(version) <= 8:
            raise InvalidValue(f"不支持的密文版本：{version}")
        raise InvalidValue("密文格式错误：缺少版本前缀")
    kid, sep, body = rest.partition(":")
    if not sep or not _KID.fullmatch(kid):
        raise InvalidValue("密文格式错误：缺少密钥编号")
    try:
        raw = _b64decode(body)
    except (ValueError, binascii.Error):
        raise InvalidValue("密文格式错误：不是有效的 base64") from None
    if len(raw) < _NONCE_LEN + _TAG_LEN:
        raise InvalidValue("密文格式错误：长度不足")
    return kid, raw


def decrypt_v1(master_key: str, token: str) -> str:
    """A version 1 token (one key, no binding), for the migration that re-seals them as v2."""
    if not token.startswith(_V1):
        raise InvalidValue("密文格式错误：不是第1版密文")
    raw = _b64decode(token[len(_V1) :])
    aead = AESGCM(_derive(_master(master_key), _ENC_INFO))
    try:
        return aead.decrypt(raw[:_NONCE_LEN], raw[_NONCE_LEN:], None).decode("utf-8")
    except InvalidTag:
        raise InvalidValue("解密失败：密文已损坏或密钥不匹配") from None


def encrypt_v1(master_key: str, plaintext: str) -> str:
    """A version 1 token, for the reverse of that migration only (back to the old schema)."""
    nonce = os.urandom(_NONCE_LEN)
    aead = AESGCM(_derive(_master(master_key), _ENC_INFO))
    sealed = aead.encrypt(nonce, plaintext.encode("utf-8"), None)
    return _V1 + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


class LookupHasher:
    """HMAC-SHA256 lookup hashes under the lookup key, a key of its own: rotating the field key
    leaves every hash (and so every search) as it was, and a leaked lookup key decrypts nothing.
    The subkey is derived as version 1 derived it from the one key it had, so setting the lookup
    key to an old installation's field key keeps its hashes."""

    __slots__ = ("_hmac",)

    def __init__(self, master_key: str) -> None:
        self._hmac = hmac.new(_derive(_master(master_key), _HASH_INFO), digestmod=hashlib.sha256)

    def __repr__(self) -> str:
        return "LookupHasher(<key hidden>)"

    def hash(self, value: str) -> str:
        """Hex HMAC-SHA256 of ``value`` for equality lookups (callers normalize first)."""
        mac = self._hmac.copy()
        mac.update(value.encode("utf-8"))
        return mac.hexdigest()


def load_key_from_env(name: str = ENV_KEY, environ: Mapping[str, str] = os.environ) -> str | None:
    """A key from the variable `name` or the file named by `name` + ``_FILE``; None when
    neither is set. The key itself never appears in an error."""
    key = environ.get(name, "").strip()
    if key:
        return key
    path = environ.get(f"{name}_FILE", "").strip()
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            key = fh.read().strip()
    except OSError as exc:
        raise InvalidValue(
            f"无法读取密钥文件 {path}（{name}_FILE）：{exc.strerror or exc}"
        ) from exc
    if not key:
        raise InvalidValue(f"密钥文件 {path}（{name}_FILE）为空")
    return key
