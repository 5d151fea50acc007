from django.http import HttpResponse
from django.urls import path

app_name = "audit"
urlpatterns = [
    path("entry_list/", lambda r: HttpResponse("stub"), name="entry_list"),
]
