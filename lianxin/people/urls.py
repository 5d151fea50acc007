from django.http import HttpResponse
from django.urls import path

app_name = "people"
urlpatterns = [
    path("household_list/", lambda r: HttpResponse("stub"), name="household_list"),
    path("resident_list/", lambda r: HttpResponse("stub"), name="resident_list"),
    path("enterprise_list/", lambda r: HttpResponse("stub"), name="enterprise_list"),
    path("search/", lambda r: HttpResponse("stub"), name="search"),
]
