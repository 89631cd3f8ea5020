"""People pages: list, detail with audited reveal, add/edit, and accounts with their roles.

Every read starts from the access layer (campuscode.people.access / selectors); a person outside
it is a 404, a page the user's roles lack is a 403.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campuscode.audit.services import log_action
from campuscode.core.net import client_ip
from campuscode.core.paging import page_of
from campuscode.people import selectors
from campuscode.people.access import Cap, deny_unless, get_visible_person, has_capability, requires
from campuscode.people.exports import people_xlsx
from campuscode.people.forms import AccountFilterForm, GrantRoleForm, PeopleFilterForm, PersonForm
from campuscode.people.models import RoleAssignment
from campuscode.people.registry import (
    Outcome,
    Refusal,
    create_account,
    grant_role,
    record_person,
    revoke_role,
    set_account_active,
)


def _refusal_status(outcome: Outcome) -> int:
    return 403 if outcome.reason in (Refusal.OUT_OF_SCOPE, Refusal.SELF) else 409


# --- list and export --------------------------------------------------------------------


@never_cache
@requires(Cap.VIEW_PEOPLE)
@require_GET
def people_list(request):
    form = PeopleFilterForm(request.GET or None, user=request.user)
    filters = form.filters()
    people = selectors.people_list(user=request.user, **filters)
    page = page_of(request, people, per_page=selectors.PAGE_SIZE)
    # One entry per list view, with the filter used: a list shows masked values only.
    log_action(
        request=request,
        action="people.list.viewed",
        data={
            "filters": PeopleFilterForm.describe(filters),
            "page": page.number,
            "count": page.paginator.count,
        },
    )
    context = {
        "form": form,
        "page": page,
        "can_edit": has_capability(request.user, Cap.EDIT_PEOPLE),
    }
    template = "people/list_panel.html" if request.htmx else "people/list.html"
    return render(request, template, context)


@requires(Cap.VIEW_PEOPLE)
@require_GET
def people_export(request):
    form = PeopleFilterForm(request.GET or None, user=request.user)
    filters = form.filters()
    people = selectors.people_list(user=request.user, **filters)
    log_action(
        request=request,
        action="people.list.exported",
        data={"filters": PeopleFilterForm.describe(filters), "count": people.count()},
    )
    return people_xlsx(people)


# --- one person ----------------------------------------------------------------------


def _detail_context(request, person, *, revealed: bool = False) -> dict:
    user = request.user
    can = {
        "reveal": selectors.person_in_scope(
            user=user, capability=Cap.REVEAL, pk=person.pk, include_self=False
        )
        is not None,
        "edit": selectors.person_in_scope(user=user, capability=Cap.EDIT_PEOPLE, pk=person.pk)
        is not None,
        "accounts": has_capability(user, Cap.MANAGE_ACCOUNTS),
        "list": has_capability(user, Cap.VIEW_PEOPLE),
    }
    return {
        "person": person,
        "units": list(person.org_unit.ancestors()),
        "roles": selectors.roles_of_account(person.user_id) if person.user_id else [],
        "can": can,
        "revealed": revealed,
        "is_self": person.user_id == user.pk,
    }


@never_cache
@login_required
@require_GET
def person_detail(request, pk: int):
    # Anyone may open their own record; others need the scope (get_visible_person audits).
    person = get_visible_person(actor=request.user, pk=pk, client_ip=client_ip(request))
    return render(request, "people/detail.html", _detail_context(request, person))


@never_cache
@requires(Cap.REVEAL)
@require_POST
def person_reveal(request, pk: int):
    """The full phone and e-mail of one person, for a role whose duty needs them."""
    person = selectors.person_in_scope(user=request.user, capability=Cap.REVEAL, pk=pk)
    if person is None:
        raise Http404
    log_action(
        request=request,
        action="people.contact.revealed",
        subject=person,
        data={"fields": ["phone", "email"]},
    )
    if request.htmx:
        return render(request, "people/contact_panel.html", {"person": person, "revealed": True})
    return render(request, "people/detail.html", _detail_context(request, person, revealed=True))


@never_cache
@requires(Cap.EDIT_PEOPLE)
@require_http_methods(["GET", "POST"])
def person_create(request):
    return _person_form(request, person=None)


@never_cache
@requires(Cap.EDIT_PEOPLE)
@require_http_methods(["GET", "POST"])
def person_edit(request, pk: int):
    person = selectors.person_in_scope(user=request.user, capability=Cap.EDIT_PEOPLE, pk=pk)
    if person is None:
        raise Http404
    if request.method == "GET":
        # The form shows the full phone and e-mail to fill it in: that is a read too.
        log_action(request=request, action="people.edit.viewed", subject=person)
    return _person_form(request, person=person)


def _person_form(request, *, person):
    form = PersonForm(request.POST or None, instance=person, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                outcome = record_person(
                    actor=request.user,
                    client_ip=client_ip(request),
                    person=person,
                    id_number=form.cleaned_data["id_number"],
                    **form.person_fields(),
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                if outcome.ok:
                    messages.success(request, _("The record was saved."))
                    return redirect("people:detail", pk=outcome.value.pk)
                form.add_error(None, outcome.reason.label)
                return render(
                    request,
                    "people/form.html",
                    {"form": form, "person": person, "reason": outcome.reason},
                    status=403,
                )
        status = 400
    return render(request, "people/form.html", {"form": form, "person": person}, status=status)


# --- accounts and roles (system admin) --------------------------------------------------


@never_cache
@requires(Cap.MANAGE_ACCOUNTS)
@require_GET
def account_list(request):
    form = AccountFilterForm(request.GET or None)
    q = form.cleaned_data["q"].strip() if form.is_valid() else ""
    accounts = selectors.accounts_visible_to(request.user, q=q)
    page = page_of(request, accounts, per_page=selectors.PAGE_SIZE)
    log_action(
        request=request,
        action="people.accounts.viewed",
        data={"q": q, "page": page.number, "count": page.paginator.count},
    )
    return render(
        request,
        "people/accounts.html",
        {"form": form, "page": page},
    )


def _account_or_404(request, pk):
    deny_unless(request.user, Cap.MANAGE_ACCOUNTS)
    account = selectors.account_in_scope(request.user, pk)
    if account is None:
        raise Http404
    return account


@never_cache
@login_required
@require_GET
def account_detail(request, pk: int):
    account = _account_or_404(request, pk)
    person = getattr(account, "person", None)
    log_action(
        request=request,
        action="people.account.viewed",
        subject=person,
        data={"account": account.username},
    )
    return render(request, "people/account.html", _account_context(request, account))


def _account_context(request, account, form=None) -> dict:
    return {
        "account": account,
        "person": getattr(account, "person", None),
        "roles": selectors.roles_of_account(account.pk),
        "form": form or GrantRoleForm(user=request.user),
        "is_self": account.pk == request.user.pk,
    }


def _done(request, account, outcome: Outcome, success: str):
    if not outcome.ok:
        context = _account_context(request, account) | {"reason": outcome.reason}
        return render(request, "people/account.html", context, status=_refusal_status(outcome))
    messages.success(request, success)
    return redirect("people:account", pk=account.pk)


@login_required
@require_POST
def account_grant(request, pk: int):
    account = _account_or_404(request, pk)
    form = GrantRoleForm(request.POST, user=request.user)
    if not form.is_valid():
        return render(
            request, "people/account.html", _account_context(request, account, form), status=400
        )
    outcome = grant_role(
        actor=request.user,
        client_ip=client_ip(request),
        account=account,
        role=form.cleaned_data["role"],
        org_unit=form.cleaned_data["org_unit"],
    )
    return _done(request, account, outcome, _("The role was granted."))


@login_required
@require_POST
def account_revoke(request, pk: int, assignment_pk: int):
    account = _account_or_404(request, pk)
    assignment = get_object_or_404(
        RoleAssignment.objects.select_related("org_unit", "user"), pk=assignment_pk, user=account
    )
    outcome = revoke_role(actor=request.user, client_ip=client_ip(request), assignment=assignment)
    return _done(request, account, outcome, _("The role was revoked."))


@login_required
@require_POST
def account_set_active(request, pk: int):
    account = _account_or_404(request, pk)
    active = request.POST.get("active") == "1"
    outcome = set_account_active(
        actor=request.user, client_ip=client_ip(request), account=account, active=active
    )
    message = _("The account was reactivated.") if active else _("The account was deactivated.")
    return _done(request, account, outcome, message)


@requires(Cap.MANAGE_ACCOUNTS)
@require_POST
def person_create_account(request, pk: int):
    person = selectors.person_in_scope(user=request.user, capability=Cap.MANAGE_ACCOUNTS, pk=pk)
    if person is None:
        raise Http404
    outcome = create_account(actor=request.user, client_ip=client_ip(request), person=person)
    if not outcome.ok:
        context = _detail_context(request, person) | {"reason": outcome.reason}
        return render(request, "people/detail.html", context, status=_refusal_status(outcome))
    messages.success(
        request,
        _("The account was created. The person sets a password by claiming it."),
    )
    return redirect("people:account", pk=outcome.value.pk)
