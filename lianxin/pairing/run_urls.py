"""URLs of automatic pairing, the pairing policy and manual pairing; appended to the pairing
app's urlpatterns (namespace "pairing") by lianxin/pairing/urls.py."""

from django.urls import path

from . import run_views as v

run_urlpatterns = [
    path("runs/", v.run_list, name="run_list"),
    path("runs/new/", v.run_create, name="run_create"),
    path("runs/<int:pk>/", v.run_detail, name="run_detail"),
    path("runs/<int:pk>/progress/", v.run_progress, name="run_progress"),
    path("runs/<int:pk>/apply/", v.run_apply, name="run_apply"),
    path("runs/<int:pk>/cancel/", v.run_cancel, name="run_cancel"),
    path("policy/", v.policy, name="policy"),
    path("policy/budget/", v.policy_budget, name="policy_budget"),
    path("policy/overrides/", v.policy_override, name="policy_override"),
    path(
        "policy/overrides/<int:pk>/remove/",
        v.policy_override_remove,
        name="policy_override_remove",
    ),
    path("policy/exclusions/", v.policy_exclusion, name="policy_exclusion"),
    path("policy/exclusions/<int:pk>/end/", v.policy_exclusion_end, name="policy_exclusion_end"),
    path("households/<int:pk>/pair/", v.manual, name="manual"),
    path("pairings/<int:pk>/lock/", v.pairing_lock, name="pairing_lock"),
    path("pairings/<int:pk>/unlock/", v.pairing_unlock, name="pairing_unlock"),
    path("pairings/<int:pk>/end/", v.pairing_end, name="pairing_end"),
]
