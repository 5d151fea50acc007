from django.urls import path

from . import pages

app_name = "visits"
urlpatterns = [
    path("", pages.visit_list, name="visit_list"),
    path("<int:pk>/", pages.visit_detail, name="visit_detail"),
]
