"""Where an imported row belongs: the org unit named by its 校区/学院/班级 cells, and
whether the importer's roles cover that unit and that kind of person."""

from collections import defaultdict
from dataclasses import dataclass

from campuscode.people.access import ROLE_CAPABILITIES, ROLE_PERSON_KINDS, Cap
from campuscode.people.models import OrgUnit, Person, RoleAssignment
from campuscode.people.services import normalise_text
from campuscode.roster.models import RowProblem

CONTAINER_KINDS = (OrgUnit.Kind.COLLEGE, OrgUnit.Kind.DEPARTMENT, OrgUnit.Kind.OFFICE)


def _norm(name: str) -> str:
    return normalise_text(name).replace(" ", "").lower()


@dataclass(frozen=True)
class Grant:
    path: str
    kinds: frozenset | None  # None: every kind of person


def import_grants(user) -> list[Grant] | None:
    """The subtrees (and person kinds) `user` may import into; None means no limit (the
    server's command line). Mirrors access.scope_q for rows not yet in the database."""
    if user is None:
        return None
    grants = []
    for assignment in RoleAssignment.objects.filter(user=user).select_related("org_unit"):
        if Cap.IMPORT_PEOPLE in ROLE_CAPABILITIES[assignment.role]:
            kinds = ROLE_PERSON_KINDS.get(assignment.role)
            grants.append(Grant(assignment.org_unit.path, frozenset(kinds) if kinds else None))
    return grants


def scope_problem(grants: list[Grant] | None, path: str, kind: str) -> str | None:
    """None when a grant covers a person of `kind` in the unit at `path`."""
    if grants is None:
        return None
    covering = [grant for grant in grants if path.startswith(grant.path)]
    if not covering:
        return RowProblem.OUT_OF_SCOPE
    if not any(grant.kinds is None or kind in grant.kinds for grant in covering):
        return RowProblem.KIND_NOT_ALLOWED
    return None


@dataclass
class Target:
    unit_id: int | None  # None while the unit is only planned (preview)
    anchor_path: str  # the deepest existing unit on the way: decides the scope


class UnitResolver:
    """Finds units by name in one school, creating the missing college/department and
    class when `create` is set (the commit) or only planning them (the preview)."""

    def __init__(self, school: OrgUnit, *, create: bool = False):
        self.school = school
        self.create = create
        self.planned: dict[tuple, str] = {}  # key → label, in order of first use
        self.created = 0
        self.reload()

    def reload(self) -> None:
        """Read the school's units (again: after a rolled-back write, the units it created
        are gone)."""
        self._seen: dict[tuple, object] = {}
        school = self.school
        units = list(
            OrgUnit.objects.filter(path__startswith=school.path)
            .order_by("id")
            .values("id", "parent_id", "kind", "name", "path")
        )
        self.by_id = {unit["id"]: unit for unit in units}
        campuses = [unit for unit in units if unit["kind"] == OrgUnit.Kind.CAMPUS]
        self.campuses = {_norm(unit["name"]): unit for unit in campuses}
        self.default_parent = campuses[0] if campuses else self.by_id[school.pk]
        campus_ids = {unit["id"] for unit in campuses}
        self.containers: dict[str, list[dict]] = defaultdict(list)
        self.classes: dict[tuple, dict] = {}
        for unit in units:
            if unit["kind"] in CONTAINER_KINDS:
                ids = {int(part) for part in unit["path"].strip("/").split("/")}
                unit["campus_id"] = next(iter(ids & campus_ids), None)
                self.containers[_norm(unit["name"])].append(unit)
            elif unit["kind"] == OrgUnit.Kind.CLASS and unit["parent_id"]:
                self.classes[(unit["parent_id"], _norm(unit["name"]))] = unit

    def resolve(self, *, campus: str, college: str, class_name: str, kind: str):
        """A Target, or (field, problem code) when the names do not lead to one unit."""
        key = (campus, college, class_name, kind)
        if key not in self._seen:  # a roster names the same few hundred units again and again
            self._seen[key] = self._resolve(campus, college, class_name, kind)
        return self._seen[key]

    def _resolve(self, campus: str, college: str, class_name: str, kind: str):
        campus_unit = None
        if campus:
            campus_unit = self.campuses.get(_norm(campus))
            if campus_unit is None:
                return ("campus", RowProblem.UNKNOWN_CAMPUS)
        candidates = self.containers.get(_norm(college), [])
        if campus_unit:
            candidates = [unit for unit in candidates if unit["campus_id"] == campus_unit["id"]]
        if len(candidates) > 1:
            return ("college", RowProblem.AMBIGUOUS_UNIT)
        parent = campus_unit or self.default_parent
        container = candidates[0] if candidates else None
        if container is None:
            unit_kind = (
                OrgUnit.Kind.COLLEGE
                if class_name or kind == Person.Kind.STUDENT
                else OrgUnit.Kind.DEPARTMENT
            )
            container = self._missing(parent, unit_kind, college, parent["name"])
            if container is None:  # preview: the class under a planned college is new too
                if class_name:
                    key = ((parent["id"], _norm(college)), _norm(class_name))
                    self.planned.setdefault(key, f"{college} / {class_name}")
                return Target(None, parent["path"])
        if not class_name:
            return Target(container["id"], container["path"])
        klass = self.classes.get((container["id"], _norm(class_name)))
        if klass is None:
            klass = self._missing(container, OrgUnit.Kind.CLASS, class_name, container["name"])
            if klass is None:
                return Target(None, container["path"])
        return Target(klass["id"], klass["path"])

    def _missing(self, parent: dict, kind: str, name: str, parent_name: str) -> dict | None:
        """Create the unit (commit) or note it as planned (preview, returns None)."""
        if not self.create:
            self.planned.setdefault((parent["id"], _norm(name)), f"{parent_name} / {name}")
            return None
        unit = OrgUnit.objects.create(parent_id=parent["id"], kind=kind, name=name)
        record = {
            "id": unit.pk,
            "parent_id": parent["id"],
            "kind": kind,
            "name": name,
            "path": unit.path,
            "campus_id": parent.get("campus_id")
            or (parent["id"] if parent["kind"] == OrgUnit.Kind.CAMPUS else None),
        }
        self.by_id[unit.pk] = record
        if kind == OrgUnit.Kind.CLASS:
            self.classes[(parent["id"], _norm(name))] = record
        else:
            self.containers[_norm(name)].append(record)
        self.created += 1
        return record
