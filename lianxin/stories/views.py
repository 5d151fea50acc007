"""Diary and story pages: the cadre's diaries (list, write, edit, put forward as a story), the
reviewers' queue (return with a comment, or publish), and the public stories page (no login),
which shows only each story's public copy."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lianxin.core.access import NOT_FOUND, get_visible_or_404
from lianxin.core.errors import Refused
from lianxin.core.models import today
from lianxin.core.views import paginate, query_without_page
from lianxin.org.models import Cadre
from lianxin.pairing.models import Pairing
from lianxin.people.models import Household
from lianxin.visits.models import Visit

from . import services
from .choices import StoryStatus
from .forms import DiaryForm, PublishForm, ReturnForm
from .models import Diary, Story

# --- public -----------------------------------------------------------------------------------


@require_GET
def public_list(request: HttpRequest) -> HttpResponse:
    """暖心故事: the published stories, newest first, for anyone (no login)."""
    qs = Story.objects.published().select_related("cadre__unit").order_by("-published_at", "-id")
    return render(
        request,
        "stories/public_list.html",
        {"page": paginate(request, qs, 10), "query": query_without_page(request)},
    )


@require_GET
def public_detail(request: HttpRequest, pk: int) -> HttpResponse:
    story = get_object_or_404(Story.objects.published().select_related("cadre__unit"), pk=pk)
    return render(request, "stories/public_detail.html", {"story": story})


# --- the cadre's diaries ----------------------------------------------------------------------


def _cadre(request: HttpRequest) -> Cadre:
    user = request.user
    cadre = Cadre.objects.filter(user=user).first() if user.is_authenticated else None
    if cadre is None:
        raise Http404(NOT_FOUND)
    return cadre


def _form(cadre: Cadre, data: Any = None, initial: dict | None = None) -> DiaryForm:
    households = Household.objects.filter(
        pk__in=Pairing.objects.filter(cadre=cadre).values("household_id")
    ).order_by("number")[:200]
    visits = Visit.objects.filter(cadre=cadre, withdrawn_at__isnull=True).order_by(
        "-occurred_on", "-id"
    )[:30]
    return DiaryForm(data, initial=initial, households=households, visits=visits)


def _save(request: HttpRequest, form: DiaryForm, diary: Diary | None) -> Diary | None:
    if not form.is_valid():
        return None
    d = form.cleaned_data
    args = {
        "acting_user": request.user,
        "title": d["title"],
        "text": d["text"],
        "date": d["date"],
        "households": [int(x) for x in d["households"]],
        "visits": [int(x) for x in d["visits"]],
    }
    try:
        if diary is None:
            return services.do_write_diary(**args)
        return services.do_edit_diary(diary, **args)
    except Refused as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return None


@login_required
@require_GET
def diary_list(request: HttpRequest) -> HttpResponse:
    _cadre(request)
    qs = Diary.objects.visible_to(request.user).select_related("story")
    return render(
        request,
        "stories/diary_list.html",
        {"page": paginate(request, qs), "query": query_without_page(request)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def diary_new(request: HttpRequest) -> HttpResponse:
    cadre = _cadre(request)
    form = _form(cadre, request.POST or None, initial={"date": today()})
    if request.method == "POST":
        diary = _save(request, form, None)
        if diary is not None:
            messages.success(request, "日记已保存")
            return redirect("stories:diary_detail", pk=diary.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "stories/diary_form.html", {"form": form, "diary": None}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def diary_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cadre = _cadre(request)
    diary = get_visible_or_404(Diary, request.user, pk)
    initial = {
        "title": diary.title,
        "text": diary.text,
        "date": diary.date,
        "households": [str(x) for x in diary.households.values_list("pk", flat=True)],
        "visits": [str(x) for x in diary.visits.values_list("pk", flat=True)],
    }
    form = _form(cadre, request.POST or None, initial=initial)
    if request.method == "POST" and _save(request, form, diary) is not None:
        messages.success(request, "日记已修改")
        return redirect("stories:diary_detail", pk=diary.pk)
    story = Story.objects.filter(diary=diary).first()
    context = {"form": form, "diary": diary, "story": story}
    status = 400 if request.method == "POST" else 200
    return render(request, "stories/diary_form.html", context, status=status)


@login_required
@require_POST
def diary_submit(request: HttpRequest, pk: int) -> HttpResponse:
    _cadre(request)
    diary = get_visible_or_404(Diary, request.user, pk)
    try:
        services.do_submit_story(
            diary,
            acting_user=request.user,
            consent_to_name=request.POST.get("consent_to_name") == "on",
        )
    except Refused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已提交为暖心故事，等待审核")
    return redirect("stories:diary_detail", pk=diary.pk)


# --- reviewers --------------------------------------------------------------------------------


def _require_reviewer(user: Any) -> None:
    if not user.is_authenticated or not user.reviews_stories:
        raise Http404(NOT_FOUND)


@login_required
@require_GET
def review_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_reviewer(user)
    status = request.GET.get("status") or StoryStatus.SUBMITTED
    if status not in StoryStatus.values:
        status = StoryStatus.SUBMITTED
    qs = (
        Story.objects.visible_to(user)
        .writable_by(user)
        .filter(status=status)
        .select_related("cadre__unit")
        .order_by("submitted_at", "id")
    )
    context = {
        "page": paginate(request, qs),
        "query": query_without_page(request),
        "status": status,
        "statuses": StoryStatus.choices,
    }
    return render(request, "stories/review_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    _require_reviewer(user)
    story = get_visible_or_404(Story, user, pk, write=True)
    return_form = ReturnForm(request.POST if request.POST.get("action") == "return" else None)
    publish_form = PublishForm(request.POST if request.POST.get("action") == "publish" else None)
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "return" and return_form.is_valid():
                services.do_return_story(
                    story, acting_user=user, comment=return_form.cleaned_data["comment"]
                )
                messages.success(request, "已退回，干部会收到通知")
                return redirect("stories:review_list")
            if request.POST.get("action") == "publish" and publish_form.is_valid():
                services.do_publish_story(
                    story,
                    acting_user=user,
                    consent_to_name=publish_form.cleaned_data["consent_to_name"],
                )
                messages.success(request, "已发布到暖心故事页面")
                return redirect("stories:review_list")
        except Refused as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            status = 400
    title, text, place = services.preview(story)
    context = {
        "story": story,
        "return_form": return_form,
        "publish_form": publish_form,
        "preview": {"title": title, "text": text, "place": place},
    }
    return render(request, "stories/review_detail.html", context, status=status)
