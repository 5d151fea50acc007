"""连心卡 URLs, included at the site root: the staff pages under /cards/ and the public page at
/h/<token>, short so that the QR code stays small and easy to scan."""

from django.urls import path

from . import views

app_name = "cards"
urlpatterns = [
    path("cards/print/", views.print_cards, name="print"),
    path("cards/prints/<int:pk>/", views.print_job, name="print_job"),
    path("cards/prints/<int:pk>/progress/", views.print_progress, name="print_progress"),
    path("cards/prints/<int:pk>/cancel/", views.print_cancel, name="print_cancel"),
    path("cards/prints/<int:pk>/download/", views.print_download, name="print_download"),
    path("cards/households/<int:pk>/token/", views.token_change, name="token_change"),
    path("h/<str:token>", views.public, name="public"),
    path("h/<str:token>/confirm", views.public_confirm, name="public_confirm"),
]
