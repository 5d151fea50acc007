from django.db import models


class Level(models.TextChoices):
    TOWNSHIP = "township", "乡镇（街道）"
    VILLAGE = "village", "村（社区）"
    GROUP = "group", "组（网格）"


# The level a region's children have.
CHILD_LEVEL = {Level.TOWNSHIP: Level.VILLAGE, Level.VILLAGE: Level.GROUP}


class ChangeKind(models.TextChoices):
    CREATE = "create", "设立"
    RENAME = "rename", "更名"
    MOVE = "move", "调整隶属"
    MERGE = "merge", "撤并"
    END = "end", "撤销"
    RECODE = "recode", "代码变更"
