"""Account pages: the list the system and security administrators work from."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from lianxin.core.views import paginate

from .models import User


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    users = (
        User.objects.visible_to(request.user).select_related("region", "unit").order_by("username")
    )
    if not (request.user.manages_accounts or request.user.manages_permissions):  # type: ignore[union-attr]
        raise Http404
    return render(request, "accounts/user_list.html", {"page": paginate(request, users)})
