from django.urls import path

from . import views

app_name = "people"
urlpatterns = [
    path("households/", views.household_list, name="household_list"),
    path("households/new/", views.household_create, name="household_create"),
    path("households/number-rule/", views.number_rule, name="number_rule"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("households/<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("households/<int:pk>/hardships/new/", views.hardship_add, name="hardship_add"),
    path(
        "households/<int:pk>/hardships/<int:hardship_pk>/end/",
        views.hardship_end,
        name="hardship_end",
    ),
    path("households/<int:pk>/residents/new/", views.resident_create, name="resident_create"),
    path("residents/", views.resident_list, name="resident_list"),
    path("residents/<int:pk>/", views.resident_detail, name="resident_detail"),
    path("residents/<int:pk>/edit/", views.resident_edit, name="resident_edit"),
    path("residents/<int:pk>/reveal/", views.resident_reveal, name="resident_reveal"),
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/new/", views.enterprise_create, name="enterprise_create"),
    path("enterprises/<int:pk>/", views.enterprise_detail, name="enterprise_detail"),
    path("search/", views.search_view, name="search"),
]
