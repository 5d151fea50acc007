from django.http import HttpResponse
from django.urls import path

app_name = "transfer"
urlpatterns = [path("", lambda r: HttpResponse("stub"), name="index")]
