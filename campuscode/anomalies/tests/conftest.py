import pytest

from campuscode.checkins.models import CheckinPoint


@pytest.fixture
def point(tree):
    return CheckinPoint.objects.create(
        campus=tree.main_campus, building="一教", name="东门", kind="teaching"
    )
