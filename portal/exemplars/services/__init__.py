"""The exemplar module's rules, one module per area.

Campaigns, nominations, qualification, voting, results, publicity and honours; importing the
package registers the exemplar credit rule.
"""

from portal.exemplars.services import credit_rules  # noqa: F401 - registers the exemplar credit rule
