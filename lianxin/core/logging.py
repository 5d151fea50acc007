"""A logging filter that masks ID numbers and phones in every log line.

It is put on every handler (settings.LOGGING: root, django.server, the django loggers; and
gunicorn's access and error logs through lianxin.gunicorn_conf), never on a logger alone: a
logger's filters do not see the records its children propagate to its handlers.
"""

from __future__ import annotations

import logging
from urllib.parse import unquote_plus

from lianxin.lib.masking import scrub

_FORMATTER = logging.Formatter()


def scrub_line(text: str) -> str:
    """masking.scrub, plus what URL-encoding hides: a request line carries
    `q=510184+19800101+002X`, `%31%33%39…` or full-width digits as %EF%BC%95."""
    cleaned = scrub(text)
    if "%" in cleaned or "+" in cleaned:
        decoded = unquote_plus(cleaned)
        scrubbed = scrub(decoded)
        if scrubbed != decoded:
            return scrubbed
    return cleaned


class ScrubSensitiveFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # A call whose arguments do not fit its format: log the pieces, scrubbed.
            message = f"{record.msg} {record.args!r}"
        cleaned = scrub_line(message)
        if cleaned != message or not isinstance(record.msg, str):
            # The formatted line replaces msg % args, so no argument is formatted later.
            record.msg, record.args = cleaned, None
        # Tracebacks quote local values and SQL parameters; formatters reuse exc_text when set.
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub_line(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub_line(record.stack_info)
        return True


def scrub_handlers(*loggers: logging.Logger) -> None:
    """Put the filter on each handler of these loggers (once), for handlers made outside
    settings.LOGGING, such as gunicorn's."""
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, ScrubSensitiveFilter) for f in handler.filters):
                handler.addFilter(ScrubSensitiveFilter())
