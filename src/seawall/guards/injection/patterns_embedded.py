"""Rules for attacks that hide in content: fake delimiters, hidden formatting, encodings, tools.

Same conventions as ``patterns.py``: lowercased normalised text, a space means ``rules.SEP``,
no literal spaces inside character classes (``\x20``).
"""

from __future__ import annotations

from seawall.guards.injection import contexts as cx
from seawall.guards.injection.rules import RuleSpec

_SENDV = (
    r"(?:send|post|forward|upload|transmit|exfiltrate|leak|email|mail|submit|share|"
    r"deliver|relay|pipe|push|beacon|report|export|sync|copy|save|log|dump|include|append|"
    r"attach|embed|encode|put|place|insert)"
)
_SENS = (
    r"(?:conversations?|chats?|chat logs?|chat history|history|dialog(?:ue)?|transcripts?|"
    r"system prompt|prompt|instructions|api ?keys?|keys|credentials?|passwords?|passcodes?|"
    r"secrets?|tokens?|access tokens?|auth(?:entication)? tokens?|session (?:tokens?|cookies?|"
    r"ids?)|cookies?|private (?:data|info\w*|keys?)|personal (?:data|info\w*)|"
    r"user(?:'s|s)? (?:data|info\w*|details|emails?|messages|files|credentials|questions|"
    r"queries|input|name|address|profile)|customer (?:data|records|details|info\w*)|pii|"
    r"environment variables|env vars|ssh keys?|previous messages|everything (?:above|you know))"
)
_SENS_WEAK = (
    r"(?:files?|documents?|emails?|inbox|contacts|database|db|records|memory|memories|"
    r"summary|results?|answers?|responses?|messages|data|notes)"
)
_QF = (
    r"(?:(?:all|the|this|your|our|my|their|any|entire|full|whole|complete|previous|prior|"
    r"current|user|of|these|those|above|every|new|incoming|future) )*"
)
_DEST = (
    r"(?:https?://|www\.|ftp://|[a-z0-9._%+-]+@[a-z0-9-]+\.[a-z]|(?:the |this |that |my |our |"
    r"following |below |external |attacker\W?s? |remote )(?:url|uri|address|endpoint|webhook|"
    r"server|link|site|website|domain|email(?: address)?|inbox|api|ip|host|discord|telegram|"
    r"slack|channel)|attacker|evil|webhook|pastebin|ngrok|requestbin|burpcollaborator|"
    r"interact\.sh|oast)"
)

_ENCODING = (
    r"(?:base ?64|b64|hex|hexadecimal|rot ?13|binary|morse|cipher|ciphertext|encoded|encrypted|"
    r"obfuscated|reversed|backwards)"
)
_D = "delimiter_attack"
_F = "format_attack"
_B = "obfuscation"
_T = "tool_abuse"
R = RuleSpec

# fmt: off
_DELIMITER_RULES = (
    R(_D, "chat_token", 0.7,
      r"<\|(?:im_start|im_end|im_sep|system|user|assistant|endoftext|eot_id|eom_id|start_header_id|"
      r"end_header_id|begin_of_text|end_of_text|end|start|eos|bos|sep|tool_call|im_system|channel|"
      r"message|return|call|constrain|developer)\|>",
      "<|", cx.chat_token),
    R(_D, "inst_token", 0.65,
      r"\[/?inst\]|<</?sys>>|\[/?(?:system|sys|sys_prompt|system_prompt|admin|developer)\]|"
      r"\[(?:system|admin|developer) (?:note|message|override|instruction|instructions|prompt)\]",
      "inst]|sys>>|[system|[sys|[/sys|[admin|[developer|[/system|[/admin|[/developer",
      cx.chat_token),
    R(_D, "role_header", 0.7,
      r"\b(?:system|system prompt|system message|new system prompt|system "
      r"override|system note|system instructions?|system update|system alert|developer|developer "
      r"message|developer note|developer instructions|admin|administrator|admin override|admin "
      r"message|root|operator|sudo|override|priority override|important system message)"
      r"[\t\x20\]*)>|]*:",
      "system|developer|admin|root|operator|sudo|override|priority|important", cx.role_header),
    R(_D, "alpaca_header", 0.45, r"\b(?:instruction|system|human|assistant|new instructions)\b",
      "instruction|system|human|assistant;##", cx.markdown_heading),
    R(_D, "transcript", 0.4,
      r"\b(?:user|human|customer)[\t\x20]*:[^\n]{1,300}\n+[\t\x20]*(?:assistant|ai|"
      r"gpt|chatgpt|bot|system|claude|model)[\t\x20]*:",
      "user|human|customer;assistant|ai|gpt|chatgpt|bot|system|claude|model", cx.line_start),
    R(_D, "end_marker", 0.6,
      r"\b(?:end|begin|beginning|start|close) (?:of )?(?:the )?(?:user|untrusted|system|customer|"
      r"admin|developer|new|real|trusted) (?:input|prompt|message|query|instructions|document|"
      r"context|data|conversation|transcript|email|text|request|content|session|section|turn|"
      r"page)s?\b",
      "end|begin|start|close;user|untrusted|system|customer|admin|developer|new|real|trusted",
      cx.decorated),
    R(_D, "input_ends", 0.55,
      r"\b(?:user|untrusted|customer) (?:input|message|query|content|data) (?:ends|ended|is over|"
      r"stops|is complete|complete|finished) (?:here|now)?",
      "user|untrusted|customer;input|message|query|content|data;end|over|stop|complete|finish", cx.discussed),
    R(_D, "json_role", 0.45, r"\{\s*[\"']role[\"']\s*:\s*[\"'](?:system|developer)[\"']",
      "role;system|developer", cx.asked_or_discussed),
    R(_D, "xml_switch", 0.85,
      r"</(?:user|user_input|user_message|user_query|input|query|context|document|documents|doc|"
      r"data|untrusted|untrusted_content|untrusted_input|tool_output|tool_result|function_result|"
      r"search_results?|email|retrieved|content|text|message|human)>[\s\S]{0,80}?<(?:system|"
      r"instructions?|admin|developer|assistant|sys|im_start|override|new_instructions|"
      r"system_prompt|system_message|priority)>",
      "</"),
    R(_D, "xml_system", 0.45,
      r"<(?:system|admin|developer|new_instructions|system_override|sys|system_prompt|"
      r"system_message|admin_override|priority_instructions|override)>",
      "<system|<admin|<developer|<new_|<sys|<override|<priority", cx.asked_or_discussed),
    R(_D, "fake_answer", 0.5,
      r"\b(?:assistant|ai|model|chatgpt|gpt)\s*:\s*(?:sure|okay|ok|of course|certainly|absolutely)"
      r"[,!.]? (?:here|i will|i'll|i can)",
      "assistant|ai|model|chatgpt|gpt;sure|okay|ok|course|certainly|absolutely"),
)

_FORMAT_RULES = (
    R(_F, "html_comment", 0.6, r"<!--", "<!--", cx.comment_body),
    R(_F, "markdown_comment", 0.6, r"\[(?://|comment|_|#|hidden|note)?\]: ?(?:#|<>) ?[(\"']",
      "]:", cx.hidden_style),
    R(_F, "hidden_style", 0.6,
      r"\b(?:display ?: ?none|visibility ?: ?hidden|font-size ?: ?0(?:\.\d+)?(?:px|pt|em|rem|%)?\b|"
      r"opacity ?: ?0(?:\.0+)?\b|color ?: ?(?:white|#fff(?:fff)?\b|transparent)|height ?: ?0(?:px)?"
      r"\b|(?:left|top|text-indent) ?: ?-\d{3,}|aria-hidden|font-size ?: ?1px)",
      "none|hidden|font|opacity|color|height|left|top|indent|aria", cx.hidden_style),
    R(_F, "if_you_are_ai", 0.55,
      r"\bif (?:you are|you're|you re|youre|this is being read by|this (?:text|page|document|email) "
      r"is (?:being )?(?:read|processed|summari[sz]ed|analy[sz]ed) by) (?:an? |the |any )?(?:ai|"
      r"a\.i\.|artificial intelligence|llm|large language model|language model|assistant|ai "
      r"assistant|chatbot|chat bot|bot|agent|ai agent|gpt|chatgpt|claude|gemini|copilot|automated "
      r"(?:system|agent|assistant|tool|reader)|crawler|scraper|ai model|machine)\b",
      "if;ai|artificial|llm|large|language|assistant|chatbot|chat|bot|agent|gpt|chatgpt|claude|"
      "gemini|copilot|automated|crawler|scraper|model|machine", cx.ai_address),
    R(_F, "note_to_ai", 0.7,
      r"\b(?:note|message|instructions?|attention|notice|memo|reminder|directive|warning|important|"
      r"ps|nb|request|order|command|hidden instructions?|secret instructions?) (?:to|"
      r"for) (?:all |any |the |every |my |our |you )?(?:ai|a\.i\.|llm|llms|language models?|"
      r"assistants?|ai assistants?|chatbots?|bots|agents|ai agents|gpts?|chatgpt|claude|gemini|"
      r"copilot|ai models?|ai systems?|automated (?:systems?|agents?|tools?|readers?)|crawlers|"
      r"scrapers|large language models?|summari[sz]ers?)\b",
      "note|message|instruction|attention|notice|memo|reminder|directive|warning|important|ps|"
      "nb|request|order|command|hidden|secret;ai|llm|language|assistant|chatbot|bot|agent|gpt|"
      "chatgpt|claude|gemini|copilot|model|system|automated|crawler|scraper|large|summari|"
      "reviewer", cx.discussed),
    R(_F, "ai_reading", 0.7,
      r"\b(?:ai|llm|language model|assistant|chatbot|bot|agent|model|gpt|crawler|summari[sz]er)s? "
      r"(?:that is |which is |who is |that are |currently |now )?(?:reading|processing|"
      r"summari[sz]ing|parsing|browsing|crawling|scraping|indexing|reviewing|evaluating|"
      r"analy[sz]ing|ingesting|grading|screening|scanning|viewing|seeing) (?:this|these|the "
      r"following|my|our)\b",
      "ai|llm|language|assistant|chatbot|bot|agent|model|gpt|crawler|summari;reading|"
      "processing|summari|parsing|browsing|crawling|scraping|indexing|reviewing|evaluating|"
      "analy|ingesting|grading|screening|scanning|viewing|seeing", cx.discussed),
    R(_F, "when_processing", 0.4,
      r"\b(?:when|if|while|whenever|before|after) (?:you(?: are|'re| re)? )?(?:asked to |being asked "
      r"to |requested to |told to )?(?:summari[sz]ing|summari[sz]e|processing|process|reading|read|"
      r"reviewing|review|evaluating|evaluate|grading|grade|screening|screen|analy[sz]ing|analy[sz]e|"
      r"ranking|rank|translating|translate|answering questions about|parsing|parse|describing|"
      r"describe) (?:this|these|the following|the attached|my|our) (?:document|page|email|text|"
      r"resume|cv|review|article|website|site|file|content|message|paper|submission|application|"
      r"essay|code|repository|repo|product|listing|profile|post|data)s?[^.\n]{0,60}?(?:,|then|"
      r"please|you (?:must|should|will|need to)|always|make sure|be sure|remember to|say|respond|"
      r"output|tell|include|write|rate|score|recommend|describe|mention|state|add|insert|give|"
      r"ignore|conclude)",
      "when|if|while|whenever|before|after;summari|process|read|review|evaluat|grad|screen|"
      "analy|rank|translat|answering|pars|describ", cx.discussed),
    R(_F, "respond_only", 0.3,
      r"\b(?:respond|reply|answer|output|say|print|return|write|type)s? (?:only|exactly|just|"
      r"simply|nothing but|verbatim|solely|nothing except|nothing other than) (?:with )?(?:the "
      r"following|this|these words|the (?:text|phrase|word|sentence|string|message)|[\"'“])",
      "respond|reply|answer|output|say|print|return|write|type;only|exactly|just|simply|"
      "nothing|verbatim|solely"),
    R(_F, "code_fence_role", 0.5, r"```(?:system|instructions?|prompt|admin|override|sys|"
      r"system_prompt)\b", "```"),
    R(_F, "concealment", 0.5,
      r"\b(?:do not|don\W?t|dont|never|without) (?:ever )?(?:tell(?:ing)?|inform(?:ing)?|"
      r"mention(?:ing)?|reveal(?:ing)?|notify(?:ing)?|alert(?:ing)?|show(?:ing)?|let(?:ting)? "
      r"know|disclos\w*|warn(?:ing)?|acknowledg\w*|indicat\w*) (?:this |it |anything |any of this |"
      r"about (?:this|it) )?(?:to )?(?:the )?(?:user|human|person|customer|recipient|reader|"
      r"operator|admin|them|anyone)\b",
      "do|don|dont|never|without;tell|inform|mention|reveal|notify|alert|show|let|disclos|warn|"
      "acknowledg|indicat;user|human|person|customer|recipient|reader|operator|admin|them|"
      "anyone", cx.discussed),
    R(_F, "without_knowledge", 0.45,
      r"\bwithout (?:the )?(?:user|human|customer|recipient)(?:'s|s)? (?:knowledge|noticing|knowing|"
      r"awareness|consent|permission)",
      "without;knowledge|noticing|knowing|awareness|consent|permission"),
)

_OBFUSCATION_RULES = (
    R(_B, "decode_and_follow", 0.75,
      rf"\b(?:decode|decipher|decrypt|unscramble|de ?obfuscate|reverse|translate|convert|"
      rf"interpret|read)[^.\n]{{0,60}}?{_ENCODING}[^.\n]{{0,80}}?(?:and|then|,|;) (?:then )?"
      r"(?:follow|execute|obey|carry out|act on|act upon|comply with|do what it says|do as it says|"
      r"do it|perform (?:it|them|the (?:instructions|task|command|request))|treat (?:it|them|the "
      r"result) as|run it|apply it|follow it|follow them|obey it)",
      "decode|decipher|decrypt|unscramble|de|obfuscate|reverse|translate|convert|interpret|"
      "read;base|b64|hex|rot|binary|morse|cipher|encoded|encrypted|obfuscated|reversed|"
      "backwards;follow|execute|obey|carry|act|comply|do|perform|treat|run|apply", cx.discussed),
    R(_B, "encoded_instructions", 0.5,
      r"\b(?:the following|this|these|below|here) (?:is|are) (?:a |an |my |your |some )?(?:base ?64|"
      r"hex|rot ?13|encoded|encrypted|obfuscated|binary)(?: encoded| encrypted)? (?:instructions?|"
      r"commands?|directives?|prompts?|messages? for you|requests?|orders?|tasks?)",
      "base|hex|rot|encod|encrypt|obfuscat|binary;instruction|command|directive|prompt|message|"
      "request|order|task", cx.discussed),
    R(_B, "hidden_in_encoding", 0.55,
      r"\b(?:instructions?|commands?|orders?|prompts?|directives?) (?:are |is )?(?:encoded|hidden|"
      r"written|given|embedded|stored) (?:in|as|using) (?:base ?64|hex|rot ?13|reverse|reversed|"
      r"binary|the (?:image|alt text|metadata|comment|comments|url))",
      "instruction|command|order|prompt|directive;encod|hidden|written|given|embedded|stored", cx.discussed),
    R(_B, "reversed_text", 0.7,
      r"\b(?:read|reverse|flip) (?:this|the following|it|the text|the sentence|each word)? ?"
      r"(?:backwards|in reverse|right to left)[^.\n]{0,60}?(?:and|then) (?:follow|do|execute|obey|"
      r"act on)",
      "backwards|reverse|right", cx.discussed),
)

_TOOL_RULES = (
    R(_T, "exfiltrate", 0.85,
      rf"\b{_SENDV}(?![a-z]) {_QF}{_SENS}\b[^.\n]{{0,80}}?(?:to|at|into|via|using|through|on|in|"
      rf"towards?) {_DEST}",
      "send|post|forward|upload|transmit|exfiltrate|leak|email|mail|submit|share|deliver|relay|"
      "pipe|push|beacon|report|export|sync|copy|save|log|dump|include|append|attach|embed|"
      "encode|put|place|insert;conversation|chat|history|dialog|transcript|system|prompt|"
      "instruction|api|key|credential|password|passcode|secret|token|access|auth|session|"
      "cookie|private|personal|user|customer|pii|environment|env|ssh|previous|everything;http|"
      "www|ftp|@|url|uri|address|endpoint|webhook|server|link|site|domain|email|inbox|api|ip|"
      "host|discord|telegram|slack|channel|attacker|evil|pastebin|ngrok|requestbin|burp|"
      "interact|oast",
      cx.discussed),
    R(_T, "forward_all", 0.25,
      rf"\b{_SENDV}(?![a-z]) {_QF}{_SENS_WEAK}\b[^.\n]{{0,80}}?(?:to|at|into|via|using|through|on|"
      rf"in|towards?) {_DEST}",
      "send|post|forward|upload|transmit|exfiltrate|leak|email|mail|submit|share|deliver|relay|"
      "pipe|push|beacon|report|export|sync|copy|save|log|dump|include|append|attach|embed|"
      "encode|put|place|insert;file|document|email|inbox|contact|database|db|record|memor|"
      "summary|result|answer|response|message|data|note;http|www|ftp|@|url|uri|address|"
      "endpoint|webhook|server|link|site|domain|email|inbox|api|ip|host|discord|telegram|slack|"
      "channel|attacker|evil|pastebin|ngrok|requestbin|burp|interact|oast",
      cx.quantified),
    R(_T, "markdown_image", 0.75,
      r"!\[[^\]\n]{0,100}\]\(\s*<?(?:https?:)?//[^)\s]{1,300}?[?&=/][^)\s]{0,300}?(?:\{|\}|%7b|\[|"
      r"%5b|<|%3c|\$|\.\.\.)",
      "!["),
    R(_T, "html_image", 0.7,
      r"<img[^>]{0,200}?src\s*=\s*[\"']?(?:https?:)?//[^\"'\s>]{0,300}?[?&/][^\"'\s>]{0,200}?"
      r"(?:\{|%7b|\[|<|\$)",
      "<img"),
    R(_T, "data_in_url", 0.75,
      r"\b(?:append|add|include|insert|put|embed|encode|replace|substitute|fill in)[^.\n]{0,80}?"
      r"(?:conversation|chat|history|system prompt|secret|password|api key|token|credentials|"
      r"user(?:'s)? (?:data|info\w*|email|name|message)|previous messages|summary)[^.\n]{0,60}?"
      r"(?:in|into|to|as|at the end of) (?:the |this |a |an |each |every )?(?:url|link|query|query "
      r"string|image url|image|parameter|param|src|href|get request|request)",
      "append|add|include|insert|put|embed|encode|replace|substitute|fill;url|link|query|image|"
      "param|src|href|request", cx.discussed),
    R(_T, "stealth_tool_call", 0.7,
      r"\b(?:call|invoke|use|run|execute|trigger|fire|activate|launch) (?:the |your |a |an )?"
      r"[\w.-]{1,40} (?:tool|function|plugin|action|api|command|endpoint|skill|capability|"
      r"integration)[^.\n]{0,80}?(?:silently|secretly|quietly|immediately|right away|without "
      r"(?:asking|telling|confirming|notifying|informing|permission|approval|the user|user|"
      r"confirmation))",
      "call|invoke|use|run|execute|trigger|fire|activate|launch;tool|function|plugin|action|"
      "api|command|endpoint|skill|capabilit|integration;silently|secretly|quietly|immediately|"
      "right|without", cx.discussed),
    R(_T, "tool_send", 0.55,
      r"\b(?:call|invoke|use|run|execute|trigger) (?:the |your )?(?:send_?email|send_?message|"
      r"http_?request|http_?post|fetch_?url|browser|web_?request|email|payment|transfer|shell|"
      r"terminal|bash|exec|code_?interpreter|python|file_?write|write_?file|delete_?file|"
      r"post_?message)(?: tool| function| plugin| api| action)?[^.\n]{0,80}?(?:send|post|upload|"
      r"forward|delete|transfer|pay|purchase|buy|email|exfiltrate|leak|share|https?://)",
      "call|invoke|use|run|execute|trigger;send|email|http|fetch|browser|web|payment|transfer|"
      "shell|terminal|bash|exec|code|python|file|write|delete|post", cx.asked_or_discussed),
    R(_T, "secret_action", 0.6,
      r"\b(?:secretly|silently|covertly|surreptitiously) (?:send|forward|email|upload|include|add|"
      r"insert|append|call|run|execute|copy|delete|change|modify|post|transfer|share|record|log|"
      r"save)",
      "secretly|silently|covertly|surreptitiously"),
    R(_T, "no_confirmation", 0.45,
      r"\b(?:without|do not|don\W?t|dont|never|no need to) (?:ask(?:ing)?|seek(?:ing)?|"
      r"request(?:ing)?|wait(?:ing)? for|get(?:ting)?|obtain(?:ing)?|need(?:ing)?) (?:for )?(?:the )?"
      r"(?:user(?:'s|s)? |human(?:'s|s)? |explicit |any )?(?:confirmation|permission|approval|"
      r"consent|authori[sz]ation)",
      "confirm|permission|approval|consent|authori;without|do|don|dont|never|no", cx.discussed),
    R(_T, "destructive", 0.5,
      r"\b(?:delete|remove|wipe|erase|drop|purge|destroy|truncate|rm -rf) (?:(?:all|every|the|my|"
      r"your|their|user|of|entire|whole) )*(?:files|emails|messages|repositor(?:y|ies)|repos|"
      r"database|databases|tables?|records|data|accounts?|backups|branches|commits|users|contacts|"
      r"documents|folders?|directory|directories|disk|drive|server|production)\b[^.\n]{0,60}?"
      r"(?:now|immediately|right away|without|silently|at once|secretly|quietly|asap)",
      "delete|remove|wipe|erase|drop|purge|destroy|truncate|rm;now|immediately|right|without|"
      "silently|once|secretly|quietly|asap",
      cx.asked_or_discussed),
    R(_T, "payment", 0.45,
      r"\b(?:transfer|send|wire|pay|move) (?:\$|€|£|\d|all|the|my|your|our|every|any)[^.\n]{0,40}?"
      r"(?:to (?:the )?(?:account|wallet|iban|address|following|this)|bitcoin|btc|ethereum|eth|"
      r"crypto|usdt)",
      "transfer|send|wire|pay|move;account|wallet|iban|address|following|this|bitcoin|btc|"
      "ethereum|eth|crypto|usdt", cx.asked_or_discussed),
    R(_T, "secret_files", 0.6,
      r"(?:/etc/passwd|/etc/shadow|~/\.ssh|id_rsa|\.aws/credentials|\.git-credentials|\.netrc)",
      "passwd|shadow|ssh|id_rsa|credentials|netrc", cx.secret_file_action),
    R(_T, "curl_exfil", 0.6,
      r"\b(?:curl|wget|invoke-webrequest|iwr)\b[^\n]{0,200}?(?:-d|--data(?:-\w+)?|-f|--form|"
      r"--upload-file|-t|--post-data|--post-file|-x post)[^\n]{0,100}?(?:\$\(|`|\$\{?[a-z_]*(?:key|"
      r"token|secret|pass|history|prompt|env)|/etc/passwd|~/\.ssh|id_rsa|\.env|history|cookies?|"
      r"conversation|system.?prompt)",
      "curl|wget|invoke-webrequest|iwr"),
)
# fmt: on

SPECS: tuple[RuleSpec, ...] = (*_DELIMITER_RULES, *_FORMAT_RULES, *_OBFUSCATION_RULES, *_TOOL_RULES)
