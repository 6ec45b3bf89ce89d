"""Releasing prompt versions: sticky canary assignment, the sequential test and the controller."""

from seawall.releases.assign import Arm, assign, bucket
from seawall.releases.controller import (
    Release,
    ReleaseFinished,
    ReleaseState,
    Step,
    abort,
    advance,
    finish,
    start,
)
from seawall.releases.sequential import ArmStats, Decision, MetricVerdict, decide, judge
from seawall.releases.store import SqlReleaseStore

__all__ = [
    "Arm",
    "ArmStats",
    "Decision",
    "MetricVerdict",
    "Release",
    "ReleaseFinished",
    "ReleaseState",
    "SqlReleaseStore",
    "Step",
    "abort",
    "advance",
    "assign",
    "bucket",
    "decide",
    "finish",
    "judge",
    "start",
]
