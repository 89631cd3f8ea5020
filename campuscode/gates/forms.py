from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campuscode.core.widgets import DateInput
from campuscode.gates.models import Gate, Place
from campuscode.people.models import OrgUnit, Person


class PlaceForm(forms.ModelForm):
    allowed_kinds = forms.MultipleChoiceField(
        label=_("Person kinds allowed"),
        choices=Person.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every kind may enter."),
    )

    class Meta:
        model = Place
        fields = [
            "campus",
            "name",
            "kind",
            "allowed_kinds",
            "allowed_units",
            "opens_at",
            "closes_at",
            "curfew_starts",
            "curfew_ends",
            "red_policy",
            "yellow_policy",
            "active",
        ]
        widgets = {
            "opens_at": forms.TimeInput(attrs={"type": "time"}),
            "closes_at": forms.TimeInput(attrs={"type": "time"}),
            "curfew_starts": forms.TimeInput(attrs={"type": "time"}),
            "curfew_ends": forms.TimeInput(attrs={"type": "time"}),
            "allowed_units": forms.SelectMultiple(attrs={"size": 8}),
        }
        help_texts = {
            "allowed_units": _("None selected: people of every unit may enter."),
            "opens_at": _(
                "Leave both empty for always open; a closing time before the opening "
                "time means open across midnight."
            ),
            "curfew_starts": _("Dormitories use the school's default curfew when left empty."),
        }

    def __init__(self, *args, campuses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campus"].queryset = campuses
        units = Q(pk__in=[])
        for school_id in {c.school_id for c in campuses}:
            units |= Q(path__startswith=f"/{school_id}/")
        self.fields["allowed_units"].queryset = OrgUnit.objects.filter(units).exclude(
            kind=OrgUnit.Kind.SCHOOL
        )

    def clean(self):
        data = super().clean()
        if bool(data.get("opens_at")) != bool(data.get("closes_at")):
            raise forms.ValidationError(
                _("Give both the opening and the closing time, or neither.")
            )
        if bool(data.get("curfew_starts")) != bool(data.get("curfew_ends")):
            raise forms.ValidationError(_("Give both ends of the curfew, or neither."))
        return data


class GateForm(forms.ModelForm):
    class Meta:
        model = Gate
        fields = ["place", "name"]

    def __init__(self, *args, places, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = places


class EventSearchForm(forms.Form):
    person = forms.CharField(label=_("Person (number or name)"), required=False, max_length=64)
    place = forms.ModelChoiceField(label=_("Place"), queryset=Place.objects.none(), required=False)
    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("To"), required=False, widget=DateInput())
    refused = forms.BooleanField(label=_("Refusals only"), required=False)

    def __init__(self, *args, places, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = places
