from django.db import models


class Role(models.TextChoices):
    CITY_ADMIN = "city_admin", "市级管理员"
    TOWNSHIP_STAFF = "township_staff", "乡镇（街道）工作人员"
    VILLAGE_STAFF = "village_staff", "村（社区）工作人员"
    CADRE = "cadre", "干部职工"
    HANDLER = "handler", "部门办理人员"
    INFO_GROUP = "info_group", "信息处理组"
    LEADER = "leader", "领导（只读）"
    SYSTEM_ADMIN = "system_admin", "系统管理员"
    SECURITY_ADMIN = "security_admin", "安全管理员"
    AUDIT_ADMIN = "audit_admin", "审计管理员"


# The three separated administrators (三员分立): each manages the system, not people's data.
SEPARATED_ADMINS = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})
# Roles that see the whole county (narrowed to a region when the account has one).
COUNTY_WIDE = frozenset({Role.CITY_ADMIN, Role.LEADER, Role.INFO_GROUP})
# Roles whose scope is a region subtree, which they must have.
REGION_SCOPED = frozenset({Role.TOWNSHIP_STAFF, Role.VILLAGE_STAFF})
# Roles whose scope is their unit, which they must have.
UNIT_SCOPED = frozenset({Role.CADRE, Role.HANDLER})
# Roles whose accounts read people's data: the security administrator approves each one.
DATA_ROLES = frozenset(set(Role) - SEPARATED_ADMINS)

# What each role may do. The User predicates (accounts/models.py) are built on these sets and
# are the one place services, views, API and templates ask; never compare a role to a string.
# Change the registry (households, residents, enterprises, their hardships and 连心卡 tokens).
REGISTRY_WRITERS = frozenset({Role.CITY_ADMIN, Role.TOWNSHIP_STAFF, Role.VILLAGE_STAFF})
# Set the county's registry rules (the household-number rule, people.numbering).
REGISTRY_RULE_SETTERS = frozenset({Role.CITY_ADMIN})
# Change units, cadres, responsibility zones and leaders' township liaisons.
ORG_WRITERS = frozenset({Role.CITY_ADMIN})
# Change the region map (create, rename, move, merge, end regions).
REGION_WRITERS = frozenset({Role.CITY_ADMIN})
# Pair households, set the pairing policy, overrides and exclusions, run automatic pairing.
PAIRING_MANAGERS = frozenset({Role.CITY_ADMIN})
# Read automatic pairing runs, the policy and its rows (leaders read what the admin decides).
PAIRING_READERS = frozenset({Role.CITY_ADMIN, Role.LEADER})
# Print 连心卡 for the households they see (which may issue missing QR tokens): every data role
# but the read-only leader, since printing issues tokens, a change a reader does not make.
CARD_PRINTERS = DATA_ROLES - {Role.LEADER}
# Review cadres' stories (暖心故事: return with a comment, or publish): the organisation
# department (the city administrator, county-wide) and a unit's own staff (its department
# handlers, for the cadres of their unit) — the closest roles to "单位或组织部的工作人员".
STORY_REVIEWERS = frozenset({Role.CITY_ADMIN, Role.HANDLER})
# Keep a 干部日记 and put it forward as a story: the cadres themselves.
DIARY_WRITERS = frozenset({Role.CADRE})


class ProposalKind(models.TextChoices):
    NEW_ADMIN = "new_admin", "新建管理员账号"
    ACCESS = "access", "角色与范围"


class ProposalStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "已驳回"
