import re

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from campuscode.people.models import OrgUnit
from campuscode.people.services import normalise_text


def person_username(*, school: OrgUnit, number: str) -> str:
    """The account name of a person: their number at their school ('20250101@DEMO')."""
    return f"{number}@{school.code}"


def schools():
    return OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL).order_by("name")


class SchoolChoiceMixin:
    """Adds a school field only when the installation serves more than one school."""

    def _add_school_field(self):
        choices = list(schools())
        if len(choices) > 1:
            self.fields["school"] = forms.ModelChoiceField(
                queryset=schools(), label=_("School"), empty_label=None
            )
            self.order_fields(["school"])
        self._only_school = choices[0] if len(choices) == 1 else None

    def chosen_school(self):
        return self.cleaned_data.get("school") or self._only_school


class LoginForm(SchoolChoiceMixin, forms.Form):
    username = forms.CharField(
        label=_("School/staff number or account"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)
        self._add_school_field()

    def account_name(self, typed: str) -> str:
        """The one account name to try: '20250101' at the school is '20250101@DEMO' when that
        account exists, otherwise what was typed ('itadmin').

        A single authenticate() per submission, so django-axes counts one failure per try
        (trying both names used to count two and locked after half the attempts).
        """
        typed = normalise_text(typed).replace(" ", "")
        school = self.chosen_school()
        if school and "@" not in typed:
            found = (
                User.objects.filter(username__iexact=person_username(school=school, number=typed))
                .values_list("username", flat=True)
                .first()
            )
            if found:
                return found
        return typed

    def clean(self):
        cleaned = super().clean()
        username, password = cleaned.get("username", "").strip(), cleaned.get("password")
        if not username or not password:
            return cleaned
        user = authenticate(self.request, username=self.account_name(username), password=password)
        if user is not None:
            if not user.is_active:
                raise forms.ValidationError(_("This account is disabled."))
            self.user = user
            return cleaned
        raise forms.ValidationError(
            _("Number or password is wrong. After several failures sign-in locks for a while.")
        )


class ClaimIdentityForm(SchoolChoiceMixin, forms.Form):
    number = forms.CharField(
        label=_("School/staff number"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    name = forms.CharField(
        label=_("Full name"), max_length=64, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    id_last4 = forms.CharField(
        label=_("Last 4 characters of your ID number"),
        min_length=4,
        max_length=4,
        help_text=_("The last character may be X."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "size": 4}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._add_school_field()

    def clean_id_last4(self):
        value = normalise_text(self.cleaned_data["id_last4"]).replace(" ", "").upper()
        if not re.fullmatch(r"[0-9A-Z]{4}", value):
            raise forms.ValidationError(_("Enter 4 digits or letters."))
        return value


class OneTimeCodeForm(forms.Form):
    code = forms.CharField(
        label=_("One-time code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9 ]*",
                "autofocus": True,
            }
        ),
    )

    def clean_code(self):
        value = normalise_text(self.cleaned_data["code"]).replace(" ", "")
        if not re.fullmatch(r"\d{6}", value):
            raise forms.ValidationError(_("Enter the 6 digits."))
        return value


def _second_factor_field(*, autofocus: bool) -> forms.CharField:
    attrs = {"inputmode": "numeric", "autocomplete": "one-time-code", "autocapitalize": "none"}
    if autofocus:
        attrs["autofocus"] = True
    return forms.CharField(
        label=_("Code from the app, or a backup code"),
        max_length=32,
        widget=forms.TextInput(attrs=attrs),
    )


class SecondFactorForm(forms.Form):
    """A code from the authenticator app (6 digits) or a backup code (10 digits)."""

    code = _second_factor_field(autofocus=True)

    def clean_code(self):
        return _second_factor_code(self.cleaned_data["code"])


def _second_factor_code(raw: str) -> str:
    # Backup codes are printed as '01234 56789'; people also type a dash.
    value = re.sub(r"[\s\-]", "", normalise_text(raw))
    if not re.fullmatch(r"\d{6}|\d{10}", value):
        raise forms.ValidationError(
            _("Enter the 6 digits from the app, or a 10-digit backup code.")
        )
    return value


class ClaimResetForm(SetPasswordForm):
    """The password step for an account claimed already: the e-mailed code alone never
    re-passwords it (whoever changed the e-mail would get the account); its second factor
    must be shown too."""

    code = _second_factor_field(autofocus=False)

    def clean_code(self):
        return _second_factor_code(self.cleaned_data["code"])


class ResetSecondFactorForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_("For example: phone lost, identity checked in person at the IT office."),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why the reset is needed.")},
    )


class ResetPasswordForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_(
            "For example: password forgotten, identity checked in person at the IT office."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why the reset is needed.")},
    )
