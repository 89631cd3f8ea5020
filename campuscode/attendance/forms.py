from django import forms
from django.utils.translation import gettext_lazy as _

from campuscode.attendance.models import Status, Term


class SessionForm(forms.Form):
    unit = forms.ModelChoiceField(queryset=None, label=_("Class"))
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = forms.DateTimeField(
        label=_("Starts at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("Ends at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    place = forms.CharField(label=_("Room or place"), max_length=100, required=False)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("The session must end after it starts."))
        return data


class CorrectionForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the correction"), max_length=300, required=False)


class MakeupForm(forms.Form):
    reason = forms.CharField(label=_("Why were you not marked?"), max_length=300)
    evidence_text = forms.CharField(
        label=_("What shows you were there (who saw you, what you did)"),
        max_length=300,
        required=False,
    )


class DecideForm(forms.Form):
    approve = forms.TypedChoiceField(
        choices=[("1", _("Approve")), ("0", _("Reject"))], coerce=lambda v: v == "1"
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class TermForm(forms.ModelForm):
    period_times_text = forms.CharField(
        label=_("Period times"),
        help_text=_("One period per line or comma-separated, like 08:00-08:45."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    exam_weeks_text = forms.CharField(
        label=_("Exam weeks"), required=False, help_text=_("Like 19,20.")
    )
    makeup_days_text = forms.CharField(
        label=_("Make-up days"),
        required=False,
        help_text=_(
            "One per line: the date, then the date whose timetable is taught, like 2026-10-10=2026-10-06."
        ),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = Term
        fields = ["name", "starts_on", "weeks"]
        widgets = {"starts_on": forms.DateInput(attrs={"type": "date"})}

    def clean_period_times_text(self):
        import re

        parts = [p for p in re.split(r"[\s,，]+", self.cleaned_data["period_times_text"]) if p]
        out = []
        for part in parts:
            m = re.fullmatch(r"(\d{1,2}):(\d{2})[-~](\d{1,2}):(\d{2})", part.replace("：", ":"))
            if not m or (int(m[1]), int(m[2])) >= (int(m[3]), int(m[4])):
                raise forms.ValidationError(
                    _("%(value)s is not a period like 08:00-08:45.") % {"value": part}
                )
            out.append(f"{int(m[1]):02d}:{m[2]}-{int(m[3]):02d}:{m[4]}")
        if not out:
            raise forms.ValidationError(_("Give the times of the periods."))
        return out

    def clean_exam_weeks_text(self):
        import re

        parts = [p for p in re.split(r"[\s,，、]+", self.cleaned_data["exam_weeks_text"]) if p]
        if any(not p.isdigit() for p in parts):
            raise forms.ValidationError(_("Write the exam weeks as numbers, like 19,20."))
        return sorted({int(p) for p in parts})

    def clean_makeup_days_text(self):
        import datetime
        import re

        out = []
        for line in [
            p for p in re.split(r"[\n,，]+", self.cleaned_data["makeup_days_text"]) if p.strip()
        ]:
            try:
                day, taught = (datetime.date.fromisoformat(x.strip()) for x in line.split("="))
            except ValueError:
                raise forms.ValidationError(
                    _("%(value)s is not like 2026-10-10=2026-10-06.") % {"value": line.strip()}
                ) from None
            out.append({"date": day.isoformat(), "as": taught.isoformat()})
        return out

    def save(self, commit=True):
        term = super().save(commit=False)
        term.period_times = self.cleaned_data["period_times_text"]
        term.exam_weeks = self.cleaned_data["exam_weeks_text"]
        term.makeup_days = self.cleaned_data["makeup_days_text"]
        if commit:
            term.save()
        return term


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Timetable file (XLSX or CSV)"))


class ReportForm(forms.Form):
    course = forms.ModelChoiceField(queryset=None, required=False, label=_("Course"))
    unit = forms.ModelChoiceField(queryset=None, required=False, label=_("Class"))
    first = forms.DateField(
        required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    last = forms.DateField(
        required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, courses, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses
        self.fields["unit"].queryset = units


STATUS_CHOICES = Status.choices
