from django.urls import path  # noqa: F401 — the visit pages join here

from .rate_urls import rate_urlpatterns

app_name = "visits"
urlpatterns: list = []
urlpatterns += rate_urlpatterns
