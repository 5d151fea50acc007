from django.http import HttpResponse
from django.urls import path

app_name = "org"
urlpatterns = [
    path("unit_list/", lambda r: HttpResponse("stub"), name="unit_list"),
    path("cadre_list/", lambda r: HttpResponse("stub"), name="cadre_list"),
]
