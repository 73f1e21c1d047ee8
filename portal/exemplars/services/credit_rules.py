"""The credit rule the exemplar module awards, and how its ledger entries' source is named.

Imported with the exemplar services, so the rule exists wherever the module does.
"""

from portal.credits import rules, services

TITLE_RULE = rules.register_rule("exemplar_title", name="六大员当选", points=20,
                                 description="在六大员评选中当选，评选结果公布时计入一次")
HONOUR_SOURCE = "exemplar_honour"

services.register_source(HONOUR_SOURCE, "六大员评选")
