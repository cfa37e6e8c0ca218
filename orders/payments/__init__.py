"""The order's money: payments (authorized / captured / refunded), their transactions, refunds,
and the payment adapters that talk to the PSP (or wait for the shop to)."""
