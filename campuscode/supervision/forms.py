from django import forms
from django.utils.translation import gettext_lazy as _

from campuscode.checkins.models import Period
from campuscode.people.models import OrgUnit
from campuscode.supervision.models import EventKind, PlanKind, Severity


class PlanForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=PlanKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    scope = forms.ModelMultipleChoiceField(
        label=_("Units in scope"),
        queryset=OrgUnit.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    checklist = forms.CharField(
        label=_("Checklist (one item a line)"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
    )
    pool = forms.ModelMultipleChoiceField(
        label=_("Inspectors to draw from"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    starts_at = forms.DateTimeField(
        label=_("Starts"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args, units, inspectors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].queryset = units
        self.fields["pool"].queryset = inspectors
        self.fields["pool"].label_from_instance = lambda user: (
            getattr(getattr(user, "person", None), "name", "") or user.get_username()
        )


class DrawForm(forms.Form):
    units_count = forms.IntegerField(label=_("Units to draw"), min_value=1, max_value=50)
    inspectors_count = forms.IntegerField(
        label=_("Inspectors to draw"), min_value=2, max_value=10, initial=2
    )


class HeadcountForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none())
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    period = forms.ChoiceField(label=_("Window"), choices=Period.choices)
    counted = forms.IntegerField(label=_("People present"), min_value=0, max_value=100000)
    present = forms.CharField(
        label=_("Roll call: numbers of those present, one a line (optional)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class FindingForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Responsible unit"), queryset=OrgUnit.objects.none())
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    criterion = forms.CharField(label=_("Criterion"), max_length=200)
    description = forms.CharField(
        label=_("What was found"), widget=forms.Textarea(attrs={"rows": 4})
    )
    applies_on = forms.DateField(
        label=_("The day it applies to"), widget=forms.DateInput(attrs={"type": "date"})
    )
    issue = forms.BooleanField(
        label=_("Issue a rectification notice now"), required=False, initial=True
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class StepForm(forms.Form):
    step = forms.ChoiceField(choices=EventKind.choices, widget=forms.HiddenInput)
    text = forms.CharField(
        label=_("Details"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    until = forms.DateField(
        label=_("New deadline"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
