"""The coverage page's export (导出 Excel), short or long.

A list of at most settings.LIANXIN_SYNC_EXPORT_ROWS rows (counted only that far, see
coverage_tables.rows_at_most) is written while the user waits: well under a second, so the
file starts at once. A longer one — the households without a cadre of a whole county run to a
quarter of a million — is an export job (lianxin.transfer's Job of data kind "coverage", run by
the job worker like the people export): its page shows the progress, says when the file is
ready and serves it to its creator alone; the file lives as long as the other masked exports
(LIANXIN_TRANSFER_KEEP_DAYS, `lianxin purge-exports`).

The job stores the request's parameters (the day resolved) and evaluates them again as its
creator when it runs, so it writes what the user's scope holds then, never more. Either way the
export is audited ("导出覆盖情况") before its first row is written, and holds masked values only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from lianxin.audit.services import record
from lianxin.core import sheets
from lianxin.core.errors import Refused

from .coverage import Coverage, coverage_for
from .coverage_figures import LOAD_NONE, CoverageQuery, definitions_for, policy_label
from .coverage_tables import CHUNK_SIZE, Table, rows_at_most, table, write_xlsx
from .filters import NOT_FOUND, parse_list, parse_load, parse_query

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AUDIT_ACTION = "导出覆盖情况"
DONE_MESSAGE = "已导出；电话已脱敏，不含身份证号"


@dataclass
class CoverageExport:
    """One export as asked: the checked filters, the list, and the user's coverage figures."""

    user: Any
    query: CoverageQuery
    name: str
    load: str
    cov: Coverage

    def table(self, on_total: Callable[[int], None] | None = None) -> Table:
        # Cheap: the rows are generators, read only as the file is written.
        return table(self.cov, self.name, load=self.load, on_total=on_total)

    @property
    def filename(self) -> str:
        return f"覆盖情况-{self.table().title}-{self.query.on:%Y%m%d}.xlsx"

    def is_short(self) -> bool:
        """Whether the file is written while the user waits (else it is a job)."""
        limit = settings.LIANXIN_SYNC_EXPORT_ROWS
        return rows_at_most(self.cov, self.name, limit, load=self.load) <= limit

    def params(self) -> dict[str, Any]:
        """The request again, for the job: ids only, the day resolved (a job run after midnight
        still writes the day the user saw)."""
        q = self.query
        return {
            "on": q.on.isoformat(),
            "township": q.township.pk if q.township else None,
            "village": q.village.pk if q.village else None,
            "unit": q.unit.pk if q.unit else None,
            "hardship_only": q.hardship_only,
            "list": self.name,
            "load": self.load,
        }


def prepare(user: Any, params: Mapping[str, Any]) -> CoverageExport:
    """The export the parameters ask for, in the user's scope (Refused for a malformed value,
    404 for an id outside the scope and for the separated administrators)."""
    query = parse_query(user, params)
    name = parse_list(params.get("list"))
    load = parse_load(params.get("load")) if name == "cadres" else LOAD_NONE
    return CoverageExport(user, query, name, load, coverage_for(user, query))


def _counted(
    rows: Iterable[list[Any]], progress: Callable[[int], Any] | None
) -> Iterator[list[Any]]:
    n = 0
    for row in rows:
        n += 1
        if progress is not None and n % CHUNK_SIZE == 0:
            progress(CHUNK_SIZE)
        yield row
    if progress is not None and n % CHUNK_SIZE:
        progress(n % CHUNK_SIZE)


def write(
    export: CoverageExport,
    target: str | IO[bytes],
    *,
    progress: Callable[[int], Any] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> int:
    """Audit the export, then stream it into `target` (a path or binary stream): the list's
    sheet with its title, filters and totals, and the notes sheet (the day, the rules, the
    definitions). `progress(rows)` hears of every chunk written. Returns the rows written."""
    user, query = export.user, export.query
    tab = export.table(on_total)
    filename = export.filename
    described = query.describe()
    with transaction.atomic():
        record(
            actor=user,
            action=AUDIT_ACTION,
            county_id=user.county_id,
            target_type="pairing.coverage",
            target_label=filename,
            changes={"list": [None, tab.title], **{k: [None, v] for k, v in described.items()}},
        )
    on = described.pop("on")
    policy = policy_label(export.cov.policy)
    heading = sheets.Heading(
        title=f"{user.county.name} 结对覆盖情况：{tab.title}",
        filters="；".join([f"查询日期 {on}", policy, *described.values()]),
        made_by=str(user),
        made_at=timezone.localtime(),
    )
    notes = [
        ("清单", tab.title),
        ("查询日期", on),
        ("结对规则", policy),
        ("筛选条件", "；".join(described.values()) or "无（权限范围内全部）"),
        ("导出人", str(user)),
        *((f"口径：{k}", v) for k, v in definitions_for(export.name).items()),
    ]
    tab.rows = _counted(tab.rows, progress)
    return write_xlsx(target, tab, notes, heading)


# ---------------------------------------------------------------------------------------------
# The long ones: an export job


def do_start_coverage_export(*, acting_user: Any, params: Mapping[str, Any]) -> Any:
    """Start writing a coverage list in the job worker; its job page (transfer:job_detail)
    follows the progress and offers the file when it is ready. Only its creator sees it."""
    from lianxin.transfer.choices import COVERAGE, JobKind
    from lianxin.transfer.models import Job
    from lianxin.transfer.services import start_job

    if not getattr(acting_user, "is_authenticated", False) or not acting_user.sees_people:
        raise Refused("您没有查看结对覆盖情况的权限", status=403)
    try:
        export = prepare(acting_user, params)
    except Http404:
        raise Refused(NOT_FOUND, status=404) from None
    job = Job.objects.create(
        county_id=acting_user.county_id,
        kind=JobKind.EXPORT,
        data_kind=COVERAGE,
        file_name=export.filename,
        created_by=acting_user,
        params=export.params(),
    )
    start_job(job)
    return job


def recent_exports(user: Any, count: int = 3) -> list[Any]:
    """The user's latest coverage export jobs, for the page's line saying which are ready."""
    from lianxin.transfer.choices import COVERAGE, JobKind
    from lianxin.transfer.models import Job

    jobs = Job.objects.visible_to(user).filter(kind=JobKind.EXPORT, data_kind=COVERAGE)
    return list(jobs.select_related("task")[:count])


def run_export_job(job: Any, progress: Any, ctx: Any) -> None:
    """The job's work (transfer.services runs it for a job of data kind "coverage"): the
    stored parameters evaluated as the job's creator now, the file under MEDIA_ROOT, owner-only.
    `progress` is the transfer job's row counter; its total is set once the list knows it."""
    from lianxin.transfer.models import Job
    from lianxin.transfer.services import export_file, finish_export

    try:
        export = prepare(job.created_by, job.params)
    except Http404:
        # Out of the user's scope since they asked (a moved account, a region gone).
        raise Refused(NOT_FOUND, status=404) from None
    path = export_file(job)
    # On the row before the first byte: a job that stops half-way has its file removed
    # (transfer.services.stopped).
    Job.objects.filter(pk=job.pk).update(result=job.result.name, updated_at=timezone.now())

    def total(n: int) -> None:
        progress.total = job.rows_total = n
        Job.objects.filter(pk=job.pk).update(rows_total=n)
        progress(0)

    rows = write(export, str(path), progress=progress, on_total=total)
    finish_export(job, ctx, path, rows, DONE_MESSAGE)
