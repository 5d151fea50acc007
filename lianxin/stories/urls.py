from django.urls import path

from . import views

app_name = "stories"
urlpatterns = [
    path("", views.public_list, name="public_list"),
    path("<int:pk>/", views.public_detail, name="public_detail"),
    path("diaries/", views.diary_list, name="diary_list"),
    path("diaries/new/", views.diary_new, name="diary_new"),
    path("diaries/<int:pk>/", views.diary_detail, name="diary_detail"),
    path("diaries/<int:pk>/submit/", views.diary_submit, name="diary_submit"),
    path("review/", views.review_list, name="review_list"),
    path("review/<int:pk>/", views.review_detail, name="review_detail"),
]
