"""Signals a lower app sends so an app above it can answer, without the sender knowing who
listens (dependencies point down: org and people never import pairing's pages)."""

from __future__ import annotations

from django.dispatch import Signal

# A page made a change that may leave households without a fitting cadre: a cadre left or was
# transferred, a household moved. Sent with request= (the page's request, so a receiver may add
# a message to it) and what= (the change in words, e.g. "马林增退出"). Pairing answers with its
# offer of a re-pairing dry run (pairing/repair_offer.py).
coverage_changed = Signal()
