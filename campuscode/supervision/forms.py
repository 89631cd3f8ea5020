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


class PeriodForm(forms.Form):
    first = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        first, last = data.get("first"), data.get("last")
        if first and last and not (first <= last and (last - first).days < 92):
            raise forms.ValidationError(
                _("Choose a period whose end is not before its start, at most 92 days.")
            )
        return data


class PhotosInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(PhotosField, self).clean(one, initial) for one in data if one]
        return [super().clean(data, initial)] if data else []


class PointInspectionForm(forms.Form):
    """The plan's checklist as yes/no questions with a note each, and photos."""

    photos = PhotosField(
        label=_("Photos"),
        required=False,
        widget=PhotosInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for n, item in enumerate(self.items):
            self.fields[f"ok_{n}"] = forms.TypedChoiceField(
                label=item,
                choices=[("1", _("Yes")), ("0", _("No"))],
                coerce=lambda v: v == "1",
                widget=forms.RadioSelect,
            )
            self.fields[f"note_{n}"] = forms.CharField(
                label=_("Note"), required=False, max_length=500
            )
        self.order_fields([*[f for n in range(len(self.items)) for f in (f"ok_{n}", f"note_{n}")]])

    def clean_photos(self):
        from campuscode.followup.attachments import check_photo

        uploads = self.cleaned_data.get("photos") or []
        for upload in uploads:
            check_photo(upload)
        return uploads

    def answers(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {"item": str(item), "ok": data[f"ok_{n}"], "note": data[f"note_{n}"].strip()}
            for n, item in enumerate(self.items)
        ]
