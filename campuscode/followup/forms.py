import secrets
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from campuscode.checkins.forms import NO_SYMPTOMS, CheckinForm, parse_temperature
from campuscode.checkins.models import Period, Symptom
from campuscode.core.widgets import DateInput
from campuscode.followup.attachments import ACCEPT, check_photo
from campuscode.followup.models import AdvanceReport, CaseState, Isolation, VisitorApplication
from campuscode.people.services import validate_id_number

DATE = DateInput()


def new_key() -> str:
    return secrets.token_urlsafe(16)


class KeyMixin(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)


PHONE_RE = r"^\+?[0-9][0-9 \-]{4,18}[0-9]$"


class AdvanceReportForm(KeyMixin):
    kind = forms.ChoiceField(
        label=_("Type"), choices=AdvanceReport.Kind.choices, widget=forms.RadioSelect
    )
    first_day = forms.DateField(label=_("First day"), widget=DATE)
    last_day = forms.DateField(label=_("Last day"), widget=DATE)
    periods = forms.MultipleChoiceField(
        label=_("Windows"),
        choices=Period.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=Period.values,
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )
    destination = forms.CharField(
        label=_("Where you will be"),
        max_length=200,
        help_text=_("A city, a hospital, the place of the event."),
    )
    phone = forms.RegexField(
        label=_("Contact phone while away"),
        regex=PHONE_RE,
        max_length=20,
        error_messages={"invalid": _("Enter a phone number of digits, e.g. 13812345678.")},
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    attachment = forms.FileField(
        label=_("Proof (optional): a photo of a doctor's note or an invitation"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if upload:
            check_photo(upload)
        return upload


def window_choice(day: date, period: str) -> str:
    return f"{day.isoformat()}|{period}"


def parse_window(value: str) -> tuple[date, str]:
    day, _sep, period = value.partition("|")
    return date.fromisoformat(day), period


class WindowChoiceField(forms.ChoiceField):
    """A window as 'YYYY-MM-DD|period' from the choices the view offers."""

    def clean(self, value):
        value = super().clean(value)
        try:
            day, period = parse_window(value)
        except ValueError:
            raise ValidationError(_("Choose a window."), code="invalid") from None
        if period not in Period.values:
            raise ValidationError(_("Choose a window."), code="invalid")
        return day, period


class MakeupForm(CheckinForm):
    window = WindowChoiceField(label=_("Missed window"))
    reason = forms.CharField(
        label=_("Why you could not check in"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    field_order = ["window", "temperature", "symptoms", "symptom_detail", "contact"]

    def __init__(self, *args, windows=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["window"].choices = [
            (
                window_choice(w.day, w.period),
                f"{w.day:%Y-%m-%d} {w.label} ({w.start:%H:%M}–{w.end:%H:%M})",
            )
            for w in windows
        ]


class ManualForm(CheckinForm):
    number = forms.CharField(label=_("School/staff number"), max_length=32)
    window = WindowChoiceField(label=_("Window"))
    point = forms.ModelChoiceField(
        label=_("Check-in point"), queryset=None, required=False, empty_label=_("(none)")
    )
    place = forms.CharField(
        label=_("Place"),
        max_length=200,
        required=False,
        help_text=_("Where the data was taken, if not at a point (a dormitory room, a ward)."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_("Why the person could not check in with a phone."),
    )
    field_order = ["number", "window", "point", "place", "reason", "temperature", "symptoms"]

    def __init__(self, *args, windows=(), points=None, **kwargs):
        super().__init__(*args, **kwargs)
        from campuscode.checkins.models import CheckinPoint

        self.fields["point"].queryset = (
            points if points is not None else CheckinPoint.objects.none()
        )
        self.fields["window"].choices = windows

    def clean(self):
        data = super().clean()
        if not data.get("point") and not data.get("place"):
            self.add_error("place", ValidationError(_("Give a point or a place."), code="place"))
        return data


class DecideForm(forms.Form):
    items = forms.MultipleChoiceField(choices=(), required=True)
    action = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    # A rejection is shown first for confirmation; the confirming form sends this.
    confirm = forms.BooleanField(required=False)

    def clean(self):
        data = super().clean()
        if data.get("action") == "reject" and not (data.get("note") or "").strip():
            self.add_error(
                "note",
                ValidationError(
                    _("Give a reason for the rejection: the person will see it."),
                    code="no_reason",
                ),
            )
        return data

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = [(i, i) for i in items]

    def parsed(self) -> list[tuple[str, int]]:
        result = []
        for item in self.cleaned_data["items"]:
            kind, _sep, pk = item.partition(":")
            result.append((kind, int(pk)))
        return result


class VisitorForm(KeyMixin):
    kind = forms.ChoiceField(label=_("Kind"), choices=VisitorApplication.Kind.choices)
    host_unit = forms.ModelChoiceField(label=_("Host department"), queryset=None)
    name = forms.CharField(label=_("Full name"), max_length=64)
    id_number = forms.CharField(
        label=_("ID or passport number"),
        max_length=32,
        help_text=_("Only a keyed hash and the last 4 characters are stored."),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        required=False,
        help_text=_("The claim link and the one-time code are sent here by text message."),
    )
    email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        help_text=_("Needed only when there is no mobile number."),
    )
    purpose = forms.CharField(
        label=_("Purpose"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )
    valid_from = forms.DateField(label=_("Valid from"), widget=DATE)
    valid_until = forms.DateField(label=_("Valid until"), widget=DATE)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["host_unit"].queryset = units

    def clean_id_number(self):
        return validate_id_number(self.cleaned_data["id_number"])

    def clean(self):
        data = super().clean()
        first, last = data.get("valid_from"), data.get("valid_until")
        if first and last and last < first:
            self.add_error("valid_until", _("The last day is before the first day."))
        if not data.get("phone") and not data.get("email") and "email" not in self.errors:
            self.add_error("phone", _("Enter a mobile number or an e-mail address."))
        return data

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip().replace(" ", "").replace("-", "")
        if phone and not phone.lstrip("+").isdigit():
            raise forms.ValidationError(_("Enter the mobile number in digits."))
        return phone


class ProgressForm(KeyMixin):
    text = forms.CharField(
        label=_("Progress report"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    attachment = forms.FileField(
        label=_("Photo of a medical note (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if upload:
            check_photo(upload)
        return upload


class CaseStateForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        choices=[(s.value, s.label) for s in CaseState if s != CaseState.CLOSED],
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class CloseCaseForm(forms.Form):
    note = forms.CharField(
        label=_("Closing note"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class IsolationForm(forms.Form):
    number = forms.CharField(label=_("School/staff number"), max_length=32)
    kind = forms.ChoiceField(label=_("Kind"), choices=Isolation.Kind.choices)
    place = forms.CharField(label=_("Place"), max_length=200)
    reason = forms.CharField(label=_("Reason"), max_length=300)
    starts_on = forms.DateField(label=_("First day"), widget=DATE)
    ends_on = forms.DateField(label=_("Planned last day"), widget=DATE)


class EndIsolationForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=300)


class IsolationReportForm(forms.Form):
    temperature = forms.CharField(
        label=_("Temperature (°C)"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "36.5"}),
    )
    symptoms = forms.MultipleChoiceField(
        label=_("Symptoms"),
        choices=[(NO_SYMPTOMS, _("None")), *Symptom.choices],
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("How are you feeling"), max_length=500, required=False)

    def clean_temperature(self):
        return parse_temperature(self.cleaned_data.get("temperature"))

    def clean_symptoms(self):
        chosen = self.cleaned_data.get("symptoms") or []
        if NO_SYMPTOMS in chosen and len(chosen) > 1:
            raise ValidationError(
                _("Tick either 'None' or symptoms, not both."), code="none_and_symptoms"
            )
        return [c for c in chosen if c != NO_SYMPTOMS]
