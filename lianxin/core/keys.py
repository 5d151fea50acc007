"""The keys outside the database fail closed: present, well formed, distinct, and the very keys
the database was sealed with (docs/security.md, "Keys").

- At process start (CoreConfig.ready) a missing or malformed key stops every entry point —
  gunicorn, the worker, every `lianxin` command — unless LIANXIN_DEV_KEYS=1 made them up.
- At service start (wsgi.py, `lianxin serve`, `lianxin worker`) the keys are checked against the
  canaries in the database (core.KeyCanary): what each key made of a known text when it was
  first used. A wrong key is refused there, before it reads or seals a row.
- `lianxin check --database default` reports the same as system checks.

A canary missing from the database is written at start, but only when the rows already sealed
agree with the keys (a sample of each): a box started with the wrong key and no canary yet is
refused too, instead of writing a canary for the wrong key."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, IntegrityError, transaction

from lianxin.lib.crypto import Keyring, LookupHasher, derive_subkey, key_id
from lianxin.lib.errors import InvalidValue

CANARY_TEXT = "lianxin-key-canary/v1"
CANARY_LABEL = "core.keycanary.field"
CANARY_REF = "canary"
_AUDIT_CANARY_INFO = b"lianxin/audit-key-canary/v1"

# (setting, variable) for every key the app needs.
KEYS = (
    ("SECRET_KEY", "LIANXIN_SECRET_KEY"),
    ("FIELD_KEY", "LIANXIN_FIELD_KEY"),
    ("LOOKUP_KEY", "LIANXIN_LOOKUP_KEY"),
    ("AUDIT_KEY", "LIANXIN_AUDIT_KEY"),
)


@dataclass(frozen=True)
class Problem:
    message: str
    hint: str = ""
    fatal: bool = True

    def __str__(self) -> str:
        return f"{self.message}（{self.hint}）" if self.hint else self.message


NEW_KEY_HINT = "用 `lianxin new-key` 生成，放入只有服务账号可读的文件，以 {name}_FILE 指向它"


def key_problems() -> list[Problem]:
    """What is wrong with the keys themselves (no database needed)."""
    problems = []
    for setting, name in KEYS:
        try:
            value = getattr(settings, setting, "")
        except ImproperlyConfigured:  # Django refuses to hand out an empty SECRET_KEY
            value = ""
        if not value:
            problems.append(Problem(f"未设置 {name}", NEW_KEY_HINT.format(name=name)))
        elif setting != "SECRET_KEY":
            try:
                key_id(value)
            except InvalidValue as exc:
                problems.append(Problem(f"{name}：{exc}", NEW_KEY_HINT.format(name=name)))
    for n, old in enumerate(settings.FIELD_KEYS_OLD, start=1):
        try:
            key_id(old)
        except InvalidValue as exc:
            problems.append(Problem(f"LIANXIN_FIELD_KEYS_OLD 第{n}个密钥：{exc}"))
    if problems:
        return problems
    names = {"FIELD_KEY": "LIANXIN_FIELD_KEY", "LOOKUP_KEY": "LIANXIN_LOOKUP_KEY"}
    names["AUDIT_KEY"] = "LIANXIN_AUDIT_KEY"
    seen: dict[str, str] = {}
    for setting, name in names.items():
        kid = key_id(getattr(settings, setting))
        if kid in seen:
            problems.append(
                Problem(
                    f"{name} 与 {seen[kid]} 是同一个密钥",
                    "三个密钥各管一事，须各不相同：查找散列密钥可交给只做查找的程序而不能解密",
                )
            )
        seen.setdefault(kid, name)
    return problems


def refuse_without_keys() -> None:
    """Stop the process when a key is missing or malformed (called from CoreConfig.ready)."""
    problems = key_problems()
    if problems:
        raise ImproperlyConfigured(
            "连心拒绝启动，密钥有误：\n"
            + "\n".join(f"- {p}" for p in problems)
            + "\n开发和演示环境可设 LIANXIN_DEV_KEYS=1（make run、make test 已设），"
            "在 var/ 下生成开发用密钥；生产环境请见 docs/deployment.md「密钥」。"
        )


def _audit_canary() -> str:
    key = derive_subkey(settings.AUDIT_KEY, _AUDIT_CANARY_INFO)
    return hmac.new(key, CANARY_TEXT.encode(), "sha256").hexdigest()


def _lookup_canary() -> str:
    return LookupHasher(settings.LOOKUP_KEY).hash(CANARY_TEXT)


def _keyring() -> Keyring:
    return Keyring(settings.FIELD_KEY, settings.FIELD_KEYS_OLD)


def canary_problems() -> list[Problem]:
    """The keys against the canaries in the database. A missing canary is no problem here: the
    next start writes it when the data agrees (ensure_canaries), or refuses to start."""
    from lianxin.core.models import KeyCanary

    try:
        canaries = {c.purpose: c for c in KeyCanary.objects.all()}
    except DatabaseError:  # not migrated yet: `lianxin migrate` comes first
        return []
    ring = _keyring()
    problems = []
    field = canaries.get(KeyCanary.Purpose.FIELD)
    if field is not None:
        try:
            text = ring.decrypt(field.value, label=CANARY_LABEL, ref=CANARY_REF)
        except InvalidValue:
            text = None
        if text != CANARY_TEXT:
            problems.append(
                Problem(
                    "LIANXIN_FIELD_KEY 与数据库不符：数据库中的数据不是用这个密钥"
                    f"（或 LIANXIN_FIELD_KEYS_OLD 中的旧密钥）加密的（数据库记录的密钥编号为 "
                    f"{field.key_id}，当前密钥编号为 {ring.current}）",
                    "请换回正确的密钥；轮换密钥时把旧密钥放入 LIANXIN_FIELD_KEYS_OLD",
                )
            )
        elif ring.sealed_by(field.value) != ring.current:
            problems.append(
                Problem(
                    f"字段加密密钥已更换（{ring.sealed_by(field.value)} → {ring.current}），"
                    "数据尚未全部重新加密",
                    "运行 lianxin rotate-field-key；完成前不要从 LIANXIN_FIELD_KEYS_OLD 去掉旧密钥",
                    False,
                )
            )
    for purpose, made, name in (
        (KeyCanary.Purpose.LOOKUP, _lookup_canary, "LIANXIN_LOOKUP_KEY"),
        (KeyCanary.Purpose.AUDIT, _audit_canary, "LIANXIN_AUDIT_KEY"),
    ):
        canary = canaries.get(purpose)
        if canary is None:
            continue
        if not hmac.compare_digest(canary.value, made()):
            hint = (
                "请换回正确的密钥；有意更换查找散列密钥时运行 lianxin rehash-lookups"
                if purpose == KeyCanary.Purpose.LOOKUP
                else "请换回正确的密钥：审计链不随密钥轮换，换了密钥整条链就无法核验"
            )
            problems.append(Problem(f"{name} 与数据库不符（校验值不同）", hint))
    return problems


# Purpose → a function saying whether what the database already holds agrees with that
# purpose's key (None: nothing to test). Apps above core register theirs (the audit app: its
# last row's chain hash) in their AppConfig.ready.
EVIDENCE: dict[str, Callable[[], bool | None]] = {}


def register_evidence(purpose: str, check: Callable[[], bool | None]) -> None:
    EVIDENCE[purpose] = check


def _sealed_evidence() -> tuple[bool | None, bool | None]:
    """Whether the first sealed value of each sealed column opens under the keyring, and whether
    its lookup hash is what the lookup key makes of it."""
    from lianxin.core.sensitive import unseal_field

    ring_ok: bool | None = None
    lookup_ok: bool | None = None
    for model in sealed_models():
        for field in model.sealed_fields:
            sample = model.objects.exclude(**{f"{field}_enc": ""}).order_by("pk").first()
            if sample is None:
                continue
            try:
                value = unseal_field(sample, field)
            except InvalidValue:
                return False, None
            ring_ok = True
            hashed = LookupHasher(settings.LOOKUP_KEY).hash(value)
            lookup_ok = (lookup_ok is not False) and hashed == getattr(sample, f"{field}_hash")
    return ring_ok, lookup_ok


def _evidence() -> dict[str, bool | None]:
    ring_ok, lookup_ok = _sealed_evidence()
    out = {"field": ring_ok, "lookup": lookup_ok}
    out.update({purpose: check() for purpose, check in EVIDENCE.items()})
    return out


def sealed_models() -> list[Any]:
    """Every model with sealed columns (core.models.SealedRow)."""
    from django.apps import apps

    from lianxin.core.models import SealedRow

    return [m for m in apps.get_models() if issubclass(m, SealedRow)]


def write_canaries(*, purposes: list[str] | None = None) -> list[str]:
    """Write (or rewrite) the canaries of the given purposes from the keys as they are now."""
    from lianxin.core.models import KeyCanary

    ring = _keyring()
    made = {
        KeyCanary.Purpose.FIELD: (
            ring.encrypt(CANARY_TEXT, label=CANARY_LABEL, ref=CANARY_REF),
            ring.current,
        ),
        KeyCanary.Purpose.LOOKUP: (_lookup_canary(), key_id(settings.LOOKUP_KEY)),
        KeyCanary.Purpose.AUDIT: (_audit_canary(), key_id(settings.AUDIT_KEY)),
    }
    written = []
    for purpose in purposes or list(made):
        value, kid = made[KeyCanary.Purpose(purpose)]
        KeyCanary.objects.update_or_create(
            purpose=purpose, defaults={"value": value, "key_id": kid}
        )
        written.append(purpose)
    return written


def ensure_canaries() -> list[str]:
    """Write each missing canary whose key the sealed rows agree with (or nothing is sealed
    yet). Returns the purposes written."""
    from lianxin.core.models import KeyCanary

    try:
        present = set(KeyCanary.objects.values_list("purpose", flat=True))
    except DatabaseError:
        return []
    missing = [p for p in KeyCanary.Purpose.values if p not in present]
    if not missing:
        return []
    evidence = _evidence()
    agreed = [p for p in missing if evidence.get(p) is not False]
    if not agreed:
        return []
    try:
        with transaction.atomic():
            return write_canaries(purposes=agreed)
    except IntegrityError:  # another process wrote them meanwhile
        return []


def refuse_wrong_keys() -> None:
    """At service start: write missing canaries where the data agrees, then refuse to start on
    any key the database contradicts."""
    refuse_without_keys()
    ensure_canaries()
    from lianxin.core.models import KeyCanary

    problems = [p for p in canary_problems() if p.fatal]
    try:
        present = set(KeyCanary.objects.values_list("purpose", flat=True))
    except DatabaseError:
        present = set(KeyCanary.Purpose.values)
    for purpose in KeyCanary.Purpose:
        if purpose.value not in present:
            problems.append(
                Problem(
                    f"{purpose.label}与数据库中已加密或已记录的数据不符，且数据库中没有它的校验值",
                    "请换回正确的密钥；确认密钥无误后可运行 lianxin seal-key-canary --force",
                )
            )
    if problems:
        raise ImproperlyConfigured(
            "连心拒绝启动，密钥与数据库不符：\n" + "\n".join(f"- {p}" for p in problems)
        )
