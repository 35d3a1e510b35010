"""The rules of settlement.rules: each test fails when its rule is broken."""

import pytest

from settlement import rules
from settlement.rules import Payout

WAN = 10_000 * 100  # 1万 yuan in fen


@pytest.mark.parametrize("price_yuan, expected_yuan", [
    (1_000_000, 50_000),  # ≤200万: 5%
    (2_000_000, 100_000),  # exactly at the first band's top
    (5_000_000, 100_000 + 90_000),  # 200万 × 5% + 300万 × 3%
    (10_000_000, 100_000 + 240_000),
    (20_000_000, 100_000 + 240_000 + 200_000),  # + 1000万 × 2%
    (80_000_000, 100_000 + 240_000 + 800_000 + 300_000),  # + 3000万 × 1%
    (150_000_000, 100_000 + 240_000 + 800_000 + 500_000 + 250_000),  # + 5000万 × 0.5%
])
def test_commission_scale_is_progressive_by_band(price_yuan, expected_yuan):
    # [C] A29: "超过…的部分" — each rate applies only to the slice of the price in its band.
    assert rules.commission_saved(price_yuan * 100) == expected_yuan * 100


def test_commission_rounds_half_up_to_the_fen():
    assert rules.commission_saved(1) == 0  # 0.05 fen
    assert rules.commission_saved(10) == 1  # 0.5 fen → 1
    assert rules.commission_saved(764 * WAN) == (200 * WAN * 5 // 100) + (564 * WAN * 3 // 100)


def test_premium_rate():
    # DOMAIN.md: a ship sold for 7.64 million at 26.2% premium.
    start = 6_054_000 * 100
    assert rules.premium_rate_basis_points(7_640_000 * 100, start) == 2620
    assert rules.premium_rate_basis_points(100, 100) == 0


def test_only_a_paid_round_is_settleable_once():
    assert rules.check_settleable("paid", False) is None
    assert rules.check_settleable("sold", False).code == "not_paid"
    assert rules.check_settleable("failed", False).code == "not_paid"
    assert rules.check_settleable("paid", True).code == "already_settled"
    assert rules.check_settleable("settled", False).code == "already_settled"


def test_documents_due_by_status():
    assert rules.documents_due("open") == []
    assert rules.documents_due("sold") == ["confirmation"]
    assert rules.documents_due("paid") == ["confirmation", "ruling"]
    assert rules.documents_due("defaulted") == []


def test_buyer_name_public_only_after_a_deal():
    for status in ("announced", "open", "closed", "failed", "defaulted", "withdrawn"):
        assert not rules.buyer_name_public(status)
    for status in ("sold", "paid", "settled"):
        assert rules.buyer_name_public(status)


def test_tax_from_proceeds_follows_the_announcement():
    assert not rules.tax_from_proceeds_allowed("buyer", "seller")
    assert not rules.tax_from_proceeds_allowed("buyer", "buyer")
    assert rules.tax_from_proceeds_allowed("each", "seller")
    assert not rules.tax_from_proceeds_allowed("each", "buyer")
    assert rules.tax_from_proceeds_allowed("seller", "buyer")


def check(available, payouts, owed=1_000, applicants=("甲银行", "乙公司")):
    v = rules.check_distribution(available, payouts, applicants=list(applicants), amount_owed=owed, transfer_tax_payer="each")
    return v.code if v else None


def test_distribution_order_and_limits():
    assert check(1_000, [Payout("cost", "费", 100), Payout("creditor", "甲银行", 900)]) is None
    assert check(1_000, [Payout("creditor", "甲银行", 900), Payout("cost", "费", 100)]) == "payment_order"
    assert check(1_000, [Payout("cost", "费", 600), Payout("creditor", "甲银行", 500)]) == "over_distribution"
    assert check(1_000, [Payout("creditor", "丙", 100)]) == "not_a_creditor"
    # A later creditor only after the earlier one is paid its claim in full.
    assert check(1_000, [Payout("creditor", "甲银行", 400, claim=500), Payout("creditor", "乙公司", 600)]) == "creditor_order"
    assert check(1_000, [Payout("creditor", "甲银行", 500, claim=500), Payout("creditor", "乙公司", 500)]) is None
    assert check(1_000, [Payout("creditor", "甲银行", 600, claim=500)]) == "over_claim"
    # The remainder goes back to the debtor only once the debt is paid.
    assert check(1_000, [Payout("creditor", "甲银行", 500)], owed=800) == "remainder_before_debt"
    assert check(1_000, [Payout("creditor", "甲银行", 800)], owed=800) is None
    assert rules.debtor_remainder(1_000, [Payout("creditor", "甲银行", 800)]) == 200
    assert check(1_000, []) == "no_payouts"
    assert check(1_000, [Payout("creditor", "甲银行", 0)]) == "invalid_amount"
