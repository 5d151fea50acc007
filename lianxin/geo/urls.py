from django.http import HttpResponse
from django.urls import path

app_name = "geo"
urlpatterns = [
    path("county/", lambda r: HttpResponse("stub"), name="county"),
]
