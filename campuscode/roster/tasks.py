"""Background steps of a roster import; the command line calls the same services inline."""

from celery import shared_task

from campuscode.roster.models import ImportJob
from campuscode.roster.services import run_commit, validate_job


@shared_task(ignore_result=True)
def validate_import(job_id: int) -> None:
    # Idempotent: validate_job only works on a job still in the "uploaded" state.
    job = ImportJob.objects.filter(pk=job_id).select_related("school", "created_by").first()
    if job:
        validate_job(job=job)


@shared_task(ignore_result=True)
def commit_import(job_id: int) -> None:
    # Idempotent: run_commit only works on a job that start_commit moved to "committing".
    job = ImportJob.objects.filter(pk=job_id).select_related("school", "created_by").first()
    if job:
        run_commit(job=job)
