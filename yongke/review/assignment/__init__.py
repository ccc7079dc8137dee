"""Expert assignment: who reviews which application. Pure algorithms, no Django import.

* `optimal` — the exact optimum of total affinity: one min-cost flow with lower bounds.
* `fair` — the worst-served application as well served as possible, then the best total.
* `random` — 随机抽取 with a cap on every pair's probability, replayable from its seed.

Every mode honours an affinity floor (pairs at or below it are no candidates) and, when the
experts' organisations are given, one expert per organisation on each application.

`read_instance` reads the openreview-matcher-style CSV files, `assign` solves, `Infeasible`
carries the diagnosis when no assignment exists. The CLI (`yongke review assign`) and any
future API endpoint call exactly these.
"""

from .diagnose import diagnose
from .io import read_instance, write_json
from .model import Assignment, Infeasible, Instance, SolverError, build_instance, violations
from .solve import MAX_TIME_LIMIT, MODES, assign

__all__ = [
    "MAX_TIME_LIMIT",
    "MODES",
    "Assignment",
    "Infeasible",
    "Instance",
    "SolverError",
    "assign",
    "build_instance",
    "diagnose",
    "read_instance",
    "violations",
    "write_json",
]
