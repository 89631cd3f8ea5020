"""Roster import (R3.1, R3.2): upload → check and preview → commit.

The web page runs `validate_job` and `run_commit` in Celery tasks; the command line runs
the very same functions in its own process. Both read the file as a stream and work in
chunks of rows, so memory stays flat however long the file is.
"""

import logging
import shutil
import uuid
from collections import namedtuple
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q, TextChoices
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campuscode.accounts.notices import announce_contact_change
from campuscode.audit.services import log_action
from campuscode.people.models import OrgUnit, Person, PersonStateChange, RoleAssignment
from campuscode.people.registry import may_change_credentials
from campuscode.roster import reading
from campuscode.roster.models import (
    FileProblem,
    ImportJob,
    ImportRowError,
    RowProblem,
    StagedRow,
)
from campuscode.roster.rows import ParsedRow, parse_row
from campuscode.roster.units import UnitResolver, import_grants, scope_problem

log = logging.getLogger(__name__)

CHUNK = 1000
Progress = Callable[[ImportJob], None] | None
# Person fields an import may change; the others (account, claim) are not the roster's.
UPDATE_FIELDS = [
    "name",
    "kind",
    "org_unit_id",
    "phone",
    "email",
    "id_hash",
    "id_last4",
    "state",
    "valid_until",
]


class CommitRefusal(TextChoices):
    NOT_READY = "not_ready", _("This import is not waiting for confirmation.")
    HAS_ERRORS = (
        "has_errors",
        _("The file has rows with errors: fix them, or import only the good rows."),
    )
    BUSY = "busy", _("Another import for this school is being written; try again when it ends.")


def imports_dir() -> Path:
    folder = settings.DATA_DIR / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def create_job(*, school: OrgUnit, file_name: str, source, user=None, label: str = "") -> ImportJob:
    """Store an uploaded file (a file object or a path) and open a job for it."""
    suffix = Path(file_name).suffix.lower()[:8]
    target = imports_dir() / f"{uuid.uuid4().hex}{suffix}"
    if isinstance(source, str | Path):
        shutil.copyfile(source, target)
    else:
        with open(target, "wb") as handle:
            for chunk in source.chunks() if hasattr(source, "chunks") else iter(source):
                handle.write(chunk)
    target.chmod(0o600)  # the file holds full ID numbers until it is checked
    return ImportJob.objects.create(
        school=school,
        created_by=user,
        created_by_label=label or (user.get_username() if user else ""),
        file_name=Path(file_name).name[:255],
        file_path=str(target),
    )


def _claim(job: ImportJob, source: str, target: str) -> bool:
    """Move the job from `source` to `target` state unless another worker did it first:
    a retried task or a double click does the work once."""
    claimed = ImportJob.objects.filter(pk=job.pk, state=source).update(state=target)
    job.refresh_from_db()
    return bool(claimed)


def _save_counts(job: ImportJob, *extra: str) -> None:
    fields = ["rows", "new", "updated", "unchanged", "duplicates", "bad", "progress_done"]
    ImportJob.objects.filter(pk=job.pk).update(**{f: getattr(job, f) for f in [*fields, *extra]})


def _fail(job: ImportJob, problem: str, **params) -> ImportJob:
    job.state = ImportJob.State.FAILED
    job.problem, job.problem_params = problem, params
    job.finished_at = timezone.now()
    job.save()
    return job


def _forget_file(job: ImportJob) -> None:
    if job.file_path:
        Path(job.file_path).unlink(missing_ok=True)
        ImportJob.objects.filter(pk=job.pk).update(file_path="")
        job.file_path = ""


# --- Checking and preview ------------------------------------------------------------


def validate_job(*, job: ImportJob, progress: Progress = None) -> ImportJob:
    """Read the file, stage every row, record every problem; write no person."""
    if not _claim(job, ImportJob.State.UPLOADED, ImportJob.State.VALIDATING):
        return job
    try:
        with reading.open_table(Path(job.file_path)) as table:
            _validate_table(job, table, progress)
    except reading.UnreadableFile as error:
        _fail(job, error.code)
    except Exception:
        log.exception("roster import %s: checking failed", job.pk)
        _fail(job, FileProblem.CRASHED)
    finally:
        _forget_file(job)
    return job


def _validate_table(job: ImportJob, table: reading.Table, progress: Progress) -> None:
    header = None
    for number, cells in table.rows:
        header = reading.read_header(cells, number)
        if header or number >= reading.HEADER_SEARCH_ROWS:
            break
    if header is None:
        _fail(job, FileProblem.NO_HEADER)
        return
    job.header_row = header.row
    job.columns = header.columns()
    job.ignored_headers = header.ignored
    if header.missing:
        names = "、".join(reading.ALIASES[field][0] for field in header.missing)
        _fail(job, FileProblem.MISSING_COLUMNS, columns=names)
        return
    job.progress_total = max(table.total - header.row, 0)
    job.save()

    checker = _ChunkChecker(job)
    chunk: list[ParsedRow] = []
    for number, cells in table.rows:
        job.progress_done = number - header.row
        parsed = parse_row(number, cells, header.index)
        if parsed is None:
            continue
        chunk.append(parsed)
        if len(chunk) >= CHUNK:
            checker.check(chunk)
            chunk = []
            _save_counts(job)
            if progress:
                progress(job)
    checker.check(chunk)
    if job.rows == 0:
        _fail(job, FileProblem.EMPTY)
        return
    job.new_units = list(checker.resolver.planned.values())
    job.progress_total = job.progress_done
    job.state = ImportJob.State.VALIDATED
    job.save()
    if progress:
        progress(job)


class _ChunkChecker:
    """The checks that need the database, a chunk of rows at a time: repeats of earlier
    rows (staged, so memory does not grow with the file), people already registered,
    ID numbers in use, the importer's scope."""

    def __init__(self, job: ImportJob):
        self.job = job
        self.school = job.school
        self.grants = import_grants(job.created_by)
        self.resolver = UnitResolver(job.school)
        self.contact_guard = _ContactGuard(job.created_by)

    def check(self, rows: list[ParsedRow]) -> None:
        if not rows:
            return
        job = self.job
        numbers = [row.number for row in rows if row.number]
        hashes = [row.id_hash for row in rows if row.id_hash]
        earlier = {s.number: s for s in StagedRow.objects.filter(job=job, number__in=numbers)}
        existing = {
            p["number"]: p
            for p in Person.objects.filter(school=self.school, number__in=numbers).values(
                "number", "org_unit__path", "user_id", *UPDATE_FIELDS
            )
        }
        self.contact_guard.load(p["user_id"] for p in existing.values())
        owners = dict(
            Person.objects.filter(school=self.school)
            .holding_id(*hashes)
            .values_list("id_hash", "number")
        )
        hash_rows = {
            h: (row, number)
            for h, row, number in StagedRow.objects.filter(
                job=job, id_hash__in=hashes, ok=True
            ).values_list("id_hash", "row", "number")
        }
        staged: dict[str, StagedRow | _NewStaged] = {}
        revoked: list[StagedRow] = []
        errors: list[ImportRowError] = []
        for row in rows:
            job.rows += 1
            prior = staged.get(row.number) or earlier.get(row.number)
            if row.number and prior is not None:
                if prior.digest == row.digest:
                    job.duplicates += 1  # the same row twice: harmless, counted, skipped
                    continue
                row.problem("number", RowProblem.DUPLICATE_CONFLICT, row=prior.row)
                if prior.ok:  # neither row can be trusted over the other
                    self._revoke(prior)
                    errors.append(
                        ImportRowError(
                            job=job,
                            row=prior.row,
                            field="number",
                            code=RowProblem.DUPLICATE_CONFLICT,
                            params={"row": row.row},
                        )
                    )
                    if prior.pk:
                        revoked.append(prior)
                job.bad += 1
                errors += self._errors(row)
                continue
            person = existing.get(row.number)
            if not row.issues:
                self._check_target(row, person, owners, hash_rows)
            action = ""
            if not row.issues:
                action = self._action(row, person)
                if row.id_hash:
                    hash_rows[row.id_hash] = (row.row, row.number)
            if row.issues:
                job.bad += 1
                errors += self._errors(row)
            else:
                setattr(job, _COUNTER[action], getattr(job, _COUNTER[action]) + 1)
            if row.number:
                staged[row.number] = self._staged(row, action)
        with transaction.atomic():
            _insert_staged(staged.values())
            ImportRowError.objects.bulk_create(errors, batch_size=500)
            if revoked:
                StagedRow.objects.filter(pk__in=[s.pk for s in revoked]).update(ok=False, action="")

    def _check_target(self, row: ParsedRow, person: dict | None, owners, hash_rows) -> None:
        if not row.kind:  # no kind given: keep the registered one, else infer from 班级
            row.kind = (person or {}).get("kind") or (
                Person.Kind.STUDENT if row.class_name else Person.Kind.STAFF
            )
        target = self.resolver.resolve(
            campus=row.campus, college=row.college, class_name=row.class_name, kind=row.kind
        )
        if isinstance(target, tuple):
            row.problem(*target)
            return
        row.target = target
        if problem := scope_problem(self.grants, target.anchor_path, row.kind):
            row.problem("college" if problem == RowProblem.OUT_OF_SCOPE else "kind", problem)
        if person and scope_problem(self.grants, person["org_unit__path"], person["kind"]):
            row.problem("number", RowProblem.PERSON_OUT_OF_SCOPE)
        owner = owners.get(row.id_hash)
        if owner and owner != row.number:
            row.problem("id_number", RowProblem.ID_TAKEN)
        elif row.id_hash in hash_rows and hash_rows[row.id_hash][1] != row.number:
            row.problem("id_number", RowProblem.ID_REPEATED, row=hash_rows[row.id_hash][0])

    def _action(self, row: ParsedRow, person: dict | None) -> str:
        unit_id = row.target.unit_id
        if person is None:
            return StagedRow.Action.NEW
        changed = changes(person, row, unit_id)
        if column := self.contact_guard.refused_column(person["user_id"], changed):
            row.problem(column, RowProblem.ROLE_HOLDER_CONTACT)
            return ""
        if unit_id is None or changed:
            return StagedRow.Action.UPDATE
        return StagedRow.Action.SAME

    def _revoke(self, prior: StagedRow) -> None:
        counter = _COUNTER.get(prior.action)
        if counter:
            setattr(self.job, counter, getattr(self.job, counter) - 1)
        self.job.bad += 1
        prior.ok, prior.action = False, ""

    def _errors(self, row: ParsedRow) -> list[ImportRowError]:
        return [
            ImportRowError(
                job=self.job, row=row.row, field=issue.field, code=issue.code, params=issue.params
            )
            for issue in row.issues
        ]

    def _staged(self, row: ParsedRow, action: str) -> "_NewStaged":
        return _NewStaged(self.job.pk, row, action)


class _NewStaged:
    """A row about to be staged: the StagedRow columns as plain attributes (a model
    instance per row cost more than the row's checks, bench/README.md)."""

    __slots__ = (
        "action",
        "campus",
        "class_name",
        "college",
        "digest",
        "email",
        "id_hash",
        "id_last4",
        "job_id",
        "kind",
        "name",
        "number",
        "ok",
        "phone",
        "pk",
        "row",
        "state",
        "valid_until",
    )

    def __init__(self, job_id: int, row: ParsedRow, action: str):
        self.pk = None
        self.job_id = job_id
        self.row = row.row
        self.number = row.number
        self.digest = row.digest
        self.ok = not row.issues
        self.action = action
        self.name = row.name
        self.kind = row.kind
        self.campus = row.campus
        self.college = row.college
        self.class_name = row.class_name
        self.phone = row.phone
        self.email = row.email
        self.id_hash = row.id_hash
        self.id_last4 = row.id_last4
        self.state = row.state
        self.valid_until = row.valid_until


STAGED_COLUMNS = [f for f in StagedRow._meta.concrete_fields if not f.primary_key]


def _insert_staged(rows) -> None:
    """Plain SQL, not the ORM: staging is the bulk of the checking step's writes, and
    the ORM's per-field preparation would cost more than the SQL itself (bench/)."""
    attnames = [f.attname for f in STAGED_COLUMNS]
    adapt_date = connection.ops.adapt_datefield_value
    params = []
    for row in rows:
        values = [getattr(row, name) for name in attnames]
        values[-1] = adapt_date(values[-1])  # valid_until, the one non-text column
        params.append(values)
    _insert_rows(StagedRow, STAGED_COLUMNS, params)


def _insert_rows(model, fields, params: list[list]) -> None:
    """Rows of values, already adapted, into the model's table: one COPY on PostgreSQL
    (a stream parsed once, about three times cheaper than an executemany INSERT, which
    the server parses and plans row by row; bench/README.md), one executemany INSERT on
    SQLite (already fast there)."""
    if not params:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # cursor.cursor is psycopg's own; Django's wrapper knows no COPY, so its
            # errors are translated here (a unique violation is an IntegrityError).
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for values in params:
                    copy.write_row(values)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", params)  # noqa: S608


_COUNTER = {
    StagedRow.Action.NEW: "new",
    StagedRow.Action.UPDATE: "updated",
    StagedRow.Action.SAME: "unchanged",
}


def changes(person: dict, row, unit_id: int) -> dict:
    """The fields of a registered person the row would change. A blank optional cell
    (phone, e-mail, state, valid until) keeps what is registered: a roster export that
    lacks a phone number must not erase the one the person gave when claiming."""
    wanted = {
        "name": row.name,
        "kind": row.kind,
        "org_unit_id": unit_id,
        "id_hash": row.id_hash,
        "id_last4": row.id_last4,
    }
    for name in ("phone", "email", "state", "valid_until"):
        if getattr(row, name):
            wanted[name] = getattr(row, name)
    return {name: value for name, value in wanted.items() if person[name] != value}


# What proves an account is its owner's (the claim flow's e-mailed code and ID number's
# last 4): a roster must not change it on a role holder's record unless the importer could
# on the person page (people.registry.record_person), or importing is a way round it.
CREDENTIAL_CHANGES = {"email": "email", "phone": "phone", "id_hash": "id_number"}


class _ContactGuard:
    """Answers, for rows of one chunk, whether the importer may change how the account of
    a role holder is proven. One query per chunk for who holds a role; the full rule
    (`may_change_credentials`) only for the few role holders whose details change."""

    def __init__(self, actor):
        self.actor = actor  # None: the server's command line, which has no limit
        self.role_holders: set[int] = set()
        self.allowed: dict[int, bool] = {}

    def load(self, user_ids) -> None:
        ids = {uid for uid in user_ids if uid}
        self.role_holders = (
            set(
                RoleAssignment.objects.filter(user_id__in=ids)
                .values_list("user_id", flat=True)
                .distinct()
            )
            if ids and self.actor is not None
            else set()
        )

    def refused_column(self, user_id: int | None, changed: dict) -> str:
        """The column to flag when `changed` touches a role holder's proof, else ""."""
        if user_id not in self.role_holders:
            return ""
        columns = [column for name, column in CREDENTIAL_CHANGES.items() if name in changed]
        if not columns:
            return ""
        if user_id not in self.allowed:
            self.allowed[user_id] = may_change_credentials(actor=self.actor, account_id=user_id)
        return "" if self.allowed[user_id] else columns[0]


# --- Commit --------------------------------------------------------------------------


def start_commit(*, job: ImportJob, only_good_rows: bool = False) -> CommitRefusal | None:
    """Mark the job as being written, or say why not. The work itself is `run_commit`."""
    if job.bad and not only_good_rows:
        return CommitRefusal.HAS_ERRORS
    with transaction.atomic():
        # One import per school at a time: two files moving the same people would race.
        OrgUnit.objects.select_for_update().get(pk=job.school_id)
        if (
            ImportJob.objects.filter(school=job.school_id, state=ImportJob.State.COMMITTING)
            .exclude(pk=job.pk)
            .exists()
        ):
            return CommitRefusal.BUSY
        claimed = ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.VALIDATED).update(
            state=ImportJob.State.COMMITTING,
            only_good_rows=only_good_rows,
            progress_done=0,
            progress_total=job.good,
        )
    job.refresh_from_db()
    return None if claimed else CommitRefusal.NOT_READY


STAGED_FIELDS = ["pk", "row", "number", *(f.attname for f in STAGED_COLUMNS[3:])]
_Staged = namedtuple("_Staged", STAGED_FIELDS)


def run_commit(*, job: ImportJob, progress: Progress = None) -> ImportJob:
    """Write the staged good rows: new people in bulk, changed people in bulk, the rest
    untouched. Each chunk is its own transaction, so the progress bar moves and, on
    SQLite, check-ins of other users are not held up behind one long write lock; a
    file with errors never gets here unless the admin chose the good rows."""
    if job.state != ImportJob.State.COMMITTING:
        return job
    resolver = UnitResolver(job.school, create=True)
    last_pk = 0
    try:
        while True:
            batch = [
                _Staged(*values)
                for values in StagedRow.objects.filter(job=job, ok=True, pk__gt=last_pk)
                .order_by("pk")
                .values_list(*STAGED_FIELDS)[:CHUNK]
            ]
            if not batch:
                break
            last_pk = batch[-1].pk
            _commit_chunk(job, batch, resolver)
            job.progress_done += len(batch)
            ImportJob.objects.filter(pk=job.pk).update(
                progress_done=job.progress_done,
                written_new=job.written_new,
                written_updated=job.written_updated,
                bad=job.bad,
            )
            if progress:
                progress(job)
    except IntegrityError:
        log.warning("roster import %s: people changed during the commit", job.pk)
        return _end_commit(job, resolver, FileProblem.CHANGED)
    except Exception:
        log.exception("roster import %s: commit failed", job.pk)
        return _end_commit(job, resolver, FileProblem.CRASHED)
    return _end_commit(job, resolver, "")


def _commit_chunk(job: ImportJob, batch: list, resolver: UnitResolver) -> None:
    """Write one chunk in a transaction of its own. When someone registers one of its ID
    numbers (or numbers) between the chunk's lookups and its write, the database
    refuses the chunk (unique per school); it is rolled back and written once more, and
    this time the lookups give that row the usual "belongs to another person" error. A
    second refusal ends the import (FileProblem.CHANGED)."""
    counts = (job.written_new, job.written_updated, job.bad)
    created = resolver.created
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                _write_chunk(job, batch, resolver)
            return
        except IntegrityError:
            job.written_new, job.written_updated, job.bad = counts
            resolver.created = created
            resolver.reload()  # the units the attempt created were rolled back with it
            if attempt == 2:
                raise
            log.info("roster import %s: people changed during a chunk; writing it again", job.pk)


# Where the unit, the kind and the account stand in the rows `_write_chunk` reads:
# (pk, number, *UPDATE_FIELDS, user_id).
UNIT_COLUMN = 2 + UPDATE_FIELDS.index("org_unit_id")
KIND_COLUMN = 2 + UPDATE_FIELDS.index("kind")
USER_COLUMN = 2 + len(UPDATE_FIELDS)


def _write_chunk(job: ImportJob, batch: list, resolver: UnitResolver) -> None:
    now = timezone.now()
    numbers = [s.number for s in batch]
    # Locked so that an edit on the people page cannot interleave with this update.
    existing = {
        row[1]: row
        for row in Person.objects.select_for_update()
        .filter(school=job.school, number__in=numbers)
        .values_list("pk", "number", *UPDATE_FIELDS, "user_id")
    }
    # A role granted since the preview counts too.
    contact_guard = _ContactGuard(job.created_by)
    contact_guard.load(row[USER_COLUMN] for row in existing.values())
    announce = []
    owners = dict(
        Person.objects.filter(school=job.school)
        .holding_id(*(s.id_hash for s in batch if s.id_hash))
        .values_list("id_hash", "number")
    )
    # The preview checked the importer's scope against the people there were then; a
    # person registered since (under this number, in a unit the importer does not cover)
    # must not be rewritten by the commit.
    grants = import_grants(job.created_by)
    unit_paths = (
        dict(
            OrgUnit.objects.filter(
                pk__in={row[UNIT_COLUMN] for row in existing.values()}
            ).values_list("pk", "path")
        )
        if grants is not None
        else {}
    )
    creates, updates = [], []
    moved = {}  # pk → (state, valid_until) before, of those whose state or validity changed
    for staged in batch:
        person = existing.get(staged.number)
        if (
            person is not None
            and grants is not None
            and scope_problem(grants, unit_paths[person[UNIT_COLUMN]], person[KIND_COLUMN])
        ):
            ImportRowError.objects.create(
                job=job, row=staged.row, field="number", code=RowProblem.PERSON_OUT_OF_SCOPE
            )
            job.bad += 1
            continue
        owner = owners.get(staged.id_hash)
        if owner and owner != staged.number:  # registered by someone else since the preview
            ImportRowError.objects.create(
                job=job, row=staged.row, field="id_number", code=RowProblem.ID_TAKEN
            )
            job.bad += 1
            continue
        target = resolver.resolve(
            campus=staged.campus,
            college=staged.college,
            class_name=staged.class_name,
            kind=staged.kind,
        )
        if person is None:
            creates.append(
                {
                    "school_id": job.school_id,
                    "number": staged.number,
                    "name": staged.name,
                    "kind": staged.kind,
                    "org_unit_id": target.unit_id,
                    "phone": staged.phone,
                    "email": staged.email,
                    "id_hash": staged.id_hash,
                    "id_last4": staged.id_last4,
                    "state": staged.state or Person.State.ACTIVE,
                    "valid_until": staged.valid_until,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            continue
        current = dict(zip(UPDATE_FIELDS, person[2:USER_COLUMN], strict=True))
        changed = changes(current, staged, target.unit_id)
        if column := contact_guard.refused_column(person[USER_COLUMN], changed):
            ImportRowError.objects.create(
                job=job, row=staged.row, field=column, code=RowProblem.ROLE_HOLDER_CONTACT
            )
            job.bad += 1
            continue
        if changed:
            updates.append((person[0], {**current, **changed}))
            if {"state", "valid_until"} & changed.keys():
                moved[person[0]] = (current["state"], current["valid_until"])
            if person[USER_COLUMN] in contact_guard.role_holders:
                old = {name: current[name] for name in ("email", "phone") if name in changed}
                if old:
                    announce.append((person[0], old))
    _insert_people(creates)
    _update_people(updates, now)
    _record_states(job, numbers=[c["number"] for c in creates], moved=moved, now=now)
    if announce:
        _announce_on_commit(announce, editor=job.created_by)
    job.written_new += len(creates)
    job.written_updated += len(updates)


def _announce_on_commit(changed: list[tuple[int, dict]], *, editor) -> None:
    """A role holder's new e-mail or mobile number is announced at the old ones, as an
    edit on the person page is (accounts.notices), once the chunk is written."""

    def send():
        people = Person.objects.in_bulk([pk for pk, _old in changed])
        for pk, old in changed:
            announce_contact_change(person=people[pk], old=old, editor=editor)

    transaction.on_commit(send)


# The people of a chunk go in with one bulk INSERT for the new ones (`_insert_rows`) and
# one executemany UPDATE for the changed ones: the ORM's bulk_create/bulk_update spent
# more time building model instances and CASE expressions than the database spent
# writing (bench/README.md). The values are
# adapted by each field, as the ORM would; no signal handler listens to these writes
# (bulk_create and bulk_update never sent any either).
PERSON_COLUMNS = [f for f in Person._meta.concrete_fields if not f.primary_key]


def _adapters(fields) -> list:
    """Per column: None for values the driver takes as they are (text, ids), else the
    field's own adaptation (dates, times)."""
    return [
        None
        if isinstance(f, models.CharField | models.ForeignKey | models.BigAutoField)
        else f.get_db_prep_save
        for f in fields
    ]


def _insert_people(creates: list[dict]) -> None:
    if not creates:
        return
    defaults = {f.attname: f.get_default() for f in PERSON_COLUMNS}
    columns = list(zip([f.attname for f in PERSON_COLUMNS], _adapters(PERSON_COLUMNS), strict=True))
    # created_at and updated_at are the same moment for the whole chunk: adapted once.
    same = {name: creates[0][name] for name in ("created_at", "updated_at")}
    ready = {name: dict(columns)[name](value, connection) for name, value in same.items()}
    columns = [(name, None if name in ready else adapt) for name, adapt in columns]
    params = []
    for values in creates:
        values = {**defaults, **values, **ready}
        params.append(
            [
                values[name]
                if adapt is None or values[name] is None
                else adapt(values[name], connection)
                for name, adapt in columns
            ]
        )
    _insert_rows(Person, PERSON_COLUMNS, params)


def _update_people(updates: list[tuple[int, dict]], now) -> None:
    if not updates:
        return
    fields = [Person._meta.get_field(name) for name in [*UPDATE_FIELDS, "updated_at"]]
    table = connection.ops.quote_name(Person._meta.db_table)
    sets = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    columns = list(zip([f.attname for f in fields], _adapters(fields), strict=True))
    params = []
    for pk, values in updates:
        values["updated_at"] = now
        row = [
            values[name] if adapt is None else adapt(values[name], connection)
            for name, adapt in columns
        ]
        params.append([*row, pk])
    with connection.cursor() as cursor:
        pk = connection.ops.quote_name(Person._meta.pk.column)
        cursor.executemany(f"UPDATE {table} SET {sets} WHERE {pk} = %s", params)  # noqa: S608


def _record_states(job: ImportJob, *, numbers: list[str], moved: dict, now) -> None:
    """The state history (people.PersonStateChange) of the people the chunk created or
    whose state or validity it changed (`moved`: pk → state and valid_until before), as
    people.services.record_state writes it for an edit: one bulk insert, like the people
    themselves."""
    if not numbers and not moved:
        return
    people = Person.objects.filter(
        Q(school=job.school, number__in=numbers) | Q(pk__in=list(moved))
    ).values_list("pk", "state", "valid_from", "valid_until", "created_at")
    # A record written around the services has no history yet: what it was before this
    # import holds from its creation on, as record_state does it.
    known = set(
        PersonStateChange.objects.filter(person_id__in=list(moved)).values_list(
            "person_id", flat=True
        )
    )
    fields = [f for f in PersonStateChange._meta.concrete_fields if not f.primary_key]
    prepare_at = PersonStateChange._meta.get_field("at").get_db_prep_save
    at = prepare_at(now, connection)
    adapt_date = connection.ops.adapt_datefield_value
    params = []

    def add(**row):
        row["valid_from"] = adapt_date(row["valid_from"])
        row["valid_until"] = adapt_date(row["valid_until"])
        params.append([row[f.attname] for f in fields])

    for pk, state, valid_from, valid_until, created_at in people:
        if pk in moved and pk not in known:
            old_state, old_until = moved[pk]
            add(
                person_id=pk,
                state=old_state,
                valid_from=valid_from,
                valid_until=old_until,
                at=prepare_at(created_at, connection),
                by_id=None,
                reason=PersonStateChange.Reason.SEEDED,
            )
        add(
            person_id=pk,
            state=state,
            valid_from=valid_from,
            valid_until=valid_until,
            at=at,
            by_id=job.created_by_id,
            reason=PersonStateChange.Reason.IMPORTED,
        )
    _insert_rows(PersonStateChange, fields, params)


def _end_commit(job: ImportJob, resolver: UnitResolver, problem: str) -> ImportJob:
    job.written_units = resolver.created
    job.finished_at = timezone.now()
    job.state = ImportJob.State.FAILED if problem else ImportJob.State.DONE
    job.problem = problem
    job.save()
    StagedRow.objects.filter(job=job).delete()
    log_action(
        action="roster.import.committed",
        actor=job.created_by,
        data={
            "job": job.pk,
            "state": job.state,
            "only_good_rows": job.only_good_rows,
            "new": job.written_new,
            "updated": job.written_updated,
            "units_created": job.written_units,
            "bad_rows_skipped": job.bad,
        },
    )
    return job


def discard_job(*, job: ImportJob) -> bool:
    """Drop a checked import without writing anything."""
    if not _claim(job, ImportJob.State.VALIDATED, ImportJob.State.DISCARDED):
        return False
    StagedRow.objects.filter(job=job).delete()
    job.finished_at = timezone.now()
    job.save(update_fields=["finished_at"])
    return True
