from django.urls import path

from . import views

app_name = "transfer"
urlpatterns = [
    path("", views.index, name="index"),
    path("import/", views.start_import, name="import"),
    path("export/", views.start_export, name="export"),
    path("template/<str:kind>/<str:fmt>/", views.template, name="template"),
    path("jobs/<int:pk>/", views.job_detail, name="job_detail"),
    path("jobs/<int:pk>/progress/", views.job_progress, name="job_progress"),
    path("jobs/<int:pk>/cancel/", views.job_cancel, name="job_cancel"),
    path("jobs/<int:pk>/download/", views.job_download, name="job_download"),
    path("jobs/<int:pk>/report/", views.job_report, name="job_report"),
    path("limits/", views.limits, name="limits"),
]
