"""Gate fixtures: a campus gate and a dormitory on the main campus, one device each, and
gate staff scoped to one campus."""

import uuid

import pytest

from campuscode.codes.tokens import Colour, issue_token
from campuscode.gates.models import Place
from campuscode.gates.services import register_gate
from campuscode.people.models import Role


@pytest.fixture
def main_gate_place(tree):
    return Place.objects.create(campus=tree.main_campus, name="南门", kind=Place.Kind.CAMPUS_GATE)


@pytest.fixture
def gate_and_token(main_gate_place):
    return register_gate(place=main_gate_place, name="南门闸机1")


@pytest.fixture
def gate(gate_and_token):
    return gate_and_token[0]


@pytest.fixture
def device_token(gate_and_token):
    return gate_and_token[1]


@pytest.fixture
def east_gate_and_token(tree):
    place = Place.objects.create(campus=tree.east_campus, name="东门", kind=Place.Kind.CAMPUS_GATE)
    return register_gate(place=place, name="东门闸机1")


@pytest.fixture
def gate_staff(tree):
    """Security staff for the main campus only."""
    return tree.account("guard-main", (Role.GATE_STAFF, tree.main_campus))


@pytest.fixture
def east_staff(tree):
    return tree.account("guard-east", (Role.GATE_STAFF, tree.east_campus))


def code_for(person, colour=Colour.GREEN, now=None) -> str:
    return issue_token(person=person, colour=colour, now=now)


def verify(client, device_token, token, direction="in", nonce=None):
    return client.post(
        "/api/v1/gates/verify",
        {"token": token, "direction": direction, "nonce": nonce or uuid.uuid4().hex},
        content_type="application/json",
        headers={"Authorization": f"Bearer {device_token}"},
    )
