"""Fixtures of the exemplar tests."""

import pytest

from tests.exemplars.helpers import ready_to_vote


@pytest.fixture()
def voting_campaign(world, now):
    """(campaign in voting, [张三 安全, 陈五 安全, 王书记 急难] nominations)."""
    return ready_to_vote(now, world)
