"""The import/export page, the job pages with their progress, and the file downloads."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header, urlencode
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from lianxin.core.access import get_visible_or_404
from lianxin.core.errors import Refused
from lianxin.core.forms import refuse_into
from lianxin.core.views import paginate, query_without_page
from lianxin.jobs.pages import tell_cancel

from . import layouts as L
from .choices import COVERAGE, FileFormat, JobKind, JobStatus
from .exporters import write_template
from .forms import ExportForm, ImportForm, ImportLimitsForm
from .models import ImportLimits, Job
from .retention import (
    DOWNLOADED,
    EXPIRED,
    do_discard_export_file,
    gone_message,
    is_expired_full_export,
    is_full_export,
)
from .services import (
    check_upload_size,
    do_cancel_transfer,
    do_set_import_limits,
    do_start_export,
    do_start_import,
)

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _people_user(request: HttpRequest):
    """The page is for roles that read the registry; the separated admins get 404."""
    if not request.user.sees_people:  # type: ignore[union-attr]
        raise Http404("对象不存在或不在您的权限范围内")
    return request.user


def _index(
    request, *, import_form=None, export_form=None, error: str = "", status: int = 200
) -> HttpResponse:
    user = request.user
    jobs = Job.objects.visible_to(user)
    return render(
        request,
        "transfer/index.html",
        {
            "import_form": import_form or (ImportForm() if user.writes_registry else None),
            "export_form": export_form or ExportForm(user=user),
            "layouts": L.LAYOUTS.values(),
            "page": paginate(request, jobs, per_page=20),
            "query": query_without_page(request),
            "error": error,
        },
        status=status,
    )


@login_required
def index(request: HttpRequest) -> HttpResponse:
    _people_user(request)
    return _index(request)


class _UploadCap(FileUploadHandler):
    """Stops receiving an upload once it passes the county's size limit, so a huge file is
    not written to the server's disk before being refused (the rest of the body is drained)."""

    def __init__(self, request: HttpRequest, limit: int):
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received = start + len(raw_data)
        if self.received > self.limit:
            self.request.upload_past_limit = True  # type: ignore[union-attr]
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


@csrf_exempt
@login_required
@require_POST
def start_import(request: HttpRequest) -> HttpResponse:
    # The cap must be in place before anything reads the body, the CSRF check included: the
    # check runs in _start_import instead of the middleware.
    _people_user(request)
    limits = ImportLimits.for_county(request.user.county_id)  # type: ignore[union-attr]
    request.upload_handlers.insert(0, _UploadCap(request, limits.upload_bytes))
    try:
        # Parsed here, under the cap; Django's own limits (DATA_UPLOAD_MAX_MEMORY_SIZE, the
        # numbers of fields and files) answer the page with a message, not a bare 400.
        request.POST, request.FILES  # noqa: B018
    except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent):
        return _index(
            request, error="提交的内容超过服务器允许的大小或字段数量，请只上传一个文件", status=400
        )
    return _start_import(request, limits)


@csrf_protect
def _start_import(request: HttpRequest, limits: ImportLimits) -> HttpResponse:
    user = _people_user(request)
    if not user.writes_registry:
        return _index(request, error="您没有导入户籍和企业数据的权限", status=403)
    form = ImportForm(request.POST, request.FILES)
    if getattr(request, "upload_past_limit", False):
        try:
            check_upload_size(None, limits)
        except Refused as exc:
            refuse_into(form, exc)
            return _index(request, import_form=form, status=exc.status)
    if not form.is_valid():
        return _index(request, import_form=form, status=400)
    try:
        job = do_start_import(
            acting_user=user,
            upload=form.cleaned_data["file"],
            data_kind=form.cleaned_data["data_kind"],
            mode=form.cleaned_data["mode"],
        )
    except Refused as exc:
        refuse_into(form, exc)
        return _index(request, import_form=form, status=exc.status)
    return redirect("transfer:job_detail", pk=job.pk)


@login_required
@require_POST
def start_export(request: HttpRequest) -> HttpResponse:
    user = _people_user(request)
    form = ExportForm(request.POST, user=user)
    if not form.is_valid():
        return _index(request, export_form=form, status=400)
    data = form.cleaned_data
    try:
        job = do_start_export(
            acting_user=user,
            data_kind=data["data_kind"],
            file_format=data["file_format"],
            township=data["township"],
            village=data["village"],
            hardship=data["hardship"],
            full=data.get("full") or False,
            reason=data.get("reason") or "",
        )
    except Refused as exc:
        refuse_into(form, exc)
        return _index(request, export_form=form, status=exc.status)
    return redirect("transfer:job_detail", pk=job.pk)


@login_required
def template(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    """The blank file to fill in, in the import layout."""
    _people_user(request)
    if kind not in L.LAYOUTS or fmt not in FileFormat.values:
        raise Http404("没有这种模板")
    buffer: io.BytesIO | io.StringIO
    if fmt == "csv":
        buffer = io.StringIO()
        write_template(buffer, kind, fmt)
        # With a BOM, so Excel opens the UTF-8 file with the right characters.
        body: bytes = "\ufeff".encode() + buffer.getvalue().encode("utf-8")
    else:
        buffer = io.BytesIO()
        write_template(buffer, kind, fmt)
        body = buffer.getvalue()
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{L.LAYOUTS[kind].label}导入模板.{fmt}"
    )
    return response


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_visible_or_404(Job, request.user, pk)
    errors = paginate(request, job.errors, per_page=100)
    return render(
        request,
        "transfer/job_detail.html",
        {
            "job": job,
            "page": errors,
            "query": query_without_page(request),
            "gone": gone_message(job),
            "full_export": is_full_export(job),
            "ttl_minutes": settings.LIANXIN_EXPORT_TTL_MINUTES,
            "coverage_query": _coverage_query(job),
        },
    )


def _coverage_query(job: Job) -> str:
    """A coverage export's filters as the coverage page's query string, for the way back."""
    if job.data_kind != COVERAGE:
        return ""
    wanted = {k: v for k, v in job.params.items() if v is not None and v not in ("", False)}
    return urlencode({k: "1" if v is True else v for k, v in wanted.items()})


@login_required
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The status and progress bar alone: htmx polls it every second while the job runs;
    ?format=json answers the same as data."""
    job = get_visible_or_404(Job, request.user, pk)
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "id": job.pk,
                "status": job.status,
                "status_label": job.get_status_display(),
                "rows_done": job.live_rows_done(),
                "rows_total": job.rows_total,
                "percent": job.percent(),
                "counts": job.counts,
                "error_total": job.error_total,
                "saved": job.saved,
                "message": job.message,
            }
        )
    response = render(request, "transfer/_job_progress.html", {"job": job})
    if request.headers.get("HX-Request") and not job.is_active:
        # Finished: reload the page once to show the counts and the bad rows.
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel the user's queued or running import or export."""
    job = get_visible_or_404(Job, request.user, pk)
    tell_cancel(
        request,
        lambda: do_cancel_transfer(job, acting_user=request.user),
        cancelled=lambda j: f"已取消：{j.message}",
        stopping="正在取消：当前一批处理完即停止",
    )
    return redirect("transfer:job_detail", pk=job.pk)


class _WhenReadToTheEnd:
    """The file handed to FileResponse, calling `done` when it is closed after being read to
    its end: the whole file went to the web server, so the download is complete. No fileno():
    gunicorn would sendfile() it without reading, and the end could not be seen."""

    def __init__(self, handle, done: Callable[[], Any]):
        self.handle, self.done, self.at_end = handle, done, False
        self.name = handle.name

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        if not data or size < 0:
            self.at_end = True
        return data

    def tell(self) -> int:
        return self.handle.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.handle.seek(offset, whence)

    def seekable(self) -> bool:
        return True

    def close(self) -> None:
        self.handle.close()
        if self.at_end:
            self.done()


def _open(path_field):
    try:
        return path_field.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("文件已不存在") from None


def _download(handle, filename: str) -> FileResponse:
    suffix = filename.rsplit(".", 1)[-1]
    return FileResponse(
        handle, as_attachment=True, filename=filename, content_type=CONTENT_TYPES.get(suffix)
    )


@login_required
def job_download(request: HttpRequest, pk: int) -> HttpResponse | FileResponse:
    """The exported file, for the user who asked for it (the job lookup is theirs alone). A full
    export is deleted as soon as it has been downloaded once, completely."""
    job = get_visible_or_404(Job, request.user, pk)
    gone = gone_message(job)
    if gone:
        return render(request, "transfer/file_gone.html", {"job": job, "gone": gone}, status=410)
    if job.kind != JobKind.EXPORT or job.status != JobStatus.DONE or not job.result:
        raise Http404("导出文件尚未生成")
    if is_expired_full_export(job):
        # Past its lifetime even where `lianxin purge-exports` is not scheduled.
        do_discard_export_file(job.pk, acting_user=request.user, why=EXPIRED)
        job.refresh_from_db()
        return render(
            request, "transfer/file_gone.html", {"job": job, "gone": gone_message(job)}, status=410
        )
    handle = _open(job.result)
    if is_full_export(job):
        user = request.user
        handle = _WhenReadToTheEnd(
            handle,
            lambda: do_discard_export_file(job.pk, acting_user=user, why=DOWNLOADED),
        )
    return _download(handle, job.file_name)


@login_required
def job_report(request: HttpRequest, pk: int) -> FileResponse:
    """The bad rows of an import as a .csv: row, column, reason."""
    job = get_visible_or_404(Job, request.user, pk)
    if not job.report:
        raise Http404("该任务没有错误报告")
    stem = job.file_name.rsplit(".", 1)[0]
    return _download(_open(job.report), f"{stem}-错误报告.csv")


@login_required
def limits(request: HttpRequest) -> HttpResponse:
    """The county's import limits, for its system administrator (404 for everyone else)."""
    user = request.user
    if not user.manages_accounts:  # type: ignore[union-attr]
        raise Http404("对象不存在或不在您的权限范围内")
    current = ImportLimits.for_county(user.county_id)  # type: ignore[union-attr]
    form = ImportLimitsForm(request.POST or None, limits=current)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            reason = data.pop("reason")
            try:
                do_set_import_limits(
                    county=user.county,  # type: ignore[union-attr]
                    acting_user=user,
                    reason=reason,
                    **data,
                )
            except Refused as exc:
                refuse_into(form, exc)
                status = exc.status
            else:
                return redirect("transfer:limits")
        else:
            status = 400
    return render(request, "transfer/limits.html", {"form": form}, status=status)
