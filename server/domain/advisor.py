"""The tracking advisor: the article's six questions, answered for one item from its data.

The article (docs: "Serialized vs quantity tracking") asks, item by item, whether it is high
value, identified by a serial, loaned, condition-dependent, under warranty or maintenance,
or regulated; "if you find yourself nodding at even one", serialize; if none applies, keep a
count. Here each question is answered yes or no from figures the database gives
(`ItemFacts`), each yes with its evidence in words, and the answers become a
recommendation: quantity, lot or serial.

The recommendation only ever climbs with more yeses (quantity < lot < serial; a property
test holds it to that): none -> quantity; regulation alone -> lot (a recall asks for a
batch, and lots with expiry dates answer it without a record per piece); any other yes ->
serial. A counted item that keeps shrinking (negative adjustments after counts worth at
least the high-value threshold) leans to serial too: a count cannot say which one walked off.

A change is suggested only where acting on it pays: a serialized item is over-tracked when
its recommendation is a count *and* nobody handles its units one by one (no unit moved
alone, none checked by an audit scan in the period); a counted item is under-tracked when
its recommendation climbs above its mode. Pure: no I/O, no clock (the caller passes dates)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from server.domain.vocab import Tracking

DEFAULT_HIGH_VALUE = Decimal("500")
DEFAULT_DAYS = 90
SHRINK_TIMES = 2  # negative adjustments in the period before an item "keeps shrinking"


class Question(StrEnum):
    HIGH_VALUE = "high_value"
    IDENTIFIED = "identified"
    LOANED = "loaned"
    CONDITION = "condition"
    WARRANTY = "warranty"
    REGULATED = "regulated"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Question.HIGH_VALUE: "High value",
    Question.IDENTIFIED: "Identified by a serial or asset tag",
    Question.LOANED: "Loaned or rented",
    Question.CONDITION: "Condition-dependent",
    Question.WARRANTY: "Under warranty or maintenance",
    Question.REGULATED: "Regulated",
}
RANK = {Tracking.QUANTITY: 0, Tracking.LOT: 1, Tracking.SERIAL: 2}


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """What the database knows about one item over the period (advisor_repo computes it
    for many items at once). Unit figures count the units the item tracks now (not those
    merged into a count by an earlier conversion)."""

    item_id: int
    sku: str
    name: str
    tracking: Tracking
    category: str = ""
    unit_cost: Decimal | None = None
    regulated: bool = False
    on_hand: int = 0
    units: int = 0
    units_with_serial: int = 0
    top_unit_cost: Decimal | None = None  # the dearest unit's purchase cost
    under_warranty: int = 0  # units whose warranty has not ended
    warranty_until: dt.date | None = None
    lots: int = 0
    lots_with_expiry: int = 0
    serial_scans: int = 0  # scans of its barcode carrying a serial (GS1 AI 21)
    loans: int = 0  # check-outs of units, or quantity loans, in the period
    borrowers: int = 0
    lent_quantity: int = 0  # pieces lent as quantities in the period
    condition_changes: int = 0
    repairs: int = 0  # units sent to repair in the period
    needing_repair: int = 0  # units now in repair, damaged or needing repair
    moved_alone: int = 0  # unit moves with no other unit of the item at that moment
    audited: int = 0  # units checked one by one by an audit scan in the period
    shrink_times: int = 0  # negative adjustments after a count in the period
    shrink_quantity: int = 0

    @property
    def cost(self) -> Decimal | None:
        """The item's unit cost, else the dearest unit's purchase cost."""
        return self.unit_cost if self.unit_cost is not None else self.top_unit_cost

    @property
    def shrink_value(self) -> Decimal | None:
        if self.unit_cost is None:
            return None
        return self.unit_cost * self.shrink_quantity


@dataclass(frozen=True, slots=True)
class Rules:
    high_value: Decimal = DEFAULT_HIGH_VALUE
    days: int = DEFAULT_DAYS
    today: dt.date | None = None  # for "under warranty until": the caller's date


@dataclass(frozen=True, slots=True)
class Answer:
    question: Question
    yes: bool
    evidence: str

    @property
    def label(self) -> str:
        return self.question.label


@dataclass(frozen=True, slots=True)
class Advice:
    facts: ItemFacts
    answers: tuple[Answer, ...]
    recommendation: Tracking
    why: str
    change: Tracking | None  # the mode the advisor suggests switching to, if any
    direction: str | None  # "over" (serialized, should be counted) or "under"
    change_why: str = ""
    notes: tuple[str, ...] = ()  # what else the figures say, though it changes nothing

    @property
    def yes(self) -> tuple[Question, ...]:
        return tuple(a.question for a in self.answers if a.yes)


def money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else many or word + 's'}"


def times(n: int) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n:,} times"


def answer(facts: ItemFacts, rules: Rules) -> tuple[Answer, ...]:
    """The six questions, in the article's order."""
    return (_high_value(facts, rules), _identified(facts), _loaned(facts, rules),
            _condition(facts, rules), _warranty(facts), _regulated(facts))


def _high_value(f: ItemFacts, rules: Rules) -> Answer:
    q, cost = Question.HIGH_VALUE, f.cost
    if cost is None:
        return Answer(q, False, "no unit cost recorded")
    which = "unit cost" if f.unit_cost is not None else "dearest unit cost"
    if cost >= rules.high_value:
        return Answer(q, True, f"{which} {money(cost)} (threshold {money(rules.high_value)})")
    return Answer(q, False, f"{which} {money(cost)}, under {money(rules.high_value)}")


def _identified(f: ItemFacts) -> Answer:
    q = Question.IDENTIFIED
    parts = []
    if f.units_with_serial:
        parts.append(f"{f.units_with_serial:,} of {plural(f.units, 'unit')} "
                     f"{'has a serial' if f.units_with_serial == 1 else 'have serials'}")
    if f.serial_scans:
        parts.append(f"its barcode was scanned with a serial number {times(f.serial_scans)}")
    if parts:
        return Answer(q, True, "; ".join(parts))
    if f.units:
        return Answer(q, False, f"none of its {plural(f.units, 'unit')} has a serial")
    return Answer(q, False, "no serial numbers seen")


def _loaned(f: ItemFacts, rules: Rules) -> Answer:
    q, days = Question.LOANED, rules.days
    if not f.loans:
        return Answer(q, False, f"not lent in {days} days")
    text = f"lent {times(f.loans)} in {days} days"
    if f.borrowers:
        text += f" to {plural(f.borrowers, 'person', 'people')}"
    if f.lent_quantity:
        text += f" ({plural(f.lent_quantity, 'piece')} as quantities)"
    return Answer(q, True, text)


def _condition(f: ItemFacts, rules: Rules) -> Answer:
    q, parts = Question.CONDITION, []
    if f.condition_changes:
        parts.append(plural(f.condition_changes, "condition change"))
    if f.repairs:
        parts.append(plural(f.repairs, "repair"))
    said = f"{' and '.join(parts)} in {rules.days} days" if parts else ""
    if f.needing_repair:
        now = (f"{plural(f.needing_repair, 'unit')} in repair or needing it now")
        said = f"{said}; {now}" if said else now
    if said:
        return Answer(q, True, said)
    return Answer(q, False, f"no condition change or repair in {rules.days} days")


def _warranty(f: ItemFacts) -> Answer:
    q = Question.WARRANTY
    if f.under_warranty:
        until = f" (the last until {f.warranty_until.isoformat()})" if f.warranty_until else ""
        return Answer(q, True, f"{plural(f.under_warranty, 'unit')} under warranty{until}")
    return Answer(q, False, "no unit under warranty; no maintenance records")


def _regulated(f: ItemFacts) -> Answer:
    q, parts = Question.REGULATED, []
    if f.regulated:
        parts.append("marked regulated")
    if f.tracking is Tracking.LOT:
        parts.append("tracked by lot")
    if f.lots_with_expiry:
        parts.append(f"{plural(f.lots_with_expiry, 'lot')} with an expiry date")
    if parts:
        return Answer(q, True, "; ".join(parts))
    return Answer(q, False, "not marked regulated; no lots or expiry dates")


def keeps_shrinking(f: ItemFacts, rules: Rules) -> bool:
    value = f.shrink_value
    return (f.tracking.counted and f.shrink_times >= SHRINK_TIMES and value is not None
            and value >= rules.high_value)


def shrink_words(f: ItemFacts, rules: Rules) -> str:
    value = f.shrink_value
    worth = f" worth {money(value)}" if value is not None else ""
    return (f"{plural(f.shrink_quantity, 'piece')}{worth} lost in "
            f"{plural(f.shrink_times, 'count')} over {rules.days} days")


def recommend(yes: frozenset[Question], *, shrinking: bool = False) -> tuple[Tracking, str]:
    """The mode the answers point to, and why, in a sentence."""
    if not yes and not shrinking:
        return Tracking.QUANTITY, ("None of the six questions is a yes: a plain count is the "
                                   "right answer and keeps the system light.")
    if yes == {Question.REGULATED} and not shrinking:
        return Tracking.LOT, ("Only regulation applies: a recall asks for a batch, so lots "
                              "with expiry dates answer it without a record per piece.")
    named = ", ".join(_LABELS[q].lower() for q in Question if q in yes)
    if not yes:
        return Tracking.SERIAL, ("None of the six is a yes, but it keeps shrinking: a count "
                                 "cannot say which one walked off, or who had it last.")
    return Tracking.SERIAL, (f"{named[0].upper()}{named[1:]}: each unit wants its own record "
                             "(which one, where, who has it, in what condition).")


def advise(facts: ItemFacts, rules: Rules) -> Advice:
    answers = answer(facts, rules)
    yes = frozenset(a.question for a in answers if a.yes)
    shrinking = keeps_shrinking(facts, rules)
    target, why = recommend(yes, shrinking=shrinking)
    change, direction, change_why = _change(facts, rules, target, yes, shrinking)
    return Advice(facts, answers, target, why, change, direction, change_why,
                  _notes(facts, rules, target, shrinking))


def _notes(f: ItemFacts, rules: Rules, target: Tracking, shrinking: bool) -> tuple[str, ...]:
    out = []
    if f.tracking.counted and f.shrink_times and not shrinking:
        value = f.shrink_value
        if f.shrink_times < SHRINK_TIMES:
            why = "one short count is not yet a pattern"
        elif value is None:
            why = "with no unit cost, what it is worth is unknown"
        else:
            why = (f"too little to be worth a record per piece (under "
                   f"{money(rules.high_value)} lost), so a count still pays")
        out.append(f"Shrinking: {shrink_words(f, rules)}; {why}.")
    if f.tracking is Tracking.SERIAL and target is not Tracking.SERIAL and f.units and (
            f.moved_alone or f.audited):
        done = []
        if f.moved_alone:
            done.append(f"{plural(f.moved_alone, 'unit')} moved alone")
        if f.audited:
            done.append(f"{plural(f.audited, 'audit scan')} of single units")
        out.append(f"People handle its units one by one ({' and '.join(done)} in "
                   f"{rules.days} days): keep them as units.")
    return tuple(out)


def _change(f: ItemFacts, rules: Rules, target: Tracking, yes: frozenset[Question],
            shrinking: bool) -> tuple[Tracking | None, str | None, str]:
    if f.tracking is Tracking.SERIAL:
        if target is Tracking.SERIAL or not f.units or f.moved_alone or f.audited:
            return None, None, ""
        pieces = plural(f.units, "unit")
        return target, "over", (f"All {pieces} move together: none was lent, moved alone, "
                                f"repaired or checked one by one in {rules.days} days. "
                                f"Count {'them in lots' if target is Tracking.LOT else 'them'}.")
    if RANK[target] <= RANK[f.tracking]:
        return None, None, ""
    reasons = []
    if Question.HIGH_VALUE in yes:
        reasons.append(f"costly ({money(f.cost or Decimal(0))} each)")
    if Question.LOANED in yes:
        reasons.append(f"lent as quantities {times(f.loans)} in {rules.days} days")
    if shrinking:
        reasons.append(f"keeps shrinking ({shrink_words(f, rules)})")
    others = [a.label.lower() for a in (Question.IDENTIFIED, Question.CONDITION,
                                          Question.WARRANTY) if a in yes]
    reasons += others
    if target is Tracking.LOT:
        return target, "under", "Regulated but counted without batches: track it by lot."
    return target, "under", (f"Counted, yet {'; '.join(reasons)}: give each piece its own "
                             "record.")
