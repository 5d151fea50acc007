from django.conf import settings
from django.urls import URLPattern, URLResolver, include, path

from lianxin.api import api
from lianxin.home import home
from lianxin.visits.views import service_worker

# The home page keeps the name "core:home" it had when it lived in core (templates, redirects and
# LOGIN_REDIRECT_URL use it).
home_patterns = ([path("", home, name="home")], "core")

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include(home_patterns)),
    path("accounts/", include("lianxin.accounts.urls")),
    path("geo/", include("lianxin.geo.urls")),
    path("org/", include("lianxin.org.urls")),
    path("people/", include("lianxin.people.urls")),
    path("audit/", include("lianxin.audit.urls")),
    path("transfer/", include("lianxin.transfer.urls")),
    path("pairing/", include("lianxin.pairing.urls")),
    path("visits/", include("lianxin.visits.urls")),
    # The offline worker of the cadre's pages, from the root so that its scope is the site.
    path("sw.js", service_worker, name="service_worker"),
    path("notices/", include("lianxin.notices.urls")),
    path("stories/", include("lianxin.stories.urls")),
    path("api/", api.urls),
    path("", include("lianxin.cards.urls")),  # /cards/… and the public QR page /h/<token>
]

if settings.LIANXIN_BENCH_VIEWS:
    # bench/bench_visits.py's reference view: off unless LIANXIN_BENCH_VIEWS=1 (never set in
    # production).
    from lianxin.visits.bench_views import bare_visit

    urlpatterns += [path("bench/bare-visit", bare_visit)]

# Chinese error pages in the site's layout (lianxin/core/views.py).
handler400 = "lianxin.core.views.bad_request"
handler403 = "lianxin.core.views.permission_denied"
handler404 = "lianxin.core.views.page_not_found"
handler500 = "lianxin.core.views.server_error"
