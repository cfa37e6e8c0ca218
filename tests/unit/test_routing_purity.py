"""The planner and promising are pure: importing them must not import Django or the ORM."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PURE_MODULES = (
    "routing.planner",
    "routing.promising",
    "routing.promise_calendar",
    "routing.pickup",
    "routing.solving",
    "routing.search",
    "routing.search_arrays",
    "routing.search_branching",
    "routing.cover",
    "routing.pool",
    "routing.shortcut",
    "routing.fences",
    "routing.ratings",
    "routing.allocation",
    "routing.explain",
    "routing.geo",
    "routing.plan_types",
    "routing.route_map",
    "routing.reason_words",
)


def test_pure_modules_do_not_import_django():
    root = Path(__file__).resolve().parents[2]
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in PURE_MODULES)
        + "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        + "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""
