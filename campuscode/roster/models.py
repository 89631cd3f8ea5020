"""Roster imports (R3.1, R3.2): a job per uploaded file, its row errors, and the rows it
has checked and staged for the commit.

The national ID number never lands in these tables: a staged row holds the keyed hash
and the last four characters, exactly what `Person` keeps.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FileProblem(models.TextChoices):
    UNREADABLE = "unreadable", _("The file could not be read as XLSX or CSV.")
    OLD_EXCEL = (
        "old_excel",
        _("Old .xls files cannot be read; save the file as .xlsx and upload it again."),
    )
    NO_HEADER = (
        "no_header",
        _(
            "No header row was found: one of the first rows must name the columns (学号, 姓名, 身份证号 …)."
        ),
    )
    MISSING_COLUMNS = "missing_columns", _("Required columns are missing: %(columns)s.")
    EMPTY = "empty", _("The file has no data rows.")
    CRASHED = (
        "crashed",
        _("The import stopped because of an internal error; nothing more was written."),
    )
    CHANGED = (
        "changed",
        _(
            "People changed while this import was being written; run the same file again (it only adds what is missing)."
        ),
    )


class RowProblem(models.TextChoices):
    MISSING = "missing", _("A value is required.")
    BAD_NUMBER = "bad_number", _("Only letters, digits, '-', '_' and '.' are allowed.")
    NUMBER_SCIENTIFIC = (
        "number_scientific",
        _(
            "The number is in scientific notation (like 2.03E+07) and may have lost digits; "
            "format the column as text and export again."
        ),
    )
    TOO_LONG = "too_long", _("Too long: at most %(max)s characters.")
    ID_CHECK_DIGIT = "id_check_digit", _("ID number check digit is wrong.")
    ID_BIRTH_DATE = "id_birth_date", _("ID number contains an impossible birth date.")
    ID_LENGTH = "id_length", _("ID number must have 18 characters.")
    ID_CHARACTERS = "id_characters", _("ID number has characters that are not allowed.")
    ID_AS_NUMBER = (
        "id_as_number",
        _(
            "The ID number was stored as a number, so Excel dropped its last digits; "
            "format the column as text and type it again."
        ),
    )
    ID_TAKEN = "id_taken", _("This ID number belongs to another person of the school.")
    ID_REPEATED = "id_repeated", _("The same ID number is on row %(row)s under another number.")
    BAD_PHONE = "bad_phone", _("Mobile number must be 11 digits starting with 1.")
    BAD_EMAIL = "bad_email", _("Not a valid e-mail address.")
    UNKNOWN_KIND = "unknown_kind", _("Unknown person kind; use 学生, 教职工, 临时工 or 访客.")
    UNKNOWN_STATE = "unknown_state", _("Unknown state; use 在校/在职, 停用 or 离校/离职.")
    BAD_DATE = "bad_date", _("Not a date; write it like 2026-07-31.")
    UNKNOWN_CAMPUS = "unknown_campus", _("The school has no campus of this name.")
    AMBIGUOUS_UNIT = (
        "ambiguous_unit",
        _("Several units have this name; add a 校区 (campus) column to tell them apart."),
    )
    OUT_OF_SCOPE = "out_of_scope", _("This unit is outside the units you may import into.")
    PERSON_OUT_OF_SCOPE = (
        "person_out_of_scope",
        _("A person with this number exists in a unit or kind you may not manage."),
    )
    KIND_NOT_ALLOWED = "kind_not_allowed", _("Your role may not import people of this kind.")
    DUPLICATE_CONFLICT = (
        "duplicate_conflict",
        _("The same number is on row %(row)s with different details."),
    )
    ROLE_HOLDER_CONTACT = (
        "role_holder_contact",
        _(
            "This person's account holds a role: only the IT office (a system administrator "
            "over every unit of that role) may change their e-mail, mobile number or ID number."
        ),
    )


class ImportJobQuerySet(models.QuerySet):
    def active(self):
        return self.filter(state__in=ImportJob.ACTIVE_STATES)


class ImportJob(models.Model):
    """One uploaded roster file, from upload through preview to commit."""

    class State(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        VALIDATING = "validating", _("Checking")
        VALIDATED = "validated", _("Checked, waiting for confirmation")
        COMMITTING = "committing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")
        DISCARDED = "discarded", _("Discarded")

    ACTIVE_STATES = (State.UPLOADED, State.VALIDATING, State.COMMITTING)

    school = models.ForeignKey(
        "people.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("school")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_by_label = models.CharField(_("uploaded by"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    file_name = models.CharField(_("file"), max_length=255)
    # Deleted once the rows are checked and staged: the file holds full ID numbers.
    file_path = models.CharField(max_length=500, blank=True, editable=False)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.UPLOADED
    )
    only_good_rows = models.BooleanField(_("only the good rows"), default=False)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    header_row = models.PositiveIntegerField(default=0)
    columns = models.JSONField(default=dict, blank=True)  # field → {"header", "letter"}
    ignored_headers = models.JSONField(default=list, blank=True)
    # The preview: what a commit would do.
    rows = models.PositiveIntegerField(_("rows"), default=0)
    new = models.PositiveIntegerField(_("new"), default=0)
    updated = models.PositiveIntegerField(_("changed"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    duplicates = models.PositiveIntegerField(_("repeated rows"), default=0)
    bad = models.PositiveIntegerField(_("rows with errors"), default=0)
    new_units = models.JSONField(default=list, blank=True)  # labels of units to be created
    # The outcome of the commit.
    written_new = models.PositiveIntegerField(default=0)
    written_updated = models.PositiveIntegerField(default=0)
    written_units = models.PositiveIntegerField(default=0)
    problem = models.CharField(max_length=32, choices=FileProblem.choices, blank=True)
    problem_params = models.JSONField(default=dict, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["school", "state"])]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_state_display()})"

    @property
    def good(self) -> int:
        return self.new + self.updated + self.unchanged

    @property
    def to_write(self) -> int:
        return self.new + self.updated

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))

    @property
    def is_running(self) -> bool:
        return self.state in self.ACTIVE_STATES

    @property
    def problem_message(self) -> str:
        if not self.problem:
            return ""
        return str(FileProblem(self.problem).label) % (self.problem_params or {})

    def column_label(self, field: str) -> str:
        column = (self.columns or {}).get(field)
        if not column:
            return str(FIELD_LABELS.get(field, field))
        return f"{column['header']} ({column['letter']})"


FIELD_LABELS = {
    "number": _("School/staff number"),
    "name": _("Name"),
    "id_number": _("ID number"),
    "college": _("College/department"),
    "class_name": _("Class"),
    "phone": _("Mobile phone"),
    "email": _("E-mail"),
    "kind": _("Person kind"),
    "campus": _("Campus"),
    "state": _("State"),
    "valid_until": _("Valid until"),
}


class ImportRowError(models.Model):
    """One problem of one row: a reason code with parameters, rendered in the reader's
    language. Never the offending value itself (it may be an ID number)."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="errors")
    row = models.PositiveIntegerField(_("row"))
    field = models.CharField(_("column"), max_length=16, blank=True)
    code = models.CharField(_("reason"), max_length=32, choices=RowProblem.choices)
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("import row error")
        verbose_name_plural = _("import row errors")
        ordering = ["row", "id"]
        indexes = [models.Index(fields=["job", "row"])]

    def __str__(self) -> str:
        return f"{self.row}: {self.code}"

    @property
    def message(self) -> str:
        return str(RowProblem(self.code).label) % (self.params or {})

    @property
    def column(self) -> str:
        return self.job.column_label(self.field)


class StagedRow(models.Model):
    """A checked row waiting for the commit; deleted when the job ends.

    Every row with a number is staged, good or bad, so that a later row with the same
    number can be compared with it without holding the whole file in memory.
    """

    class Action(models.TextChoices):
        NEW = "new", _("new")
        UPDATE = "update", _("changed")
        SAME = "same", _("unchanged")

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="+")
    row = models.PositiveIntegerField()
    number = models.CharField(max_length=32)
    digest = models.CharField(max_length=32)  # of the normalised cells, to spot repeats
    ok = models.BooleanField(default=True)
    action = models.CharField(max_length=8, choices=Action.choices, blank=True)
    name = models.CharField(max_length=64, blank=True)
    kind = models.CharField(max_length=16, blank=True)
    campus = models.CharField(max_length=100, blank=True)
    college = models.CharField(max_length=100, blank=True)
    class_name = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    email = models.CharField(max_length=254, blank=True)
    id_hash = models.CharField(max_length=64, blank=True)
    id_last4 = models.CharField(max_length=4, blank=True)
    state = models.CharField(max_length=16, blank=True)
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "number"], name="stagedrow_unique_number")
        ]
        indexes = [models.Index(fields=["job", "id_hash"])]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.row}"
