"""The bank path: transfers into the case account (一案一账号) for sums the card provider cannot take.

A payment reference per registration (or balance), credits matched from the bank's statements
(camt.053 / camt.054 / MT940), refunds to the source account by pain.001 payment files confirmed by
the next statement, and reconciliation of the ledger against the statements. See docs/escrow.md.
"""
