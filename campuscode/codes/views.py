from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from campuscode.codes.services import current_code
from campuscode.core.rules import get_setting


def _own_person(request):
    return getattr(request.user, "person", None)


def _refresh_seconds(person) -> int:
    return get_setting("code_refresh_seconds", person.school_id if person else None)


@login_required
def my_code(request):
    person = _own_person(request)
    context = {"person": person, "refresh_seconds": _refresh_seconds(person)}
    if person is not None:
        context.update(current_code(person))
    return render(request, "codes/my_code.html", context)


@login_required
def my_code_panel(request):
    """The QR panel alone: htmx swaps it in every refresh interval, no page reload."""
    person = _own_person(request)
    context = {"person": person, "refresh_seconds": _refresh_seconds(person)}
    if person is not None:
        context.update(current_code(person))
    return render(request, "codes/code_panel.html", context)
