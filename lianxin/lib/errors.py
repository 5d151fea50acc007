"""Errors shared by the helper package."""


class InvalidValue(ValueError):
    """A user-supplied value failed validation; ``str(exc)`` is a Chinese message for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
