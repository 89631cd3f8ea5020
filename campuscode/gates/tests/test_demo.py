import pytest
from django.utils import timezone

from campuscode.gates.demo import load_demo
from campuscode.gates.models import Gate, GateAlert, GateEvent, Place

pytestmark = pytest.mark.django_db


def test_it_loads_gates_on_both_campuses_with_history_and_prints_a_gate_page(
    client, tree, student, other_student
):
    for seq in range(30):
        tree.person(f"学生{seq}", tree.cs_2502 if seq % 2 else tree.en_2501)
    lines = load_demo(school=tree.school, now=timezone.now())
    assert {p.campus.name for p in Place.objects.all()} == {"主校区", "东校区"}
    assert {"library", "dormitory", "campus_gate"} <= set(
        Place.objects.values_list("kind", flat=True)
    )
    assert Gate.objects.count() == Place.objects.count()
    assert GateEvent.objects.filter(allowed=True).count() > 50
    assert GateEvent.objects.filter(allowed=False).exists()
    assert set(GateAlert.objects.filter(resolved_at=None).values_list("kind", flat=True)) == {
        "silent",
        "tamper",
    }
    page_line = next(line for line in lines if "/gates/kiosk/#token=" in line)
    token = page_line.split("#token=")[1]
    response = client.get("/api/v1/gates/snapshot", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json()["gate"]["place"] == "南门"
