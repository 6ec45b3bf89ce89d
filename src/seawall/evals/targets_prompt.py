"""A prompt of the registry as the target of a suite: ``target: {prompt: NAME@VERSION}``.

The version is read from the registry once, before the run (``resolve_prompt``), compiled,
and rendered with each case's ``vars`` exactly as a prompt run renders it
(``CompiledPrompt.chat_body``: model, messages, params, the output schema as
``response_format``); the call then goes through the suite's backend, in process or through a
gateway. The fingerprint covers the version's content hash and the model's configuration, so
the output cache never serves one version's answers to another, nor across a changed model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seawall.core.errors import SeawallError
from seawall.evals.load import LoadedSuite, SuiteError
from seawall.evals.results import Output
from seawall.evals.targets import Backend, TargetError, digest, sample_seed
from seawall.prompts import CompiledPrompt, PromptNotFound, PromptRegistry, PromptVersion

if TYPE_CHECKING:
    from seawall.evals.suite import Case, Suite

_Rendered = tuple[str, list[dict[str, Any]], dict[str, Any]]  # model, messages, other fields


class PromptTarget:
    """One version of a registry prompt, rendered with each case's variables."""

    def __init__(
        self, backend: Backend, suite: Suite, version: PromptVersion, *, label: str | None = None
    ) -> None:
        self._backend = backend
        self._suite = suite
        self.version = version
        self.label = label
        self.model = version.spec.model
        self._compiled = CompiledPrompt(version.spec)
        self._model_version = backend.model_fingerprint(self.model)
        # The content hash, not the number: the same content is the same target everywhere.
        self._fingerprint = digest(
            "prompt", version.name, version.content_hash, self._model_version
        )
        self._rendered: dict[str, _Rendered | SeawallError] = {}

    def describe(self) -> str:
        label = f" [{self.label}]" if self.label else ""
        return f"prompt {self.version.ref}{label} ({self._backend.describe()})"

    def fingerprint(self) -> str:
        return self._fingerprint

    def rendered(self, case: Case) -> _Rendered | SeawallError:
        """(model, messages, other request fields) for ``case``, or why it does not render.

        Rendered once per case: samples differ only by their seed.
        """
        found = self._rendered.get(case.id)
        if found is None:
            try:
                body = self._compiled.chat_body(case.vars)
                found = (str(body.pop("model")), body.pop("messages"), body)
            except SeawallError as exc:  # variables that do not fit, a template that fails
                found = exc
            self._rendered[case.id] = found
        return found

    def params(self, case: Case, sample: int, fields: dict[str, Any]) -> dict[str, Any]:
        params = dict(fields)
        # As for model targets: reruns ask the same questions, samples differ; a seed pinned
        # in the prompt's params wins.
        params.setdefault("seed", sample_seed(self._suite.seed, case.id, sample))
        return params

    def cache_key(self, case: Case, sample: int) -> str | None:
        rendered = self.rendered(case)
        if self._model_version is None or isinstance(rendered, SeawallError):
            return None  # unknown upstream (gateway without config), or nothing to send
        model, messages, fields = rendered
        return digest(
            self._fingerprint, case.id, sample, model, messages, self.params(case, sample, fields)
        )

    def input_text(self, case: Case) -> str:
        rendered = self.rendered(case)
        if isinstance(rendered, SeawallError):
            return ""
        return "\n".join(f"{m['role']}: {m['content']}" for m in rendered[1])

    async def call(self, case: Case, sample: int) -> Output:
        rendered = self.rendered(case)
        if isinstance(rendered, SeawallError):
            raise TargetError(f"the prompt did not render: {rendered.message}")
        model, messages, fields = rendered
        return await self._backend.chat(model, messages, self.params(case, sample, fields))


async def resolve_prompt(
    registry: PromptRegistry, loaded: LoadedSuite, version: int | None = None
) -> tuple[PromptVersion, str | None]:
    """The version the suite's ``target.prompt`` names (or ``version``), and its label if any.

    Raises ``SuiteError`` (pointing at ``target.prompt``) when the prompt, version or label
    does not exist.
    """
    ref = loaded.suite.target.prompt_ref
    if ref is None:
        raise loaded.fail("target", "--prompt-version needs a prompt target (target.prompt)")
    name, written = ref
    wanted: int | str = version if version is not None else _ref(written)
    try:
        found = await registry.get(name, wanted)
    except PromptNotFound as exc:
        where = f"--prompt-version {version}: " if version is not None else ""
        raise loaded.fail("target.prompt", f"{where}{exc.message}") from exc
    label = written if isinstance(wanted, str) and wanted != "latest" else None
    return found, label


def check_cases(loaded: LoadedSuite, target: PromptTarget) -> None:
    """Every case's ``vars`` must fit the prompt's variables schema and render; else ``SuiteError``."""
    problems = []
    for i, case in enumerate(loaded.suite.cases):
        rendered = target.rendered(case)
        if isinstance(rendered, SeawallError):
            message = f"{rendered.message} (prompt {target.version.ref})"
            problems.append(loaded.problem(f"cases.{i}.vars", message))
    if problems:
        raise SuiteError(str(loaded.path), problems)


def _ref(written: str) -> int | str:
    return int(written) if written.isdigit() else written
