"""Fixtures of the planner-ops tests (helpers in ops_support.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # ops_support: running the CLI, shared scenarios
