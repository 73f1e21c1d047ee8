"""The credit rules each module awards, named by the module itself.

The credits module owns only the manual rule. A module that awards points registers its rules
here when it is imported (`register_rule`), with the fields of version 1; the rule is created on
first use, and the committee edits it afterwards as new versions. The rule page lists exactly
what is registered, so a rule appears when the module that awards it is there.
"""

from portal.roster.models import PoliticalStatus

STUDENTS = ",".join([PoliticalStatus.FULL_MEMBER, PoliticalStatus.PROBATIONARY, PoliticalStatus.ACTIVIST])
MEMBERS = ",".join([PoliticalStatus.FULL_MEMBER, PoliticalStatus.PROBATIONARY])
MANUAL = "manual"

# code -> the fields of version 1, in the order the rule page lists them (the manual rule last).
DEFAULT_RULES = {}


def register_rule(code, *, name, points, description, applies_to="", mode="fixed", daily_cap=None,
                  weekly_cap=None, monthly_cap=None):
    """Name a rule a module awards (version 1 of it); returns its code."""
    fields = dict(name=name, points=points, description=description, applies_to=applies_to, mode=mode)
    caps = dict(daily_cap=daily_cap, weekly_cap=weekly_cap, monthly_cap=monthly_cap)
    fields.update({cap: value for cap, value in caps.items() if value is not None})
    DEFAULT_RULES[code] = fields
    DEFAULT_RULES[MANUAL] = DEFAULT_RULES.pop(MANUAL)  # keep the manual rule last
    return code


DEFAULT_RULES[MANUAL] = dict(name="手动加减分", points=0, manual_only=True, applies_to="",
                             description="党委按事实和理由加分或扣分，须写明原因")
