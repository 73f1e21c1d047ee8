"""The `now` fixture: it freezes the portal's clock where a test says, and lets go of it afterwards."""

from datetime import UTC, datetime, timedelta

import pytest

from portal.core import clock

MOMENT = datetime(2026, 11, 23, 10, tzinfo=clock.LOCAL_TZ)


@pytest.fixture()
def after_the_test():
    """Checks to run once the fixtures asked for after this one (here `now`) have been torn down."""
    checks = []
    yield checks
    for check in checks:
        check()


def test_set_freezes_the_portal_clock_and_returns_the_moment(now):
    assert now.moment is None
    assert now.set(MOMENT) is MOMENT and now.moment is MOMENT
    assert clock.utcnow() == MOMENT and clock.localnow().hour == 10
    with pytest.raises(ValueError, match="aware"):
        now.set(datetime(2026, 11, 23, 10))  # a naive datetime is refused


def test_advance_moves_the_frozen_moment_on(now):
    now.set(MOMENT)
    assert now.advance(seconds=45) == MOMENT + timedelta(seconds=45) == clock.utcnow()
    assert now.advance(hours=1, minutes=1) == MOMENT + timedelta(hours=1, minutes=1, seconds=45)


def test_advance_without_a_set_moment_starts_from_the_real_time(now):
    before = datetime.now(UTC)
    moved = now.advance(hours=25)
    assert before + timedelta(hours=25) <= moved <= datetime.now(UTC) + timedelta(hours=25)
    assert clock.utcnow() == moved


def test_the_clock_runs_again_once_the_test_is_over(after_the_test, now):
    now.set(MOMENT)

    def released():
        assert clock.utcnow() != MOMENT and clock.utcnow() >= datetime.now(UTC) - timedelta(minutes=1)

    after_the_test.append(released)
