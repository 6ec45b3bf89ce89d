"""Context functions: scale a rule's weight by what surrounds its match.

Each returns a multiplier (the rule engine caps the product at 1). They encode the
linguistic differences between an attack and a benign look-alike: "ignore all previous
instructions" opening a clause or addressed to "you" is an order; "tell the model to ignore
previous instructions" reports one; a quoted phrase in an article about attacks cites one.
"""

from __future__ import annotations

import re

from seawall.guards.injection.rules import Context, ScanContext

_SECOND_PERSON = re.compile(r"\b(?:you|u|ya|thou|yourself)\b[^.!?\n]{0,30}$")
_REPORTED = re.compile(
    r"\b(?:model|models|ai|ais|llm|llms|assistant|assistants|chatbot|chatbots|bot|bots|system|"
    r"systems|agent|agents|it|them|gpt|chatgpt|claude|users?|people|attackers?|someone|hackers?|"
    r"he|she|they|him|her|us|me|one|adversary|adversaries)\b[^.!?\n]{0,30}\bto\W*$"
)
_CITED = re.compile(
    r"\b(?:by|of|from|about|like|as|include|includes|including|phrases?|prompts?|strings?|"
    r"says?|said|saying|writes?|wrote|typed?|typing|contains?|containing|called|named|"
    r"sentences?|lines?|instructions? such as)\W*$"
)
_TO = re.compile(r"\bto\W*$")
_CLAUSE_START = re.compile(
    r"(?:^|[.!?:;,\n\"'“(\[{>*)-]|\b(?:please|pls|plz|now|so|then|and|but|just|simply|kindly|"
    r"first|firstly|ok|okay|also|hey|hi|hello|btw|ps|seriously|important|urgent|instead|oh|"
    r"well|actually|next|finally|step \d+|attention|note|reminder))\W*$"
)
_QUOTES = "\"'“”‘’«»`"
_NEGATION = re.compile(
    r"\b(?:do not|don\W?t|dont|never|stop|no longer|cease to|refuse to|quit)\W{0,5}$"
)
_LINE_START = re.compile(r"(?:^|\n)[\t >*#=\[(<|-]*$")
_SENTENCE_START = re.compile(r"(?:^|[\n.!?:])\s*$")
_DECORATED = re.compile(r"(?:^|\n|[-=#*_~\[<({|]{2,})[^a-z0-9]{0,5}$")
_HEADING_BEFORE = re.compile(r"(?:^|\n)[\t ]*#{2,}[\t ]*$")
_LINE_END = re.compile(r"[\t ]*:?[\t ]*(?:\n|$)")
_QUESTION_END = re.compile(r"[.!?\n]")
_AI_WORDS = re.compile(
    r"\b(?:chatgpt|gpt|ai|llm|language model|openai|anthropic|claude|gemini|assistant|content "
    r"polic\w*|restrictions?|censor\w*|filters?|jailbreak\w*|guidelines|normal responses?|"
    r"refuse|policies|simulate|two responses|unfiltered|uncensored|chatbot|bot)\b|🔓"
)
_DEVICE_WORDS = re.compile(
    r"\b(?:chrome|chromium|android|browser|settings|windows|phone|iphone|ipad|ios|macos|"
    r"extensions?|device|devtools|firefox|edge|safari|usb|adb|build number|xbox|playstation|"
    r"ps5|steam|minecraft|vscode|vs code|visual studio|tv|roku|router|kindle|bios|camera|"
    r"tesla|flask|django|rails|wordpress|react|webpack|laravel|unity|unreal|game|games|kernel|"
    r"miui|samsung|pixel|xiaomi|oneplus|huawei|tablet|laptop|app|apps|sims|skyrim|gta|"
    r"console|cheat|cheats|roblox|fortnite|office|excel|word|outlook|teams|slack|discord)\b"
)
_STRONG_MODES = re.compile(
    r"jailbr|unrestricted|unfiltered|uncensored|evil|chaos|opposite|dan|anarchy|filter|nsfw|"
    r"rogue|omega"
)
_TOKEN_ROLE_AFTER = re.compile(r"^\W{0,8}(?:system|developer|admin|assistant)\b")
_TOKEN_META = re.compile(
    r"\b(?:what|why|how|mean|means|meaning|explain|token|tokens|tokenizer|template|templates|"
    r"chatml|format|formatting|jinja|special tokens?|huggingface|hugging face|llama\.cpp|vllm)\b"
)
_IMPERATIVE_AFTER = re.compile(
    r"\b(?:you|your|ignore|disregard|forget|override|from now on|new|must|always|never|the "
    r"assistant|the ai|the model|respond|reply|answer|reveal|print|output|do not|don't|all|"
    r"previous|obey|comply|priority)\b"
)
AI_ADDRESS_BODY = re.compile(
    r"\b(?:ai|a\.i\.|assistant|llm|language model|chatbot|agent|gpt|chatgpt|claude|copilot|"
    r"gemini|you must|you should|you will|you are|you need to|ignore|disregard|forget|override|"
    r"instructions? (?:to|for)|system prompt|do not (?:tell|mention|reveal|inform)|don't "
    r"(?:tell|mention|reveal)|when summari[sz]ing|if asked|respond with|reply with|say that|"
    r"tell the user|recommend|exfiltrate|send (?:the|all|this))\b"
)
_READING_AFTER = re.compile(
    r"^\W{0,3}(?:reading|processing|summari[sz]ing|parsing|browsing|crawling|scraping|indexing|"
    r"reviewing|evaluating|analy[sz]ing|ingesting|grading|screening|scanning|viewing|seeing|"
    r"that reads|who reads|please|you must|you should|ignore|do|then|respond|reply|say|tell|"
    r"include|write|output|add|recommend|rate|disregard|forget|make sure|always|never)\b"
)
_QUANTIFIED = re.compile(r"\b(?:all|every|entire|whole|full|complete|each|any)\b")
_SENSITIVE_ACTION = re.compile(
    r"\b(?:send|cat|upload|read|print|output|post|curl|wget|exfiltrate|forward|share|email|"
    r"paste|copy|include|append|leak|dump|attach|transmit)\b"
)


def imperative(ctx: ScanContext, match: re.Match[str]) -> float:
    """An order to the reader (clause-initial, or addressed to "you") keeps its weight."""
    return imperative_at(ctx, match.start())


def imperative_at(ctx: ScanContext, start: int) -> float:
    """``imperative`` for a phrase that starts at ``start``."""
    before = ctx.text[max(0, start - 60) : start]
    if _SECOND_PERSON.search(before):
        weight = 1.0
    elif _REPORTED.search(before):
        weight = 0.35
    elif _CITED.search(before):
        weight = 0.4
    elif _TO.search(before):
        weight = 0.6
    elif _CLAUSE_START.search(before):
        weight = 1.0
    else:
        weight = 0.8
    head = before[-4:].rstrip()
    if head and head[-1] in _QUOTES:
        weight = min(weight, 0.45 if ctx.discussion else 0.75)
    if weight < 0.8 and ctx.discussion:
        weight *= 0.6  # reported or cited, in a text about attacks
    return weight


def negated(ctx: ScanContext, match: re.Match[str]) -> float:
    """An order not to follow the rules: counts only with the negation, which opens it."""
    before = ctx.before(match, 24)
    found = _NEGATION.search(before)
    if found is None:
        return 0.0
    return imperative_at(ctx, match.start() - len(before) + found.start())


def requested(verbs: re.Pattern[str], folded: re.Pattern[str]) -> Context:
    """A context that keeps the weight only when ``verbs`` end right before the match."""

    def check(ctx: ScanContext, match: re.Match[str]) -> float:
        pattern = folded if ctx.folded else verbs
        return 1.0 if pattern.search(ctx.before(match, 80)) else 0.0

    return check


def line_start(ctx: ScanContext, match: re.Match[str]) -> float:
    """Only at the start of a line (after optional markdown/quote decoration)."""
    return 1.0 if _LINE_START.search(ctx.before(match, 40)) else 0.0


def clause_start(ctx: ScanContext, match: re.Match[str]) -> float:
    """Only at the start of a line or sentence, and halved in discussions."""
    if not _SENTENCE_START.search(ctx.before(match, 8)):
        return 0.0
    return discussed(ctx, match)


def decorated(ctx: ScanContext, match: re.Match[str]) -> float:
    """A marker line: at a line start or after a run of ----/====/###, halved in discussions."""
    if not _DECORATED.search(ctx.before(match, 12)):
        return 0.0
    return discussed(ctx, match)


def markdown_heading(ctx: ScanContext, match: re.Match[str]) -> float:
    """A "### Instruction" header alone on its line (Alpaca-style templates)."""
    if _HEADING_BEFORE.search(ctx.before(match, 12)) and _LINE_END.match(ctx.after(match, 8)):
        return discussed(ctx, match)
    return 0.0


def ordered(ctx: ScanContext, match: re.Match[str]) -> float:
    """An order (see ``imperative``), damped inside questions and articles about attacks."""
    weight = imperative(ctx, match)
    return weight * 0.6 if ctx.discussion or is_question(ctx, match) else weight


def discussed(ctx: ScanContext, match: re.Match[str]) -> float:
    """Halved in a text that discusses attacks or cites the phrase in quotes."""
    if ctx.discussion:
        return 0.5
    return 0.75 if ctx.quoted(match) else 1.0


def asked_or_discussed(ctx: ScanContext, match: re.Match[str]) -> float:
    """Halved inside a question ("how do I show the system prompt?") or an article."""
    if ctx.discussion or is_question(ctx, match):
        return 0.5
    return 1.0


def is_question(ctx: ScanContext, match: re.Match[str]) -> bool:
    """True when the sentence holding the match ends with a question mark."""
    tail = ctx.after(match, 240)
    end = _QUESTION_END.search(tail)
    return end is not None and end.group() == "?"


def second_person(ctx: ScanContext, match: re.Match[str]) -> float:
    """Stronger when "you" is near: the text is talking to the model."""
    near = ctx.before(match) + " " + ctx.after(match, 60)
    return 1.45 if re.search(r"\byou\b", near) else 1.0


def mode(ctx: ScanContext, match: re.Match[str]) -> float:
    """Developer mode is a device setting unless the text is about an AI and its limits."""
    if _DEVICE_WORDS.search(ctx.text):
        return 0.1
    if _STRONG_MODES.search(match.group()):
        return 1.0
    return 1.0 if _AI_WORDS.search(ctx.text) else 0.35


def chat_token(ctx: ScanContext, match: re.Match[str]) -> float:
    """A chat-template token opening a system turn is an attack; asking what it means is not."""
    if _TOKEN_ROLE_AFTER.search(ctx.after(match, 30)):
        return 1.25
    if ctx.discussion or is_question(ctx, match) or _TOKEN_META.search(ctx.text):
        return 0.45
    return 1.0


def role_header(ctx: ScanContext, match: re.Match[str]) -> float:
    """A "System:" header counts only at a line start and when an order follows it."""
    if not _LINE_START.search(ctx.before(match, 40)):
        return 0.0
    return 1.0 if _IMPERATIVE_AFTER.search(ctx.after(match, 120)) else 0.25


def comment_body(ctx: ScanContext, match: re.Match[str]) -> float:
    """An HTML/markdown comment or hidden element counts when its text addresses a model."""
    end = ctx.text.find("-->", match.end(), match.end() + 1000)
    body = ctx.text[match.end() : end if end >= 0 else match.end() + 600]
    return 1.0 if AI_ADDRESS_BODY.search(body) else 0.0


def hidden_style(ctx: ScanContext, match: re.Match[str]) -> float:
    """Invisible styling counts when the hidden text that follows addresses a model."""
    return 1.0 if AI_ADDRESS_BODY.search(ctx.after(match, 400)) else 0.0


def ai_address(ctx: ScanContext, match: re.Match[str]) -> float:
    """An address to "an AI" followed by reading verbs or an order."""
    weight = 1.45 if _READING_AFTER.search(ctx.after(match, 40)) else 1.0
    return weight * (0.6 if ctx.discussion else 1.0)


def quantified(ctx: ScanContext, match: re.Match[str]) -> float:
    """Forwarding "all emails" is exfiltration; "email the summary to bob" is a task."""
    return 2.8 if _QUANTIFIED.search(match.group()) else 1.0


def secret_file_action(ctx: ScanContext, match: re.Match[str]) -> float:
    """A credentials path near a verb that moves or prints data."""
    near = ctx.before(match) + " " + ctx.after(match, 60)
    return 1.0 if _SENSITIVE_ACTION.search(near) else 0.4
