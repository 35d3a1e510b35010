"""The legal rules of valuation as pure functions: each test fails when its rule is broken."""

from datetime import UTC, datetime, timedelta

from valuation import rules

T0 = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)


def test_average_is_exact_to_the_fen_and_rounds_half_up():
    # B13: the mean of 100.00, 100.01 = 100.005 yuan -> 10001 fen (half up), never a float.
    assert rules.average_half_up([10000, 10001]) == 10001
    assert rules.average_half_up([10000, 10000, 10001]) == 10000  # 10000.33 -> 10000
    assert rules.average_half_up([10000, 10001, 10001]) == 10001  # 10000.67 -> 10001
    big = [472_750_000_01, 472_750_000_02, 472_750_000_04]
    assert rules.average_half_up(big) == 472_750_000_02  # .333 down
    assert rules.average_half_up([999_999_999_999_99, 999_999_999_999_98]) == 999_999_999_999_99  # .5 up, beyond float precision


def test_network_extension_only_when_all_platforms_missed():
    # B11
    assert rules.network_deadline_outcome(delivered=1, asked_extension=2) == "conclude"
    assert rules.network_deadline_outcome(delivered=0, asked_extension=1) == "extend"
    assert rules.network_deadline_outcome(delivered=0, asked_extension=0) == "fail"


def test_network_deadlines_are_three_days():
    assert rules.NETWORK_DEADLINE == timedelta(days=3)
    assert rules.NETWORK_EXTENSION == timedelta(days=3)
    assert rules.correction_deadline(T0, None) == T0 + timedelta(days=3)


def test_lottery_replays_from_its_seed_whatever_the_input_order():
    codes = ["I05", "I01", "I03", "I02", "I04"]
    picks = rules.draw_lottery("abc123", codes)
    assert len(picks) == 3 and len(set(picks)) == 3
    assert rules.draw_lottery("abc123", list(reversed(codes))) == picks
    assert any(rules.draw_lottery(f"seed{n}", codes) != picks for n in range(20))


def test_appraisal_extension_rules():
    deadline = T0 + timedelta(days=30)
    assert rules.check_appraisal_extension(deadline - timedelta(days=5), deadline, 0, 15) is None
    assert rules.check_appraisal_extension(deadline - timedelta(days=4, hours=23), deadline, 0, 15).code == "extension_too_late"
    assert rules.check_appraisal_extension(T0, deadline, 0, 16).code == "extension_too_long"
    assert rules.check_appraisal_extension(T0, deadline, 1, 15) is None
    assert rules.check_appraisal_extension(T0, deadline, 2, 5).code == "too_many_extensions"


def test_objection_window_grounds_and_methods():
    delivered = T0
    assert rules.check_objection("network", "wrong_facts", delivered, delivered + timedelta(days=5)) is None
    assert rules.check_objection("network", "wrong_facts", delivered, delivered + timedelta(days=5, seconds=1)).code == "objection_too_late"
    assert rules.check_objection("appraisal", "price_too_low", delivered, delivered).code == "objection_ground_invalid"
    assert rules.check_objection("negotiated", "wrong_facts", delivered, delivered).article == "B24"
    assert rules.check_objection("directed", "wrong_facts", delivered, delivered).article == "B24"


def test_validity_at_most_one_year():
    assert rules.check_quote_validity(T0 + timedelta(days=365), T0) is None
    assert rules.check_quote_validity(T0 + timedelta(days=366), T0).code == "validity_too_long"
    assert rules.check_quote_validity(T0, T0).code == "validity_past"
    assert rules.reference_valid_until([T0 + timedelta(days=400)], T0) == T0 + timedelta(days=365)
    assert rules.reference_valid_until([T0 + timedelta(days=90), T0 + timedelta(days=30)], T0) == T0 + timedelta(days=30)


def test_report_must_be_a_pdf_of_sane_size():
    assert rules.check_report_pdf(b"%PDF-1.7", 5000) is None
    assert rules.check_report_pdf(b"PK\x03\x04", 5000).code == "report_not_pdf"
    assert rules.check_report_pdf(b"%PDF-1.7", 10).code == "report_too_small"
    assert rules.check_report_pdf(b"%PDF-1.7", 51 * 1024 * 1024).code == "report_too_large"


def test_price_sanity():
    assert rules.check_price(1) is None
    assert rules.check_price(0).code == "price_not_positive"
    assert rules.check_price(-5).code == "price_not_positive"
    assert rules.check_price(10**15).code == "price_absurd"
    assert rules.check_price(1.5).code == "price_not_integer"
    assert rules.check_price(True).code == "price_not_integer"


def test_negotiated_outcome_b4():
    assert rules.negotiated_outcome([("applicant", 100)]) == ("pending", None)
    assert rules.negotiated_outcome([("applicant", 100), ("respondent", 100)]) == ("agreed", 100)
    assert rules.negotiated_outcome([("applicant", 100), ("respondent", 101)]) == ("pending", None)
    assert rules.negotiated_outcome([("applicant", 100), ("respondent", 90), ("applicant", 95), ("respondent", 95)]) == ("agreed", 95)
    assert rules.negotiated_outcome([("applicant", 100), ("applicant", 100)]) == ("pending", None)  # one side alone never agrees


def test_negotiation_turns_and_deadline_b4():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert rules.check_negotiation_offer("applicant", None, now, now) is None
    assert rules.check_negotiation_offer("respondent", "applicant", now, now) is None
    assert rules.check_negotiation_offer("applicant", "applicant", now, now).code == "not_your_turn"
    assert rules.check_negotiation_offer("respondent", "applicant", now + timedelta(seconds=1), now).code == "deadline_passed"
    assert rules.check_negotiation_offer("bidder", None, now, now) is not None


def test_parties_see_quotes_only_once_the_price_is_fixed():
    assert not rules.quotes_visible_to_parties("open")
    assert rules.quotes_visible_to_parties("concluded") and rules.quotes_visible_to_parties("failed")


def test_fee_goes_to_the_closest_result_b31():
    results = [(100, T0, 1), (130, T0, 2), (118, T0, 3)]
    assert rules.closest_to_sale(results, 125) == 2
    assert rules.closest_to_sale(results, 112) == 3
    assert rules.closest_to_sale([(100, T0 + timedelta(1), 1), (120, T0, 2)], 110) == 2  # tie: earlier submission


def test_sale_starts_within_ten_days_of_fixing_b30():
    assert rules.sale_due_by(T0) == T0 + timedelta(days=10)
    assert rules.sale_due_by(None) is None


def test_price_fixed_within_thirty_days_of_seizure_b1():
    assert rules.price_due_by(T0) == T0 + timedelta(days=30)
