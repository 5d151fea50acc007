"""The refusal every service raises for bad input: a Chinese message naming the field."""

from __future__ import annotations


class Refused(Exception):
    """A request the program's rules refuse; pages show it beside the field, the API as 4xx."""

    def __init__(self, message: str, *, field: str = "", status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status

    def __str__(self) -> str:
        return self.message
