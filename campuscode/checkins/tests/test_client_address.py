"""Check-ins behind the reverse proxy keep each phone's own address (issue 8, hole 9)."""

import pytest
from django.test import Client

from campuscode.checkins.models import Checkin, Flag
from campuscode.core.rules import set_setting
from conftest import sign_in

from .conftest import check_in

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"


@pytest.fixture(autouse=True)
def behind_proxy(settings):
    settings.CAMPUSCODE_TRUSTED_PROXIES = [PROXY]


def test_a_checkin_carries_the_forwarded_client_address(client, student, point, morning):
    sign_in(client, student.user)
    check_in(client, point, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="172.16.5.6")
    assert Checkin.objects.get().ip == "172.16.5.6"


def test_phones_behind_one_proxy_are_not_one_address_burst(tree, point, morning):
    set_setting(key="checkin_burst_accounts", value=3)
    for i in range(3):
        person = tree.person(f"学生{i}", tree.cs_2501)
        meta = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"172.16.5.{i + 10}"}
        check_in(sign_in(Client(), person.user), point, **meta)
        morning.shift(2)
    assert not Flag.objects.filter(reason=Flag.Reason.ADDRESS_BURST).exists()
