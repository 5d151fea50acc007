from django.urls import path

from . import views

app_name = "visits"
urlpatterns = [
    path("new/<int:household_id>/", views.visit_new, name="new"),
    path("<int:visit_id>/edit/", views.visit_edit, name="edit"),
    path("<int:visit_id>/photos/", views.photo_add, name="photo_add"),
]
