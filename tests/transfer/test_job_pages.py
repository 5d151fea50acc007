"""The transfer page: upload → job → progress → counts and bad rows; jobs are their creator's."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lianxin.jobs.choices import JobStatus as TaskStatus
from lianxin.jobs.models import Job as Task
from lianxin.lib.idcard import compose
from lianxin.people.models import Household
from lianxin.transfer.choices import JobStatus
from lianxin.transfer.models import Job
from tests.transfer.files import RESIDENT_HEADER, csv_bytes, resident, xlsx_bytes


def upload_rows():
    a, b, c = (compose("510184", dt.date(1975, 2, 1 + i), 500 + i) for i in range(3))
    return [
        resident("51018411000007001", "何一", a, "户主", hardship="重病"),
        resident("51018411000007001", "何二", b, "配偶", hardship="重病"),
        resident("51018411000007002", "吕三", c, "父亲", group="7组"),
        resident("51018411000007003", "施四", "51018419700101001", "户主"),
    ]


def upload(client, data: bytes, name: str, *, kind="residents", mode="good"):
    return client.post(
        reverse("transfer:import"),
        {"file": SimpleUploadedFile(name, data), "data_kind": kind, "mode": mode},
    )


@pytest.fixture
def done_job(world, login, inline_jobs):
    client = login(world.township_staff)
    response = upload(client, xlsx_bytes(RESIDENT_HEADER, upload_rows()), "文井江镇居民.xlsx")
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("transfer:job_detail", args=[job.pk])
    return job


def test_it_imports_an_upload_and_shows_counts_and_bad_rows(world, login, done_job):
    job = done_job
    assert job.status == JobStatus.DONE and job.saved
    assert job.counts["residents_created"] == 3 and job.counts["bad_rows"] == 1
    assert job.errors == [[5, "身份证号", "身份证号应为18位，现为17位"]]
    assert job.rows_total == job.rows_done == 4
    # The upload holds full ID numbers: it is gone once imported.
    assert not job.source
    assert (
        Household.objects.filter(number__in=["51018411000007001", "51018411000007002"]).count() == 2
    )

    page = login(world.township_staff).get(reverse("transfer:job_detail", args=[job.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "新建居民" in html and "错误行（1 行，共 1 处）" in html
    assert '<td class="num">5</td><td>身份证号</td>' in html
    assert reverse("transfer:job_report", args=[job.pk]) in html
    assert "hx-get" not in html


def test_it_serves_the_error_report_as_csv(world, login, done_job):
    response = login(world.township_staff).get(reverse("transfer:job_report", args=[done_job.pk]))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response.status_code == 200
    assert body.splitlines() == ["行号,列,原因", "5,身份证号,身份证号应为18位，现为17位"]


def test_it_reports_progress_as_html_for_htmx_and_as_json(world, login, done_job):
    client = login(world.township_staff)
    url = reverse("transfer:job_progress", args=[done_job.pk])
    data = client.get(url, {"format": "json"}).json()
    assert data["status"] == "done" and data["percent"] == 100 and data["rows_done"] == 4
    assert data["counts"]["residents_created"] == 3

    finished = client.get(url, HTTP_HX_REQUEST="true")
    assert finished["HX-Refresh"] == "true"


def test_it_polls_every_second_while_a_job_runs(world, login, inline_jobs):
    task = Task.objects.create(
        county=world.county,
        kind="import",
        status=TaskStatus.RUNNING,
        created_by=world.city_admin,
        progress_done=250,
        progress_total=1000,
    )
    job = Job.objects.create(
        county=world.county,
        kind="import",
        data_kind="residents",
        mode="all",
        file_name="大文件.csv",
        status=JobStatus.RUNNING,
        rows_total=1000,
        created_by=world.city_admin,
        task=task,
    )
    client = login(world.city_admin)

    fragment = client.get(reverse("transfer:job_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert 'hx-trigger="every 1s"' in html and "已处理 250 / 1000 行" in html
    assert 'data-width="25"' in html  # lianxin.js sets the width: no style="" under the CSP
    assert "HX-Refresh" not in fragment
    assert "取消任务" in html
    detail = client.get(reverse("transfer:job_detail", args=[job.pk])).content.decode()
    assert f'hx-get="{reverse("transfer:job_progress", args=[job.pk])}"' in detail
    # The owner cancels it; its worker stops after the current batch.
    answer = client.post(reverse("transfer:job_cancel", args=[job.pk]))
    assert answer.status_code == 302
    task.refresh_from_db()
    assert task.cancel_requested_at is not None
    html = client.get(reverse("transfer:job_progress", args=[job.pk])).content.decode()
    assert "正在取消" in html and "取消任务" not in html


def test_it_refuses_an_upload_from_a_user_who_does_not_write_the_registry(
    world, login, inline_jobs
):
    response = upload(login(world.leader_user), csv_bytes(RESIDENT_HEADER, upload_rows()), "x.csv")
    assert response.status_code == 403
    assert "您没有导入户籍和企业数据的权限" in response.content.decode()
    assert not Job.objects.exists()


def test_it_shows_a_bad_header_as_a_failed_job(world, login, inline_jobs):
    client = login(world.city_admin)
    upload(client, csv_bytes(["姓名", "身份证号"], [["张三", "1"]]), "旧格式.csv", mode="all")
    job = Job.objects.get()
    assert job.status == JobStatus.FAILED
    assert "表头缺少必填列：户号、乡镇（街道）、村（社区）、与户主关系" in job.message
    page = client.get(reverse("transfer:job_detail", args=[job.pk])).content.decode()
    assert job.message in page


def test_it_refuses_an_unsupported_file_on_the_form(world, login, inline_jobs):
    response = upload(login(world.city_admin), b"hello", "居民.txt")
    assert response.status_code == 400
    assert "不支持的文件类型“.txt”" in response.content.decode()


def test_it_shows_mode_all_with_bad_rows_as_nothing_saved(world, login, inline_jobs):
    client = login(world.city_admin)
    upload(client, csv_bytes(RESIDENT_HEADER, upload_rows()), "居民.csv", mode="all")
    job = Job.objects.get()
    assert job.status == JobStatus.DONE and not job.saved
    assert job.counts["residents_created"] == 0
    assert not Household.objects.filter(number="51018411000007001").exists()
    assert (
        "本次未保存任何数据"
        in client.get(reverse("transfer:job_detail", args=[job.pk])).content.decode()
    )


@pytest.mark.parametrize("name", ["job_detail", "job_progress", "job_report"])
def test_it_answers_404_for_another_users_job(world, login, done_job, name):
    for persona in (world.outsider, world.city_admin, world.village_staff):
        assert (
            login(persona).get(reverse(f"transfer:{name}", args=[done_job.pk])).status_code == 404
        )


def test_it_lists_only_the_users_own_jobs(world, login, done_job):
    mine = login(world.township_staff).get(reverse("transfer:index")).content.decode()
    assert "文井江镇居民.xlsx" in mine
    theirs = login(world.outsider).get(reverse("transfer:index")).content.decode()
    assert "文井江镇居民.xlsx" not in theirs and "还没有导入或导出任务" in theirs


def test_it_offers_the_upload_form_only_to_registry_writers(world, login):
    writer = login(world.village_staff).get(reverse("transfer:index")).content.decode()
    assert 'enctype="multipart/form-data"' in writer
    reader = login(world.leader_user).get(reverse("transfer:index")).content.decode()
    assert 'enctype="multipart/form-data"' not in reader and "导出" in reader


def test_it_hides_the_page_from_the_separated_administrators(world, login):
    for persona in (world.system_admin, world.security_admin, world.audit_admin):
        assert login(persona).get(reverse("transfer:index")).status_code == 404


def test_it_keeps_the_job_list_query_bounded(
    world, login, inline_jobs, django_assert_max_num_queries
):
    for i in range(12):
        Job.objects.create(
            county=world.county,
            kind="import",
            data_kind="residents",
            mode="good",
            file_name=f"f{i}.csv",
            status=JobStatus.DONE,
            created_by=world.city_admin,
        )
    client = login(world.city_admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("transfer:index"))
    assert response.content.decode().count("查看</a>") == 12


def test_it_needs_a_login(client):
    response = client.get(reverse("transfer:index"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_it_hands_a_job_to_the_worker_once_committed(world, settings, tmp_path, transactional_db):
    """Outside tests a job goes to the job worker's queue after the Job row is committed; the
    worker's task runs it."""
    from huey.contrib.djhuey import HUEY

    from lianxin.jobs.tasks import run_job
    from lianxin.transfer.services import do_start_import

    settings.LIANXIN_JOBS_INLINE = False
    settings.MEDIA_ROOT = tmp_path / "media"
    HUEY.flush()
    job = do_start_import(
        acting_user=world.city_admin,
        upload=SimpleUploadedFile("队列.csv", csv_bytes(RESIDENT_HEADER, upload_rows()[:1])),
        data_kind="residents",
        mode="all",
    )
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.task.status == TaskStatus.QUEUED
    message = HUEY.dequeue()
    assert message is not None and message.args == (job.task_id,)
    run_job.call_local(*message.args)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.counts["residents_created"] == 1
    assert job.task.status == TaskStatus.DONE
