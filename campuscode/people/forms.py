from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from campuscode.core.widgets import DateInput
from campuscode.people.access import Cap
from campuscode.people.models import OrgUnit, Person, Role
from campuscode.people.selectors import kinds_in_scope, units_in_scope
from campuscode.people.services import (
    normalise_name,
    normalise_text,
    validate_id_number,
    validate_phone,
)


class UnitChoiceField(forms.ModelChoiceField):
    """Units indented by depth, so the tree reads in a plain <select> on a phone."""

    def label_from_instance(self, obj: OrgUnit) -> str:
        depth = obj.path.count("/") - 2
        return "\u3000" * max(depth, 0) + obj.name


def _unit_field(*, user, capability: str, required: bool, label) -> UnitChoiceField:
    return UnitChoiceField(
        queryset=units_in_scope(user=user, capability=capability),
        required=required,
        label=label,
        empty_label=_("All units") if not required else "---------",
    )


class PeopleFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Name or number"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name or number")}),
    )
    unit = forms.ModelChoiceField(queryset=OrgUnit.objects.none(), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("Any state")), *Person.State.choices],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = _unit_field(
            user=user, capability=Cap.VIEW_PEOPLE, required=False, label=_("Org unit")
        )
        self.fields["kind"].choices = [
            ("", _("Any kind")),
            *kinds_in_scope(user=user, capability=Cap.VIEW_PEOPLE),
        ]

    def filters(self) -> dict:
        """The valid filters only: a guessed unit id outside the scope is dropped."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "unit": data.get("unit"),
            "kind": data.get("kind", ""),
            "state": data.get("state", ""),
            "q": normalise_text(data.get("q", "")),
        }

    @staticmethod
    def describe(filters: dict) -> dict:
        """The filters as plain data for the audit entry."""
        described = {key: value for key, value in filters.items() if value and key != "unit"}
        if filters.get("unit") is not None:
            described["unit"] = filters["unit"].name
        return described


class PersonForm(forms.ModelForm):
    id_number = forms.CharField(
        label=_("ID number"),
        required=False,
        max_length=32,
        help_text=_(
            "Optional. Only a keyed hash and the last four characters are stored; "
            "leave blank to keep the stored one."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    class Meta:
        model = Person
        fields = [
            "number",
            "name",
            "kind",
            "org_unit",
            "phone",
            "email",
            "state",
            "valid_from",
            "valid_until",
        ]
        widgets = {
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "valid_from": DateInput(),
            "valid_until": DateInput(),
        }
        help_texts = {
            "state": _("A person leaves by becoming suspended or left; records are never deleted.")
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"] = _unit_field(
            user=user, capability=Cap.EDIT_PEOPLE, required=True, label=_("Org unit")
        )
        self.fields["kind"].choices = kinds_in_scope(user=user, capability=Cap.EDIT_PEOPLE)
        self.fields["id_number"].widget.attrs["placeholder"] = (
            self.instance.masked_id if self.instance.pk else ""
        )

    def clean_number(self):
        return normalise_text(self.cleaned_data["number"]).replace(" ", "").upper()

    def clean_name(self):
        return normalise_name(self.cleaned_data["name"])

    def clean_phone(self):
        return validate_phone(self.cleaned_data["phone"])

    def clean_id_number(self):
        raw = self.cleaned_data["id_number"]
        return validate_id_number(raw) if normalise_text(raw) else ""

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("valid_from"), cleaned.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", _("The end of validity is before its start."))
        return cleaned

    def _post_clean(self):
        # The model is validated by the service (with the school it derives from the
        # unit); a ModelForm would validate it here without one.
        pass

    def person_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def add_service_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, error)


class AccountFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Account, name or number"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"type": "search"}),
    )


class GrantRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    org_unit = forms.ModelChoiceField(queryset=OrgUnit.objects.none(), label=_("Scope"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"] = _unit_field(
            user=user, capability=Cap.MANAGE_ACCOUNTS, required=True, label=_("Scope")
        )
