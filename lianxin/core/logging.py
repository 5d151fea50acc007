"""A logging filter that masks ID numbers and phones in every log line."""

from __future__ import annotations

import logging

from lianxin.lib.masking import scrub


class ScrubSensitiveFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
