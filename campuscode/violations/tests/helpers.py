"""Shared steps of the violation tests, each through HTTP as a person would take it."""

from campuscode.violations.models import ViolationCase
from conftest import sign_in


def report_from_anomaly(
    client, reporter, anomaly, *, facts="3月2日至4日连续三天未打卡，未报备也未补卡。"
):
    sign_in(client, reporter)
    response = client.post(
        f"/violations/report/?source=anomaly&ref={anomaly.pk}",
        {"vtype": "missed", "facts": facts},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return ViolationCase.objects.latest("pk")


def step(client, user, case, do: str, **data):
    sign_in(client, user)
    return client.post(f"/violations/{case.pk}/", {"do": do, **data})
