from django.db import models


class UnitKind(models.TextChoices):
    PARTY_ORGAN = "party_organ", "党委机关"
    CITY_DEPARTMENT = "city_department", "市级部门"
    TOWNSHIP_GOVERNMENT = "township_government", "乡镇（街道）"
    PUBLIC_INSTITUTION = "public_institution", "事业单位"
    STATE_ENTERPRISE = "state_enterprise", "国有企业"
    MASS_ORGANISATION = "mass_organisation", "群团组织"
    OTHER = "other", "其他"
