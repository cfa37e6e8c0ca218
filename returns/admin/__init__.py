"""The returns console (see returns.admin.returns) and the admin of quality holds, return
policies and reasons (returns.admin.setup)."""

from . import returns, setup  # noqa: F401  (registers the admins)
