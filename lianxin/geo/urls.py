from django.urls import path

from . import views

app_name = "geo"
urlpatterns = [
    path("", views.county, name="county"),
    path("<int:pk>/", views.region_detail, name="region_detail"),
]
