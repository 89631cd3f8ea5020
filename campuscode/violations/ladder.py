"""The ladder advises, people decide (R8.2).

From the person's decisions within the look-back (a school setting; older ones no longer
count: a clean slate), propose the next step inside the school's range for the type; show
the range and similar past decisions. A first missed check-in proposes criticism and
education, whatever the range says; a fine is never proposed."""

from dataclasses import dataclass, field
from datetime import datetime

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Q
from django.utils import timezone

from campuscode.core.rules import get_setting
from campuscode.violations.models import (
    LADDER,
    State,
    Step,
    ViolationCase,
    ViolationType,
)

# States in which a decision counts as history: final, not still open to appeal.
COUNTED = (State.IN_FORCE, State.CLOSED)


@dataclass
class Proposal:
    step: str
    low: str
    high: str
    priors: list[ViolationCase] = field(default_factory=list)
    similar: list[tuple[str, int]] = field(default_factory=list)  # (step, count)
    similar_deviations: int = 0

    @property
    def range_steps(self) -> list[str]:
        return LADDER[LADDER.index(self.low) : LADDER.index(self.high) + 1]

    @property
    def step_label(self) -> str:
        return str(Step(self.step).label)

    @property
    def range_labels(self) -> list[str]:
        return [str(Step(s).label) for s in self.range_steps]

    @property
    def similar_labels(self) -> list[tuple[str, int]]:
        return [(str(Step(s).label), n) for s, n in self.similar]

    def in_range(self, step: str) -> bool:
        return step in self.range_steps

    def departs(self, step: str) -> bool:
        """Whether deciding `step` departs from the proposal (a reason is then needed)."""
        return step != self.step


def school_range(vtype: str, school) -> tuple[str, str]:
    low = get_setting(f"violation_{vtype}_lowest", school)
    high = get_setting(f"violation_{vtype}_highest", school)
    if LADDER.index(low) > LADDER.index(high):  # the rules page refuses this; be safe
        low, high = high, low
    return low, high


def priors_of(case: ViolationCase, *, now: datetime | None = None) -> list[ViolationCase]:
    """The person's earlier cases that count: decided with a step, final, still in the
    active history, decided within the look-back."""
    now = now or timezone.now()
    since = now - relativedelta(months=get_setting("violation_lookback_months", case.school_id))
    return list(
        ViolationCase.objects.active()
        .filter(person_id=case.person_id, state__in=COUNTED, decided_at__gte=since)
        .exclude(pk=case.pk)
        .exclude(step__in=["", Step.NONE])
        .order_by("-decided_at")
    )


def propose(case: ViolationCase, *, now: datetime | None = None) -> Proposal:
    low, high = school_range(case.vtype, case.school_id)
    priors = priors_of(case, now=now)
    ladder_priors = [LADDER.index(p.step) for p in priors if p.step in LADDER]
    if not priors and case.vtype == ViolationType.MISSED:
        step = Step.CRITICISM  # R8.2: a first missed check-in is met with education
    elif not ladder_priors:
        step = low
    else:
        step = LADDER[min(max(LADDER.index(low), max(ladder_priors) + 1), LADDER.index(high))]
    proposal = Proposal(step=step, low=low, high=high, priors=priors)
    # The decision in force of each similar case (same school and type, active history).
    similar = (
        ViolationCase.objects.active()
        .filter(school_id=case.school_id, vtype=case.vtype)
        .exclude(pk=case.pk)
        .exclude(step="")
        .order_by()
        .values("step")
        .annotate(n=Count("pk"), n_departed=Count("pk", filter=Q(departed=True)))
    )
    counts = {row["step"]: row["n"] for row in similar}
    proposal.similar = [(s, counts[s]) for s in Step.values if counts.get(s)]
    proposal.similar_deviations = sum(row["n_departed"] for row in similar)
    return proposal
