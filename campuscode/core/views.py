from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from campuscode.core.forms import SchoolRulesForm
from campuscode.core.net import client_ip
from campuscode.core.rules import stored_settings
from campuscode.core.services import change_school_rules
from campuscode.people.access import Cap, requires, roles_of, units_for
from campuscode.people.models import OrgUnit


@login_required
def home(request):
    return render(
        request,
        "core/home.html",
        {"person": getattr(request.user, "person", None), "roles": roles_of(request.user)},
    )


def managed_schools(user) -> list[OrgUnit]:
    """The schools whose rules `user` may edit: those of their MANAGE_SETTINGS units."""
    ids = {unit.school_id for unit in units_for(user, Cap.MANAGE_SETTINGS)}
    return list(OrgUnit.objects.filter(pk__in=ids, kind=OrgUnit.Kind.SCHOOL).order_by("pk"))


@requires(Cap.MANAGE_SETTINGS)
def school_settings(request):
    """The rules of the signed-in admin's own school (R9.1 placeholders) as a form.

    An admin over several schools picks one with ?school=<id>; any other school is 404."""
    schools = managed_schools(request.user)
    wanted = request.GET.get("school")
    school = next((s for s in schools if str(s.pk) == wanted), None) if wanted else schools[0]
    if school is None:
        raise Http404
    form = SchoolRulesForm(
        request.POST if request.method == "POST" else None,
        current=stored_settings(school),
    )
    if form.is_valid():  # all or nothing: a bad value changes no rule
        change_school_rules(
            school=school,
            changes=form.changes(),
            actor=request.user,
            client_ip=client_ip(request),
        )
        messages.success(request, _("The school rules were saved."))
        return redirect(f"{reverse('core:settings')}?school={school.pk}")
    context = {
        "form": form,
        "school": school,
        "schools": schools,
        "sections": form.sections(),
        "error_count": len(form.errors),
    }
    return render(request, "core/settings.html", context, status=400 if form.errors else 200)


def too_many_requests(request, exception=None):
    """django-ratelimit's answer (RATELIMIT_VIEW) when an address posts too often."""
    response = render(request, "429.html", status=429)
    response["Retry-After"] = "60"
    return response
