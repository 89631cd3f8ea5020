import pytest

from campuscode.accounts.demo import load_demo
from campuscode.accounts.tests.helpers import identity

pytestmark = pytest.mark.django_db

OUTBOX = "campuscode.accounts.mail.OutboxBackend"


def test_the_outbox_shows_the_demo_mail_without_sign_in(client, tree, settings):
    settings.EMAIL_BACKEND = OUTBOX
    person = tree.person("孙小美", tree.cs_2501, account=False)
    client.post("/accounts/claim/", identity(person))
    response = client.get("/accounts/outbox/")
    assert response.status_code == 200
    page = response.content.decode()
    # The one-time code went by text message (a mobile number is on file).
    assert "demo-banner" in page and person.phone in page
    assert client.get("/accounts/claim/code/").status_code == 200  # the claim goes on


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.mail.backends.smtp.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
    ],
)
def test_the_outbox_does_not_exist_with_a_real_mail_backend(client, settings, backend):
    settings.EMAIL_BACKEND = backend
    assert client.get("/accounts/outbox/").status_code == 404


def test_the_demo_names_people_who_can_try_claiming(tree, student):
    waiting = tree.person("周一诺", tree.cs_2501, account=False)
    lines = load_demo(school=tree.school, now=None)
    text = "\n".join(lines)
    assert "/accounts/claim/" in text and "/accounts/outbox/" in text
    assert waiting.number in text and waiting.id_last4 in text
    assert student.number not in text  # has an account already
