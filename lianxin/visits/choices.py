"""The kinds of contact a visit records, and the help given on it."""

from django.db import models


class VisitMode(models.TextChoices):
    IN_PERSON = "in_person", "上门走访"
    PHONE = "phone", "电话"
    MEETING = "meeting", "院坝会/集中见面"
    MET_ELSEWHERE = "met_elsewhere", "偶遇/其他当面"
    ONLINE = "online", "微信/线上"


# Face to face: these count for 见面率 when someone was met (lianxin.visits.rates).
IN_PERSON_MODES = frozenset({VisitMode.IN_PERSON, VisitMode.MEETING, VisitMode.MET_ELSEWHERE})
# At a distance: with the in-person modes, these count for 对话率 when someone was reached.
REMOTE_MODES = frozenset({VisitMode.PHONE, VisitMode.ONLINE})
# The one mode that may cover several households in one record (a yard meeting).
MULTI_HOUSEHOLD_MODES = frozenset({VisitMode.MEETING})


class HelpKind(models.TextChoices):
    POLICY = "policy", "政策解释"
    ERRAND = "errand", "代办事项"
    MATERIAL = "material", "物资"
    REFERRAL = "referral", "联系部门"
    OTHER = "other", "其他"


class PlanStatus(models.TextChoices):
    """Where a pairing stands against the county's visit cadence on a day (visits.plan)."""

    DONE = "done", "本期已走访"
    DUE = "due", "待走访"
    OVERDUE = "overdue", "已逾期"
