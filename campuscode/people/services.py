"""Writes to the people registry, and the normalisation every input path shares."""

import re
import unicodedata
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campuscode.people.models import OrgUnit, Person, PersonStateChange, hash_id_number

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
OTHER_ID_RE = re.compile(r"^[A-Z0-9]{6,20}$")  # passports and other documents


def normalise_text(value) -> str:
    """Full-width to half-width (NFKC), inner spaces collapsed, ends trimmed.

    Spreadsheets from school systems mix '２０２５０１' and ' 张 三 '; NFKC folds the first,
    and Chinese names lose inner spaces that copy-paste put there.
    """
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores a long number as 2.0250101e7
    text = unicodedata.normalize("NFKC", str(value)).replace("\u3000", " ").strip()
    return re.sub(r"\s+", " ", text)


def normalise_name(value) -> str:
    text = normalise_text(value)
    if re.fullmatch(r"[\u4e00-\u9fff· ]+", text):
        text = text.replace(" ", "")
    return text


def checksum_char(first17: str) -> str:
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def validate_id_number(raw) -> str:
    """A resident ID (18 characters with a valid check digit, or the old 15 digits),
    or a passport-like document number. Returns the normalised value."""
    value = normalise_text(raw).replace(" ", "").upper()
    if not value:
        raise ValidationError(_("ID number is missing."))
    if re.fullmatch(r"\d{17}[\dX]", value):
        if checksum_char(value[:17]) != value[17]:
            raise ValidationError(_("ID number check digit is wrong."))
        try:
            date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
        except ValueError:
            raise ValidationError(_("ID number contains an impossible birth date.")) from None
        return value
    if re.fullmatch(r"\d{15}", value):
        return value
    if re.fullmatch(r"\d{16,17}", value) or re.fullmatch(r"\d{19,}", value):
        raise ValidationError(_("ID number must have 18 characters."))
    if OTHER_ID_RE.fullmatch(value):
        return value
    raise ValidationError(_("ID number has characters that are not allowed."))


def validate_phone(raw) -> str:
    value = re.sub(r"[\s-]", "", normalise_text(raw))
    if value.startswith("+86"):
        value = value[3:]
    if value and not PHONE_RE.fullmatch(value):
        raise ValidationError(_("Mobile number must be 11 digits starting with 1."))
    return value


def id_fields(id_number: str) -> dict:
    return {"id_hash": hash_id_number(id_number), "id_last4": id_number[-4:]}


def id_matches(person: Person, id_number_or_last4: str) -> bool:
    value = normalise_text(id_number_or_last4).replace(" ", "").upper()
    if len(value) == 4:
        return bool(person.id_last4) and person.id_last4.upper() == value
    return bool(person.id_hash) and person.id_hash == hash_id_number(value)


ID_TAKEN = _("Another person of this school has this ID number.")


def _id_taken(person: Person, school: OrgUnit) -> bool:
    return (
        Person.objects.filter(school=school).holding_id(person.id_hash).exclude(pk=person.pk)
    ).exists()


def record_state(
    *, person: Person, by=None, reason: str, at=None, before: tuple | None = None
) -> bool:
    """Append the person's state and validity dates to their history when they differ
    from the last entry (or there is none yet); whether a row was written. `before`:
    (state, valid_from, valid_until) the record had before this change, written first,
    from the record's creation on, when it has no history yet (a record written around
    the services), so that the change does not reach back.

    Called by every writer of a person's record, in its transaction: the counts of past
    windows read who was active and valid then from this history (checkins.tally)."""
    snapshot = (person.state, person.valid_from, person.valid_until)
    last = (
        PersonStateChange.objects.filter(person=person)
        .order_by("-at", "-pk")
        .values_list("state", "valid_from", "valid_until")
        .first()
    )
    if last == snapshot:
        return False
    if last is None and before is not None and before != snapshot:
        state, valid_from, valid_until = before
        PersonStateChange.objects.create(
            person=person,
            state=state,
            valid_from=valid_from,
            valid_until=valid_until,
            at=person.created_at,
            reason=PersonStateChange.Reason.SEEDED,
        )
    PersonStateChange.objects.create(
        person=person,
        state=person.state,
        valid_from=person.valid_from,
        valid_until=person.valid_until,
        at=at or timezone.now(),
        by=by,
        reason=reason,
    )
    return True


@transaction.atomic
def save_person(
    *, person: Person | None = None, school: OrgUnit, id_number: str = "", by=None, **fields
) -> Person:
    """Create or update one person from a form; `id_number` blank keeps the stored one.
    `by`: the account making the change, for the person's state history."""
    created = person is None
    if person is None:
        person = Person(school=school)
    before = (person.state, person.valid_from, person.valid_until)
    for name, value in fields.items():
        setattr(person, name, value)
    if id_number:
        for name, value in id_fields(validate_id_number(id_number)).items():
            setattr(person, name, value)
        # One ID number is one human: a second record with it would get a second code.
        if _id_taken(person, school):
            raise ValidationError({"id_number": ID_TAKEN})
    # id_hash: checked just above, with the error on the ID number field.
    person.full_clean(exclude=["user", "id_hash"])
    try:
        with transaction.atomic():  # a savepoint: the checks below still run on PostgreSQL
            person.save()
    except IntegrityError:
        # Another request saved the same ID number or number between the checks above
        # and this write, and the unique constraints refused it: the same message.
        if person.id_hash and _id_taken(person, school):
            raise ValidationError({"id_number": ID_TAKEN}) from None
        person.validate_constraints(exclude=["user", "id_hash"])
        raise
    reason = PersonStateChange.Reason.CREATED if created else PersonStateChange.Reason.EDITED
    record_state(person=person, by=by, reason=reason, before=None if created else before)
    return person
