from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campuscode.audit.services import log_action
from campuscode.core.net import client_ip
from campuscode.core.paging import page_of
from campuscode.notify import selectors, services
from campuscode.notify.forms import PreferenceForm
from campuscode.notify.models import Delivery
from campuscode.people.access import Cap, requires
from campuscode.people.models import Person


@login_required
def preferences(request):
    """Where the signed-in person wants to be reached, besides the app."""
    form = PreferenceForm(
        request.POST or None, initial={"channel": services.preferred_channel(request.user)}
    )
    if request.method == "POST" and form.is_valid():
        services.set_preference(user=request.user, channel=form.cleaned_data["channel"])
        messages.success(request, _("Your notification settings were saved."))
        return redirect("notify:preferences")
    person = Person.objects.filter(user=request.user).first()
    return render(
        request,
        "notify/preferences.html",
        {
            "form": form,
            "phone": person.masked_phone if person else "",
            "email": (person.email and person.masked_email) if person else "",
            "notices": selectors.recent_notices(request.user),
        },
    )


@requires(Cap.MANAGE_SETTINGS)
def deliveries(request):
    """The system admin's list of messages that failed or are being retried."""
    rows = selectors.deliveries_needing_attention()
    page = page_of(request, rows)
    log_action(
        request=request,
        action="notify.deliveries.viewed",
        data={"count": page.paginator.count, "page": page.number},
    )
    return render(request, "notify/deliveries.html", {"page": page})


@requires(Cap.MANAGE_SETTINGS)
@require_POST
def send_again(request, pk: int):
    delivery = get_object_or_404(Delivery, pk=pk)
    if services.send_again(delivery=delivery, actor=request.user, client_ip=client_ip(request)):
        messages.success(request, _("The message is queued to be sent again."))
    return redirect("notify:deliveries")
