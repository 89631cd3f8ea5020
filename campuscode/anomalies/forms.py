from django import forms
from django.utils.translation import gettext_lazy as _

from campuscode.anomalies.models import AnomalyState, HandledAction, VerifiedReason
from campuscode.anomalies.registry import kind_choices


class FilterForm(forms.Form):
    # The registered detectors' kinds, read when the form is built (apps add theirs).
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=lambda: [("", _("All kinds")), *kind_choices()]
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All open")), *AnomalyState.choices, ("all", _("All"))],
    )


class StepForm(forms.Form):
    to_state = forms.ChoiceField(choices=AnomalyState.choices, widget=forms.HiddenInput)
    reason = forms.ChoiceField(
        label=_("Reason found"), required=False, choices=[("", "—"), *VerifiedReason.choices]
    )
    action = forms.ChoiceField(
        label=_("Action taken"), required=False, choices=[("", "—"), *HandledAction.choices]
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, step: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if step != AnomalyState.VERIFIED:
            del self.fields["reason"]
        else:
            self.fields["reason"].required = True
        if step != AnomalyState.HANDLED:
            del self.fields["action"]
        else:
            self.fields["action"].required = True
