"""The school rules page's form: one field per rule in SPECS, each declared by its spec."""

from typing import Any

from django import forms

from campuscode.core.rules import SPECS, check_together, section_of


class SchoolRulesForm(forms.Form):
    """Every rule of one school. Each field checks its own value (type, limits, times);
    clean() then refuses values that break the school together (check_together)."""

    def __init__(self, *args, current: dict[str, Any], **kwargs):
        super().__init__(*args, initial=current, **kwargs)
        self.current = current
        for key, spec in SPECS.items():
            self.fields[key] = spec.form_field()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.errors:  # each valid: then the ones that break the school together
            for key, message in check_together({**self.current, **cleaned}).items():
                self.add_error(key, message)
        return cleaned

    def changes(self) -> dict[str, dict[str, Any]]:
        """{key: {"from": old, "to": new}} for the rules whose value changed."""
        return {
            key: {"from": self.current[key], "to": value}
            for key, value in self.cleaned_data.items()
            if value != self.current[key]
        }

    def sections(self) -> list[tuple[str, list[dict]]]:
        """The fields grouped as the page shows them (core.rules.SECTIONS)."""
        sections: dict[str, list[dict]] = {}
        for key, spec in SPECS.items():
            field = self[key]
            sections.setdefault(section_of(key), []).append(
                {
                    "spec": spec,
                    "field": field,
                    "error": " ".join(field.errors),
                    "is_bool": spec.kind is bool,
                }
            )
        return list(sections.items())
