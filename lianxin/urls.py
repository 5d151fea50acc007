from django.urls import include, path

from lianxin.api import api

urlpatterns = [
    path("", include("lianxin.core.urls")),
    path("accounts/", include("lianxin.accounts.urls")),
    path("geo/", include("lianxin.geo.urls")),
    path("org/", include("lianxin.org.urls")),
    path("people/", include("lianxin.people.urls")),
    path("audit/", include("lianxin.audit.urls")),
    path("transfer/", include("lianxin.transfer.urls")),
    path("pairing/", include("lianxin.pairing.urls")),
    path("api/", api.urls),
    path("", include("lianxin.cards.urls")),  # /cards/… and the public QR page /h/<token>
]
