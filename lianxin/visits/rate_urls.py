from django.urls import path

from . import rate_views

rate_urlpatterns = [
    path("rates/", rate_views.rates, name="rates"),
]
