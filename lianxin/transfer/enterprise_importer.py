"""Importing enterprises, keyed by their unified social credit code in the county."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from lianxin.core.fields import problem as field_problem
from lianxin.lib.errors import InvalidValue
from lianxin.lib.uscc import validate as validate_credit_code
from lianxin.people.models import Enterprise

from . import layouts as L
from .row_importer import RowImporter, placement_ids


@dataclass(slots=True)
class _EnterpriseRow:
    row: int
    credit_code: str
    name: str
    trade: str
    placement: tuple[int, int, int]
    address: str


class EnterpriseImporter(RowImporter):
    """Enterprises keyed by credit code in the county (one 18-character key per row kept for
    the duplicate check across the file)."""

    layout = L.ENTERPRISES

    def __init__(self, **kw):
        super().__init__(**kw)
        self.seen_codes: dict[str, int] = {}

    def _parse(self, row: int, cells: list[str], sealed: Any):
        c = self.cells(cells)
        errors: list[tuple[str, str]] = []
        code = ""
        try:
            code = validate_credit_code(c[L.CREDIT_CODE])
        except InvalidValue as exc:
            errors.append((L.CREDIT_CODE, str(exc)))
        # The model's own rules (lianxin.core.fields), as the registry's pages and API apply.
        name = c[L.ENTERPRISE_NAME]
        name_problem = field_problem(Enterprise, "name", name)
        if name_problem:
            errors.append((L.ENTERPRISE_NAME, name_problem))
        trade = L.parse_trade(c[L.TRADE])
        if trade is None:
            errors.append(
                (
                    L.TRADE,
                    f"无法识别的行业门类“{c[L.TRADE]}”（填门类字母 A–T 或名称，如 C 或 制造业）"
                    if c[L.TRADE]
                    else "行业门类不能为空",
                )
            )
        placement, problem = self.regions.resolve(c[L.TOWNSHIP], c[L.VILLAGE], c[L.GROUP])
        if problem:
            errors.append(problem)
        address = c[L.ENTERPRISE_ADDRESS]
        address_problem = field_problem(Enterprise, "address", address)
        if address_problem:
            errors.append((L.ENTERPRISE_ADDRESS, address_problem))
        if code:
            first = self.seen_codes.get(code)
            if first is None:
                self.seen_codes[code] = row
            else:
                errors.append((L.CREDIT_CODE, f"第{first}行和第{row}行的统一社会信用代码相同"))
        if errors:
            return None, errors
        assert trade and placement
        return _EnterpriseRow(row, code, name, trade, placement, address), []

    def check_database(self, rows, *, answering):
        if not rows:
            return [], None
        existing = {
            e["credit_code"]: e
            for e in Enterprise.objects.filter(
                county=self.county, credit_code__in=[r.credit_code for r in rows]
            ).values(
                "id",
                "credit_code",
                "name",
                "trade",
                "township_id",
                "village_id",
                "region_id",
                "address",
            )
        }
        accepted = []
        for r in rows:
            found = existing.get(r.credit_code)
            if found is not None and self.regions.outside(placement_ids(found)) is not None:
                self.fail(
                    r.row,
                    [(L.CREDIT_CODE, "该统一社会信用代码已在其他辖区登记，不能在此导入")],
                )
            else:
                accepted.append(r)
        return accepted, existing

    def write(self, rows, looked_up) -> None:
        existing = looked_up
        now = timezone.now()
        created, updated, unchanged = [], [], 0
        for r in rows:
            found = existing.get(r.credit_code)
            township_id, village_id, region_id = r.placement
            if found is None:
                created.append(
                    Enterprise(
                        county_id=self.county.pk,
                        credit_code=r.credit_code,
                        name=r.name,
                        name_initials=self.initials(r.name)[:60],
                        trade=r.trade,
                        township_id=township_id,
                        village_id=village_id,
                        region_id=region_id,
                        address=r.address,
                    )
                )
                continue
            address = r.address or found["address"]
            if (
                found["name"] == r.name
                and found["trade"] == r.trade
                and placement_ids(found) == r.placement
                and found["address"] == address
            ):
                unchanged += 1
                continue
            updated.append(
                Enterprise(
                    pk=found["id"],
                    name=r.name,
                    name_initials=self.initials(r.name)[:60],
                    trade=r.trade,
                    township_id=township_id,
                    village_id=village_id,
                    region_id=region_id,
                    address=address,
                    updated_at=now,
                )
            )
        Enterprise.objects.bulk_create(created)
        Enterprise.objects.bulk_update(
            updated,
            [
                "name",
                "name_initials",
                "trade",
                "township_id",
                "village_id",
                "region_id",
                "address",
                "updated_at",
            ],
        )
        self.result.enterprises_created += len(created)
        self.result.enterprises_updated += len(updated)
        self.result.unchanged += unchanged
