"""The typed, frozen configuration of a Seawall deployment (``seawall.yaml``).

Read once at start (``seawall.configload.load_config``), then passed down. Every field has a
docstring; ``docs/configuration.md`` documents each one and a test keeps the two in step.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from seawall.alerts.config import AlertsConfig
from seawall.drift.config import DriftConfig
from seawall.review.escalation import EscalationRules

SECRET_PREFIX = "env:"


def _secret_ref(value: str) -> str:
    # Keys typed into a config file end up in repositories, backups and logs.
    if not value.startswith(SECRET_PREFIX) or len(value) == len(SECRET_PREFIX):
        raise ValueError("secrets must be references like 'env:OPENAI_API_KEY', not inline values")
    return value


SecretRef = Annotated[str, AfterValidator(_secret_ref)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


# --------------------------------------------------------------------------- server and storage


class ServerConfig(_Model):
    host: str = "127.0.0.1"
    """Interface the gateway listens on."""
    port: int = Field(8080, ge=0, le=65535)
    """TCP port of the gateway (0 picks a free port)."""
    max_body_bytes: int = Field(4_000_000, ge=1024)
    """Largest request body accepted; bigger bodies get 413 ``invalid_request``."""
    max_messages: int = Field(2048, ge=1)
    """Most messages accepted in one chat request."""
    drain_timeout_s: float = Field(30.0, gt=0)
    """On SIGTERM, how long in-flight calls may take to finish before the server exits."""


class StoreConfig(_Model):
    url: str = "sqlite:///.seawall/seawall.db"
    """Where durable data lives: ``sqlite:///path`` (embedded default) or ``postgresql://...``."""
    store_payloads: bool = True
    """Keep request and response bodies in call records (switch off for sensitive traffic)."""
    queue_size: int = Field(50_000, ge=1)
    """Capacity of the record writer's queue; overflow is counted and logged, never silent."""
    batch_size: int = Field(500, ge=1)
    """Most records written in one transaction."""
    flush_interval_ms: int = Field(200, ge=1)
    """Longest time a record waits in the queue before it is written."""


class StateConfig(_Model):
    url: str = "memory://"
    """Shared state for breakers and retry budgets: ``memory://`` (one process) or ``redis://host:port/db`` (``rediss://`` for TLS) shared by several replicas."""
    prefix: str = Field("seawall", pattern=r"^[A-Za-z0-9_.-]+$")
    """Prefix of every Redis key, so that several deployments can share one Redis."""
    timeout_ms: float = Field(250.0, gt=0)
    """Longest a Redis operation may take before the call goes on without it (breakers fail open, retries are refused)."""
    cache_max_mb: float = Field(32.0, gt=0)
    """Memory the in-process response cache may use (``memory://`` only; Redis uses ``maxmemory``)."""


# --------------------------------------------------------------------------- the simulator


class SimLatency(_Model):
    fixed_ms: float | None = Field(None, ge=0)
    """Every call takes exactly this long (overrides p50/p99)."""
    p50_ms: float = Field(0.0, ge=0)
    """Median latency of a lognormal distribution."""
    p99_ms: float = Field(0.0, ge=0)
    """99th percentile of the lognormal distribution (must be >= p50_ms)."""
    ttft_ms: float = Field(0.0, ge=0)
    """Streams: time to the first chunk."""
    chunk_ms: float = Field(0.0, ge=0)
    """Streams: delay between chunks."""

    @model_validator(mode="after")
    def _ordered(self) -> SimLatency:
        if self.p99_ms and self.p99_ms < self.p50_ms:
            raise ValueError("p99_ms must be >= p50_ms")
        return self


class SimFaults(_Model):
    rate_429: float = Field(0.0, ge=0, le=1)
    """Share of calls answered 429 with a ``Retry-After`` header."""
    retry_after_s: float = Field(1.0, ge=0)
    """The ``Retry-After`` value sent with simulated 429s."""
    rate_500: float = Field(0.0, ge=0, le=1)
    """Share of calls answered 500."""
    rate_503: float = Field(0.0, ge=0, le=1)
    """Share of calls answered 503."""
    rate_connect: float = Field(0.0, ge=0, le=1)
    """Share of calls whose connection is refused or dropped before any response."""
    rate_hang: float = Field(0.0, ge=0, le=1)
    """Share of calls that hang (never answer) until the client gives up."""
    rate_malformed: float = Field(0.0, ge=0, le=1)
    """Share of calls answered 200 with a body that is not valid JSON."""
    rate_truncated: float = Field(0.0, ge=0, le=1)
    """Share of calls whose answer is cut short (streams stop mid-way without ``[DONE]``)."""
    rate_empty: float = Field(0.0, ge=0, le=1)
    """Share of calls answered 200 with empty content."""
    outage: bool = False
    """Fail every call with 503 (a full outage)."""
    outage_after_s: float | None = Field(None, ge=0)
    """Start a full outage this many seconds after the simulator starts."""
    outage_for_s: float | None = Field(None, gt=0)
    """Length of that outage (forever when unset)."""


class SimScenario(_Model):
    match: str
    """Regular expression searched in the user messages, newest first (a re-ask keeps its scenario)."""
    reply: str | None = None
    """Answer with this text."""
    reply_json: Any = None
    """Answer with this JSON value (serialised)."""
    wrong_field: str | None = None
    """With ``reply_json``: the field to corrupt."""
    wrong_rate: float = Field(0.0, ge=0, le=1)
    """Share of calls on which ``wrong_field`` is replaced by a value of the wrong type."""
    confidence_field: str | None = None
    """With a ``reply_json`` object: add this field with a self-reported confidence (seeded:
    0.55-0.98 for a right answer, 0.05-0.65 when ``wrong_field`` was corrupted), so the
    confidence is informative, as for calibration tests."""

    @model_validator(mode="after")
    def _one_reply(self) -> SimScenario:
        if (self.reply is None) == (self.reply_json is None):
            raise ValueError("a scenario needs exactly one of 'reply' or 'reply_json'")
        if self.confidence_field is not None and not isinstance(self.reply_json, dict):
            raise ValueError("confidence_field needs 'reply_json' to be an object")
        return self


class SimSettings(_Model):
    seed: int = 0
    """Seed for answers and faults: the same seed and requests give the same run."""
    latency: SimLatency = SimLatency()
    """Latency distribution."""
    faults: SimFaults = SimFaults()
    """Injected failures."""
    scenarios: list[SimScenario] = []
    """Scripted answers, first match wins; other requests get a deterministic echo-style answer."""


# --------------------------------------------------------------------------- providers


class OpenAIProvider(_Model):
    kind: Literal["openai"]
    """Any OpenAI-compatible chat completions API (OpenAI, vLLM, Ollama, llama.cpp, most vendors)."""
    base_url: str
    """Root of the OpenAI-compatible API, e.g. ``https://api.openai.com/v1``."""
    api_key: SecretRef | None = None
    """Secret reference ``env:NAME`` (never the key itself)."""
    headers: dict[str, str] = {}
    """Extra headers sent upstream; values may be ``env:NAME`` references."""
    max_connections: int = Field(256, ge=1)
    """Size of the connection pool to this upstream."""


class AnthropicProvider(_Model):
    kind: Literal["anthropic"]
    """Anthropic's Messages API; requests and answers are translated to and from OpenAI's shape."""
    base_url: str = "https://api.anthropic.com"
    """Root of the Anthropic API."""
    api_key: SecretRef | None = None
    """Secret reference ``env:NAME``."""
    version: str = "2023-06-01"
    """Value of the ``anthropic-version`` header."""
    default_max_tokens: int = Field(1024, ge=1)
    """``max_tokens`` sent when the request names none (the Messages API requires it)."""
    max_connections: int = Field(256, ge=1)
    """Size of the connection pool to this upstream."""


class SimProvider(_Model):
    kind: Literal["sim"]
    """Seawall's built-in SIMULATOR (in process): for demos, chaos and load tests, never real answers."""
    sim: SimSettings = SimSettings()
    """Behaviour of this in-process simulated upstream."""


ProviderConfig = Annotated[
    OpenAIProvider | AnthropicProvider | SimProvider, Field(discriminator="kind")
]


# --------------------------------------------------------------------------- logical models


class Target(_Model):
    provider: str
    """Name of a provider in ``providers``."""
    model: str
    """Model name sent to that provider."""


class TimeoutPolicy(_Model):
    attempt_s: float = Field(30.0, gt=0)
    """Longest one attempt may take (for streams: until the first chunk, and between chunks)."""
    deadline_s: float = Field(60.0, gt=0)
    """Longest the whole call may take, retries and fallbacks included."""

    @model_validator(mode="after")
    def _fits(self) -> TimeoutPolicy:
        if self.attempt_s > self.deadline_s:
            raise ValueError("attempt_s must not exceed deadline_s")
        return self


class RetryPolicy(_Model):
    max_attempts: int = Field(3, ge=1, le=10)
    """Attempts per target, the first included."""
    base_delay_ms: float = Field(100.0, ge=0)
    """First backoff ceiling; doubles each retry (full jitter draws in [0, ceiling])."""
    max_delay_ms: float = Field(2000.0, ge=0)
    """Largest backoff ceiling."""
    budget_ratio: float = Field(0.2, ge=0, le=1)
    """Retries allowed per target as a share of its recent calls (a failing upstream gets no retry storm)."""
    budget_min_per_s: float = Field(1.0, ge=0)
    """Retries always allowed per second per target, so quiet targets can still retry."""
    honour_retry_after: bool = True
    """Wait what the upstream's ``Retry-After`` asks (when it fits the deadline), else fall back."""


class BreakerPolicy(_Model):
    enabled: bool = True
    """Use a circuit breaker for each target of this model."""
    window_s: float = Field(30.0, gt=0)
    """Sliding window over which the failure rate is measured."""
    min_calls: int = Field(20, ge=1)
    """Fewest calls in the window before the breaker may open."""
    failure_rate: float = Field(0.5, gt=0, le=1)
    """Failure rate in the window at which the breaker opens."""
    open_s: float = Field(5.0, gt=0)
    """How long an open breaker rejects calls before probing."""
    half_open_probes: int = Field(3, ge=1)
    """Successful probe calls needed to close again; one failed probe reopens."""


class ValidationPolicy(_Model):
    json_schema: dict[str, Any] | None = None
    """JSON schema every answer of this model must satisfy (a request's own ``response_format`` wins)."""
    repair: bool = True
    """Repair near-JSON (code fences, trailing commas, prose around it) before judging."""
    reask: bool = True
    """Ask the model once more, quoting the validation error, when repair is not enough."""


class DegradePolicy(_Model):
    message: str | None = None
    """Fixed answer sent when every target failed (marked ``x-seawall-degraded``)."""
    json_value: Any = Field(None, alias="json")
    """Fixed JSON answer sent when every target failed."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, use_attribute_docstrings=True
    )

    @model_validator(mode="after")
    def _at_most_one(self) -> DegradePolicy:
        if self.message is not None and self.json_value is not None:
            raise ValueError("set either 'message' or 'json', not both")
        return self

    @property
    def configured(self) -> bool:
        return self.message is not None or self.json_value is not None


class RateLimitConfig(_Model):
    requests_per_min: float | None = Field(None, gt=0)
    """Requests per minute (``null``: unlimited)."""
    tokens_per_min: float | None = Field(None, gt=0)
    """Prompt plus completion tokens per minute, estimated before the call, settled after."""
    burst_s: float = Field(60.0, gt=0)
    """Seconds of the rate that may be spent at once (60: a minute's worth)."""


class BudgetConfig(_Model):
    limit_usd: float = Field(ge=0)
    """Hard limit in US dollars per period: calls beyond it get ``budget_exceeded``."""
    period: Literal["day", "month"] = "day"
    """Calendar day or month, in UTC."""
    soft_usd: float | None = Field(None, ge=0)
    """Soft limit: the first crossing in a period raises one alert event."""


class CachePolicy(_Model):
    enabled: bool = False
    """Answer repeated requests from the response cache (temperature 0, or opted in)."""
    ttl_s: float = Field(300.0, gt=0)
    """How long an answer is served as fresh."""
    stale_if_error_s: float = Field(0.0, ge=0)
    """After ``ttl_s``, how long an answer may still stand in when every target fails."""
    opt_in: bool = False
    """Cache this model's answers even for requests with temperature > 0."""


class ConcurrencyPolicy(_Model):
    max_in_flight: int = Field(256, ge=1)
    """Calls in flight to each target of the model, per replica."""
    max_queue: int = Field(1024, ge=0)
    """Calls that may wait for a slot; beyond it a call is shed to the next target."""
    queue_timeout_s: float = Field(10.0, ge=0)
    """How long a call waits for a slot before moving to the next target."""


class RouteRule(_Model):
    model: str
    """The logical model this rule sends matching calls to."""
    max_input_tokens: int | None = Field(None, ge=0)
    """Matches when the estimated prompt has at most this many tokens."""
    min_input_tokens: int | None = Field(None, ge=0)
    """Matches when the estimated prompt has at least this many tokens."""
    match: str | None = None
    """Regular expression searched in the last user message."""
    tags: list[str] = []
    """Matches when the call carries all of these tags (``x-seawall-tags`` header)."""
    json_output: bool | None = None
    """Matches when the request asks (true) or does not ask (false) for JSON output."""

    @model_validator(mode="after")
    def _regex_compiles(self) -> RouteRule:
        if self.match is not None:
            try:
                re.compile(self.match)
            except re.error as exc:
                raise ValueError(f"match: not a valid regular expression: {exc}") from None
        return self


class RouteConfig(_Model):
    rules: list[RouteRule] = Field(min_length=1)
    """Checked in order, first match wins; a rule without conditions is the default."""


class LimitsConfig(_Model):
    per_key: RateLimitConfig | None = None
    """Rate limit of every API key."""
    per_tenant: RateLimitConfig | None = None
    """Rate limit of every tenant (all its keys together)."""
    keys: dict[str, RateLimitConfig] = {}
    """Rate limits of particular keys, by key id (replace ``per_key`` for them)."""
    tenants: dict[str, RateLimitConfig] = {}
    """Rate limits of particular tenants (replace ``per_tenant`` for them)."""


class BudgetsConfig(_Model):
    per_key: list[BudgetConfig] = []
    """Budgets of every API key (at most one per period)."""
    per_tenant: list[BudgetConfig] = []
    """Budgets of every tenant."""
    keys: dict[str, list[BudgetConfig]] = {}
    """Budgets of particular keys, by key id (replace ``per_key`` for them)."""
    tenants: dict[str, list[BudgetConfig]] = {}
    """Budgets of particular tenants (replace ``per_tenant`` for them)."""


class PiiGuard(_Model):
    input: Literal["off", "allow", "redact", "block"] = "redact"
    """PII in requests: ``allow`` records it, ``redact`` sends placeholders like ``[EMAIL_1]``
    upstream, ``block`` refuses the call with ``guard_blocked`` (naming types, never values)."""
    output: Literal["off", "allow", "redact", "block"] = "allow"
    """PII the model itself writes into an answer (placeholders it repeats are not PII)."""
    restore: bool = True
    """Put the original values back where the answer repeats a placeholder."""
    types: list[str] | None = None
    """Types to detect (default: all built-in types; ``person`` needs the NER extra)."""
    phone_regions: list[str] = [
        "US",
        "GB",
        "DE",
        "FR",
        "IN",
        "BR",
        "JP",
        "AU",
        "ES",
        "IT",
        "NL",
        "CA",
    ]
    """Regions whose national phone formats are recognised (``+`` numbers: every region)."""


class InjectionGuard(_Model):
    input: Literal["off", "flag", "block"] = "flag"
    """Prompt injection in user messages and untrusted content: ``flag`` records it, ``block``
    refuses the call with ``guard_blocked``."""
    threshold: float = Field(0.5, gt=0, lt=1)
    """Score (0-1) at or above which a text counts as an injection."""
    untrusted_roles: list[str] = ["tool", "function"]
    """Messages of these roles are untrusted content: scanned, and fenced as data."""
    fence_untrusted: bool = True
    """Wrap untrusted content in unique delimiters with a note that it is data, not instructions."""
    canary: Literal["off", "flag", "block"] = "block"
    """Place a canary token in the system prompt; an answer that repeats it leaked the prompt."""


class GuardsConfig(_Model):
    pii: PiiGuard | None = None
    """PII and secrets detection (``null``: off)."""
    injection: InjectionGuard | None = None
    """Prompt-injection and jailbreak detection (``null``: off)."""
    redact_at_rest: bool = False
    """Store call payloads with PII replaced by placeholders."""

    @property
    def enabled(self) -> bool:
        return self.pii is not None or self.injection is not None or self.redact_at_rest


class ModelConfig(_Model):
    targets: list[Target] = Field(min_length=1)
    """Targets in fallback order: the first is primary."""
    timeout: TimeoutPolicy = TimeoutPolicy()
    """Per-attempt timeout and overall deadline."""
    retry: RetryPolicy = RetryPolicy()
    """Retries with backoff and a retry budget."""
    breaker: BreakerPolicy = BreakerPolicy()
    """Circuit breaker per target."""
    validation: ValidationPolicy = ValidationPolicy()
    """Output contract."""
    degrade: DegradePolicy = DegradePolicy()
    """What to answer when every target failed."""
    guards: GuardsConfig | None = None
    """Guards for this model; replaces the deployment's ``guards`` section when set."""
    limits: RateLimitConfig | None = None
    """Rate limit of this model (all callers together)."""
    budgets: list[BudgetConfig] = []
    """Budgets of this model (all callers together)."""
    cache: CachePolicy = CachePolicy()
    """Response cache."""
    concurrency: ConcurrencyPolicy | None = None
    """Cap on calls in flight to each target, with a bounded queue (``null``: no cap)."""
    review: EscalationRules | None = None
    """When calls go to a person: low confidence, high stakes, guard flags, invalid output;
    in ``advise``, ``hold`` or ``fallback`` mode (see docs/reviews.md)."""


class Price(_Model):
    input: float = Field(ge=0)
    """US dollars per million input tokens."""
    output: float = Field(ge=0)
    """US dollars per million output tokens."""
    cached_input: float | None = Field(None, ge=0)
    """US dollars per million cached input tokens (defaults to ``input``)."""


# --------------------------------------------------------------------------- security


class AuthConfig(_Model):
    mode: Literal["auto", "keys", "open"] = "auto"
    """``keys``: every call needs a virtual API key. ``open``: no key is checked (local use only;
    flagged as unsafe by the banner, ``/readyz`` and ``seawall readiness``). ``auto``: open until
    the first key is created in the store, then keys (revoking every key does not reopen it)."""
    refresh_s: float = Field(5.0, gt=0)
    """Each replica reloads keys from the store this often; a key revoked on another replica
    stops working within this time (at once on the replica that revoked it)."""


class AuditConfig(_Model):
    hmac_key: SecretRef | None = None
    """Secret that keys the audit log's hash chain (``env:NAME``). Without it the chain is plain
    SHA-256: it detects edits, deletions and reordering by anyone who does not recompute every
    later hash; with it, nobody without the key can forge a consistent chain."""


class RetentionConfig(_Model):
    payload_days: float | None = Field(30.0, gt=0)
    """Days to keep request and answer payloads of call records (``null``: for ever)."""
    metadata_days: float | None = Field(90.0, gt=0)
    """Days to keep call records themselves (``null``: for ever)."""
    purge_interval_s: float | None = Field(3600.0, gt=0)
    """How often the server purges what expired (``null``: only ``seawall retention purge``)."""

    @model_validator(mode="after")
    def _payloads_not_longer(self) -> RetentionConfig:
        if self.metadata_days is not None and (
            self.payload_days is None or self.payload_days > self.metadata_days
        ):
            raise ValueError("payload_days cannot exceed metadata_days (payloads live in records)")
        return self


# --------------------------------------------------------------------------- observability


class OtelConfig(_Model):
    endpoint: str = "http://127.0.0.1:4318/v1/traces"
    """OTLP/HTTP traces endpoint (protobuf), e.g. an OpenTelemetry Collector, Jaeger or Tempo."""
    headers: dict[str, str] = {}
    """Headers for the exporter; values may be secret references (``env:NAME``)."""
    service_name: str = "seawall"
    """``service.name`` of the spans."""
    propagate: bool = True
    """Send a W3C ``traceparent`` to upstreams, naming each attempt's span."""
    timeout_s: float = Field(10.0, gt=0)
    """Export timeout; spans are exported in the background, never on a call's path."""


# --------------------------------------------------------------------------- root


class Config(_Model):
    server: ServerConfig = ServerConfig()
    """HTTP server settings."""
    store: StoreConfig = StoreConfig()
    """Durable store for call records and everything else."""
    state: StateConfig = StateConfig()
    """Shared state for breakers and counters."""
    providers: dict[str, ProviderConfig] = Field(min_length=1)
    """Upstreams by name."""
    models: dict[str, ModelConfig] = Field(min_length=1)
    """Logical models clients ask for, by name."""
    prices: dict[str, Price] = {}
    """Prices by upstream model name; they extend and override the built-in table."""
    routes: dict[str, RouteConfig] = {}
    """Routing rules: a name clients call like a model, resolved to one of ``models``."""
    limits: LimitsConfig = LimitsConfig()
    """Rate limits per key and tenant (per model: ``models.<name>.limits``)."""
    budgets: BudgetsConfig = BudgetsConfig()
    """Spend budgets per key and tenant (per model: ``models.<name>.budgets``)."""
    guards: GuardsConfig = GuardsConfig()
    """Guards applied to every model that has no ``guards`` of its own."""
    alerts: AlertsConfig = AlertsConfig()
    """Alert rules over the call records, SLOs with burn rates, and notifiers (see docs/alerts.md)."""
    drift: DriftConfig = DriftConfig()
    """Drift of each route's inputs and outcomes from a reference window (see docs/drift.md)."""
    otel: OtelConfig | None = None
    """OpenTelemetry traces: one span per call and per attempt (needs the ``otel`` extra)."""
    auth: AuthConfig = AuthConfig()
    """Virtual API keys."""
    audit: AuditConfig = AuditConfig()
    """The tamper-evident audit log."""
    retention: RetentionConfig = RetentionConfig()
    """How long call records and their payloads are kept."""

    @model_validator(mode="after")
    def _targets_exist(self) -> Config:
        for name, model in self.models.items():
            for i, target in enumerate(model.targets):
                if target.provider not in self.providers:
                    known = ", ".join(sorted(self.providers)) or "none"
                    raise ValueError(
                        f"models.{name}.targets.{i}.provider: unknown provider "
                        f"'{target.provider}' (known: {known})"
                    )
        for name, route in self.routes.items():
            if name in self.models:
                raise ValueError(f"routes.{name}: a route cannot have the name of a model")
            for i, rule in enumerate(route.rules):
                if rule.model not in self.models:
                    known = ", ".join(sorted(self.models))
                    raise ValueError(
                        f"routes.{name}.rules.{i}.model: unknown model '{rule.model}' (known: {known})"
                    )
        return self
