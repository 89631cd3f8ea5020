from django import forms
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _

from campuscode.people.models import OrgUnit


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

    def clean(self):
        cleaned = super().clean()
        username, password = cleaned.get("username", "").strip(), cleaned.get("password")
        if not username or not password:
            return cleaned
        school = self.chosen_school()
        candidates = [person_username(school=school, number=username)] if school else []
        candidates.append(username)
        for candidate in candidates:
            user = authenticate(self.request, username=candidate, password=password)
            if user is not None:
                if not user.is_active:
                    raise forms.ValidationError(_("This account is disabled."))
                self.user = user
                return cleaned
            if getattr(self.request, "axes_locked_out", False):
                break
        raise forms.ValidationError(
            _("Number or password is wrong. After several failures sign-in locks for a while.")
        )
