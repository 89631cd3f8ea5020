import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from campuscode.checkins.models import CheckinPoint, Contact, Symptom, WindowNotice
from campuscode.checkins.rules import setting as get_setting
from campuscode.checkins.services import Answers
from campuscode.core.rules import TimeRangeSpec
from campuscode.core.widgets import DateInput, DateTimeInput

NO_SYMPTOMS = "none"
TEMPERATURE_RE = re.compile(r"^\d{1,2}(\.\d+)?$")


def parse_temperature(raw) -> Decimal:
    """'36.5', '36,5' and full-width '３６．５' all read as 36.5 (R5.1)."""
    text = unicodedata.normalize("NFKC", str(raw or "")).strip()
    text = text.replace("。", ".").replace(",", ".").replace("℃", "").replace("°C", "").strip()
    if not text:
        raise ValidationError(_("Enter your temperature."), code="required")
    low, high = get_setting("checkin_temperature_min"), get_setting("checkin_temperature_max")
    if re.fullmatch(r"\d{3,4}", text):  # 365: the decimal point left out
        raise ValidationError(
            _(
                "The temperature should be between %(low)s and %(high)s with one decimal, "
                "for example 36.5. Did you leave out the decimal point?"
            ),
            code="missing_point",
            params={"low": f"{low:.1f}", "high": f"{high:.1f}"},
        )
    if not TEMPERATURE_RE.match(text):
        raise ValidationError(_("Enter the temperature as a number like 36.5."), code="invalid")
    if len(text.partition(".")[2]) > 1:
        raise ValidationError(
            _("Enter the temperature with one decimal, like 36.5."), code="too_precise"
        )
    try:
        value = Decimal(text).quantize(Decimal("0.1"))
    except InvalidOperation:
        raise ValidationError(
            _("Enter the temperature as a number like 36.5."), code="invalid"
        ) from None
    if not Decimal(str(low)) <= value <= Decimal(str(high)):
        raise ValidationError(
            _(
                "%(value)s °C is not a plausible body temperature (%(low)s–%(high)s °C). Measure again."
            ),
            code="out_of_range",
            params={"value": value, "low": low, "high": high},
        )
    return value


class CheckinForm(forms.Form):
    """Only what the person says. Time and place are the server's, never fields (R4.5)."""

    temperature = forms.CharField(
        label=_("Temperature (°C)"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "placeholder": "36.5"}
        ),
    )
    symptoms = forms.MultipleChoiceField(
        label=_("Symptoms"),
        choices=[(NO_SYMPTOMS, _("None")), *Symptom.choices],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick 'None' or the symptoms you have.")},
    )
    symptom_detail = forms.CharField(
        label=_("Symptom details"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # No initial choice: "no contact" is something the person says, never a default.
    contact = forms.ChoiceField(
        label=_("Contact history (last 14 days)"),
        choices=Contact.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether you had contact with a case.")},
    )
    contact_at = forms.DateTimeField(
        label=_("Date and time of contact"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=DateTimeInput(),
    )
    contact_place = forms.CharField(label=_("Place of contact"), required=False, max_length=200)
    contact_manner = forms.CharField(
        label=_("Manner of contact"),
        required=False,
        max_length=200,
        help_text=_("For example: same classroom, shared meal, same train carriage."),
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, correcting: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if correcting:  # a second check-in in a window replaces the first only with a reason
            self.fields["correction_reason"] = CorrectionReasonField()

    def clean_temperature(self):
        return parse_temperature(self.cleaned_data.get("temperature"))

    def clean_symptoms(self):
        chosen = self.cleaned_data.get("symptoms") or []
        if NO_SYMPTOMS in chosen and len(chosen) > 1:
            raise ValidationError(
                _("Tick either 'None' or symptoms, not both."), code="none_and_symptoms"
            )
        return [code for code in chosen if code != NO_SYMPTOMS]

    def clean(self):
        data = super().clean()
        if Symptom.OTHER in (data.get("symptoms") or []) and not data.get("symptom_detail"):
            self.add_error(
                "symptom_detail",
                ValidationError(_("Describe the other symptom."), code="detail_required"),
            )
        if data.get("contact") in (Contact.CONFIRMED, Contact.SUSPECTED):
            for field in ("contact_at", "contact_place", "contact_manner"):
                if not data.get(field):
                    self.add_error(
                        field,
                        ValidationError(
                            _("Required when you report a contact."), code="contact_required"
                        ),
                    )
        return data

    def answers(self) -> Answers:
        data = self.cleaned_data
        contact = data["contact"]
        return Answers(
            temperature=data["temperature"],
            symptoms=data["symptoms"],
            symptom_detail=data.get("symptom_detail", ""),
            contact=contact,
            contact_at=data.get("contact_at") if contact != Contact.NONE else None,
            contact_place=data.get("contact_place", "") if contact != Contact.NONE else "",
            contact_manner=data.get("contact_manner", "") if contact != Contact.NONE else "",
        )


class CorrectionReasonField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Reason for the correction"))
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault(
            "help_text", _("For example: I entered the wrong temperature; I measured again.")
        )
        kwargs.setdefault(
            "error_messages", {"required": _("Say why this check-in replaces the earlier one.")}
        )
        super().__init__(**kwargs)


class SameAsLastForm(forms.Form):
    """ "Same as last time": the answers of the last normal check-in in one tap, with the
    temperature still confirmed as measured today (it is shown, editable, not assumed)."""

    same = forms.CharField(widget=forms.HiddenInput, initial="1")
    temperature = forms.CharField(
        label=_("Today's temperature (°C)"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    measured_today = forms.BooleanField(
        label=_("I measured it today and this is today's reading"),
        error_messages={"required": _("Confirm that you measured your temperature today.")},
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def clean_temperature(self):
        return parse_temperature(self.cleaned_data.get("temperature"))

    def answers(self) -> Answers:
        # Symptoms and contact "none" only because the person tapped "same as last time"
        # on a last check-in that had none.
        return Answers(
            temperature=self.cleaned_data["temperature"], symptoms=[], contact=Contact.NONE
        )


class PointForm(forms.ModelForm):
    class Meta:
        model = CheckinPoint
        fields = ["campus", "building", "name", "kind", "active", "codes"]

    def __init__(self, *args, school=None, **kwargs):
        super().__init__(*args, **kwargs)
        if school is not None:
            self.fields["campus"].queryset = self.fields["campus"].queryset.filter(
                path__startswith=school.path
            )


class PointPolicyForm(PointForm):
    """The point's page: also what proves presence there (checkins.evidence). A new point
    starts with the default policy: the campus network, flagged when missing."""

    class Meta(PointForm.Meta):
        fields = [
            *PointForm.Meta.fields,
            "evidence_network",
            "evidence_location",
            "evidence_scan",
            "on_missing",
            "latitude",
            "longitude",
            "radius_m",
        ]

    def clean(self):
        data = super().clean()
        if data.get("evidence_location") and (
            data.get("latitude") is None or data.get("longitude") is None
        ):
            self.add_error(
                "latitude",
                _("Location evidence needs the point's coordinates (latitude and longitude)."),
            )
        for name, limit in (("latitude", 90), ("longitude", 180)):
            value = data.get(name)
            if value is not None and abs(value) > limit:
                self.add_error(name, _("Out of range."))
        return data


class WindowField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        return TimeRangeSpec("window", "", str(self.label)).clean(value)


class NoticeForm(forms.ModelForm):
    morning = WindowField(label=_("Morning window"), required=False, help_text="07:30-09:30")
    afternoon = WindowField(label=_("Afternoon window"), required=False, help_text="13:00-14:30")

    class Meta:
        model = WindowNotice
        fields = ["title", "first_day", "last_day", "kind", "morning", "afternoon"]
        widgets = {
            "first_day": DateInput(),
            "last_day": DateInput(),
        }

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and last < first:
            self.add_error("last_day", _("The last day is before the first day."))
        if data.get("kind") == WindowNotice.Kind.OTHER_TIMES and not (
            data.get("morning") or data.get("afternoon")
        ):
            self.add_error("morning", _("Give at least one window, or choose 'no check-in'."))
        return data


class ManualStatusForm(forms.Form):
    colour = forms.ChoiceField(
        label=_("Status"),
        choices=[
            ("green", _("Green")),
            ("yellow", _("Yellow")),
            ("red", _("Red")),
            ("clear", _("Clear the manual status")),
        ],
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)


class ExplainForm(forms.Form):
    explanation = forms.CharField(label=_("Explanation"), max_length=300)
