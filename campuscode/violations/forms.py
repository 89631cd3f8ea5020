from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campuscode.violations.models import Outcome, State, Step, ViolationType


class FilterForm(forms.Form):
    vtype = forms.ChoiceField(
        label=pgettext_lazy("violations", "Type"),
        required=False,
        choices=[("", _("All types")), *ViolationType.choices],
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All open")), *State.choices, ("all", _("All"))],
    )


class ReportForm(forms.Form):
    vtype = forms.ChoiceField(label=_("Type of violation"), choices=ViolationType.choices)
    number = forms.CharField(
        label=_("School or staff number of the person"), required=False, max_length=32
    )
    facts = forms.CharField(
        label=_("What happened"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Facts only: when, where, what you saw or found. The person will read this."),
    )


class StatementForm(forms.Form):
    statement = forms.CharField(
        label=_("Your statement and defence"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    self_review = forms.CharField(
        label=_("Written self-review"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    waive = forms.BooleanField(label=_("I give up my statement"), required=False)


class DecideForm(forms.Form):
    step = forms.ChoiceField(label=pgettext_lazy("violations", "Decision"), choices=Step.choices)
    reasons = forms.CharField(
        label=_("Reasons"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
    deviation_reason = forms.CharField(
        label=_("Why depart from the proposal"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed when the decision is not the proposed step."),
    )
    term_months = forms.IntegerField(
        label=_("Term (months)"),
        required=False,
        min_value=1,
        max_value=36,
        help_text=_("Blank: the school's term for the step."),
    )
    fine_yuan = forms.IntegerField(label=_("Fine (yuan)"), required=False, min_value=1)
    suspend_on_appeal = forms.BooleanField(
        label=_("Suspend the sanction while it is under appeal"), required=False
    )
    epidemic_referral = forms.BooleanField(
        label=_("Refer for epidemic-control risk (not a sanction)"), required=False
    )


class AppealForm(forms.Form):
    text = forms.CharField(
        label=_("Your appeal"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )


class ExtendForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the review needs more time"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    step = forms.ChoiceField(
        label=_("Changed to"),
        required=False,
        choices=[("", "—"), *Step.choices],
        help_text=_("Only when the decision is changed."),
    )
    reasons = forms.CharField(
        label=_("Reasons"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
