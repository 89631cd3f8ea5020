import secrets

from django import forms
from django.utils.translation import gettext_lazy as _

from campuscode.privacy.models import DataRequest


def new_key() -> str:
    return secrets.token_urlsafe(16)


class DataRequestForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    kind = forms.ChoiceField(
        label=_("Request"), choices=DataRequest.Kind.choices, widget=forms.RadioSelect
    )
    text = forms.CharField(
        label=_("What should change"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Which record, and what is wrong or should be deleted."),
        error_messages={"required": _("Say what should change.")},
    )
    reason = forms.CharField(
        label=_("Why"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class HandleForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (DataRequest.State.DONE, DataRequest.State.DONE.label),
            (DataRequest.State.REFUSED, DataRequest.State.REFUSED.label),
        ],
        widget=forms.RadioSelect,
    )
    response = forms.CharField(
        label=_("Answer to the person"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What was done, or why it was refused. The person reads this."),
        error_messages={"required": _("Write the answer to the person.")},
    )
