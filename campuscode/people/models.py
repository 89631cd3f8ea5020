import hashlib
import hmac

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OrgUnit(models.Model):
    """A node of a school's tree: school → campus → college/department → class or office.

    `path` holds the ids from the root ("/1/4/17/") so that a subtree, the unit of every
    role scope, is one indexed prefix query on SQLite and PostgreSQL alike.
    """

    class Kind(models.TextChoices):
        SCHOOL = "school", _("School")
        CAMPUS = "campus", _("Campus")
        COLLEGE = "college", _("College")
        DEPARTMENT = "department", _("Department")
        CLASS = "class", _("Class")
        OFFICE = "office", _("Office")

    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent unit"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=32, blank=True)
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="orgunit_unique_name_per_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if self.parent_id and self.parent_id == self.pk:
            raise ValueError("An org unit cannot be its own parent.")
        super().save(*args, **kwargs)
        path = f"{self.parent.path if self.parent else '/'}{self.pk}/"
        if path != self.path:
            old = self.path
            OrgUnit.objects.filter(pk=self.pk).update(path=path)
            self.path = path
            if old:  # moved: re-root the descendants' paths
                for child in OrgUnit.objects.filter(path__startswith=old).exclude(pk=self.pk):
                    OrgUnit.objects.filter(pk=child.pk).update(path=path + child.path[len(old) :])

    @property
    def school_id(self) -> int:
        return int(self.path.strip("/").split("/")[0])

    def ancestors(self) -> models.QuerySet["OrgUnit"]:
        ids = [int(part) for part in self.path.strip("/").split("/")]
        return OrgUnit.objects.filter(pk__in=ids).order_by("path")

    def subtree(self) -> models.QuerySet["OrgUnit"]:
        return OrgUnit.objects.filter(path__startswith=self.path)

    def ancestor_of_kind(self, kind: str) -> "OrgUnit | None":
        return self.ancestors().filter(kind=kind).last()

    @property
    def label(self) -> str:
        """'计算机学院 / 计科2501班' — the unit with its parent, for lists."""
        if self.parent and self.parent.kind not in (self.Kind.SCHOOL, self.Kind.CAMPUS):
            return f"{self.parent.name} / {self.name}"
        return self.name


class ScopedQuerySet(models.QuerySet):
    """Rows holding someone's personal data, readable through the one access layer.

    A subclass names where a row's person sits: `scope_unit` (path to an OrgUnit),
    `scope_kind` (path to the person kind, None when rows have none) and `scope_owner`
    (path to the account whose own rows these are)."""

    scope_unit = "person__org_unit"
    scope_kind: str | None = "person__kind"
    scope_owner = "person__user"

    def visible_to(self, user, capability: str, *, include_own: bool = False):
        """The rows `capability` lets `user` see. `include_own` adds the user's own rows;
        without it, a deciding duty (approving, following up) leaves them out: nobody
        decides about themself."""
        from campuscode.people.access import NOT_OVER_ONESELF, scope_q

        if user is None or not user.is_authenticated:
            return self.none()
        q = scope_q(user, capability, unit=self.scope_unit, kind=self.scope_kind)
        if include_own:
            return self.filter(q | Q(**{self.scope_owner: user}))
        if capability in NOT_OVER_ONESELF:
            return self.filter(q).exclude(**{self.scope_owner: user})
        return self.filter(q)

    def own(self, user):
        return self.filter(**{self.scope_owner: user}) if user.is_authenticated else self.none()


class PersonQuerySet(ScopedQuerySet):
    scope_unit = "org_unit"
    scope_kind = "kind"
    scope_owner = "user"

    def active(self):
        return self.filter(state=Person.State.ACTIVE)

    def holding_id(self, *hashes: str):
        """People with one of these ID-number hashes. The `id_hash <> ''` term is the
        partial unique index's condition: SQLite uses that index only when the query
        repeats it, and PostgreSQL cannot prove it from a long IN list by itself."""
        return self.filter(id_hash__in=hashes).exclude(id_hash="")


class Person(models.Model):
    class Kind(models.TextChoices):
        STUDENT = "student", _("Student")
        STAFF = "staff", _("Staff")
        TEMPORARY = "temporary", _("Temporary worker")
        VISITOR = "visitor", _("Visitor")

    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        LEFT = "left", _("Left / graduated")

    school = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "school"},
        verbose_name=_("school"),
    )
    number = models.CharField(_("school/staff number"), max_length=32)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=64)
    kind = models.CharField(
        _("person kind"), max_length=16, choices=Kind.choices, default=Kind.STUDENT
    )
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="people", verbose_name=_("org unit")
    )
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    # The national ID number itself is never stored (PIPL): a keyed hash to match a
    # re-import or a claim, and the last four characters to verify and display.
    id_hash = models.CharField(max_length=64, blank=True, editable=False)
    id_last4 = models.CharField(_("ID number (last 4)"), max_length=4, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.ACTIVE)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
        verbose_name=_("account"),
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["school_id", "number"]  # the column, not the FK: no join to order or lock
        constraints = [
            models.UniqueConstraint(
                fields=["school", "number"], name="person_unique_number_per_school"
            ),
            # One ID number is one human: a second record would get a second code. The
            # services check first for a clear message; this holds against two requests
            # at once. Blank hashes (no ID number given) may repeat. Its index serves the
            # lookups by ID number too: see PersonQuerySet.holding_id.
            models.UniqueConstraint(
                fields=["school", "id_hash"],
                condition=~models.Q(id_hash=""),
                name="person_unique_id_hash_per_school",
                violation_error_message=_("Another person of this school has this ID number."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_id(self) -> str:
        return f"**************{self.id_last4}" if self.id_last4 else ""

    @property
    def masked_email(self) -> str:
        return mask_email(self.email)

    def is_valid_on(self, day) -> bool:
        if self.valid_from and day < self.valid_from:
            return False
        return not (self.valid_until and day > self.valid_until)

    def is_valid_now(self) -> bool:
        return self.is_valid_on(timezone.localdate())


def hash_id_number(id_number: str) -> str:
    return hmac.new(
        settings.ID_HASH_KEY.encode(), id_number.upper().encode(), hashlib.sha256
    ).hexdigest()


def mask_phone(phone: str) -> str:
    if len(phone) >= 7:
        return f"{phone[:3]}****{phone[-4:]}"
    return "*" * len(phone)


def mask_name(name: str) -> str:
    """张*伟 for three characters, 张* for two: what a gate or a list may show."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    if not domain:
        return email
    return f"{local[:1]}***@{domain}"


class Role(models.TextChoices):
    CLASS_ADVISER = "class_adviser", _("Class adviser")
    TEACHER = "teacher", _("Teacher")
    DEPARTMENT_ADMIN = "department_admin", _("Department admin")
    HR = "hr", _("HR")
    HEALTH_OFFICE = "health_office", _("Health office")
    GATE_STAFF = "gate_staff", _("Gate / security staff")
    SUPERVISION = "supervision", _("Supervision group")
    SYSTEM_ADMIN = "system_admin", _("System admin")
    # Separation of duties (MLPS 2.0 三员分立): security alerts, and reading the audit log.
    SECURITY_ADMIN = "security_admin", _("Security admin")
    AUDITOR = "auditor", _("Auditor")
    # attendance (issue 11): the academic office (教务处) imports timetables, reads attendance.
    ACADEMIC_OFFICE = "academic_office", _("Academic office")
    # events (R2.5): runs the events of their unit's subtree
    EVENT_ORGANISER = "event_organiser", _("Event organiser")
    # Violations (R8.2): the office that decides sanctions, and the appeals committee.
    DISCIPLINE_OFFICE = "discipline_office", _("Discipline office")
    APPEALS_COMMITTEE = "appeals_committee", _("Appeals committee")


class RoleAssignment(models.Model):
    """A role held by an account over one org-unit subtree (a class adviser: their class)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="roles",
        verbose_name=_("account"),
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("scope")
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "org_unit"], name="role_unique_assignment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.org_unit}"


class PersonStateChange(models.Model):
    """One step of a person's history: from `at` on, their state and validity dates were
    these. Append-only, written by the one writer of a person's record (people.services,
    the roster commit); who was expected in a past window follows it (checkins.tally),
    so a later edit of the record never rewrites the past (R6.3)."""

    class Reason(models.TextChoices):
        CREATED = "created", _("Registered")
        EDITED = "edited", _("Edited on the people page")
        IMPORTED = "imported", _("Roster import")
        VISITOR = "visitor", _("Visitor application approved")
        SEEDED = "seeded", _("Recorded when the history began")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="state_changes")
    state = models.CharField(_("state"), max_length=16, choices=Person.State.choices)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    at = models.DateTimeField(_("in force from"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)

    class Meta:
        verbose_name = _("change of state")
        verbose_name_plural = _("changes of state")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["person", "at"], name="person_state_at")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.state} @ {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        # History is appended, never rewritten: a correction is a new row.
        if self.pk is not None:
            raise ValueError("PersonStateChange rows are append-only")
        super().save(*args, **kwargs)
