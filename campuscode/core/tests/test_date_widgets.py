"""Every date input renders its value as an ISO date whatever the page's language: a
browser's <input type=date> drops anything else (2026/11/26 in Chinese) and shows blank."""

import importlib
import re

import pytest
from django import forms
from django.utils import translation

from campuscode.core.widgets import DateInput, DateTimeInput
from campuscode.people.models import Person, Role
from conftest import sign_in

pytestmark = pytest.mark.django_db

FORM_MODULES = [
    "campuscode.checkins.forms",
    "campuscode.followup.forms",
    "campuscode.gates.forms",
    "campuscode.people.forms",
    "campuscode.audit.views",
]


def test_the_isolation_form_shows_its_dates_in_chinese(client, tree, time_machine):
    time_machine.move_to("2026-11-26 09:00 +0800", tick=False)
    staff = tree.person("陈医生", tree.clinic, kind=Person.Kind.STAFF, number="T0009")
    sign_in(client, tree.account("", (Role.HEALTH_OFFICE, tree.school), person=staff))
    html = client.get("/followup/dashboard/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert re.search(r'type="date" name="starts_on" value="2026-11-26"', html), html[-3000:]
    assert re.search(r'type="date" name="ends_on" value="2026-12-09"', html)
    assert "2026/11/26" not in html


@pytest.mark.parametrize("module", FORM_MODULES)
def test_every_date_field_uses_the_iso_widget(module):
    found = []
    for value in vars(importlib.import_module(module)).values():
        if isinstance(value, type) and issubclass(value, forms.BaseForm):
            for name, field in value.base_fields.items():
                if isinstance(field, forms.DateTimeField):
                    found.append((value.__name__, name))
                    assert isinstance(field.widget, DateTimeInput), (value.__name__, name)
                elif isinstance(field, forms.DateField):
                    found.append((value.__name__, name))
                    assert isinstance(field.widget, DateInput), (value.__name__, name)
    with translation.override("zh-hans"):
        from datetime import date

        assert 'value="2026-11-26"' in DateInput().render("day", date(2026, 11, 26))
    assert found or module == "campuscode.gates.forms"
