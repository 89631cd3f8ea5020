from pathlib import Path

from django import forms
from django.utils.translation import gettext_lazy as _

from campuscode.core.rules import get_setting
from campuscode.people.access import Cap, units_for
from campuscode.people.models import OrgUnit


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Roster file (XLSX or CSV)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        school_ids = {unit.school_id for unit in units_for(user, Cap.IMPORT_PEOPLE)}
        self.schools = list(OrgUnit.objects.filter(pk__in=school_ids).order_by("name"))
        if len(self.schools) > 1:
            self.fields["school"] = forms.ModelChoiceField(
                queryset=OrgUnit.objects.filter(pk__in=school_ids), label=_("School")
            )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        if suffix == ".xls":
            raise forms.ValidationError(
                _("Old .xls files cannot be read; save the file as .xlsx and upload it again.")
            )
        if suffix not in {".xlsx", ".csv", ".txt"}:
            raise forms.ValidationError(_("Upload an .xlsx or .csv file."))
        limit = get_setting("roster_max_upload_mb")
        if upload.size > limit * 1024 * 1024:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s MB."), params={"limit": limit}
            )
        return upload

    def chosen_school(self) -> OrgUnit:
        return self.cleaned_data.get("school") or self.schools[0]
