"""Honesty flags (R1.2): stored with the check-in, with the reason; advisers explain them."""

import pytest
from django.test import Client

from campuscode.audit.models import AuditEntry
from campuscode.checkins.models import Checkin, Flag
from campuscode.core.rules import set_setting
from conftest import sign_in

from .conftest import GOOD, check_in, point_path

pytestmark = pytest.mark.django_db

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
ANDROID = "Mozilla/5.0 (Linux; Android 14; K) AppleWebKit/537.36 Chrome/125.0 Mobile Safari/537.36"


def test_an_honest_checkin_has_no_flags(client, student, point, morning):
    sign_in(client, student.user)
    check_in(client, point)
    assert Checkin.objects.count() == 1 and not Flag.objects.exists()


def test_one_phone_checking_in_two_accounts_flags_both(client, student, tree, point, morning):
    friend = tree.person("赵同学", tree.cs_2501)
    sign_in(client, student.user)
    check_in(client, point)
    morning.shift(30)
    sign_in(client, friend.user)  # same browser, same device cookie
    check_in(client, point)
    flagged = set(
        Flag.objects.filter(reason=Flag.Reason.SHARED_DEVICE).values_list(
            "checkin__person", flat=True
        )
    )
    assert flagged == {student.pk, friend.pk}
    assert Checkin.objects.count() == 2  # stored, not refused


def test_different_phones_are_not_flagged_as_shared(student, tree, point, morning):
    friend = tree.person("赵同学", tree.cs_2501)
    for person, agent in ((student, IPHONE), (friend, ANDROID)):
        check_in(sign_in(Client(), person.user), point, HTTP_USER_AGENT=agent)
    assert not Flag.objects.filter(reason=Flag.Reason.SHARED_DEVICE).exists()


def test_many_accounts_from_one_address_within_seconds_are_flagged(tree, point, morning):
    set_setting(key="checkin_burst_accounts", value=3)
    people = [tree.person(f"学生{i}", tree.cs_2501) for i in range(3)]
    for person in people:
        check_in(sign_in(Client(), person.user), point, REMOTE_ADDR="10.9.8.7")
        morning.shift(2)
    burst = Flag.objects.filter(reason=Flag.Reason.ADDRESS_BURST)
    assert set(burst.values_list("checkin__person", flat=True)) == {p.pk for p in people}


def test_different_phones_on_one_address_are_not_a_burst(tree, point, morning):
    set_setting(key="checkin_burst_accounts", value=3)
    for index in range(3):
        person = tree.person(f"学生{index}", tree.cs_2501)
        phone = {"REMOTE_ADDR": "10.9.8.7", "HTTP_USER_AGENT": f"{ANDROID} Build/{index}"}
        check_in(sign_in(Client(), person.user), point, **phone)
        morning.shift(60)
    assert not Flag.objects.exists()


def test_a_form_sent_without_opening_the_point_url_is_flagged(client, student, point, morning):
    sign_in(client, student.user)
    response = client.post(point_path(point), {**GOOD, "key": "scripted-1"})
    assert response.status_code == 302
    assert list(Flag.objects.values_list("reason", flat=True)) == [Flag.Reason.NOT_OPENED]


def test_an_adviser_sees_and_explains_a_flag(client, student, adviser, point, morning):
    sign_in(client, student.user)
    client.post(point_path(point), {**GOOD, "key": "scripted-1"})
    flag = Flag.objects.get()
    sign_in(client, adviser)
    page = client.get("/checkins/lists/?show=flagged").content.decode()
    assert f'data-person="{student.pk}"' in page and 'data-flag="not_opened"' in page
    response = client.post(
        f"/checkins/flags/{flag.pk}/explain/",
        {"explanation": "手机扫码失败，手动输入地址"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    flag.refresh_from_db()
    assert flag.explained_by == adviser and flag.explained_at is not None
    assert AuditEntry.objects.filter(action="checkins.flag.explained", subject=student).exists()


def test_explaining_a_flag_never_redirects_off_site(client, student, adviser, point, morning):
    sign_in(client, student.user)
    client.post(point_path(point), {**GOOD, "key": "scripted-1"})
    flag = Flag.objects.get()
    sign_in(client, adviser)
    url = f"/checkins/flags/{flag.pk}/explain/"
    away = client.post(url, {"explanation": "x", "next": "https://evil.example/"})
    assert away.status_code == 302 and away["Location"] == "/checkins/lists/"
    back = client.post(url, {"explanation": "x", "next": "/checkins/flags/?reason=not_opened"})
    assert back["Location"] == "/checkins/flags/?reason=not_opened"


def test_others_cannot_explain_a_flag(
    client, student, other_student, adviser, sysadmin, outsider, point, morning, tree
):
    sign_in(client, student.user)
    client.post(point_path(point), {**GOOD, "key": "scripted-1"})
    flag = Flag.objects.get()
    other_adviser_person = tree.person("英语老师", tree.lang, kind="staff", number="T0100")
    from campuscode.people.models import Role

    other_adviser = tree.account(
        "", (Role.CLASS_ADVISER, tree.en_2501), person=other_adviser_person
    )
    for user in (outsider, sysadmin, other_adviser, other_student.user):
        sign_in(client, user)
        response = client.post(f"/checkins/flags/{flag.pk}/explain/", {"explanation": "x"})
        assert response.status_code == 404
    flag.refresh_from_db()
    assert flag.explained_at is None
