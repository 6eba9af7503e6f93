import os
import sys

from hypothesis import settings

sys.path.insert(0, os.path.dirname(__file__))

# The suite draws the same examples on every run (derandomize), so a red run is
# reproducible and CI cannot fail by the luck of a draw; HYPOTHESIS_PROFILE=explore draws
# fresh examples each run, to look for new failures.
settings.register_profile("ci", deadline=None, print_blob=True, derandomize=True)
settings.register_profile("explore", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
