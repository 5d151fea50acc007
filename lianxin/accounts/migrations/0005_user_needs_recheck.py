from django.db import migrations, models


def flag_pending_rechecks(apps, schema_editor):
    """An unapproved account with a re-approval since its last approval keeps needing one (the
    re-approval pending, rejected, or already washed off by proposing the role again)."""
    User = apps.get_model("accounts", "User")
    AccountProposal = apps.get_model("accounts", "AccountProposal")
    for user in User.objects.filter(access_approved=False).only("pk"):
        proposals = AccountProposal.objects.filter(target_id=user.pk, kind="access")
        approved = proposals.filter(status="approved").order_by("-decided_at").first()
        since = proposals.exclude(recheck="")
        if approved is not None:
            since = since.filter(proposed_at__gt=approved.decided_at)
        latest = since.order_by("-proposed_at", "-pk").first()
        if latest is not None:
            User.objects.filter(pk=user.pk).update(needs_recheck=latest.recheck)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_proposal_recheck"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="needs_recheck",
            field=models.CharField(
                blank=True,
                help_text="安全管理员须逐个核实本人后批准，不能“全部批准”",
                max_length=100,
                verbose_name="须重新审批原因",
            ),
        ),
        migrations.RunPython(flag_pending_rechecks, migrations.RunPython.noop),
    ]
