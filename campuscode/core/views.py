from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from campuscode.audit.services import log_action
from campuscode.core.rules import (
    SPECS,
    check_together,
    section_of,
    store_settings,
    stored_settings,
)
from campuscode.people.access import Cap, requires, roles_of


@login_required
def home(request):
    return render(
        request,
        "core/home.html",
        {"person": getattr(request.user, "person", None), "roles": roles_of(request.user)},
    )


@requires(Cap.MANAGE_SETTINGS)
def school_settings(request):
    """The school's rules (R9.1 placeholders) as a form for the system admin."""
    errors: dict[str, str] = {}
    current = stored_settings()
    if request.method == "POST":
        changed = {}
        cleaned = {}
        for key, spec in SPECS.items():
            raw = request.POST.get(key, "off" if spec.kind is bool else "")
            try:
                cleaned[key] = spec.clean(raw)
            except ValidationError as error:
                errors[key] = " ".join(error.messages)
        if not errors:  # each valid: then the ones that break the school together
            errors = check_together({**current, **cleaned})
        if not errors:  # all or nothing: a bad value changes no rule
            for key, value in cleaned.items():
                if value != current[key]:
                    changed[key] = {"from": current[key], "to": value}
            store_settings(values={k: cleaned[k] for k in changed}, user=request.user)
            if changed:
                log_action(request=request, action="core.settings.changed", data=changed)
            messages.success(request, _("The school rules were saved."))
            return redirect("core:settings")
    sections: dict[str, list[dict]] = {}
    for key, spec in SPECS.items():
        sections.setdefault(section_of(key), []).append(
            {
                "spec": spec,
                "value": request.POST.get(key) if errors else spec.to_text(current[key]),
                "error": errors.get(key),
                "is_bool": spec.kind is bool,
            }
        )
    context = {"sections": sections.items(), "error_count": len(errors)}
    return render(request, "core/settings.html", context, status=400 if errors else 200)


def too_many_requests(request, exception=None):
    """django-ratelimit's answer (RATELIMIT_VIEW) when an address posts too often."""
    response = render(request, "429.html", status=429)
    response["Retry-After"] = "60"
    return response
