"""The tracking advisor's rules, without a database: each question's yes and its words, the
recommendation (monotone: another yes never moves it back towards a count), and when a
change is suggested."""

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.advisor import (
    RANK,
    ItemFacts,
    Question,
    Rules,
    advise,
    answer,
    recommend,
)
from server.domain.vocab import Tracking

RULES = Rules(high_value=Decimal("500"), days=90, today=dt.date(2026, 11, 29))


def facts(**kw):
    base = {"item_id": 1, "sku": "TIES", "name": "Cable ties", "tracking": Tracking.QUANTITY}
    return ItemFacts(**{**base, **kw})


def yes_of(f):
    return {a.question for a in answer(f, RULES) if a.yes}


def test_nothing_applies_to_cheap_idle_stock():
    advice = advise(facts(unit_cost=Decimal("0.05"), on_hand=400), RULES)
    assert advice.yes == () and advice.recommendation is Tracking.QUANTITY
    assert advice.change is None
    assert advice.why.startswith("None of the six questions is a yes")


def test_high_value_is_from_the_threshold_up():
    assert Question.HIGH_VALUE in yes_of(facts(unit_cost=Decimal("500")))
    assert Question.HIGH_VALUE not in yes_of(facts(unit_cost=Decimal("499.99")))
    words = answer(facts(unit_cost=Decimal("1850")), RULES)[0].evidence
    assert words == "unit cost 1,850.00 (threshold 500.00)"


def test_without_an_item_cost_the_dearest_unit_counts():
    f = facts(tracking=Tracking.SERIAL, units=3, top_unit_cost=Decimal("900"))
    assert answer(f, RULES)[0].evidence == "dearest unit cost 900.00 (threshold 500.00)"


def test_the_evidence_reads_as_a_sentence():
    f = facts(tracking=Tracking.SERIAL, units=6, units_with_serial=6, loans=31, borrowers=12)
    said = {a.question: a.evidence for a in answer(f, RULES)}
    assert said[Question.LOANED] == "lent 31 times in 90 days to 12 people"
    assert said[Question.IDENTIFIED] == "6 of 6 units have serials"


def test_regulation_alone_leans_to_lots_and_any_other_yes_to_serial():
    assert recommend(frozenset({Question.REGULATED}))[0] is Tracking.LOT
    assert recommend(frozenset({Question.REGULATED, Question.LOANED}))[0] is Tracking.SERIAL
    assert recommend(frozenset({Question.WARRANTY}))[0] is Tracking.SERIAL
    assert recommend(frozenset())[0] is Tracking.QUANTITY


def test_shrinking_counts_only_when_the_loss_is_worth_it():
    small = facts(unit_cost=Decimal("1"), shrink_times=5, shrink_quantity=40)
    assert advise(small, RULES).change is None  # 40.00 lost: coffee, not laptops
    costly = facts(unit_cost=Decimal("300"), shrink_times=2, shrink_quantity=4)
    advice = advise(costly, RULES)
    assert advice.change is Tracking.SERIAL and advice.direction == "under"
    assert "4 pieces worth 1,200.00 lost in 2 counts over 90 days" in advice.change_why
    once = facts(unit_cost=Decimal("300"), shrink_times=1, shrink_quantity=4)
    assert advise(once, RULES).change is None


def test_cheap_units_nobody_handles_alone_are_over_tracked():
    idle = facts(tracking=Tracking.SERIAL, units=400, unit_cost=Decimal("0.05"))
    advice = advise(idle, RULES)
    assert advice.change is Tracking.QUANTITY and advice.direction == "over"
    assert advice.change_why.startswith("All 400 units move together")
    for handled in ({"moved_alone": 1}, {"audited": 3}):
        assert advise(facts(tracking=Tracking.SERIAL, units=400, **handled), RULES).change is None
    assert advise(facts(tracking=Tracking.SERIAL, units=0), RULES).change is None


def test_a_regulated_serialized_item_without_other_reasons_goes_to_lots():
    f = facts(tracking=Tracking.SERIAL, units=10, regulated=True)
    assert advise(f, RULES).change is Tracking.LOT


def test_a_lot_item_is_regulated_and_never_told_to_drop_its_lots():
    advice = advise(facts(tracking=Tracking.LOT, lots=2, lots_with_expiry=1), RULES)
    assert advice.yes == (Question.REGULATED,) and advice.change is None


QUESTIONS = st.frozensets(st.sampled_from(list(Question)))


@settings(max_examples=200, deadline=None)
@given(QUESTIONS, st.sampled_from(list(Question)), st.booleans())
def test_another_yes_never_moves_the_recommendation_back(yes, more, shrinking):
    before, _ = recommend(yes, shrinking=shrinking)
    after, _ = recommend(yes | {more}, shrinking=shrinking)
    assert RANK[after] >= RANK[before]
    assert not (before is Tracking.SERIAL and after is not Tracking.SERIAL)


FIGURES = st.fixed_dictionaries({
    "units": st.integers(0, 50), "units_with_serial": st.integers(0, 50),
    "loans": st.integers(0, 40), "borrowers": st.integers(0, 10),
    "condition_changes": st.integers(0, 5), "repairs": st.integers(0, 5),
    "needing_repair": st.integers(0, 5), "under_warranty": st.integers(0, 5),
    "lots_with_expiry": st.integers(0, 3), "regulated": st.booleans(),
    "serial_scans": st.integers(0, 3), "moved_alone": st.integers(0, 3),
    "shrink_times": st.integers(0, 4), "shrink_quantity": st.integers(0, 40),
    "unit_cost": st.one_of(st.none(), st.decimals(0, 5000, places=2)),
    "tracking": st.sampled_from(list(Tracking)),
})
MORE = st.sampled_from(["loans", "units_with_serial", "condition_changes", "repairs",
                        "under_warranty", "lots_with_expiry", "serial_scans"])


@settings(max_examples=150, deadline=None)
@given(FIGURES, MORE)
def test_more_activity_never_lowers_the_recommendation(figures, more):
    f = facts(**figures)
    busier = facts(**{**figures, more: figures.get(more, 0) + 1})
    assert RANK[advise(busier, RULES).recommendation] >= RANK[advise(f, RULES).recommendation]


@settings(max_examples=150, deadline=None)
@given(FIGURES)
def test_every_answer_has_evidence_and_a_change_has_a_reason(figures):
    advice = advise(facts(**figures), RULES)
    assert len(advice.answers) == 6 and all(a.evidence for a in advice.answers)
    assert [a.question for a in advice.answers] == list(Question)
    if advice.change is not None:
        assert advice.change is not advice.facts.tracking and advice.change_why
        assert advice.direction == ("over" if advice.facts.tracking is Tracking.SERIAL
                                    else "under")


def test_notes_say_why_a_shrinking_count_or_handled_units_stay_as_they_are():
    batteries = facts(unit_cost=Decimal("2.5"), shrink_times=4, shrink_quantity=12)
    assert advise(batteries, RULES).notes == (
        "Shrinking: 12 pieces worth 30.00 lost in 4 counts over 90 days; too little to be "
        "worth a record per piece (under 500.00 lost), so a count still pays.",)
    handled = facts(tracking=Tracking.SERIAL, units=40, moved_alone=3)
    assert advise(handled, RULES).notes == (
        "People handle its units one by one (3 units moved alone in 90 days): keep them as "
        "units.",)


def test_one_short_count_is_not_yet_a_pattern():
    laptops = facts(unit_cost=Decimal("1450"), shrink_times=1, shrink_quantity=1)
    assert advise(laptops, RULES).notes == (
        "Shrinking: 1 piece worth 1,450.00 lost in 1 count over 90 days; one short count is "
        "not yet a pattern.",)
