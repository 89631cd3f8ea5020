from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ViolationsConfig(AppConfig):
    name = "campuscode.violations"
    label = "violations"
    verbose_name = _("Violations")

    def ready(self):
        from campuscode.casework.registry import (
            DeadlineKind,
            DocumentKind,
            register_deadlines,
            register_document,
        )
        from campuscode.violations import reminders

        register_document(
            DocumentKind("violations.decision", "violation_decision_prefix", _("Decision letter"))
        )
        register_document(
            DocumentKind("violations.review", "violation_review_prefix", _("Review decision"))
        )
        register_deadlines(DeadlineKind("violations.statement", reminders.statements_due))
        register_deadlines(DeadlineKind("violations.review", reminders.reviews_due))
