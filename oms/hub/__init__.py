"""The status hub's delivery machinery: published messages, deliveries and their targets.

See `oms/hub/targets.py` for the extension point (a new kind of delivery, e.g. e-mail).
"""
