from django import forms
from django.utils.translation import gettext_lazy as _

from campuscode.notify.models import Preference


class PreferenceForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Send my notifications also by"),
        choices=Preference.Choice.choices,
        widget=forms.RadioSelect,
        help_text=_("Notices always show here in the app as well."),
    )
