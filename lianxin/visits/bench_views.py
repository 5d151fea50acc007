"""The reference of bench/bench_visits.py: a bare Django view that inserts the same rows a
recorded visit makes (one Visit, one VisitHousehold with its copies) and answers its id. No
actor check, no scoping, no pairing look-up, no idempotency, no audit row: what the real
endpoint costs above this is what those cost. Routed only when LIANXIN_BENCH_VIEWS=1."""

from __future__ import annotations

import datetime as dt
import json

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import Visit, VisitHousehold


@csrf_exempt
@require_POST
def bare_visit(request: HttpRequest) -> JsonResponse:
    body = json.loads(request.body)
    with transaction.atomic():
        visit = Visit.objects.create(
            county_id=body["county_id"],
            cadre_id=body["cadre_id"],
            occurred_on=dt.date.fromisoformat(body["occurred_on"]),
            mode=body["mode"],
            notes=body.get("notes", ""),
        )
        VisitHousehold.for_visit(
            visit, body["household_id"], pairing_id=body["pairing_id"], met=True
        ).save()
    return JsonResponse({"id": visit.pk}, status=201)
