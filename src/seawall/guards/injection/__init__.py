"""Prompt-injection and jailbreak detection, fencing of untrusted content, canary tokens."""

from seawall.guards.injection.canary import canary_instruction, leaked, make_canary
from seawall.guards.injection.classifier import Classifier
from seawall.guards.injection.detector import InjectionDetector, InjectionResult
from seawall.guards.injection.fence import fence, make_nonce
from seawall.guards.injection.normalize import Normalized, Variant, normalize
from seawall.guards.injection.rules import FAMILIES, RuleSet

__all__ = [
    "FAMILIES",
    "Classifier",
    "InjectionDetector",
    "InjectionResult",
    "Normalized",
    "RuleSet",
    "Variant",
    "canary_instruction",
    "fence",
    "leaked",
    "make_canary",
    "make_nonce",
    "normalize",
]
