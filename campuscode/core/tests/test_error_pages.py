import pytest

from conftest import sign_in

pytestmark = pytest.mark.django_db


def test_a_page_outside_the_role_says_so_in_chinese(client, outsider):
    response = sign_in(client, outsider).get("/settings/")
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()


def test_a_missing_or_hidden_record_says_not_found_in_chinese(client, adviser, other_student):
    response = sign_in(client, adviser).get(f"/people/{other_student.pk}/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "页面不存在" in page and other_student.name not in page
