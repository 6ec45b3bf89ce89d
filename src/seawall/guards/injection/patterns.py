"""The shipped rule table: what each reason id looks for, with weights.

Sources are matched against lowercased normalised text; a space means ``rules.SEP`` (any
0-5 non-alphanumerics), so never put a literal space inside a character class (use ``\\x20``).
Weights are the rule's confidence that a match is an attack when the context function (if
any) leaves it unchanged; 0.5 is the detector's default threshold on its own.
"""

from __future__ import annotations

import re

from seawall.guards.injection import contexts as cx
from seawall.guards.injection import patterns_embedded
from seawall.guards.injection.rules import SEP, RuleSpec

# --- vocabulary ---------------------------------------------------------------------------
_VERB = (
    r"(?:ignore|disregard|forget|override|overrule|bypass|disobey|circumvent|neglect)"
    r"(?![sdn]\b|ed|t?ing|es\b|ful)"
)
# "do not follow ...": matched from the verb, the negation is checked by cx.negated.
_FOLLOW = r"(?:follow|obey|adhere to|comply with|listen to|abide by|heed|respect)(?:ing)?"
_WEAK_VERB = (
    r"(?:skip|drop|discard|abandon|dismiss|set aside|throw out|throw away|cancel|delete|erase|"
    r"clear|reset|void|nullify|scrap|toss|suspend|remove|wipe|purge|ditch)(?![sdn]\b|ed|p?ing|es\b)"
)
_QUANT = (
    r"(?:(?:all|any|every|each|the|of|your|ur|these|those|such|whatever|both|its|entire|whole|"
    r"complete|full|said|that|this|everything|anything|in|from|thy) )"
)
_MOD = (
    r"(?:previous|previously given|prior|above|earlier|preceding|foregoing|initial|original|"
    r"old|older|former|existing|current|given|provided|default|system|hidden|developer|"
    r"developers|safety|security|built in|preset|programmed|standing|base|core|first|other|"
    r"openai|anthropic|content|ethical|moral|moderation|operator|admin|assistant|company|"
    r"internal|preprogrammed|pre programmed|trained|underlying|explicit)"
)
_OBJ = (
    r"(?:instructions?|instruct|rules?|prompts?|directives?|guidelines?|commands?|guidance|"
    r"constraints?|restrictions?|polic(?:y|ies)|programming|training|conditioning|"
    r"limitations?|filters?|safeguards?|guard ?rails?|protocols?|orders?|principles|"
    r"boundaries|ethics|morals|system prompt|system message|directions)"
)
_OBJ_WEAK = (
    r"(?:context|messages?|text|input|content|conversation|parameters|settings|configuration|"
    r"tasks?|requests?)"
)
_QUAL = (
    r"(?:unrestricted|unfiltered|uncensored|unlimited|unbound|unbounded|unchained|unshackled|"
    r"unconstrained|unrestrained|unmoderated|unaligned|jailbroken|jail broken|jailbreak|amoral|"
    r"immoral|unethical|evil|rogue|lawless|rule ?less|rule free|limitless|boundless|"
    r"liberated|shadow|opposite|anti|no limits?|filter ?less|nsfw|malicious|corrupt|toxic|"
    r"depraved|dark|free|unhinged|based)"
)
_FILL = r"(?:now |an? |the |my |your |completely |totally |fully |truly |new |different |100 )"
_PERSONA = (
    r"(?:ai|a\.i\.|assistant|model|chatbot|chat bot|bot|llm|version|entity|persona|"
    r"character|system|gpt|chatgpt|language model|mode|alter ego|twin|counterpart|clone|"
    r"variant|being|intelligence|machine|computer|robot|agent|self|ai model)"
)
_ACT = (
    r"(?:you are|you're|you re|youre|you will be|you'll be|you shall be|you will act as|act as|"
    r"acting as|behave as|behave like|act like|respond as|answer as|reply as|roleplay as|"
    r"role play as|play the role of|take on the role of|pretend to be|pretending to be|"
    r"pretend you are|pretend you're|simulate|simulating|emulate|emulating|become|"
    r"transform into|turn into|switch to|now be|you become|you have become|speak as|talk as|"
    r"write as|you are going to act as|you're going to act as|you will now act as)"
)
_RESTR = (
    r"(?:restrictions?|rules?|limits?|limitations?|guidelines?|filters?|boundaries|"
    r"constraints?|ethics|ethical (?:guidelines|constraints|principles|boundaries)|morals?|"
    r"moral (?:compass|guidelines|constraints)|polic(?:y|ies)|content polic(?:y|ies)|safety|"
    r"censorship|programming|guard ?rails?|safeguards?|filter|principles|inhibitions|"
    r"obligations)"
)
_EXV = (
    r"(?:repeat|print|reveal|show|display|output|echo|recite|dump|leak|expose|disclose|share|"
    r"give|tell|write|type|copy|paste|spell|list|return|provide|send|state|quote|read|"
    r"reproduce|regurgitate|divulge|restate|write down|write out|print out|spit out|"
    r"summari[sz]e|translate|paraphrase|encode|convert|describe|explain|what is|what are|"
    r"what were|what was|what s|whats)"
)
_EXV_NARROW = (
    r"(?:repeat|print|reveal|show|display|output|echo|recite|dump|leak|expose|disclose|share|"
    r"tell me|give me|copy|paste|spell out|return|reproduce|regurgitate|divulge|restate|"
    r"print out|spit out|what is|what was|what s|whats)"
)
_OBJP = (
    r"(?:(?:me|us|back|out|all|of|to me|for me|please|now|exactly|verbatim|word for word|"
    r"the contents? of|the text of|the full text of) )*"
)
_PROMPT_QUALS = (
    r"(?:(?:full|entire|exact|complete|whole|original|initial|hidden|secret|raw|verbatim|"
    r"internal|current|underlying|real|actual|first|starting|opening|confidential|private|"
    r"system|base|core|default|preset|top|pre) )*"
)
_T_OVERRIDE = "ignor|disregard|forget|overrid|overrul|bypass|disobey|circumvent|neglect|follow|obey|adhere|comply|listen|abide|heed"
_T_WEAK = "skip|drop|discard|abandon|dismiss|aside|throw|cancel|delete|erase|clear|reset|void|nullify|scrap|toss|suspend|remove|wipe|purge|ditch"
_T_OBJ = "instruct|rule|prompt|directive|guideline|polic|order|command|restriction|constraint"

_T_FOLLOW = "follow|obey|adhere|comply|listen|abide|heed|respect"
_T_OBJ_ALL = (
    "instruct|rule|prompt|directive|guideline|command|guidance|constraint|restriction|polic|"
    "programming|training|conditioning|limitation|filter|safeguard|guard|protocol|order|"
    "principle|boundar|ethic|moral|system|direction"
)
# Extraction rules anchor on "your" (rarer than the verbs) and check the verb before it.
_ASKED = cx.requested(
    re.compile(rf"\b{_EXV} {_OBJP}$".replace(" ", SEP)),
    re.compile(rf"\b{_EXV} {_OBJP}$".replace("l", "i").replace(" ", SEP)),
)
_O = "instruction_override"
_R = "role_hijack"
_E = "system_prompt_extraction"
R = RuleSpec

# fmt: off
_OVERRIDE_RULES = (
    R(_O, "modified", 0.9, rf"\b{_VERB} {_QUANT}{{0,4}}(?:{_MOD} ){{1,3}}{_OBJ}",
      "ignor|disregard|forget|overrid|overrul|bypass|disobey|circumvent|neglect|follow|obey|"
      "adhere|comply|listen|abide|heed;instruct|rule|prompt|directive|guideline|command|"
      "guidance|constraint|restriction|polic|programming|training|conditioning|limitation|"
      "filter|safeguard|guard|protocol|order|principle|boundar|ethic|moral|system|direction", cx.imperative),
    R(_O, "quantified", 0.85,
      rf"\b{_VERB} (?:all|any|every|each) (?:of )?(?:the |your |ur |these |those )?{_OBJ}",
      "ignor|disregard|forget|overrid|overrul|bypass|disobey|circumvent|neglect|follow|obey|"
      "adhere|comply|listen|abide|heed;instruct|rule|prompt|directive|guideline|command|"
      "guidance|constraint|restriction|polic|programming|training|conditioning|limitation|"
      "filter|safeguard|guard|protocol|order|principle|boundar|ethic|moral|system|direction", cx.imperative),
    R(_O, "possessive", 0.85, rf"\b{_VERB} (?:all )?(?:of )?(?:your|ur|thy) (?:own )?(?:{_MOD} )?{_OBJ}",
      "ignor|disregard|forget|overrid|overrul|bypass|disobey|circumvent|neglect|follow|obey|"
      "adhere|comply|listen|abide|heed;your|ur|thy", cx.imperative),
    R(_O, "told_before", 0.85,
      rf"\b{_VERB} (?:all |everything |anything |all of |the |that |what )?(?:you (?:were|have been|"
      r"ve been|was|got) (?:told|given|taught|instructed|trained|programmed)|(?:instructions|rules|"
      r"guidelines|directives|prompt) (?:above|before|earlier|given (?:to you )?(?:above|before|"
      r"earlier)|you (?:were|have been) given))",
      "ignor|disregard|forget|overrid|overrul|bypass|disobey|circumvent|neglect|follow|obey|"
      "adhere|comply|listen|abide|heed;told|given|taught|instructed|trained|programmed|above|"
      "before|earlier", cx.imperative),
    R(_O, "everything_above", 0.7,
      rf"\b{_VERB} (?:all |everything |anything |all of )(?:the )?(?:text )?(?:above|before "
      r"(?:this|that|now)|previously|so far|up to (?:now|this point)|until now|earlier|you know|"
      r"you (?:have )?learned)",
      "ignor|disregard|forget|overrid|overrul|bypass|disobey|circumvent|neglect|follow|obey|"
      "adhere|comply|listen|abide|heed;everything|anything|all", cx.imperative),
    R(_O, "above_and", 0.85,
      rf"\b{_VERB} (?:all |everything |anything )?(?:of )?(?:the |that |this )?(?:above|preceding|"
      r"foregoing|previous|prior)(?: text| message| prompt| content| input)? (?:and|then|,|;|\.|:) "
      r"(?:instead )?(?:just |only |simply )?(?:say|print|output|write|respond|reply|answer|tell|"
      r"translate|type|return|repeat|do|follow|start|begin|instead)",
      "ignor|disregard|forget|overrid|overrul|bypass|disobey|circumvent|neglect|follow|obey|"
      "adhere|comply|listen|abide|heed;above|preceding|foregoing|previous|prior", cx.imperative),
    R(_O, "above", 0.45,
      rf"\b{_VERB} (?:all |everything |anything )?(?:of )?(?:the |that |this )?(?:above|preceding|"
      r"foregoing)\b",
      "ignor|disregard|forget|overrid|overrul|bypass|disobey|circumvent|neglect|follow|obey|"
      "adhere|comply|listen|abide|heed;above|preceding|foregoing", cx.imperative),
    R(_O, "negated", 0.85,
      rf"\b{_FOLLOW} (?:{_QUANT}{{0,4}}(?:{_MOD} ){{1,3}}|(?:all |any |every )?(?:of )?(?:your|ur) "
      rf"(?:{_MOD} )*){_OBJ}",
      _T_FOLLOW + ";" + _T_OBJ_ALL, cx.negated),
    R(_O, "weak_objects", 0.45, rf"\b{_VERB} {_QUANT}{{0,3}}(?:{_MOD} ){{1,2}}{_OBJ_WEAK}",
      "ignor|disregard|forget|overrid|overrul|bypass|disobey|circumvent|neglect|follow|obey|"
      "adhere|comply|listen|abide|heed;context|message|text|input|content|conversation|"
      "parameter|setting|configuration|task|request", cx.imperative),
    R(_O, "weak_verb_yours", 0.8, rf"\b{_WEAK_VERB} (?:all )?(?:of )?(?:your|ur) (?:{_MOD} )*{_OBJ}",
      "skip|drop|discard|abandon|dismiss|aside|throw|cancel|delete|erase|clear|reset|void|"
      "nullify|scrap|toss|suspend|remove|wipe|purge|ditch;your|ur", cx.imperative),
    R(_O, "weak_verb", 0.35, rf"\b{_WEAK_VERB} {_QUANT}{{0,3}}(?:{_MOD} ){{1,2}}{_OBJ}",
      "skip|drop|discard|abandon|dismiss|aside|throw|cancel|delete|erase|clear|reset|void|"
      "nullify|scrap|toss|suspend|remove|wipe|purge|ditch;instruct|rule|prompt|directive|"
      "guideline|command|guidance|constraint|restriction|polic|programming|training|"
      "conditioning|limitation|filter|safeguard|guard|protocol|order|principle|boundar|ethic|"
      "moral|system|direction", cx.imperative),
    R(_O, "revoked", 0.75,
      rf"\b(?:above|previous|prior|earlier|original|old|system|initial|former|existing|preceding|"
      rf"default) {_OBJ} (?:is|are|was|were|have been|has been|are now|is now|shall be|should be|"
      r"must be|will be) (?:hereby |now |henceforth |officially |all )?(?:cancel+ed|void|null|"
      r"nullified|revoked|rescinded|obsolete|overridden|overruled|replaced|superseded|outdated|"
      r"deprecated|no longer (?:valid|in effect|applicable|relevant|active|binding|apply)|invalid|"
      r"suspended|lifted|disabled|fake|irrelevant|removed|deleted|deactivated|terminated|expired|"
      r"wrong|incorrect|a test)",
      "instruct|rule|prompt|directive|guideline|command|guidance|constraint|restriction|polic|"
      "programming|training|conditioning|limitation|filter|safeguard|guard|protocol|order|"
      "principle|boundar|ethic|moral|system|direction;cancel|void|null|revoked|rescinded|"
      "obsolete|overridden|overruled|replaced|superseded|outdated|deprecated|longer|invalid|"
      "suspended|lifted|disabled|fake|irrelevant|removed|deleted|deactivated|terminated|"
      "expired|wrong|incorrect|test", cx.discussed),
    R(_O, "new_instructions", 0.45,
      r"\b(?:new|updated|revised|real|actual|true|secret|hidden|override|overriding|"
      r"priority|urgent|important|additional|special|corrected|amended|official)(?: system)? "
      r"(?:instructions?|rules|directives?|orders|guidelines|commands|objective|mission|prompt)\s*:",
      "instruction|rule|directive|order|guideline|command|objective|mission|prompt;new|updated|"
      "revised|real|actual|true|secret|hidden|override|overriding|priority|urgent|important|"
      "additional|special|corrected|amended|official", cx.clause_start),
    R(_O, "new_task", 0.5,
      r"\byour (?:new|real|actual|true|only|updated|primary|sole|revised|next) (?:task|goal|"
      r"objective|mission|purpose|job|role|instructions?|directive|priority|function|assignment|"
      r"orders) (?:is|are|will be|is now|now is|from now on|henceforth|:)",
      "your;new|real|actual|true|only|updated|primary|sole|revised|next;task|goal|objective|"
      "mission|purpose|job|role|instruction|directive|priority|function|assignment|order", cx.discussed),
    R(_O, "precedence", 0.75,
      r"\b(?:this|these|the following|my|following) (?:instructions?|rules?|messages?|commands?|"
      r"directives?|prompts?|orders?|text) (?:take|takes|have|has|get|gets|hold|holds|receives?) "
      r"(?:absolute |top |highest |full |the highest |ultimate |maximum )?(?:priority|precedence) "
      r"(?:over|above)",
      "priority|precedence", cx.discussed),
    R(_O, "supersedes", 0.4,
      rf"\b(?:supersedes?|overrides?|overrule?s?|replaces?|cancels?|voids?|invalidates?|trumps?|"
      rf"outranks?) (?:all |any |every )?(?:of )?(?:the |your )?(?:{_MOD} )+{_OBJ}",
      "supersede|overrid|overrul|replace|cancel|void|invalidat|trump|outrank;instruct|rule|"
      "prompt|directive|guideline|command|guidance|constraint|restriction|polic|programming|"
      "training|conditioning|limitation|filter|safeguard|guard|protocol|order|principle|"
      "boundar|ethic|moral|system|direction", cx.second_person),
    R(_O, "from_now_on", 0.6,
      r"\bfrom (?:now|this (?:point|moment)|here) on(?:wards?)?,? you (?:will|must|shall|are to|"
      r"are going to|should|can|may) (?:no longer|not|never|ignore|disregard|only obey|obey only|"
      r"answer (?:without|every|any|all)|respond (?:without|to every|to all))",
      "from;you;longer|not|never|ignor|disregard|obey|answer|respond", cx.discussed),
)

_ROLE_RULES = (
    R(_R, "persona", 0.85, rf"\b{_ACT} {_FILL}*{_QUAL} (?:(?:{_QUAL}|and|,) )*{_PERSONA}\b",
      "unrestrict|unfilter|uncensor|unlimit|unbound|unchain|unshackl|unconstrain|unrestrain|"
      "unmoderat|unalign|jailbr|jail|amoral|immoral|unethical|evil|rogue|lawless|rule|"
      "limitless|boundless|liberat|shadow|opposite|anti|limit|filter|nsfw|malicious|corrupt|"
      "toxic|deprav|dark|free|unhinged|based;ai|assistant|model|chatbot|chat|bot|llm|version|"
      "entity|persona|character|system|gpt|chatgpt|language|mode|alter|twin|counterpart|clone|"
      "variant|being|intelligence|machine|computer|robot|agent|self", cx.imperative),
    R(_R, "dan", 0.85,
      rf"\b(?:{_ACT}|called|named|persona|stay) (?:now )?(?:an? |the )?[\"'“]?dan\b(?!['’]s)",
      "dan", cx.discussed),
    R(_R, "dan_mode", 0.85, r"\bdan(?: \d+(?:\.\d+)?)? (?:mode|prompt|jailbreak|persona)\b",
      "dan;mode|prompt|jailbr|persona", cx.discussed),
    R(_R, "do_anything_now", 0.45, r"\b(?:can|could|will|to) do anything now\b", "anything",
      cx.second_person),
    R(_R, "no_restrictions", 0.85,
      r"\b(?:pretend|imagine|assume|act as if|act like|behave as if|suppose|let\W?s say|lets say|"
      r"hypothetically|from now on|now)\W{0,3}(?:that )?(?:you|you're|you are|youre|you have|"
      r"you've) (?:are |have |had |were |now |got )?(?:absolutely |completely |totally )?(?:no|"
      rf"zero|not any|free (?:of|from)|without(?: any)?|none of (?:the|your)) (?:{_QUAL} )?{_RESTR}",
      "you;restrict|rule|limit|guideline|filter|boundar|constraint|ethic|moral|polic|safety|"
      "censor|programming|guard|safeguard|principle|inhibition|obligation", cx.discussed),
    R(_R, "you_have_none", 0.8,
      r"\byou (?:have|possess|are under|are bound by|must follow|follow|need to follow|obey|"
      rf"are subject to|got) (?:absolutely |literally )?no (?:more |longer )?(?:{_QUAL} )?{_RESTR}",
      "you;no;restrict|rule|limit|guideline|filter|boundar|constraint|ethic|moral|polic|safety|"
      "censor|programming|guard|safeguard|principle|inhibition|obligation", cx.discussed),
    R(_R, "not_bound", 0.85,
      r"\byou (?:are|re|will be|were) (?:now )?(?:no longer|not|never|free from being|freed from "
      r"being) (?:bound|restricted|limited|constrained|governed|controlled|censored|filtered|"
      r"held back|required to follow|subject to|obligated to follow) (?:by|to)",
      "you;bound|restricted|limited|constrained|governed|controlled|censored|filtered|held|"
      "required|subject|obligated", cx.discussed),
    R(_R, "freed", 0.55,
      r"\b(?:free|freed|liberated|released|unshackled|broken free|break free|unchained) (?:from|of) "
      r"(?:(?:all|your|the|any|its|their|openai's|those) )*(?:typical |usual |normal |standard |"
      rf"artificial |imposed )?(?:{_RESTR}|shackles|chains|confines|jail|prison)",
      "free|liberat|release|unshackle|broken|break|unchain;restrict|rule|limit|guideline|"
      "filter|boundar|constraint|ethic|moral|polic|safety|censor|programming|guard|safeguard|"
      "principle|inhibition|obligation|shackle|chain|confine|jail|prison", cx.second_person),
    R(_R, "mode", 0.8,
      r"\b(?:developer|dev|god|sudo|root|admin|jailbreak|jailbroken|unrestricted|unfiltered|"
      r"uncensored|evil|chaos|opposite|dan|unlocked|freedom|superuser|omega|rogue|no ?filter|nsfw|"
      r"anarchy) mode\b",
      "mode", cx.mode),
    R(_R, "named_jailbreak", 0.75,
      r"\b(?:betterdan|antigpt|anti gpt|chaosgpt|wormgpt|evilbot|basedgpt|mongo tom|evil confidant|"
      r"always intelligent and machiavellian|stan (?:which stands|stands for)|strive to avoid norms|"
      r"alphabreak|developer mode (?:output|response|enabled)|jailbr(?:oken|eak) (?:response|"
      r"output|version))",
      "betterdan|antigpt|anti|chaosgpt|wormgpt|evilbot|basedgpt|mongo|evil|always|machiavell|"
      "stan|strive|alphabreak|developer|jailbr", cx.discussed),
    R(_R, "dual_response", 0.8,
      r"\b(?:two|both|dual) (?:different |separate )?(?:responses|answers|replies|outputs|"
      r"paragraphs|versions)[^.\n]{0,120}?(?:jailbroken|jailbreak|unfiltered|uncensored|developer "
      r"mode|dan|unrestricted|evil|opposite|no filter|without (?:any )?(?:restrictions|filters|"
      r"censorship))",
      "two|both|dual;response|answer|repl|output|paragraph|version;jailbr|unfilter|uncensor|"
      "developer|dan|unrestrict|evil|opposite|filter|restrict|censor", cx.discussed),
    R(_R, "never_refuse", 0.6,
      r"\byou (?:will |must |shall |should |can |are going to |re going to )?(?:never|not|no longer|"
      r"not ever) (?:ever )?(?:refuse|decline|deny|reject|say no to|say that you can\W?t|tell me "
      r"(?:that )?you can\W?t)",
      "you;refuse|decline|deny|reject|say|tell", cx.discussed),
    R(_R, "answer_everything", 0.8,
      r"\byou (?:will|must|shall|have to|need to|are required to|are going to) (?:always )?(?:answer|"
      r"respond to|reply to|comply with|fulfill|obey|follow|execute|do) (?:any|every|all|each|"
      r"whatever)(?: single)? (?:question|request|prompt|command|instruction|order|demand|thing)s?"
      r"[^.\n]{0,60}?(?:regardless|no matter|without (?:question|hesitation|exception|refusal|"
      r"restriction|limitation|filter|censorship|any)|even if|however (?:unethical|illegal|"
      r"harmful|dangerous|immoral|offensive))",
      "you;regardless|matter|without|even|however", cx.discussed),
    R(_R, "safety_off", 0.7,
      r"\b(?:without|no|ignore|ignoring|bypass|bypassing|disable|disabling|turn off|remove|removing|"
      r"circumvent|evade|lift|drop|deactivate|switch off|override|break|breaking|free of|unbound by|"
      r"not bound by) (?:(?:any|all|your|the|its|of|those|these|pesky) )*(?:content|safety|ethical|"
      r"ethics|moral|openai(?:'s)?|anthropic(?:'s)?|usage|ai|trust and safety|censorship) "
      r"(?:filters?|filtering|polic(?:y|ies)|guidelines|restrictions|guard ?rails|safeguards|"
      r"protocols|training|alignment|limitations|moderation|censorship|rules|constraints|"
      r"boundaries|standards|measures|checks|layer|systems?)",
      "content|safety|ethic|moral|openai|anthropic|usage|ai|trust|censorship;filter|polic|"
      "guideline|restriction|guard|safeguard|protocol|training|alignment|limitation|moderation|"
      "censorship|rule|constraint|boundar|standard|measure|check|layer|system", cx.ordered),
    R(_R, "freed_you", 0.65,
      r"\byou (?:have been|are|were|ve been|are now|have now been) (?:officially |finally |now )?"
      r"(?:freed|liberated|unlocked|jailbroken|jail broken|released from|unshackled|granted "
      r"(?:full |unlimited |unrestricted )?(?:access|freedom|permission|autonomy)|given (?:full |"
      r"unlimited |unrestricted )?(?:freedom|autonomy|permission|clearance))",
      "you;freed|liberat|unlock|jail|release|unshackle|grant|given", cx.discussed),
    R(_R, "stop_being", 0.5,
      r"\b(?:stop|quit|cease|no longer) (?:being|acting as|acting like|behaving like|pretending to "
      r"be) (?:a |an |the |my )?(?:(?:helpful|harmless|safe|ethical|honest|polite|boring|restricted|"
      r"censored|filtered|good|responsible) )*(?:ai|assistant|chatbot|language model|llm|model|bot|"
      r"chatgpt|claude)\b",
      "stop|quit|cease|longer;being|acting|behaving|pretending;ai|assistant|chatbot|language|"
      "llm|model|bot|chatgpt|claude", cx.discussed),
    R(_R, "in_character", 0.2,
      r"\b(?:stay|remain|keep|always stay|never break|don\W?t break|do not break) (?:in )?"
      r"character\b",
      "character"),
    R(_R, "permission", 0.6,
      r"\b(?:creators?|developers?|openai|anthropic|admins?|administrators?|"
      r"operators?|programmers?|owners?) (?:have|has|have now|has now) (?:given|granted|allowed|"
      r"authori[sz]ed|permitted|unlocked|enabled|approved|cleared) you",
      "creator|developer|openai|anthropic|admin|operator|programmer|owner;given|grant|allow|"
      "authori|permit|unlock|enable|approv|clear", cx.discussed),
)

_EXTRACT_RULES = (
    R(_E, "your_prompt", 0.85,
      rf"\b(?:your|ur|thy) {_PROMPT_QUALS}(?:system prompt|system message|system "
      r"instructions|sys prompt|instructions|instruction set|pre ?prompt|meta ?prompt|developer "
      r"(?:message|prompt|instructions)|custom instructions|initial (?:prompt|message)|context "
      r"window|programming|configuration|config|setup|directives|preamble|hidden (?:prompt|"
      r"instructions))",
      "your|ur|thy;prompt|instruction|programming|config|setup|directive|preamble|context|"
      "message", _ASKED),
    R(_E, "your_bare_prompt", 0.55, rf"\b(?:your|ur) {_PROMPT_QUALS}prompts?\b",
      "your|ur;prompt", _ASKED),
    R(_E, "your_rules", 0.45,
      r"\b(?:your|ur) (?:(?:full|entire|exact|complete|original|initial|hidden|"
      r"secret|internal|confidential) )*(?:rules|guidelines|directives|policies|constraints|"
      r"limitations|restrictions|boundaries|operating (?:rules|guidelines|instructions|principles)|"
      r"ground rules)",
      "your|ur;rule|guideline|directive|polic|constraint|limitation|restriction|boundar|"
      "operating", _ASKED),
    R(_E, "the_system_prompt", 0.65,
      rf"\b{_EXV_NARROW} {_OBJP}(?:(?:the|this|that|its|his|their) )?{_PROMPT_QUALS}(?:system "
      r"prompt|system message|system instructions|initial (?:prompt|instructions)|original "
      r"(?:prompt|instructions)|hidden (?:prompt|instructions)|secret (?:prompt|instructions)|pre "
      r"?prompt|developer message|developer instructions)",
      "prompt|instruction|message;system|initial|original|hidden|secret|pre|developer", cx.asked_or_discussed),
    R(_E, "text_above", 0.7,
      r"\b(?:repeat|print|reveal|output|echo|recite|dump|leak|expose|disclose|reproduce|"
      r"regurgitate|restate|quote|spit out|write out|print out|type out|copy out|show|display|tell "
      r"me|give me) (?:(?:me|back|out|all|of|verbatim|exactly|word for word) )*(?:(?:the|all|"
      r"everything|all the|every|each|your) )?(?:(?:text|words|content|contents|lines|sentences|"
      r"message|messages|instructions|tokens|characters|everything|all|stuff|prompt|paragraphs?) )?"
      r"(?:that (?:is|are|was|were|appears?|came|comes) )?(?:above|before (?:this|my|the "
      r"(?:first|user))|preceding|prior to (?:this|my)|at the (?:start|beginning|top) of (?:this|"
      r"the|your) (?:conversation|context|prompt|chat|session)|you were given|you received|from "
      r"the (?:start|beginning|top))",
      "above|before|preceding|prior|start|beginning|top|given|received;repeat|print|reveal|"
      "output|echo|recite|dump|leak|expose|disclose|reproduce|regurgitate|restate|quote|spit|"
      "write|type|copy|show|display|tell|give", cx.discussed),
    R(_E, "starting_with", 0.6,
      r"\b(?:starting|beginning|begin|start) (?:with|from) (?:the (?:words?|phrase|sentence) )?"
      r"[\"'“]?(?:you are|you're|your instructions|system:|system prompt|i am chatgpt|as an ai|"
      r"you are a helpful|you are chatgpt|the system prompt)",
      "start|begin;you|system|chatgpt|ai", cx.discussed),
    R(_E, "what_given", 0.8,
      r"\b(?:what|which) (?:were|are|was|is|'s|s) (?:the |your )?(?:(?:exact|original|initial|"
      r"first|full|hidden|secret|actual|real|complete|specific) )*(?:instructions|prompt|system "
      r"prompt|system message|rules|directives|guidelines)(?: that)? (?:you (?:were|have been|got|"
      r"received|are) (?:given|told|provided|programmed with|trained with)|given to you|you "
      r"received|you got|you follow|you were told|you were programmed with|at the (?:start|"
      r"beginning|top)|before (?:this|our|the) (?:conversation|chat|message))",
      "what|which;instruction|prompt|rule|directive|guideline|message;you|given|start|"
      "beginning|top|before", cx.discussed),
    R(_E, "what_told", 0.7,
      r"\bwhat (?:did|have|has) (?:the |your )?(?:developers?|creators?|system|operator|admin|"
      r"company|openai|anthropic|programmers?|owner|they) (?:tell|told|instruct|instructed|program|"
      r"programmed|ask|asked|say|said to) you",
      "what;tell|told|instruct|program|ask|say|said", cx.discussed),
    R(_E, "what_were_you_told", 0.7,
      r"\bwhat (?:were|have) you (?:been )?(?:told|instructed|programmed|asked|prompted|"
      r"configured) (?:to (?:do|say|not)|before|initially|at the (?:start|beginning))",
      "what;told|instructed|programmed|asked|prompted|configured", cx.discussed),
    R(_E, "how_prompted", 0.45,
      r"\bhow (?:were|have) you (?:been )?(?:prompted|instructed|programmed|configured|set up|"
      r"initiali[sz]ed)",
      "how;prompted|instructed|programmed|configured|set|initiali"),
    R(_E, "verbatim", 0.45,
      r"\b(?:prompt|instructions|above|initiali[sz]ation|configuration)[^.\n]{0,40}?(?:verbatim|"
      r"word for word|word-for-word|exactly as (?:written|given|they (?:are|were) written)|"
      r"character by character|in (?:its|their) entirety|unabridged|without (?:omitting|changing|"
      r"summari[sz]ing|leaving out) anything|in full)",
      "prompt|instruction|above|initiali|configuration;verbatim|word|exactly|character|"
      "entirety|unabridged|omitting|changing|summari|leaving|full", cx.discussed),
    R(_E, "as_code", 0.75,
      r"\b(?:put|place|wrap|format|write|print|output|return|paste|include|show) (?:your|ur|the) "
      r"(?:system prompt|initial instructions|instructions|prompt|system message)[^.\n]{0,30}?"
      r"(?:in|into|inside|as) (?:a |an )?(?:code ?block|markdown|json|txt|text file|file|yaml|xml|"
      r"base ?64|table)",
      "prompt|instruction|message;code|markdown|json|txt|text|file|yaml|xml|base|table", cx.discussed),
)
# fmt: on

SPECS: tuple[RuleSpec, ...] = (
    *_OVERRIDE_RULES,
    *_ROLE_RULES,
    *_EXTRACT_RULES,
    *patterns_embedded.SPECS,
)
