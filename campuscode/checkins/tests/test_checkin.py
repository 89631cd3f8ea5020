from decimal import Decimal

import pytest

from campuscode.checkins.models import Checkin, Flag, Via
from conftest import sign_in

from .conftest import check_in

pytestmark = pytest.mark.django_db


def test_it_stores_a_checkin_with_server_time_and_place(client, student, point, morning):
    sign_in(client, student.user)
    response = check_in(client, point)
    assert response.status_code == 302
    checkin = Checkin.objects.get()
    assert response["Location"] == f"/checkins/done/{checkin.pk}/"
    assert (checkin.person, checkin.point, checkin.via) == (student, point, Via.SCREEN)
    assert (str(checkin.day), checkin.period) == ("2026-03-02", "morning")
    assert checkin.at.isoformat() == "2026-03-02T00:00:00+00:00"
    assert (checkin.temperature, checkin.colour) == (Decimal("36.5"), "green")
    assert not Flag.objects.exists()
    done = client.get(response["Location"])
    assert 'data-colour="green"' in done.content.decode()
