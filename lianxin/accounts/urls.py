from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:pk>/active/", views.user_set_active, name="user_set_active"),
    path(
        "users/<int:pk>/reveal-permission/",
        views.user_reveal_permission,
        name="user_reveal_permission",
    ),
    path("users/<int:pk>/access/", views.user_change_access, name="user_change_access"),
    path("users/<int:pk>/password/", views.user_reset_password, name="user_reset_password"),
    path("proposals/", views.proposal_list, name="proposal_list"),
    path("proposals/new-admin/", views.admin_propose, name="admin_propose"),
    path("proposals/<int:pk>/decide/", views.proposal_decide, name="proposal_decide"),
    path("proposals/approve/", views.proposal_bulk_approve, name="proposal_bulk_approve"),
]
