"""Reads of roster imports, always limited to what the user may see."""

from django.db.models import Q, QuerySet

from campuscode.people.access import Cap, has_capability, units_for
from campuscode.roster.models import ImportJob, ImportRowError


def jobs_visible_to(user) -> QuerySet[ImportJob]:
    """A user's own imports; an importer whose scope is a whole school also sees the
    imports of everyone at that school (the system admin, HR)."""
    if not user.is_authenticated or not has_capability(user, Cap.IMPORT_PEOPLE):
        return ImportJob.objects.none()
    school_ids = [unit.pk for unit in units_for(user, Cap.IMPORT_PEOPLE) if unit.parent_id is None]
    return ImportJob.objects.filter(
        Q(created_by=user) | Q(school_id__in=school_ids)
    ).select_related("school")


def job_errors(job: ImportJob) -> QuerySet[ImportRowError]:
    return job.errors.order_by("row", "id")
