from django.urls import path

from . import pages, views
from .rate_urls import rate_urlpatterns

app_name = "visits"
urlpatterns = [
    path("", pages.visit_list, name="visit_list"),
    path("<int:pk>/", pages.visit_detail, name="visit_detail"),
    path("new/<int:household_id>/", views.visit_new, name="new"),
    path("<int:visit_id>/edit/", views.visit_edit, name="edit"),
    path("<int:visit_id>/photos/", views.photo_add, name="photo_add"),
]
urlpatterns += rate_urlpatterns
