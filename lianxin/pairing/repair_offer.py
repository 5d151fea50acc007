"""Offering a re-pairing after a transfer, a departure or a household move.

Org and people pages announce such a change through core's coverage_changed signal; pairing
connects offer_repair to it (apps.py), so those pages never import pairing.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html


def offer_repair(request: HttpRequest, what: str) -> None:
    """After a change that may leave households without a fitting cadre (a cadre leaves or is
    transferred, a household moves), offer the city administrator a dry run; the stable
    optimiser moves only the households affected. ``what`` names the change, e.g. "马林增退出"."""
    if not getattr(request.user, "manages_pairing", False):
        return
    url = reverse("pairing:run_create")
    note = f"{what}后重新结对"
    messages.info(
        request,
        format_html(
            '{}，相关的户可能需要重新安排结对干部：<a href="{}?{}" hx-post="{}" hx-vals="{}">'
            "重新结对（预览）</a>（只计算预览，确认后才写入）",
            what,
            url,
            urlencode({"note": note}),
            url,
            json.dumps({"note": note}, ensure_ascii=False),
        ),
    )


def on_coverage_changed(sender: Any, *, request: HttpRequest, what: str, **kwargs: Any) -> None:
    """core.signals.coverage_changed → the offer above."""
    offer_repair(request, what)
