from django.urls import path

from . import pickers, views

app_name = "geo"
urlpatterns = [
    path("", views.county, name="county"),
    path("<int:pk>/", views.region_detail, name="region_detail"),
    path("picker/children/", pickers.picker_children, name="picker_children"),
    path("picker/regions/", pickers.picker_regions, name="picker_regions"),
]
