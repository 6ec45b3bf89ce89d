"""Prompts as code: the spec of ``prompts/*.yaml``, sandboxed rendering and the registry."""

from seawall.prompts.errors import (
    InvalidPrompt,
    PromptNotFound,
    PromptRenderError,
    PromptVariableError,
)
from seawall.prompts.loader import LoadedPrompt, PromptFileError, load_prompt_file, load_prompts
from seawall.prompts.registry import PromptRegistry, SqlPromptRegistry, open_registry
from seawall.prompts.render import CompiledPrompt, render_messages
from seawall.prompts.spec import CanaryPolicy, MetricThreshold, PromptSpec, content_hash
from seawall.prompts.versions import (
    LabelEvent,
    PromptDiff,
    PromptSummary,
    PromptVersion,
    PushResult,
    Ref,
    check_label,
    diff_versions,
    parse_ref,
)

__all__ = [
    "CanaryPolicy",
    "CompiledPrompt",
    "InvalidPrompt",
    "LabelEvent",
    "LoadedPrompt",
    "MetricThreshold",
    "PromptDiff",
    "PromptFileError",
    "PromptNotFound",
    "PromptRegistry",
    "PromptRenderError",
    "PromptSpec",
    "PromptSummary",
    "PromptVariableError",
    "PromptVersion",
    "PushResult",
    "Ref",
    "SqlPromptRegistry",
    "check_label",
    "content_hash",
    "diff_versions",
    "load_prompt_file",
    "load_prompts",
    "open_registry",
    "parse_ref",
    "render_messages",
]
