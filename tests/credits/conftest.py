"""Shared fixtures for the credit tests."""

import pytest

from tests.credits.helpers import at, commit, give

NOW = at(2026, 11, 22)


@pytest.fixture()
def november(world, now):
    """October: 陈五 9, 张三 1. November: 张三 10, 李四 10 (new), 陈五 2. Now is 2026-11-22.

    陈五's November reason starts with '=', so exports must keep it as text.
    """
    committee, people = world.users.committee, world.people
    give(now, committee, people.other, 9, at(2026, 10, 5))
    give(now, committee, people.member, 1, at(2026, 10, 5))
    give(now, committee, people.member, 10, at(2026, 11, 5))
    give(now, committee, people.activist, 10, at(2026, 11, 5))
    give(now, committee, people.other, 2, at(2026, 11, 5), reason="=HYPERLINK(\"http://x\")")
    now.set(NOW)
    commit()
    return world
