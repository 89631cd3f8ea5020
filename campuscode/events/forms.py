from datetime import datetime

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campuscode.core.widgets import DateInput
from campuscode.events.models import CheckPoint, Event
from campuscode.events.services import SittingTimes
from campuscode.people.models import OrgUnit

SITTINGS = 3


class EventForm(forms.ModelForm):
    entry_points = forms.CharField(
        label=_("Entry points (sign in)"),
        required=False,
        max_length=300,
        help_text=_("Names separated by commas, e.g. 东门, 西门."),
    )
    exit_points = forms.CharField(label=_("Exit points (sign out)"), required=False, max_length=300)
    both_points = forms.CharField(
        label=_("Points for both entry and exit"), required=False, max_length=300, initial="正门"
    )

    class Meta:
        model = Event
        fields = [
            "title",
            "organiser_unit",
            "description",
            "place",
            "audience",
            "units",
            "capacity",
            "registration_open",
            "needs_approval",
            "mandatory",
            "min_stay_minutes",
            "signin_opens_minutes",
            "hours",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "units": forms.SelectMultiple(attrs={"size": 8}),
        }
        help_texts = {
            "units": _("For “people in chosen units or classes”; hold Ctrl to pick several.")
        }

    def __init__(self, *args, organiser_units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organiser_unit"].queryset = organiser_units
        schools = Q(pk__in=[])
        for school_id in {u.school_id for u in organiser_units}:
            schools |= Q(path__startswith=f"/{school_id}/")
        self.fields["units"].queryset = OrgUnit.objects.filter(schools).exclude(
            kind=OrgUnit.Kind.SCHOOL
        )
        self.fields["units"].required = False
        for n in range(1, SITTINGS + 1):
            required = n == 1 and self.instance.pk is None
            self.fields[f"day_{n}"] = forms.DateField(
                label=_("Sitting %(n)s: date") % {"n": n}, required=required, widget=DateInput()
            )
            self.fields[f"start_{n}"] = forms.TimeField(
                label=_("Starts"), required=required, widget=forms.TimeInput(attrs={"type": "time"})
            )
            self.fields[f"end_{n}"] = forms.TimeField(
                label=_("Ends"), required=required, widget=forms.TimeInput(attrs={"type": "time"})
            )
        if self.instance.pk is not None:
            for n in range(1, SITTINGS + 1):
                self.fields[f"day_{n}"].label = _("New sitting %(n)s: date") % {"n": n}

    def clean(self):
        data = super().clean()
        if data.get("audience") == Event.Audience.UNITS and not data.get("units"):
            self.add_error("units", _("Choose the units or classes invited."))
        if data.get("needs_approval") and not data.get("registration_open"):
            self.add_error(
                "needs_approval", _("Approval applies to registrations: open registration too.")
            )
        sittings = []
        for n in range(1, SITTINGS + 1):
            day, start, end = data.get(f"day_{n}"), data.get(f"start_{n}"), data.get(f"end_{n}")
            if not (day or start or end):
                continue
            if not (day and start and end):
                self.add_error(f"day_{n}", _("Give the date, start and end of this sitting."))
                continue
            starts = timezone.make_aware(datetime.combine(day, start))
            ends = timezone.make_aware(datetime.combine(day, end))
            if ends <= starts:
                self.add_error(f"end_{n}", _("The end must be after the start."))
                continue
            sittings.append(SittingTimes(starts, ends))
        data["sittings"] = sittings
        points = []
        for field, kind in (
            ("entry_points", CheckPoint.Kind.ENTRY),
            ("exit_points", CheckPoint.Kind.EXIT),
            ("both_points", CheckPoint.Kind.BOTH),
        ):
            for name in (data.get(field) or "").replace("，", ",").replace("、", ",").split(","):
                if name.strip():
                    points.append((name.strip()[:60], kind))
        if self.instance.pk is None and not points:
            self.add_error("both_points", _("Give at least one check-in point."))
        data["points"] = points
        return data

    @property
    def model_fields(self) -> dict:
        names = [f for f in self.Meta.fields if f not in ("units", "organiser_unit")]
        return {name: self.cleaned_data[name] for name in names}


class WalkInForm(forms.Form):
    number = forms.CharField(label=_("School/staff number"), max_length=32)
    point = forms.ModelChoiceField(
        label=pgettext_lazy("event", "Point"), queryset=CheckPoint.objects.none(), required=False
    )

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset = event.points.all()


class UndoForm(forms.Form):
    person = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=300)


class DecisionForm(forms.Form):
    approve = forms.BooleanField(required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class ReviewForm(forms.Form):
    excused = forms.BooleanField(required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
