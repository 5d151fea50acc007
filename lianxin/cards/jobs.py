"""A 连心卡 print as a kind of job: the worker draws the PDF into a file, card by card, with
progress and cancel between cards. Not resumable: a print whose worker died fails and its
half-written file goes (printing again is cheap and issues no new tokens)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.http import Http404

from lianxin.core.errors import Refused
from lianxin.core.models import today
from lianxin.jobs.choices import JobKind
from lianxin.jobs.models import Job
from lianxin.jobs.runner import JobContext, Kind, register

from . import pdf, print_files
from .selection import resolve
from .services import card_rows

STALLED_MESSAGE = "打印中断：执行任务的进程已退出（服务重启或内存不足），未生成 PDF，请重新打印"


def _checked(cards: Iterable[pdf.Card], ctx: JobContext, total: int) -> Iterator[pdf.Card]:
    """The cards, with the job's progress after each and a look for a cancel before each."""
    ctx.check()
    for done, card in enumerate(cards, start=1):
        yield card
        ctx.progress(done, total)
        ctx.check()


def _run(ctx: JobContext) -> None:
    job = ctx.job
    params = job.params
    user = job.created_by
    if user is None or not user.is_active:
        raise Refused("发起打印的账号已停用，未生成 PDF")
    # The selection is read again here, in the printing user's scope as it is now.
    try:
        selection = resolve(user, params["kind"], params["pk"])
    except Http404:
        raise Refused("打印范围已不存在或已不在您的权限范围内，未生成 PDF") from None
    ids = list(selection.ordered().values_list("pk", flat=True))
    ctx.progress(0, len(ids), "正在生成 PDF", force=True)
    name, out = print_files.create(job.pk)
    with out:
        printed = pdf.write_cards(
            out, _checked(card_rows(ids, params["base_url"]), ctx, len(ids)), printed_on=today()
        )
    if not printed:
        raise Refused(f"“{params['scope']}”已没有可打印连心卡的户（户已注销或卡已作废）")
    with ctx.finishing():
        ctx.result = {
            "file": name,
            "filename": params["filename"],
            "cards": printed,
            "pages": pdf.page_count(printed),
        }


def _stopped(job: Job, status: str, message: str) -> None:
    """A failed or cancelled print (or one the sweep ended) leaves no file behind."""
    print_files.remove_job_files(job.pk)


CARDS = register(
    Kind(name=JobKind.CARDS, run=_run, on_stop=_stopped, stalled_message=STALLED_MESSAGE)
)
