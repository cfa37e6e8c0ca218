"""Customer e-mail notifications, sent by the status hub's delivery machinery (`oms/hub`).

- `catalogue.py`: which public order event sends which e-mail, and the channel switch that
  turns it off. The refund e-mail's hook is `REFUND_ISSUED_EVENT` there.
- `email.py`: the `email` delivery target. In the publishing transaction it plans one
  delivery per notified event to the order's customer address; a worker later renders the
  templates (`templates/notifications/`) and sends through Django's e-mail backend, outside
  any transaction. A failing mail server is a failed try: the hub retries it with backoff
  and the order never waits for it.
- `services.py`: staff resend (a new delivery of the same message, audited as an internal
  order event).
"""
