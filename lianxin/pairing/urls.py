from django.urls import path

from . import views

app_name = "pairing"
urlpatterns = [
    # Coverage (双向全覆盖)
    path("coverage/", views.coverage, name="coverage"),
    path("coverage/export/", views.coverage_export, name="coverage_export"),
]

from .run_urls import run_urlpatterns  # noqa: E402

urlpatterns += run_urlpatterns
