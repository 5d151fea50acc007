"""Password rules of 等保 level 3, as Django password validators (AUTH_PASSWORD_VALIDATORS):
each has validate(password, user=None) raising ValidationError, and get_help_text()."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError

CLASSES = (
    ("小写字母", str.islower),
    ("大写字母", str.isupper),
    ("数字", str.isdigit),
    # Anything that is not a letter or digit counts as a symbol (punctuation, space, 汉字).
    ("符号", lambda c: not (c.isascii() and c.isalnum())),
)


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's length rule, in Chinese whatever the request's language, and with the length
    read from LIANXIN_PASSWORD_MIN_LENGTH at validation time unless given."""

    def __init__(self, min_length: int | None = None) -> None:
        self._min_length = min_length

    @property  # type: ignore[override]
    def min_length(self) -> int:
        return self._min_length or settings.LIANXIN_PASSWORD_MIN_LENGTH

    @min_length.setter
    def min_length(self, value: int) -> None:
        self._min_length = value

    def get_error_message(self) -> str:
        return f"密码太短，至少 {self.min_length} 个字符"

    def get_help_text(self) -> str:
        return f"至少 {self.min_length} 个字符"


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    """Django's list of 20,000 common passwords, in Chinese."""

    def get_error_message(self) -> str:
        return "这个密码太常见，容易被猜中"

    def get_help_text(self) -> str:
        return "不能是常见密码"


class CharacterClassesValidator:
    """At least `min_classes` of: lower-case letters, upper-case letters, digits, symbols."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        found = sum(1 for _, test in CLASSES if any(test(c) for c in password))
        if found < self.min_classes:
            raise ValidationError(
                f"密码须包含小写字母、大写字母、数字、符号中的至少 {self.min_classes} 类",
                code="password_too_few_classes",
            )

    def get_help_text(self) -> str:
        return f"须包含小写字母、大写字母、数字、符号中的至少 {self.min_classes} 类"


class NotUsernameValidator:
    """The password does not contain the username, forwards or backwards (case ignored)."""

    def validate(self, password: str, user: Any = None) -> None:
        username = (getattr(user, "username", "") or "").strip().lower()
        if len(username) < 3:
            return
        text = password.lower()
        if username in text or username[::-1] in text:
            raise ValidationError(
                "密码不能包含用户名（或倒写的用户名）", code="password_has_username"
            )

    def get_help_text(self) -> str:
        return "不能包含用户名"


class PasswordHistoryValidator:
    """Not one of the account's last LIANXIN_PASSWORD_HISTORY passwords (the current included)."""

    def __init__(self, history: int | None = None) -> None:
        self._history = history

    @property
    def history(self) -> int:
        # Read at validation time, so a deployment's (or a test's) setting applies.
        return self._history if self._history is not None else settings.LIANXIN_PASSWORD_HISTORY

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or user.pk is None or self.history <= 0:
            return
        from .models import PasswordHistory

        recent = PasswordHistory.objects.filter(user_id=user.pk).order_by("-created_at", "-pk")
        hashes = list(recent.values_list("password", flat=True)[: self.history])
        if user.password and user.password not in hashes:
            hashes.insert(0, user.password)
        if any(check_password(password, h) for h in hashes[: self.history]):
            raise ValidationError(
                f"新密码不能与最近 {self.history} 次使用过的密码相同", code="password_reused"
            )

    def get_help_text(self) -> str:
        return f"不能与最近 {self.history} 次使用过的密码相同"
