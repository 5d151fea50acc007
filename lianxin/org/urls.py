from django.urls import path

from . import pickers, views

app_name = "org"
urlpatterns = [
    path("picker/cadres/", pickers.picker_cadres, name="picker_cadres"),
    path("units/", views.unit_list, name="unit_list"),
    path("units/new/", views.unit_create, name="unit_create"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("units/<int:pk>/zones/new/", views.unit_zone_assign, name="unit_zone_assign"),
    path("units/<int:pk>/zones/<int:zone_pk>/end/", views.unit_zone_end, name="unit_zone_end"),
    path("cadres/", views.cadre_list, name="cadre_list"),
    path("cadres/new/", views.cadre_create, name="cadre_create"),
    path("cadres/<int:pk>/", views.cadre_detail, name="cadre_detail"),
    path("cadres/<int:pk>/edit/", views.cadre_edit, name="cadre_edit"),
    path("cadres/<int:pk>/reveal/", views.cadre_reveal, name="cadre_reveal"),
    path("cadres/<int:pk>/transfer/", views.cadre_transfer, name="cadre_transfer"),
    path("cadres/<int:pk>/leave/", views.cadre_leave, name="cadre_leave"),
    path(
        "cadres/<int:pk>/liaisons/new/",
        views.cadre_liaison_assign,
        name="cadre_liaison_assign",
    ),
    path(
        "cadres/<int:pk>/liaisons/<int:liaison_pk>/end/",
        views.cadre_liaison_end,
        name="cadre_liaison_end",
    ),
    path("liaisons/", views.liaison_list, name="liaison_list"),
]
