from django import forms
from django.utils.translation import gettext_lazy as _

from campuscode.core.widgets import DateInput
from campuscode.people.access import Cap, units_under

RANGES = [(7, _("7 days")), (14, _("14 days")), (30, _("30 days")), (90, _("90 days"))]


class DashboardForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=None, required=False)
    day = forms.DateField(label=_("Up to"), required=False, widget=DateInput)
    days = forms.TypedChoiceField(
        label=_("Range"), choices=RANGES, coerce=int, required=False, empty_value=14
    )

    def __init__(self, *args, user, capability: str = Cap.VIEW_HEALTH, **kwargs):
        super().__init__(*args, **kwargs)
        units = units_under(user, capability)
        self.fields["unit"].queryset = units
        self.fields["unit"].label_from_instance = lambda unit: unit.label
        self.fields["unit"].empty_label = _("My whole scope")


class GateForm(forms.Form):
    place = forms.ModelChoiceField(label=_("Place"), queryset=None, required=False)
    day = forms.DateField(label=_("Up to"), required=False, widget=DateInput)
    days = forms.TypedChoiceField(
        label=_("Range"),
        choices=[(1, _("1 day")), *RANGES],
        coerce=int,
        required=False,
        empty_value=1,
    )

    def __init__(self, *args, user, **kwargs):
        from campuscode.gates.selectors import places_for

        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = places_for(user).order_by("campus__path", "name")
        self.fields["place"].empty_label = _("All places")
