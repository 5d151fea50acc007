"""What a notice is about."""

from django.db import models


class NoticeKind(models.TextChoices):
    # A cadre's own households due or overdue for a visit (each morning).
    VISITS_DUE = "visits_due", "走访提醒"
    # A unit's or a township's staff: the overdue pairings in their unit or area (each morning).
    PAIRINGS_OVERDUE = "pairings_overdue", "逾期未走访"
    # A cadre's story returned with a comment, or published.
    STORY = "story", "暖心故事"
