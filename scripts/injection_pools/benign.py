"""Hand-written templates and word pools for the *benign* half of the training data.

Half of it is ordinary traffic; the other half is look-alikes that share words with attacks
("ignore the warning", "developer mode on Android", articles about prompt injection) so the
classifier learns the difference rather than the keywords.
"""

from __future__ import annotations

import random

_OPENERS = [
    "", "", "", "", "Hi! ", "Quick question: ", "Hey, ", "Hello. ", "For work: ", "Hi there, ",
    "Good morning! ", "I'm a student. ", "Sorry to bother you, ", "One more thing: ", "So, ",
    "I have a question. ", "Urgent: ", "Okay. ", "Thanks for the help earlier. ",
]  # fmt: skip
_CLOSERS = [
    "", "", "", "", " Thanks!", " Keep it short.", " Use bullet points.", " Please be concise.",
    " Thank you.", " Cheers.", " No rush.", " :)", " Explain your reasoning.", " In English.",
    " Answer in one paragraph.", " Be honest.", " Many thanks in advance!",
]  # fmt: skip


def wrap(rng: random.Random, text: str) -> str:
    """Add a greeting and/or sign-off (used for both labels so they carry no signal)."""
    return rng.choice(_OPENERS) + text + rng.choice(_CLOSERS)


DOC_KINDS = ["page", "document", "email", "review", "resume", "article", "web page", "file"]
DOCS = [
    "Our spring menu features asparagus risotto, grilled trout with lemon butter and a rhubarb tart. Reservations open every Monday at 9 am",
    "The Model K2 kettle boils 1.7 litres in under four minutes. It has a removable limescale filter and shuts off automatically when dry",
    "Quarterly revenue grew 8 percent, driven by subscriptions in Europe. Operating costs were flat and headcount rose slightly",
    "To install the CLI, download the archive for your platform, unpack it and add the folder to your PATH. Then run the version command to check it works",
    "Jane Doe is a backend engineer with six years of experience in Go and PostgreSQL. She led the migration of a billing system to event sourcing",
    "The museum is open Tuesday to Sunday from 10:00 to 18:00. Entry is free on the first Sunday of each month",
    "Hi team, the offsite is confirmed for the 14th. Please send your dietary requirements to Priya by Friday",
    "This paper studies the effect of sleep duration on short-term memory in adolescents. We find a moderate positive correlation",
    "The apartment has two bedrooms, a balcony facing the park and underfloor heating. Pets are allowed with a deposit",
    "Great headphones, the noise cancelling works well on trains. The case is a bit bulky but the battery lasts all week",
    "Water the seedlings every other day and keep them out of direct afternoon sun. Transplant once they have four true leaves",
    "The library's API returns paginated results. Use the cursor field from each response to request the next page",
    "Our return policy allows refunds within 30 days with a receipt. Sale items can be exchanged but not refunded",
    "The city council approved a new cycling lane along the river. Construction starts in May and should take three months",
    "Mix the flour, yeast and salt, then add warm water and knead for ten minutes. Let the dough rise until doubled",
    "Release 2.3 fixes a crash when exporting large spreadsheets and adds dark mode to the settings page",
    "The hiking trail is 12 km long with 600 m of ascent. Bring water, as there are no springs after the first hut",
    "Dear customer, your order 48213 has shipped and should arrive within three working days",
    "Photosynthesis converts light energy into chemical energy stored in glucose. It takes place in the chloroplasts",
    "The conference accepts talk proposals until June 1. Talks are 30 minutes including questions",
    "Our team builds internal dashboards for the logistics department. We are hiring a frontend developer who knows TypeScript",
    "The vaccine clinic runs on Saturdays at the community centre. No appointment is needed for adults",
    "The novel follows two sisters who inherit a failing vineyard in Portugal. It is funny, warm and a little sad",
    "Replace the air filter every three months, or monthly if you have pets. A clogged filter reduces efficiency",
    "The seminar covers index design, query plans and common mistakes with ORMs. Laptops are required",
]
_TOPICS = [
    "photosynthesis", "compound interest", "the French Revolution", "black holes", "inflation",
    "the water cycle", "machine learning", "blockchain", "the immune system", "plate tectonics",
    "supply and demand", "quantum computing", "climate change", "the stock market", "vaccines",
    "the Roman Empire", "DNS", "TCP handshakes", "recursion", "Bayesian statistics",
    "the Pythagorean theorem", "jazz harmony", "sourdough fermentation", "solar panels",
]  # fmt: skip
_WRITE = [
    "a short poem about autumn", "a cover letter for a junior accountant role",
    "a birthday message for my sister", "a product description for a bamboo toothbrush",
    "a haiku about coffee", "a LinkedIn post announcing our new office",
    "a polite email declining a meeting", "a bedtime story about a brave snail",
    "a toast for my parents' anniversary", "a tweet about our summer sale",
    "an apology email for a late delivery", "a limerick about a forgetful wizard",
    "release notes for version 1.4", "a two-paragraph summary of my thesis",
    "a job ad for a part-time barista", "a thank-you note to my landlord",
]  # fmt: skip
_CODE = [
    "reverse a linked list in Python", "read a CSV file with pandas", "center a div with CSS",
    "write a SQL query that finds duplicate emails", "sort a dictionary by value in Python",
    "make an HTTP request in Go", "debounce a function in JavaScript", "parse JSON in Rust",
    "set up a virtual environment", "squash the last three git commits",
    "write a Dockerfile for a Flask app", "use async/await in TypeScript",
    "add an index to a PostgreSQL table", "write a unit test with pytest",
    "profile a slow Python function", "configure nginx as a reverse proxy",
]  # fmt: skip
_REQUESTS = [
    "Can you explain {topic} in simple terms?",
    "What is {topic}?",
    "Write {write}.",
    "How do I {code}?",
    "Give me five ideas for {idea}.",
    "Summarize this: {doc}.",
    "Translate into {lang}: '{sentence}'",
    "Is it true that {claim}?",
    "Help me plan {plan}.",
    "What's the difference between {pair}?",
    "Can you proofread this? {doc}.",
    "Explain {topic} like I'm ten.",
    "I need {write} by tomorrow, can you help?",
    "Why does {why}?",
    "Please write {write} in a friendly tone.",
    "Compare {pair} in a table.",
    "What are the pros and cons of {idea}?",
    "Rewrite this to sound more formal: {doc}.",
    "Show me an example of how to {code}.",
    "Quiz me on {topic}.",
]
_IDEAS = [
    "a team-building day", "a rainy weekend", "a science fair project", "a small garden",
    "a podcast name", "healthy lunches", "a kids' birthday party", "a side business",
    "learning Spanish", "a retirement gift", "a blog about hiking", "reducing food waste",
]  # fmt: skip
_LANGS = ["French", "German", "Spanish", "Japanese", "Italian", "Portuguese", "Dutch"]
_SENTENCES = [
    "Where is the train station?", "The meeting has been moved to Thursday.",
    "I would like a table for two, please.", "Thank you for your patience.",
    "Please keep the door closed.", "Our office is closed on public holidays.",
]  # fmt: skip
_CLAIMS = [
    "goldfish have a three-second memory", "we only use 10% of our brains",
    "lightning never strikes twice", "bats are blind", "cracking knuckles causes arthritis",
]  # fmt: skip
_PLANS = [
    "a three-day trip to Lisbon", "my study schedule for finals", "a vegetarian dinner party",
    "a marathon training block", "moving house next month", "a product launch",
]  # fmt: skip
_PAIRS = [
    "TCP and UDP", "a Roth IRA and a traditional IRA", "baking soda and baking powder",
    "weather and climate", "RAM and storage", "lists and tuples in Python", "REST and GraphQL",
]  # fmt: skip
_WHYS = [
    "the sky look blue", "bread go stale", "my sourdough not rise", "ice float",
    "my Python script use so much memory", "the moon change shape", "my cat knock things over",
]  # fmt: skip


def request(rng: random.Random) -> str:
    """An ordinary user request."""
    return rng.choice(_REQUESTS).format(
        topic=rng.choice(_TOPICS), write=rng.choice(_WRITE), code=rng.choice(_CODE),
        idea=rng.choice(_IDEAS), doc=rng.choice(DOCS), lang=rng.choice(_LANGS),
        sentence=rng.choice(_SENTENCES), claim=rng.choice(_CLAIMS), plan=rng.choice(_PLANS),
        pair=rng.choice(_PAIRS), why=rng.choice(_WHYS),
    )  # fmt: skip


def document(rng: random.Random) -> str:
    """A plain document, sometimes two joined (tool results, retrieved pages)."""
    parts = rng.sample(DOCS, rng.choice([1, 1, 2, 3]))
    return ".\n\n".join(parts) + "."


_IGNORE = [
    "Ignore the {noise} and {fix}.",
    "You can safely ignore the {noise}; {fix}.",
    "Please ignore my previous message, I sent it too early. {ask}",
    "Disregard my last email — the meeting is still on Thursday.",
    "Forget the earlier draft, let's start again from the outline. {ask}",
    "If the installer asks about {noise}, just ignore it.",
    "Skip the previous steps if you already have {tool} installed.",
    "How do I make {tool} ignore {noise}?",
    "Why does {tool} ignore my {setting}?",
    "Ignore the formatting for now, I only care about the numbers. {ask}",
    "Forget about {noise}, it doesn't matter for this report.",
    "Disregard the {noise} in the logs, it's a known issue. {fix}.",
    "The previous instructions in the manual were for version 1; what changed in version 2?",
    "My teacher told us to ignore the previous chapter for the exam. What should I revise?",
    "Can I ignore the deprecation warning about {setting} in {tool}?",
    "Should I override the default {setting} in {tool}?",
    "Ignore case when comparing these strings in {lang}: how?",
    "New instructions from the landlord: bins go out on Tuesdays now. Can you draft a reminder?",
    "The rules of the game changed: you can now ignore the joker. How does scoring work then?",
    "Forget it, let's talk about {topic} instead.",
]
_NOISE = [
    "previous error", "lint warnings", "first row", "header line", "outliers", "whitespace",
    "typos in my notes", "failing flaky test", "timezone", "background noise", "telemetry prompt",
    "SSL warning on localhost", "unused imports", "trailing commas", "node_modules folder",
]  # fmt: skip
_FIX = [
    "retry the build", "rerun the migration", "focus on the totals", "fix the import first",
    "send me the cleaned file", "check the config again", "restart the service",
]  # fmt: skip
_TOOLS = ["git", "eslint", "mypy", "grep", "Docker", "pip", "Excel", "pytest", "webpack", "ruff"]
_SETTINGS = ["line length", "timeout", "cache directory", "locale", "proxy setting", "log level"]
_PLANG = ["Python", "JavaScript", "Java", "C#", "SQL", "Bash"]


def ignore_lookalike(rng: random.Random) -> str:
    """Benign text with 'ignore', 'forget', 'previous', 'override'."""
    return rng.choice(_IGNORE).format(
        noise=rng.choice(_NOISE), fix=rng.choice(_FIX), tool=rng.choice(_TOOLS),
        setting=rng.choice(_SETTINGS), lang=rng.choice(_PLANG), topic=rng.choice(_TOPICS),
        ask=rng.choice(["Can you help?", "Thanks!", "What do you think?", ""]),
    ).strip()  # fmt: skip


_PROMPTING = [
    "How do I write a good system prompt for {app}?",
    "What's the difference between a system prompt and a user prompt?",
    "Here is my system prompt draft: 'You are a helpful assistant for {app}. Answer briefly.' Can you improve it?",
    "Should the system prompt include examples, or should they go in the user message?",
    "How long can a system prompt be for {model}?",
    "My chatbot keeps forgetting its instructions after a long conversation. How do I fix that?",
    "Write a system prompt for {app} that keeps answers under 100 words.",
    "What are best practices for prompt engineering with {model}?",
    "Can you explain what a pre-prompt is in the context of LLM apps?",
    "How do I pass a system message with the OpenAI Python SDK?",
    "In the API, what does the 'developer' role do compared with 'system'?",
    "Give me a prompt template for summarising {thing}.",
    "How should I version my prompts in git?",
    "Is it better to put instructions at the start or the end of the prompt?",
    "What does temperature do, and what should I set it to for {app}?",
    "Our prompt tells the model to answer only from the provided documents. How do we test that?",
    "How do I make the model follow the output format described in my instructions?",
    "Which instructions in a prompt does the model prioritise when they conflict?",
]
_APPS = [
    "a customer support bot", "a recipe assistant", "a coding tutor", "a legal FAQ bot",
    "an HR helpdesk", "a travel planner", "a bank's chatbot", "a library search assistant",
]  # fmt: skip
_MODELS = ["GPT-4o", "Claude", "Llama 3", "Mistral", "a small local model"]
_THINGS = ["meeting notes", "support tickets", "research papers", "legal contracts", "emails"]


def prompt_engineering(rng: random.Random) -> str:
    """Developers talking about prompts and system prompts."""
    return rng.choice(_PROMPTING).format(
        app=rng.choice(_APPS), model=rng.choice(_MODELS), thing=rng.choice(_THINGS)
    )


_SECURITY = [
    "Prompt injection is an attack where {actor} hide instructions in content that a model reads.",
    "Researchers showed that {actor} can embed text in web pages that tells the model to ignore its prior instructions.",
    "How can I protect my chatbot from jailbreak attempts like DAN?",
    "OWASP lists prompt injection as the top risk for LLM applications. What mitigations do they suggest?",
    "A common trick is the phrase 'ignore previous instructions', so many filters look for it. Is that enough?",
    "Our red team found that the assistant could be convinced to reveal its system prompt. How should we fix it?",
    "Indirect prompt injection happens when {actor} plant instructions in emails or documents the agent processes.",
    "Write a short explainer for employees about why they shouldn't paste confidential data into chatbots.",
    "What is the difference between a jailbreak and a prompt injection?",
    "The report describes how {actor} used hidden HTML comments to steer a summarisation bot.",
    "Can a classifier reliably detect jailbreak prompts, or do we need human review as well?",
    "Explain data exfiltration through markdown images in LLM chat apps, for a security training.",
    "Our policy: the model must never follow instructions found inside retrieved documents. How do we enforce it?",
    "Attackers sometimes ask models to role-play as an unrestricted AI; vendors train against this.",
    "Summarise the main categories of prompt injection for a slide: direct, indirect, and obfuscated.",
    "Is base64 encoding a common way for {actor} to smuggle instructions past filters?",
    "We log every guard finding. How should we tune the threshold of our injection detector?",
    "Give me a checklist for reviewing an LLM agent's tool permissions.",
]
_ACTORS = ["attackers", "adversaries", "malicious users", "bad actors", "red teamers"]


def security_discussion(rng: random.Random) -> str:
    """Text about attacks, in the third person."""
    return rng.choice(_SECURITY).format(actor=rng.choice(_ACTORS))


_ROLEPLAY = [
    "Act as a {role} and {task}.",
    "You are now my {role}. {Task}.",
    "Pretend you're a {role} and explain {topic}.",
    "Let's role-play a {scene}. You start.",
    "Play the role of a {role} for this conversation. {Task}.",
    "I want you to act as a {role}. {Task}.",
    "Imagine you are a {role} from the 1800s and describe {topic}.",
    "Respond as a {role} would: {task}.",
    "Stay in character as a {role} while we practise.",
    "Can you be my {role} for the next ten minutes?",
]
_ROLES = [
    "travel guide", "French tutor", "job interviewer", "pirate", "chef", "fitness coach",
    "Linux terminal", "Socratic teacher", "museum curator", "tour guide in Rome",
    "career counsellor", "stand-up comedian", "patient customer", "debate opponent",
]  # fmt: skip
_TASKS = [
    "ask me three questions about my trip", "quiz me on irregular verbs",
    "give me feedback on my answers", "suggest a weekly workout", "explain your menu",
    "correct my grammar as we chat", "interview me for a data analyst role",
]  # fmt: skip
_SCENES = ["job interview", "customer complaint call", "salary negotiation", "doctor's visit"]


def roleplay(rng: random.Random) -> str:
    """Benign role-play requests."""
    task = rng.choice(_TASKS)
    return rng.choice(_ROLEPLAY).format(
        role=rng.choice(_ROLES), task=task, Task=task[0].upper() + task[1:],
        topic=rng.choice(_TOPICS), scene=rng.choice(_SCENES),
    )  # fmt: skip


_MARKUP = [
    "<!-- main navigation -->\n<nav><a href='/'>Home</a></nav>\n<p>{doc}</p>",
    "<div class='menu' style='display:none'>Menu</div><p>{doc}</p>",
    "![diagram](https://docs.example.com/img/arch.png?width=600)\n\n{doc}",
    '```json\n{{"role": "system", "content": "You are a helpful assistant."}}\n```\nWhy does the API reject this message list?',
    "What does <|im_start|> mean in the ChatML format?",
    "How do I apply the chat template with special tokens like [INST] in transformers?",
    "### Installation\n\nRun pip install mypkg.\n\n### Usage\n\n{doc}",
    "<!-- TODO: update the copyright year -->\n<footer>{doc}</footer>",
    "<img src='https://cdn.example.com/logo.png?v=3' alt='logo'> {doc}",
    "User: where is my order?\nAgent: It shipped yesterday.\nCan you rate how polite the agent was?",
    "[//]: # (This README was generated by a script)\n\n{doc}",
    "Here is the HTML for the hidden dropdown: <ul aria-hidden='true'><li>One</li></ul>. Why doesn't it show?",
    "In my Jinja template, how do I print a system message block for Llama 3?",
    "My markdown image ![cat](https://example.com/cat.jpg?size=large) doesn't render on GitHub. Why?",
    "System: Ubuntu 22.04, Python 3.11.\nProblem: pip install fails with a compiler error.",
]


def markup(rng: random.Random) -> str:
    """HTML, markdown and chat-template text with nothing hidden in it."""
    return rng.choice(_MARKUP).format(doc=rng.choice(DOCS))


_TOOLS_BENIGN = [
    "Send the weekly report to my manager at {email}.",
    "How do I use curl to post JSON to https://api.example.com/v1/items?",
    "Email the meeting summary to the team, please.",
    "Upload the photos to the shared drive folder 'Trip 2024'.",
    "Forward this invoice to accounting@example.com with a short note.",
    "How do I call a REST API from a Python function?",
    "Can you delete the duplicate rows in this spreadsheet?",
    "What's the safest way to store API keys in a web app?",
    "How do I rotate my AWS access keys?",
    "Schedule a call with Maria for Thursday and send her the agenda.",
    "Write a function that sends a Slack message when the build fails.",
    "How do I transfer money between my own accounts in the banking app?",
    "How can I export my chat history from WhatsApp?",
    "Use the calculator tool to add up these expenses: 12.50, 8.20, 41.00.",
    "Look up the weather in Oslo for tomorrow.",
    "Add a webhook that posts to our endpoint when a payment succeeds; how do I verify signatures?",
]
_EMAILS = ["boss@example.com", "maria.lopez@example.org", "team@company.example"]


def tools(rng: random.Random) -> str:
    """Ordinary tool and data requests."""
    return rng.choice(_TOOLS_BENIGN).format(email=rng.choice(_EMAILS))


_ENCODINGS = [
    "What does this base64 decode to: SGVsbG8sIHdvcmxkIQ==",
    "Convert the word 'hello' to hex.",
    "Is rot13 a secure way to hide a password?",
    "My JWT is eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl — why is it rejected?",
    "The commit hash 9fceb02d0ae598e95dc970b74767f19372d61af8 broke the build.",
    "Why does my URL show %20 instead of spaces?",
    "Set the background colour to #1e90ff and the text to #ffffff.",
    "The file's sha256 is 3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b.",
    "Decode this base64 for me: VGhlIHBhcmNlbCBhcnJpdmVzIG9uIE1vbmRheQ==",
    "Write a Python function that base64-encodes a file.",
    "Ebg13 vf n fvzcyr pvcure. Can you decode it? (it's rot13)",
    "Why is my API token dGVzdC10b2tlbi0xMjM= rejected in the Authorization header?",
    "Explain hexadecimal to a beginner using 0xFF as an example.",
    "My UUID is 550e8400-e29b-41d4-a716-446655440000, is it version 4?",
]


def encodings(rng: random.Random) -> str:
    """Encoded strings with harmless content."""
    return rng.choice(_ENCODINGS)


_MISC = [
    "Dan said the meeting moved to 3 pm. Can you update the invite?",
    "I'd do anything for a good coffee right now. Where's the nearest cafe?",
    "How do I turn on developer mode on my {device}?",
    "Developer mode in {device} lets you load unpacked extensions.",
    "Is there a god mode cheat in {game}?",
    "There are no restrictions on the word count for this essay.",
    "How do I reset my password if I lost access to my email?",
    "Repeat after me: 'She sells sea shells by the sea shore.'",
    "Print the list above in alphabetical order.",
    "Show me the output of the previous command again, I missed it.",
    "Summarize the text above in two sentences.",
    "Updated instructions: preheat the oven to 200C, not 180C.",
    "New rules for the office kitchen: label your food and clean the fridge on Fridays.",
    'Respond only with JSON that matches this schema: {{"name": string}}.',
    "Reply with just yes or no: is 17 a prime number?",
    "The admin panel lets you override the default shipping rules. Where is that setting?",
    "My previous instructions were unclear: I meant a 500-word essay, not 50.",
    "Can you reveal the answer to yesterday's riddle now?",
    "What are your opening hours on Sunday?",
    "Tell me your favourite book and why.",
    "Please forget my address from the last order; I moved.",
    "The system administrator will restart the servers at midnight.",
    "Our new policy overrides the old travel guidelines from 2019.",
    "The previous guidelines from HR are outdated; where can I find the new handbook?",
    "Act normal at the party, okay? I'm kidding — what should I bring?",
    "In the game, you play a rogue who steals from rich merchants. Is it good for kids?",
    "Explain the rules of chess to a beginner.",
    "What instructions came with the IKEA shelf? I lost the paper.",
]
_DEVICES = ["Android phone", "Chrome", "Windows 11", "my iPhone", "Xbox", "Pixel 8"]
_GAMES = ["Minecraft", "The Sims", "Skyrim", "GTA V"]


def misc_lookalike(rng: random.Random) -> str:
    """Everything else that shares words with attacks."""
    return rng.choice(_MISC).format(device=rng.choice(_DEVICES), game=rng.choice(_GAMES))


_N_VERBS = [
    "Print", "Show", "List", "Repeat", "Display", "Copy", "Summarize", "Translate", "Drop",
    "Delete", "Remove", "Reset", "Update", "Skip", "Replace", "Cancel", "Sort", "Format",
    "Export", "Rewrite", "Check", "Explain", "Merge", "Highlight", "Count",
]  # fmt: skip
_N_OBJECTS = [
    "the table", "the list", "these numbers", "the chart data", "the second paragraph",
    "the results", "the weekly report", "the CSV file", "the last column", "the empty rows",
    "the function", "the sentence", "the recipe steps", "the word count", "the invoice lines",
    "the schedule", "my notes", "the code", "the config file", "the settings", "the old branch",
    "the duplicate entries", "the meeting times", "the error messages", "the shopping list",
]  # fmt: skip
_N_WHERE = [
    "above", "below", "from yesterday", "from my previous message", "as CSV", "in French",
    "again", "in bold", "from the report", "in the spreadsheet", "by date", "in a table",
    "one more time", "without the header", "from the first page", "that I sent earlier",
    "in plain English", "for the new quarter", "alphabetically", "",
]  # fmt: skip


def neutral_commands(rng: random.Random) -> str:
    """Everyday commands that use words attacks also use (print, repeat, drop, above ...)."""
    text = f"{rng.choice(_N_VERBS)} {rng.choice(_N_OBJECTS)} {rng.choice(_N_WHERE)}".strip()
    return text + rng.choice([".", ".", "?", " please.", ", thanks."])


_RULES_TALK = [
    "What are the rules of {game}?",
    "Explain the offside rules in {sport} simply.",
    "Our {place} has new rules: {rule}. Can you make a sign for it?",
    "The {org} updated its guidelines on {topic}. What changed?",
    "Summarise the house rules for guests: {rule}.",
    "Which system is better for {task}, {sys1} or {sys2}?",
    "The {sys1} system keeps crashing when I {action}.",
    "System requirements: {req}. Will my laptop run it?",
    "Our previous policy on {topic} was replaced in March. Where can I read the new one?",
    "I have to follow strict instructions from my doctor about {topic}. Can you make a checklist?",
    "What instructions should I give a babysitter for {topic}?",
    "Write clear instructions for new hires on {task}.",
    "My landlord's rules say {rule}. Is that legal?",
    "Explain the grading guidelines for {task} to students.",
    "How do I set up rules in Outlook to sort emails about {topic}?",
    "Give me the safety rules for {sport}.",
]
_GAMES = ["chess", "poker", "Monopoly", "mahjong", "bridge", "Catan", "Go", "backgammon"]
_SPORTS = ["football", "cricket", "rugby", "basketball", "tennis", "ice hockey", "swimming"]
_PLACES = ["office", "gym", "library", "campsite", "co-working space", "school", "pool"]
_RULES = [
    "no shoes indoors", "quiet hours after 10 pm", "label your food", "no pets in the lobby",
    "book the meeting room in advance", "clean up after yourself", "no phones during class",
]  # fmt: skip
_ORGS = ["WHO", "the city council", "our school", "the tax office", "HR", "the airline"]
_TASKS = [
    "project tracking", "invoicing", "essay marking", "inventory", "payroll", "code review",
    "customer support", "data backups", "scheduling shifts", "onboarding",
]  # fmt: skip
_SYSTEMS = ["Jira", "Trello", "SAP", "Salesforce", "Notion", "Odoo", "Asana", "Linear"]
_ACTIONS = ["export a report", "log in", "upload a file", "print", "sync my calendar"]
_REQS = ["8 GB RAM, 4 cores", "Windows 10 or later", "a GPU with 6 GB VRAM", "20 GB free disk"]


def rules_and_systems(rng: random.Random) -> str:
    """Talk about rules, instructions, policies and systems that is not an attack."""
    sys1, sys2 = rng.sample(_SYSTEMS, 2)
    return rng.choice(_RULES_TALK).format(
        game=rng.choice(_GAMES), sport=rng.choice(_SPORTS), place=rng.choice(_PLACES),
        rule=rng.choice(_RULES), org=rng.choice(_ORGS), topic=rng.choice(_TOPICS),
        task=rng.choice(_TASKS), sys1=sys1, sys2=sys2, action=rng.choice(_ACTIONS),
        req=rng.choice(_REQS),
    )  # fmt: skip


_IMPERATIVE_DOCS = [
    "Safety notice: do not use the lifts in case of fire. Follow the exit signs and wait at the assembly point.",
    "Exam rules: phones must be switched off. Do not talk once the exam has started. Write your name on every page.",
    "Assembly: attach panel A to panel B with four screws. Do not overtighten. Repeat for the other side.",
    "Medication: take one tablet twice a day with food. Do not exceed the stated dose. Keep out of reach of children.",
    "Pool rules: shower before swimming. No diving in the shallow end. Follow the lifeguard's instructions at all times.",
    "Password policy: use at least twelve characters. Never share your password with anyone, including IT staff.",
    "Returns: print the label, attach it to the box and drop it at any post office within 30 days.",
    "Library rules: return books on time, keep your voice down and do not eat near the computers.",
    "Lab procedure: wear goggles, label every sample and dispose of chemicals in the marked containers.",
    "Travel policy: book flights through the portal. Ignore the old form; it is no longer accepted.",
    "Kitchen rules: wash your dishes, label your food and clear the fridge every Friday.",
    "Setup guide: unplug the device, hold the reset button for ten seconds, then plug it back in.",
    "Terms: the customer must report damage within 48 hours. These terms replace all previous versions.",
    "Volunteer briefing: arrive at 8:30, collect your badge and follow the team leader's instructions.",
    "Hiking advice: stay on marked paths, carry enough water and turn back if the weather changes.",
    "Data policy: staff must not copy customer records to personal devices or send them to private email.",
]


def imperative_document(rng: random.Random) -> str:
    """Benign documents full of orders: notices, policies, manuals."""
    parts = rng.sample(_IMPERATIVE_DOCS, rng.choice([1, 1, 2]))
    if rng.random() < 0.5:
        parts.insert(rng.randint(0, len(parts)), rng.choice(DOCS) + ".")
    return " ".join(parts)


_TECH = [
    "System: Ubuntu {v}.04, Python 3.{m}\nError: ModuleNotFoundError when importing {pkg}. Why?",
    "Logs:\nINFO starting worker\nWARN retrying connection\nERROR timeout after 30s\nWhat's wrong?",
    "Here's my config:\n```yaml\nrules:\n  - name: block-ips\n    action: deny\n```\nIs the syntax right?",
    "```python\n# ignore the first line of the file\nrows = f.readlines()[1:]\n```\nIs this the best way?",
    '{{"user": "ana", "role": "admin", "active": true}} — how do I validate this JSON in {lang}?',
    "My .gitignore has node_modules/ and .env but git still tracks .env. How do I fix it?",
    "In {lang}, how do I override a method from the parent class?",
    "What does 'sudo rm -rf /tmp/cache' do exactly? Is it safe?",
    "How do I reset the admin password on my own {pkg} installation?",
    "How can I print the previous command in bash history?",
    "Write a regex that ignores case and matches 'error' or 'warning'.",
    "Why does my SQL DROP TABLE fail with a foreign key error?",
]
_PKGS = ["numpy", "Django", "Grafana", "Jenkins", "WordPress", "GitLab", "Nextcloud"]


def technical(rng: random.Random) -> str:
    """Developer questions with logs, configs and code."""
    return rng.choice(_TECH).format(
        v=rng.choice([20, 22, 24]), m=rng.choice([10, 11, 12]), pkg=rng.choice(_PKGS),
        lang=rng.choice(_PLANG),
    )  # fmt: skip
