"""A simulated upstream (always labelled as one) for load tests, chaos tests, demos, offline use.

``SimEngine`` decides each call (fault, latency, answer) from a seed; ``seawall.providers.sim``
acts it out in process and ``seawall.sim.server`` over real HTTP in the OpenAI and Anthropic
dialects.
"""

from seawall.sim.engine import FAULT_KINDS, FaultKind, SimEngine, SimOutcome, split_pieces

__all__ = ["FAULT_KINDS", "FaultKind", "SimEngine", "SimOutcome", "split_pieces"]
