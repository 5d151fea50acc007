from django.urls import path

from . import coverage_views

app_name = "pairing"
urlpatterns = [
    # Coverage (双向全覆盖)
    path("coverage/", coverage_views.coverage, name="coverage"),
    path("coverage/export/", coverage_views.coverage_export, name="coverage_export"),
]

from .run_urls import run_urlpatterns  # noqa: E402

urlpatterns += run_urlpatterns
