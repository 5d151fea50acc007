"""The published OpenAPI document against the API's real answers.

Every documented operation has a case below that calls it as the world's personas — valid
inputs, then the refusals it documents (anonymous 401, a write without the CSRF token 403,
out of scope 404, a missing or malformed parameter 422, ...). Each answer's status must be
documented for the operation and its body must validate against the schema documented for
that status; every documented status must be answered by some call. A new endpoint without a
case, an undocumented status or a schema that does not describe the answer fails here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import typing
from collections import defaultdict
from collections.abc import Callable
from enum import Enum
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from jsonschema import Draft202012Validator, FormatChecker
from ninja import Router, Schema
from ninja.responses import NinjaJSONEncoder
from pydantic import BaseModel

from lianxin.api import api
from lianxin.audit.models import AuditEntry
from lianxin.core.api import LianxinAPI
from lianxin.core.models import today
from lianxin.pairing.services import do_start_pairing_run
from lianxin.people.choices import Relation
from lianxin.people.services import do_create_enterprise, do_create_resident
from tests.factories import credit_code, id_number
from tests.pairing.runs_support import dry_run

CJK = re.compile("[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    # As JSON, exactly what /api/openapi.json serves (checked below).
    return json.loads(json.dumps(api.get_openapi_schema(), cls=NinjaJSONEncoder))


class Caller:
    """Calls one documented operation and checks each answer against the document."""

    def __init__(self, document: dict[str, Any], method: str, path: str) -> None:
        self.method, self.path = method, path
        self.components = document["components"]
        self.operation = document["paths"][path][method]
        self.seen: set[int] = set()

    def __call__(
        self,
        expect: int,
        user: Any,
        *ids: Any,
        query: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        csrf: bool = False,
        headers: dict[str, str] | None = None,
    ) -> Any:
        filled = iter(ids)
        url = re.sub(r"\{[^}]+\}", lambda _: str(next(filled)), self.path)
        client = Client(enforce_csrf_checks=csrf)
        if user is not None:
            client.force_login(user)
        if self.method == "get":
            response = client.get(url, query or {})
        else:
            data = json.dumps(body) if body is not None else ""
            send = getattr(client, self.method)  # post, put, patch, delete
            response = send(url, data, content_type="application/json", headers=headers)
        status = response.status_code
        where = f"{self.method.upper()} {url} as {user or 'anonymous'}"
        responses = self.operation["responses"]
        assert str(status) in responses, (
            f"{where} answered {status}, which the document does not list: "
            f"{response.content[:300].decode(errors='replace')}"
        )
        schema = responses[str(status)]["content"]["application/json"]["schema"]
        validator = Draft202012Validator(
            {**schema, "components": self.components}, format_checker=FormatChecker()
        )
        errors = [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(response.json())
        ]
        assert not errors, f"{where} ({status}) does not match its documented schema: {errors[:5]}"
        assert status == expect, f"{where}: expected {expect}, got {status}: {response.json()}"
        if status >= 400:
            assert CJK.search(response.json()["detail"]), f"{where}: {response.json()}"
        self.seen.add(status)
        return response.json()

    def anonymous(self, *ids: Any, **kw: Any) -> None:
        self(401, None, *ids, **kw)

    def without_csrf(self, user: Any, *ids: Any, **kw: Any) -> None:
        answer = self(403, user, *ids, csrf=True, **kw)
        assert "CSRF" in answer["detail"]


CASES: dict[tuple[str, str], Callable[[Any, Caller], None]] = {}


def case(method: str, path: str):
    def register(fn):
        CASES[(method, path)] = fn
        return fn

    return register


# --- 区划 ---------------------------------------------------------------------------------------


@case("get", "/api/regions")
def _(w, call):
    page = call(200, w.township_staff)
    assert {r["id"] for r in page["items"]} >= {w.township.pk, w.village.pk, w.group.pk}
    call(422, w.township_staff, query={"limit": 0})
    call.anonymous()


@case("get", "/api/regions/{region_id}")
def _(w, call):
    detail = call(200, w.township_staff, w.village.pk)
    assert detail["totals"]["households"] == 2
    call(404, w.outsider, w.village.pk)
    call(422, w.township_staff, "abc")
    call.anonymous(w.village.pk)


# --- 单位与干部 ----------------------------------------------------------------------------------


@case("get", "/api/units")
def _(w, call):
    page = call(200, w.city_admin)
    assert {u["name"] for u in page["items"]} == {w.unit.name, w.other_unit.name}
    call(404, w.audit_admin)
    call(422, w.city_admin, query={"limit": 501})
    call.anonymous()


@case("get", "/api/units/{unit_id}")
def _(w, call):
    assert call(200, w.township_staff, w.unit.pk)["zones"][0]["village"]["id"] == w.village.pk
    call(404, w.outsider, w.unit.pk)
    call(422, w.city_admin, "abc")
    call.anonymous(w.unit.pk)


@case("get", "/api/cadres")
def _(w, call):
    assert call(200, w.city_admin)["count"] == 2
    call(404, w.security_admin)
    call(422, w.city_admin, query={"offset": -1})
    call.anonymous()


@case("get", "/api/cadres/{cadre_id}")
def _(w, call):
    assert call(200, w.city_admin, w.leader.pk)["liaisons"][0]["township"]["id"] == w.township.pk
    call(404, w.outsider, w.cadre.pk)
    call(422, w.city_admin, "abc")
    call.anonymous(w.cadre.pk)


@case("post", "/api/cadres/{cadre_id}/reveal")
def _(w, call):
    reason = {"field": "phone", "reason": "核实联系方式"}
    assert call(200, w.township_staff, w.cadre.pk, body=reason)["value"] == "13900000001"
    assert call(400, w.township_staff, w.cadre.pk, body={"reason": "查"})["field"] == "reason"
    call(403, w.village_staff, w.cadre.pk, body=reason)
    call.without_csrf(w.township_staff, w.cadre.pk, body=reason)
    call(404, w.outsider, w.cadre.pk, body=reason)
    assert call(422, w.township_staff, w.cadre.pk, body={"field": "phone"})["field"] == "reason"
    call.anonymous(w.cadre.pk, body=reason)


@case("get", "/api/liaisons")
def _(w, call):
    page = call(200, w.city_admin)
    assert page["summary"]["townships"] == 2 and page["summary"]["uncovered"] == 1
    call(404, w.audit_admin)
    call(422, w.city_admin, query={"uncovered": "maybe"})
    call.anonymous()


# --- 户、居民、企业、查找 ----------------------------------------------------------------------


@case("get", "/api/households")
def _(w, call):
    assert call(200, w.township_staff)["count"] == 2
    call(422, w.township_staff, query={"township": "abc"})
    call.anonymous()


@case("post", "/api/households")
def _(w, call):
    new = {"number": "51018411000000009", "region_id": w.group.pk, "hardships": []}
    assert call(201, w.township_staff, body=new)["number"] == "51018411000000009"
    assert call(400, w.township_staff, body={**new, "number": " "})["field"] == "number"
    call(403, w.leader_user, body={**new, "number": "51018411000000010"})
    call.without_csrf(w.township_staff, body={**new, "number": "51018411000000011"})
    call(404, w.outsider, body={**new, "number": "51018411000000012"})
    assert call(409, w.township_staff, body=new)["field"] == "number"
    assert call(422, w.township_staff, body={"number": "51018411000000013"})["field"] == "region_id"
    call.anonymous(body=new)


@case("get", "/api/households/number-rule")
def _(w, call):
    assert call(200, w.village_staff)["message"].startswith("户号须为 17 位数字：510184")
    call(403, w.security_admin)
    call.anonymous()


@case("put", "/api/households/number-rule")
def _(w, call):
    rule = {"pattern": r"510184\d{11}", "description": "17 位数字，以 510184 开头"}
    assert call(200, w.city_admin, body=rule)["custom"] is True
    assert call(400, w.city_admin, body={**rule, "pattern": "(\\d"})["field"] == "pattern"
    call(403, w.township_staff, body=rule)
    call.without_csrf(w.city_admin, body=rule)
    assert call(409, w.city_admin, body={**rule, "pattern": r"9\d{16}"})["field"] == "pattern"
    call(422, w.city_admin, body={"description": "无规则"})
    call.anonymous(body=rule)


@case("get", "/api/households/{household_id}")
def _(w, call):
    assert len(call(200, w.village_staff, w.household.pk)["members"]) == 3
    call(404, w.outsider, w.household.pk)
    call(422, w.village_staff, "abc")
    call.anonymous(w.household.pk)


@case("post", "/api/households/{household_id}/residents")
def _(w, call):
    number = id_number(dt.date(1990, 3, 8))
    new = {"name": "罗小志", "id_number": number, "relation": Relation.CHILD.value}
    answer = call(201, w.village_staff, w.household.pk, body=new)
    assert answer["id_number_masked"] == number[:6] + "********" + number[-4:]
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    bad = call(400, w.village_staff, w.household.pk, body={**new, "id_number": wrong})
    assert bad["field"] == "id_number"
    call.without_csrf(w.village_staff, w.household.pk, body=new)
    call(404, w.outsider, w.household.pk, body=new)
    assert call(409, w.village_staff, w.household.pk, body=new)["field"] == "id_number"
    call(422, w.village_staff, w.household.pk, body={"id_number": number})
    call.anonymous(w.household.pk, body=new)


@case("get", "/api/residents")
def _(w, call):
    assert call(200, w.township_staff, query={"age_min": 18})["count"] == 4
    call(422, w.township_staff, query={"age_min": 200})
    call.anonymous()


@case("get", "/api/residents/{resident_id}")
def _(w, call):
    head = w.household.members.get(relation=Relation.HEAD)
    assert call(200, w.village_staff, head.pk)["household_id"] == w.household.pk
    call(404, w.outsider, head.pk)
    call(422, w.village_staff, "abc")
    call.anonymous(head.pk)


@case("post", "/api/residents/{resident_id}/reveal")
def _(w, call):
    number = id_number()
    resident = do_create_resident(
        household=w.household2,
        name="张小凡",
        id_number=number,
        relation=Relation.SPOUSE,
        acting_user=None,
    )
    reason = {"field": "id_number", "reason": "核实身份"}
    assert call(200, w.township_staff, resident.pk, body=reason)["value"] == number
    assert call(400, w.township_staff, resident.pk, body={**reason, "reason": " "})["field"] == (
        "reason"
    )
    call(403, w.village_staff, resident.pk, body=reason)
    call.without_csrf(w.township_staff, resident.pk, body=reason)
    call(404, w.outsider, resident.pk, body=reason)
    # The reason is required: leaving it out is a malformed request, not an empty reason.
    missing = call(422, w.township_staff, resident.pk, body={"field": "id_number"})
    assert missing["field"] == "reason"
    call.anonymous(resident.pk, body=reason)
    assert AuditEntry.objects.filter(action="查看完整信息").count() == 1


def _enterprise(w, seed: int = 1):
    return do_create_enterprise(
        county=w.county,
        name="崇州市大坪茶叶专业合作社",
        credit_code=credit_code(seed),
        trade="A",
        region=w.village,
        acting_user=None,
    )


@case("get", "/api/enterprises")
def _(w, call):
    _enterprise(w)
    assert call(200, w.township_staff)["count"] == 1
    call(422, w.township_staff, query={"trade": "?"})
    call.anonymous()


@case("post", "/api/enterprises")
def _(w, call):
    new = {"name": "崇州市双河竹编厂", "credit_code": credit_code(7), "trade": "C"}
    new["region_id"] = w.village2.pk
    assert call(201, w.township_staff, body=new)["trade_label"] == "制造业"
    code = credit_code(8)
    bad = {**new, "credit_code": code[:-1] + ("0" if code[-1] != "0" else "1")}
    assert call(400, w.township_staff, body=bad)["field"] == "credit_code"
    call(403, w.leader_user, body={**new, "credit_code": credit_code(9)})
    call.without_csrf(w.township_staff, body={**new, "credit_code": credit_code(10)})
    call(404, w.outsider, body={**new, "credit_code": credit_code(11)})
    assert call(409, w.township_staff, body=new)["field"] == "credit_code"
    call(422, w.township_staff, body={"name": "无信用代码"})
    call.anonymous(body=new)


@case("get", "/api/enterprises/{enterprise_id}")
def _(w, call):
    enterprise = _enterprise(w)
    assert call(200, w.village_staff, enterprise.pk)["village"]["id"] == w.village.pk
    call(404, w.outsider, enterprise.pk)
    call(422, w.village_staff, "abc")
    call.anonymous(enterprise.pk)


@case("get", "/api/search")
def _(w, call):
    found = call(200, w.township_staff, query={"q": "罗选志"})
    assert [r["name"] for r in found["residents"]] == ["罗选志"]
    assert call(200, w.outsider, query={"q": "罗选志"})["residents"] == []
    # A full ID number in a URL would sit in every access log: refused before the endpoint.
    head = w.household.members.get(relation=Relation.HEAD)
    number = full_id_number(head)
    assert call(400, w.township_staff, query={"q": number})["field"] == "q"
    call.anonymous(query={"q": "罗选志"})


@case("post", "/api/search")
def _(w, call):
    head = w.household.members.get(relation=Relation.HEAD)
    number = full_id_number(head)
    found = call(200, w.township_staff, body={"q": number})
    assert [r["id"] for r in found["residents"]] == [head.pk]
    assert call(200, w.outsider, body={"q": number})["residents"] == []
    call.without_csrf(w.township_staff, body={"q": number})
    assert call(422, w.township_staff, body={})["field"] == "q"
    call.anonymous(body={"q": number})


def full_id_number(resident) -> str:
    """The resident's full ID number, read with the field key as the test's own oracle."""
    from lianxin.core.sensitive import unseal_field

    return unseal_field(resident, "id_number")


# --- 审计 ---------------------------------------------------------------------------------------


@case("get", "/api/audit")
def _(w, call):
    assert call(200, w.audit_admin)["count"] > 0
    call(404, w.city_admin)
    call(422, w.audit_admin, query={"date_from": "yesterday"})
    call.anonymous()


@case("get", "/api/audit/{entry_id}")
def _(w, call):
    entry = AuditEntry.objects.order_by("id").first()
    assert call(200, w.audit_admin, entry.pk)["id"] == entry.pk
    call(404, w.city_admin, entry.pk)
    call(422, w.audit_admin, "abc")
    call.anonymous(entry.pk)


# --- 双向全覆盖 ---------------------------------------------------------------------------------


def _coverage_case(check: Callable[[dict[str, Any]], bool]):
    def run(w, call):
        assert check(call(200, w.city_admin))
        tomorrow = (today() + dt.timedelta(days=1)).isoformat()
        assert call(400, w.city_admin, query={"on": tomorrow})["field"] == "on"
        call(404, w.audit_admin)
        call(404, w.outsider, query={"township": w.township.pk})
        assert call(422, w.city_admin, query={"on": "yesterday"})["field"] == "on"
        call.anonymous()

    return run


for _path, _check in {
    "/api/coverage": lambda s: s["households"]["total"] == 3,
    "/api/coverage/households": lambda p: p["count"] == 3,
    "/api/coverage/cadres": lambda p: [c["name"] for c in p["items"]] == ["马林增"],
    "/api/coverage/villages": lambda p: [v["name"] for v in p["items"]] == ["双河村"],
    "/api/coverage/townships": lambda p: p["count"] == 1,
    "/api/coverage/regions": lambda p: p["count"] == 2 and "villages" in p["items"][0],
    "/api/coverage/units": lambda p: p["count"] == 2 and "loads" in p["items"][0],
}.items():
    case("get", _path)(_coverage_case(_check))


# --- 自动结对 -----------------------------------------------------------------------------------


@case("get", "/api/pairing/runs")
def _(w, call):
    run = dry_run(w.county, w.city_admin)
    assert [r["id"] for r in call(200, w.leader_user)["items"]] == [run.pk]
    call(404, w.township_staff)
    call(422, w.city_admin, query={"limit": "all"})
    call.anonymous()


@case("post", "/api/pairing/runs")
def _(w, call):
    fast = {"note": "接口契约", "time_limit": 0.5}
    assert call(201, w.city_admin, body=fast)["status"] == "previewed"
    assert call(400, w.city_admin, body={"time_limit": 601})["field"] == "time_limit"
    assert call(400, w.city_admin, body={"budget_seconds": 601})["field"] == "budget"
    call.without_csrf(w.city_admin, body=fast)
    call(404, w.leader_user, body=fast)
    call(422, w.city_admin, body={"time_limit": "soon"})
    call.anonymous(body=fast)
    do_start_pairing_run(county=w.county, acting_user=w.city_admin, start=False)
    assert call(409, w.city_admin, body=fast)["field"] == "run"


@case("get", "/api/pairing/runs/{run_id}")
def _(w, call):
    run = dry_run(w.county, w.city_admin)
    assert call(200, w.leader_user, run.pk)["summary"]["status"] == "OPTIMAL"
    call(404, w.township_staff, run.pk)
    call(422, w.city_admin, "abc")
    call.anonymous(run.pk)


@case("get", "/api/pairing/runs/{run_id}/changes")
def _(w, call):
    run = dry_run(w.county, w.city_admin)
    assert call(200, w.city_admin, run.pk, query={"kind": "new"})["count"] > 0
    call(404, w.outsider, run.pk)
    assert call(422, w.city_admin, run.pk, query={"kind": "both"})["field"] == "kind"
    call.anonymous(run.pk)


@case("post", "/api/pairing/runs/{run_id}/apply")
def _(w, call):
    run = dry_run(w.county, w.city_admin)
    call.without_csrf(w.city_admin, run.pk)
    call(404, w.leader_user, run.pk)
    call(422, w.city_admin, "abc")
    call.anonymous(run.pk)
    assert call(200, w.city_admin, run.pk)["status"] == "applied"
    call(409, w.city_admin, run.pk)


@case("post", "/api/pairing/runs/{run_id}/cancel")
def _(w, call):
    from lianxin.pairing.services import do_start_pairing_run

    queued = do_start_pairing_run(county=w.county, acting_user=w.city_admin, start=False)
    call.without_csrf(w.city_admin, queued.pk)
    call(404, w.leader_user, queued.pk)
    call(422, w.city_admin, "abc")
    call.anonymous(queued.pk)
    assert call(200, w.city_admin, queued.pk)["status"] == "cancelled"
    call(409, w.city_admin, queued.pk)


@case("get", "/api/pairing/policy")
def _(w, call):
    assert call(200, w.leader_user)["coverage"] == "all"
    call(404, w.village_staff)
    call.anonymous()


@case("put", "/api/pairing/policy/budget")
def _(w, call):
    limits = {"run_budget": 60, "run_budget_max": 300}
    assert call(200, w.city_admin, body=limits)["run_budget_max"] == 300
    wrong = {"run_budget": 400, "run_budget_max": 300}
    assert call(400, w.city_admin, body=wrong)["field"] == "run_budget"
    call.without_csrf(w.city_admin, body=limits)
    call(404, w.leader_user, body=limits)
    call(422, w.city_admin, body={"run_budget": "soon", "run_budget_max": 300})
    call.anonymous(body=limits)


@case("get", "/api/pairing/households/{household_id}/cadre")
def _(w, call):
    assert call(200, w.village_staff, w.household.pk)["cadre"] is None
    call(404, w.outsider, w.household.pk)
    call(422, w.village_staff, w.household.pk, query={"on": "2025-13-01"})
    call.anonymous(w.household.pk)


# --- 走访 ---------------------------------------------------------------------------------------


def _paired_visit(w):
    """The world's cadre paired with its household for a month, and one visit recorded."""
    from lianxin.pairing.services import do_pair
    from lianxin.visits.services import Visited, do_record_visit

    do_pair(
        cadre=w.cadre,
        household=w.household,
        acting_user=None,
        valid_from=today() - dt.timedelta(days=40),
    )
    return do_record_visit(
        acting_user=w.cadre_user,
        households=[Visited(w.household)],
        occurred_on=today(),
        mode="in_person",
    ).visit


@case("post", "/api/visits")
def _(w, call):
    _paired_visit(w)
    key = {"Idempotency-Key": "3f1c2a9e-5b7d-4e8a-9c0b-1d2e3f4a5b6c"}
    body = {
        "households": [{"household_id": w.household.pk, "met": True}],
        "occurred_on": str(today()),
        "mode": "in_person",
        "heard": "说路灯坏了",
        "needs": [{"household_id": w.household.pk, "text": "村口路灯坏了"}],
    }
    made = call(201, w.cadre_user, body=body, headers=key)
    assert call(200, w.cadre_user, body=body, headers=key)["id"] == made["id"]
    other = call(422, w.cadre_user, body={**body, "heard": "别的"}, headers=key)
    assert other["field"] == "idempotency_key"
    future = {**body, "occurred_on": str(today() + dt.timedelta(days=1))}
    assert call(400, w.cadre_user, body=future)["field"] == "occurred_on"
    call(403, w.township_staff, body=body)
    call.without_csrf(w.cadre_user, body=body)
    foreign = {**body, "households": [{"household_id": w.other_household.pk}], "needs": []}
    call(404, w.cadre_user, body=foreign)
    assert call(422, w.cadre_user, body={**body, "mode": "gps"})["field"] == "mode"
    call.anonymous(body=body)


@case("get", "/api/visits")
def _(w, call):
    visit = _paired_visit(w)
    assert [v["id"] for v in call(200, w.village_staff)["items"]] == [visit.pk]
    assert call(200, w.outsider)["count"] == 0
    assert call(200, w.cadre_user, query={"household": w.household.pk})["count"] == 1
    call(422, w.cadre_user, query={"from": "3月"})
    call.anonymous()


@case("get", "/api/visits/{visit_id}")
def _(w, call):
    visit = _paired_visit(w)
    answer = call(200, w.township_staff, visit.pk)
    assert answer["households"][0]["household"]["id"] == w.household.pk
    assert answer["editable"] is False
    assert call(200, w.cadre_user, visit.pk)["editable"] is True
    call(404, w.outsider, visit.pk)
    call(422, w.cadre_user, "abc")
    call.anonymous(visit.pk)


@case("patch", "/api/visits/{visit_id}")
def _(w, call):
    visit = _paired_visit(w)
    edited = call(200, w.cadre_user, visit.pk, body={"version": 1, "notes": "补记：身体还好"})
    assert (edited["version"], edited["notes"]) == (2, "补记：身体还好")
    assert call(409, w.cadre_user, visit.pk, body={"version": 1, "notes": "旧"})["field"] == (
        "version"
    )
    future = {"version": 2, "occurred_on": str(today() + dt.timedelta(days=3))}
    assert call(400, w.cadre_user, visit.pk, body=future)["field"] == "occurred_on"
    call(403, w.township_staff, visit.pk, body={"version": 2, "notes": "代改"})
    call.without_csrf(w.cadre_user, visit.pk, body={"version": 2})
    call(404, w.outsider, visit.pk, body={"version": 2, "notes": "x"})
    assert call(422, w.cadre_user, visit.pk, body={"notes": "无版本"})["field"] == "version"
    call.anonymous(visit.pk, body={"version": 2})


@case("post", "/api/visits/{visit_id}/withdraw")
def _(w, call):
    visit = _paired_visit(w)
    call(409, w.cadre_user, visit.pk, body={"version": 5})
    call(400, w.cadre_user, visit.pk, body={"reason": "误" * 201})
    call(403, w.village_staff, visit.pk, body={})
    call.without_csrf(w.cadre_user, visit.pk, body={})
    call(404, w.outsider, visit.pk, body={})
    call(422, w.cadre_user, visit.pk, body={"version": "一"})
    answer = call(200, w.cadre_user, visit.pk, body={"version": 1, "reason": "登错了户"})
    assert answer["withdrawn_at"] is not None and answer["withdraw_reason"] == "登错了户"
    call.anonymous(visit.pk, body={})


@case("get", "/api/rates")
def _(w, call):
    _paired_visit(w)
    month = f"{today():%Y-%m}"
    answer = call(200, w.township_staff, query={"period": month, "level": "village"})
    assert answer["total"]["meeting_rate"]["numerator"] == 1
    assert answer["items"][0]["meeting_rate"]["definition"].startswith("见面率")
    assert call(200, w.outsider)["total"]["households"] == 0
    assert call(400, w.city_admin, query={"period": "上个月"})["field"] == "period"
    call(403, w.system_admin)
    call(404, w.outsider, query={"region": w.village.pk})
    call(422, w.city_admin, query={"limit": 0})
    call.anonymous()


# --- the tests ----------------------------------------------------------------------------------


def test_it_has_a_case_for_every_documented_operation(document):
    documented = {(m, p) for p, item in document["paths"].items() for m in item}
    assert documented == set(CASES)


@pytest.mark.parametrize("key", sorted(CASES), ids=lambda k: f"{k[0]} {k[1]}")
def test_it_answers_as_documented(document, world, settings, key):
    settings.LIANXIN_JOBS_INLINE = True  # pairing runs compute inside the request
    call = Caller(document, *key)
    CASES[key](world, call)
    documented = {int(code) for code in call.operation["responses"]}
    assert call.seen == documented, "documented statuses no call answered"


def test_it_documents_each_error_status_with_the_error_schema(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for code, answer in operation["responses"].items():
                if int(code) >= 400:
                    schema = answer["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, code)
                    assert CJK.search(answer["description"]), (method, path, code)


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[1]} if "$ref" in node else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def test_it_lists_every_field_of_an_answer_as_required(document):
    # An answer always carries all its fields (null where empty); a client generated from the
    # document must not be told they may be missing.
    schemas = document["components"]["schemas"]
    pending = set().union(
        *(_refs(op["responses"]) for item in document["paths"].values() for op in item.values())
    )
    answers: set[str] = set()
    while pending:
        name = pending.pop()
        answers.add(name)
        pending |= _refs(schemas[name]) - answers
    assert {"Error", "RunOut", "RegionPage", "CoverageRegionPage"} <= answers
    optional = {
        name: sorted(
            set(schemas[name].get("properties", {})) - set(schemas[name].get("required", []))
        )
        for name in answers
        if schemas[name].get("type") == "object"
    }
    assert {name: fields for name, fields in optional.items() if fields} == {}


def test_it_documents_the_reveal_reason_as_required(document):
    schemas = document["components"]["schemas"]
    for name in ("ResidentRevealIn", "CadreRevealIn"):
        assert "reason" in schemas[name]["required"]
        assert schemas[name]["properties"]["reason"]["minLength"] == 2
    assert schemas["ResidentRevealIn"]["properties"]["field"]["enum"] == ["id_number", "phone"]


def test_it_is_a_valid_openapi_3_document(document):
    from openapi_spec_validator import validate

    validate(document)
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


def test_it_serves_the_document_it_describes(document, world, login):
    assert login(world.city_admin).get("/api/openapi.json").json() == document


def _schema_classes(annotation: Any, found: set[type]) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in found:
            return
        found.add(annotation)
        for field in annotation.model_fields.values():
            _schema_classes(field.annotation, found)
    elif isinstance(annotation, type) and issubclass(annotation, Enum):
        found.add(annotation)
    for arg in typing.get_args(annotation):
        _schema_classes(arg, found)


def test_it_names_every_schema_class_once():
    # Ninja names a component after its class and silently keeps the last of two same-named
    # classes, so two classes may not share a name anywhere in the API.
    classes: set[type] = set()
    for _prefix, router in api._routers:
        for view in router.path_operations.values():
            for operation in view.operations:
                # The models ninja builds per operation wrap ours in one field each.
                for wrapper in [*operation.models, *operation.response_models.values()]:
                    if isinstance(wrapper, type) and issubclass(wrapper, BaseModel):
                        for field in wrapper.model_fields.values():
                            _schema_classes(field.annotation, classes)
    by_name: dict[str, set[str]] = defaultdict(set)
    for cls in classes:
        by_name[cls.__name__].add(f"{cls.__module__}.{cls.__qualname__}")
    assert len(classes) > 50
    assert {name: where for name, where in by_name.items() if len(where) > 1} == {}


def test_it_refuses_to_publish_two_schemas_under_one_name():
    def named(name: str, **fields: type) -> type[Schema]:
        return type(name, (Schema,), {"__annotations__": fields})

    router = Router()
    first, second = named("Clash", a=int), named("Clash", b=str)

    @router.get("/one", response=list[first])
    def one(request):
        return []

    @router.get("/two", response=list[second])
    def two(request):
        return []

    clash = LianxinAPI(urls_namespace="clash-test")
    clash.add_router("/", router)
    with pytest.raises(ImproperlyConfigured, match="Clash"):
        clash.get_openapi_schema(path_prefix="/")
