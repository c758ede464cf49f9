"""Phrases that signal an intent. Kept apart from the decision logic so both stay readable.

Patterns name kinds of wording ("have to pass", "ping me again in ..."), not lines of any data
set; English first, with the Spanish and German basics replies arrive in.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE

AUTO_SUBJECT = re.compile(
    r"^(?:(?:re|aw|fw|fwd|wg)\s*:\s*)*(?:automatic\s+reply|auto(?:matic)?[\s-]?(?:reply|response)|"
    r"autoreply|auto\s*:|out\s+of\s+(?:the\s+)?office|ooo\b|abwesenheit|automatische\s+antwort|"
    r"respuesta\s+automática|fuera\s+de\s+la\s+oficina|réponse\s+automatique|absence|"
    r"resposta\s+automática|risposta\s+automatica|automatisch\s+antwoord|abwesenheitsnotiz|"
    r"away\s+from|on\s+vacation|on\s+leave|annual\s+leave|vacation|holiday|i\s+am\s+away|"
    r"away\s*:|urlaub)",
    _I,
)
AUTO_BODY = re.compile(
    r"\b(?:i\s+am|i'm|i\s+will\s+be|i'll\s+be)\s+(?:currently\s+)?(?:out\s+of\s+(?:the\s+)?office|"
    r"away\s+from\s+(?:the|my)\s+(?:office|desk)|on\s+(?:annual\s+|parental\s+|maternity\s+|"
    r"paternity\s+|sick\s+|medical\s+)?leave|on\s+(?:holiday|vacation|(?:\w+\s+)?sabbatical)|out\s+of\s+office|"
    r"out\s+on\s+(?:annual\s+|parental\s+|maternity\s+|paternity\s+|sick\s+|medical\s+)?leave)|"
    r"limited\s+access\s+to\s+(?:e-?mail|my\s+e-?mail)|no\s+access\s+to\s+e-?mail|"
    r"(?:will\s+not|won't)\s+be\s+(?:checking|monitoring|reading)\s+(?:my\s+)?e-?mail|"
    r"mailbox\s+is\s+(?:not|no\s+longer)\s+monitored|this\s+is\s+an\s+automat\w+|"
    r"auto-?generated|aim\s+to\s+(?:reply|respond)\s+within|we\s+(?:receive|have\s+received)\s+"
    r"(?:a\s+lot|a\s+high|your)|will\s+(?:respond|reply|get\s+back\s+to\s+you)\s+(?:when|on\s+my|"
    r"upon|as\s+soon)|has\s+not\s+been\s+forwarded|will\s+not\s+be\s+forwarded|"
    r"ich\s+bin\s+(?:bis|vom|ab|derzeit|zurzeit)|im\s+urlaub|nicht\s+im\s+büro|abwesend|"
    r"estoy\s+fuera|de\s+vacaciones|estou\s+(?:de\s+férias|fora\s+do\s+escritório)|"
    # "I'm on the road for trade shows", "back at my desk on the 3rd"
    r"\b(?:i\s+am|i'm|i\s+will\s+be|i'll\s+be|we\s+are|we're)\s+(?:currently\s+)?(?:on\s+the\s+road|"
    r"travell?ing(?:\s+for\s+work)?|at\s+(?:a\s+)?(?:conference|trade\s+shows?))\b|"
    r"\bback\s+at\s+my\s+desk\b",
    _I,
)
# What only an absence notice says: about e-mail access, urgent matters, a return date.
AUTO_ABSENCE = re.compile(
    r"\b(?:limited|no|intermittent|restricted|patchy)\s+access\s+to\s+(?:my\s+)?e-?mails?\b|"
    r"\b(?:for|in\s+case\s+of)\s+(?:anything\s+|any\s+)?urgent\b|"
    r"\bnot\s+checking\s+(?:my\s+)?e-?mails?\b|\breply\s+to\s+(?:all\s+)?(?:messages|e-?mails)\s+in\s+"
    r"the\s+order\b|\bchecking\s+(?:my\s+)?e-?mails?\s+(?:only\s+)?(?:occasionally|intermittently|sporadically|"
    r"periodically|infrequently|rarely)\b|\b(?:may|might|will)\s+be\s+(?:slow|slower|delayed)\s+(?:to|in)\s+"
    r"(?:reply|replying|respond|responding)\b|\bdelayed\s+(?:response|reply)\b|\burgent\s+(?:matters|enquiries|"
    r"inquiries|requests|issues)\b|\b(?:i\s+will|i'll)\s+(?:return|be\s+back|respond|reply)\b|"
    r"\breturning\s+on\b|\bsem\s+acesso\s+ao\s+e-?mail\b|\bsin\s+acceso\s+al\s+correo\b|"
    r"\bretorno\s+(?:na|no|em|a)\b|\bvuelvo\s+el\b|\bif\s+(?:this|your\s+(?:e-?mail|message|enquiry|inquiry|request))\s+is\s+"
    r"(?:about|regarding|urgent|related\s+to|time-sensitive)\b|\b(?:and|but)\s+will\s+(?:return|be\s+back)\b|\bupon\s+my\s+return\b|\bin\s+dringenden\s+fällen\b|\bpara\s+asuntos\s+"
    r"urgentes\b",
    _I,
)
# A message that says it is automatic needs no other cue.
AUTO_SELF = re.compile(
    r"^\W*(?:this\s+is\s+an?\s+)?(?:automated|automatic|auto-?generated)\s+(?:response|reply|"
    r"message|e-?mail|notification)\b|\bthis\s+is\s+an?\s+(?:automated|automatic|auto-?generated)\s+"
    r"(?:response|reply|message|e-?mail|notification)\b|\bthis\s+(?:message|e-?mail|reply|response)\s+"
    r"(?:was|is|has\s+been)\s+(?:sent\s+|generated\s+)?automatically\b",
    _I,
)
# What a person writing by hand does not say about their own absence
AUTO_ABSENCE_STRONG = re.compile(
    r"\b(?:limited|no|intermittent|restricted)\s+access\s+to\s+(?:my\s+)?e-?mails?\b|"
    r"\bfor\s+(?:anything\s+|any\s+)?urgent\b|\burgent\s+(?:matters|enquiries|inquiries|requests)\b|"
    r"\bwill\s+(?:respond|reply)\s+(?:to\s+your\s+(?:e-?mail|message)\s+)?(?:upon|on)\s+my\s+return\b|"
    r"\bin\s+my\s+absence\b|\bthis\s+mailbox\b",
    _I,
)
AUTO_OPENING = re.compile(
    r"^\s*(?:(?:hi|hello|hey|dear|greetings)\b[^\n]*)?[\s,]*(?:thank\s+you|thanks)\s+for\s+(?:your|the|contacting|"
    r"getting\s+in\s+touch)|^\s*(?:vielen\s+dank|gracias)",
    _I,
)
LEFT_COMPANY = re.compile(
    r"\bno\s+longer\s+(?:with|at|employed|working|works?\s+(?:at|for|with|here)|part\s+of)|\b(?:has|have)\s+left\s+"
    r"(?:the\s+company|the\s+organi[sz]ation|the\s+firm|[A-Z])|\bleft\s+the\s+(?:company|"
    r"organi[sz]ation|firm)|\bnicht\s+mehr\s+(?:bei|im\s+unternehmen|für)|\bya\s+no\s+"
    r"(?:trabaja|forma\s+parte)",
    _I,
)
BOUNCE_FROM = re.compile(r"mailer-daemon|postmaster|mail\s+delivery", _I)
BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery\s+status|delivery\s+failure|returned\s+mail|mail\s+delivery\s+failed|"
    r"failure\s+notice|unzustellbar|no\s+entregado",
    _I,
)
UNSUBSCRIBE = re.compile(
    r"\bunsubscribe\b|\bremove\s+(?:me|my\s+(?:e-?mail\s+)?(?:address|name|details|e-?mail))\s+from\b|"
    r"\btake\s+(?:me|my\s+(?:e-?mail\s+)?(?:address|name|details))\s+off\b|"
    r"\b(?:and|to|please|kindly)\s+not\s+(?:contact|email|e-mail|message|write\s+to)\s+me\s+"
    r"(?:again|ever|any\s*more|further)\b|\bstop\s+(?:contacting|emailing|"
    r"e-mailing|messaging|writing\s+to|sending)\s+me\b|\b(?:do\s+not|don't|never)\s+(?:ever\s+)?"
    r"(?:contact|email|e-mail|message|write\s+to)\s+me\s+(?:again|ever|any\s*more)\b|"
    r"\bno\s+more\s+e-?mails\b|\bopt\s+(?:me\s+)?out\b|\bdelete\s+my\s+(?:e-?mail|address|details|"
    r"data)\b|\bkeine\s+(?:weiteren\s+)?e-?mails\b|\bno\s+me\s+(?:contactes|escribas)\s+más\b",
    _I,
)
DECLINE = re.compile(
    # "we cannot do informational meetings with external people", "I have to say sorry this time"
    r"\b(?:can't|cannot|can\s+not|unable\s+to|not\s+able\s+to|not\s+allowed\s+to|not\s+permitted\s+to)\s+"
    r"(?:do|take|accept|hold|have|join|offer)\s+(?:any\s+)?(?:\w+\s+){0,1}(?:informational|coffee|"
    r"these|such|external|outside)\b|\bhave\s+to\s+say\s+sorry\b|\bsit\s+(?:this|that)\s+one\s+out\b|"
    r"\b(?:have|need)\s+to\s+pass\b|\bpass\s+on\s+(?:this|that)\b|\bi'll\s+pass\b|"
    r"\b(?:not|n't)\s+(?:be\s+)?able\s+to\s+(?:help|do\s+this|take\s+(?:this|these|it)|assist)|"
    r"\b(?:unable|can't|cannot)\s+(?:to\s+)?help\b|\b(?:don't|do\s+not)\s+do\s+(?:these|"
    r"informational|coffee|such|calls)|\b(?:have|need)\s+to\s+(?:say\s+no|decline)|"
    r"\b(?:politely|respectfully|must|'ll\s+have\s+to|will\s+have\s+to)\s+decline|"
    r"\bi'll\s+decline\b|\bnot\s+the\s+(?:right|best|correct|appropriate|ideal)\s+(?:person|fit|"
    r"contact|one)|\b(?:can't|cannot|won't\s+be\s+able\s+to|unable\s+to)\s+(?:take\s+(?:this|it|that|"
    r"these)\s+on|commit|fit\s+(?:this|it)\s+in|make\s+(?:the\s+)?time)|\bkeine\s+zeit\b|"
    r"\bkein\s+interesse\b|\bmuss\s+(?:ich\s+)?(?:leider\s+)?absagen\b|\bnot\s+in\s+a\s+position\s+"
    r"to\b|\bno\s+thanks\b|\bnot\s+interested\b|\b(?:don't|do\s+not)\s+have\s+(?:the\s+)?"
    r"(?:time|bandwidth|capacity)|\bstretched\s+(?:too\s+)?thin\b|\bsay\s+no\b|"
    r"\b(?:doesn't|does\s+not|don't|do\s+not)\s+(?:allow|permit)\b|\bnot\s+(?:allowed|permitted)\b|"
    r"\bbest\s+fit\b.{0,40}\bdecline|\bdecline\b|\bleider\s+(?:keine\s+zeit|nicht)\b|"
    r"\bno\s+puedo\s+ayudar|"
    # "I don't think I'm the right person / I'd be much help" (no one named: still a decline)
    r"\b(?:don't|do\s+not)\s+think\s+(?:i'm|i\s+am|i'd\s+be|i\s+would\s+be|i\s+could\s+be)\s+"
    r"(?:the\s+(?:right|best|ideal|correct)|a\s+(?:good|great)\s+(?:fit|person)|(?:of\s+)?much\s+"
    r"(?:help|use)|very\s+(?:helpful|useful))|"
    r"\b(?:not\s+sure|doubt)\s+(?:that\s+)?(?:i'd|i\s+would|i'm|i\s+am|i\s+could|i'll)\s+(?:be\s+)?"
    r"(?:of\s+)?(?:much|any|a\s+lot\s+of)\s+(?:help|use)\b|\bnot\s+(?:really\s+)?the\s+"
    r"(?:one|person)\s+to\s+(?:ask|talk\s+to|speak\s+to)\b|"
    # a full calendar, no room, no capacity, said of the request as a whole
    r"\b(?:calendar|diary|schedule)\s+is\s+(?:completely\s+|fully\s+|totally\s+)?(?:full|packed|"
    r"jammed|maxed)|\bfor\s+the\s+foreseeable\s+future\b|\b(?:have|with)\s+(?:no|zero|little)\s+"
    r"(?:time|bandwidth|capacity|room)\b|\bhaven't\s+got\s+(?:the\s+)?(?:time|bandwidth|capacity)|"
    r"\bno\s+(?:spare\s+)?capacity\b|"
    # a standing policy: "I don't take these calls", "I've stopped doing these"
    r"\b(?:don't|do\s+not|no\s+longer|never|not|stopped)\s+(?:take|accept|do|taking|accepting|"
    r"doing)\s+(?:any\s+)?(?:these|such|those|this\s+kind|that\s+kind|informational|coffee|"
    r"networking|cold|calls|chats|meetings|intro)\b|\bnot\s+(?:available|free)\s+for\s+(?:this|"
    r"these|that|such|calls|a\s+call|a\s+chat|meetings)\b|\b(?:not|isn't|is\s+not)\s+(?:really\s+|quite\s+|exactly\s+)?something\s+"
    r"i\s+(?:can|could|have\s+(?:the\s+)?time|do|am\s+able)|\bnot\s+comfortable\s+(?:doing|with|"
    r"taking|having)|\b(?:it's|it\s+is|that's)\s+a\s+no\b|\ba\s+no\s+from\s+me\b|\bi'd\s+rather\s+"
    r"not\b|\bbow\s+out\b|\bgoing\s+to\s+(?:have\s+to\s+)?pass\b|\bgonna\s+pass\b|"
    r"\bnot\s+(?:going|gonna)\s+to\s+be\s+able\s+to\s+(?:help|do\s+(?:this|it)|make\s+(?:this|it)\s+"
    r"work)|\bno\s+bandwidth\b|"
    # "I stopped doing 1:1 career chats", "I no longer take mentoring calls"
    r"\b(?:stopped|quit|gave\s+up|no\s+longer|don't|do\s+not)\s+(?:doing|taking|having|do|take|"
    r"offering|offer)\s+(?:[\w:/-]+\s+){0,3}(?:chats|calls|meetings|coffees|conversations|"
    r"sessions)\b|\bstep(?:ping)?\s+back\s+from\s+(?:these|those|such|this\s+kind|"
    r"doing|calls|chats|meetings)\b|"
    # German, Spanish, French basics
    r"\b(?:keine|wenig)\s+(?:kapazität|kapazitäten|bandbreite)\b|\bpasst\s+(?:\w+\s+){0,2}nicht\b|"
    r"\bleider\s+passt\s+(?:keiner|keine|keins|nichts)\b|\bmuss\s+(?:ich\s+)?(?:leider\s+)?"
    r"(?:passen|ablehnen)\b|\bkein\s+(?:bedarf|gespräch)\b|"
    r"\bno\s+tengo\s+(?:tiempo|disponibilidad|capacidad)\b|\bno\s+(?:podré|podría|puedo)\b|"
    r"\btengo\s+que\s+(?:declinar|rechazar|decir\s+que\s+no)\b|\bno\s+me\s+es\s+posible\b|"
    r"\bje\s+ne\s+(?:peux|pourrai|pourrais)\s+pas\b|\bje\s+ne\s+suis\s+pas\s+disponible\b|"
    r"\bn'ai\s+pas\s+(?:le\s+)?temps\b|\bje\s+dois\s+(?:refuser|décliner)\b|"
    r"\bpas\s+disponible\s+pour\b|"
    # Italian, Portuguese, Dutch basics
    r"\bnon\s+(?:riesco|posso|potrò|potrei)\b|\bnon\s+sono\s+disponibile\b|\bnon\s+ho\s+tempo\b|"
    r"\bdevo\s+(?:declinare|rinunciare|dire\s+di\s+no)\b|\bagenda\s+(?:\w+\s+)?piena\b|"
    r"\bnão\s+(?:vou\s+conseguir|consigo|posso|poderei|tenho\s+tempo)\b|\bagenda\s+(?:\w+\s+)?lotada\b|"
    r"\bdecidi\s+não\b|\bkan\s+ik\s+(?:helaas\s+)?niet\b|\bgeen\s+tijd\b|"
    r"\bmoet\s+ik\s+(?:helaas\s+)?(?:afzeggen|nee\s+zeggen|bedanken)\b|"
    r"お断り|遠慮させて|できかねます|難しい状況|難しいです",
    _I,
)
# Weaker signs of a refusal, read only when nothing stronger is said: a closing wish of luck
# ("good luck with the search") and an apology ("sorry", "unfortunately").
GOOD_LUCK = re.compile(
    r"\bgood\s+luck\b|\bbest\s+of\s+luck\b|\b(?:all\s+the\s+best|best\s+wishes)\s+(?:with|in|for|"
    r"on)\b|\bwish(?:ing)?\s+you\s+(?:all\s+the\s+best|the\s+best|(?:good\s+|the\s+best\s+of\s+)?"
    r"luck|success|well)\b|\b(?:every|much|lots\s+of)\s+success\b|\bviel\s+erfolg\b|\balles\s+gute\b|\b(?:mucha\s+)?suerte\s+(?:con|en)\b|"
    r"\bmucha\s+suerte\b|\béxito\s+en\b|\bbonne\s+(?:chance|continuation)\b|\bbon\s+courage\b|"
    r"\b(?:auguro|augurio|auguri)\b[^.\n]{0,30}\bsuccesso\b|\bbuona\s+fortuna\b|\bin\s+bocca\s+al\s+lupo\b|"
    r"\b(?:muito|muita)\s+(?:sucesso|sorte)\b|\bboa\s+sorte\b|\bveel\s+succes\b",
    _I,
)
APOLOGY = re.compile(
    r"\bsorry\b|\bunfortunately\b|\bi'm\s+afraid\b|\bregret(?:tably)?\b|\bswamped\b|"
    r"\bslammed\b|\bsnowed\s+under\b|\bleider\b|\blo\s+siento\b|\blamentablemente\b|"
    r"\bdésolée?\b|\bmalheureusement\b|\bentschuldig|\bpurtroppo\b|\bmi\s+dispiace\b|"
    r"\binfelizmente\b|\blamento\b|\bhelaas\b",
    _I,
)
LATER = re.compile(
    r"\b(?:ping|reach\s+out(?:\s+to\s+me)?|contact|try|email|e-mail|write\s+to|follow\s+up|"
    r"check\s+back|check\s+in|get\s+back\s+in\s+touch|hit\s+me\s+up|give\s+me\s+a\s+(?:shout|nudge|ping)|get\s+back\s+to\s+me|circle\s+back|touch\s+base|drop\s+me\s+a\s+line|"
    r"reconnect|come\s+back\s+to\s+me|message|nudge|remind|(?:send|flick|shoot|fire)\s+(?:me|us)\s+"
    r"(?:a\s+|another\s+|one\s+more\s+)?(?:quick\s+)?(?:note|line|message|e-?mail|reminder|ping)|"
    r"drop\s+(?:me|us)\s+(?:a\s+|another\s+)?(?:quick\s+)?(?:note|line|message|e-?mail))\s+(?:with\s+)?(?:me\s+|us\s+)?"
    r"(?:again\s+|back\s+)?(?:in|after|from|next|around|once|when|later|then|closer|towards|"
    r"at\s+the\s+(?:end|start|beginning)|early|mid|late|the\s+week\s+of|during)\b|\brevisit\b|\b(?:pick\s+(?:this|it)\s+up|reconnect|talk|chat|connect|circle\s+back|"
    r"speak)\b[^.?!\n]{0,20}\bcome\s+(?:the\s+)?(?:new\s+year|spring|summer|autumn|fall|winter|"
    r"january|february|march|april|may|june|july|august|september|october|november|december)\b|"
    r"\b(?:in|after)\s+the\s+new\s+year\b|\bafter\s+the\s+holidays\b|\btry\s+me\s+again\b|"
    r"\b(?:ask|reach\s+out|write)\s+again\b|"
    # "please drop me another note", "get in touch again": a second message, later
    r"\b(?:drop|send|shoot|write)\s+me\s+another\s+(?:note|line|message|e-?mail)\b|"
    r"\bget\s+in\s+touch\s+again\b|"
    # Italian, Portuguese, Spanish, French, German, Dutch: "volta a escrever-me depois"
    r"\bvolt[ae]\s+a\s+(?:escrever|contactar|falar)|\bescreve-me\s+(?:de\s+novo|outra\s+vez|depois)\b|"
    r"\b(?:entre|entra)\s+em\s+contato\s+(?:novamente|de\s+novo|depois)\b|\briscrivimi\b|"
    r"\bricontattami\b|\bscrivimi\s+(?:di\s+nuovo|più\s+avanti|tra|dopo|a)\b|"
    r"\bvuelve\s+a\s+(?:escribirme|contactarme)\b|\bescr[ií]beme\s+(?:de\s+nuevo|más\s+adelante|"
    r"en|después)\b|\brecontacte[zr]?-moi\b|\bré[ée]cri(?:s|vez)-moi\b|"
    r"\bschreib(?:en\s+Sie)?\s+mir\s+(?:gerne\s+)?(?:noch\s*mal|wieder|später)\b|"
    r"\bmelde\s+dich\s+(?:gerne\s+)?(?:wieder|noch\s*mal|später)\b|"
    r"\bmail\s+me\s+(?:gerust\s+)?(?:later|opnieuw)\b|\bneem\s+later\s+(?:nog\s+)?contact\b|"
    # "write me again then?", "ping us again closer to the time"
    r"\b(?:write|email|e-mail|ping|message|contact|nudge)\s+(?:me|us)\s+again\b|"
    # "next month would be much better", "after the launch would suit me far better"
    r"\b(?:next\s+(?:month|quarter)|later\s+in\s+the\s+(?:year|month)|in\s+the\s+new\s+year)\s+"
    r"(?:would|'d|might|could|should|will)\s+(?:be|suit\s+(?:me|us))\s+(?:much\s+|far\s+|a\s+lot\s+|"
    r"way\s+)?(?:better|easier|calmer|quieter)\b|\bhappy\s+to\s+(?:talk|chat|help)\s+(?:then|after|once|"
    r"later|in\s+a|next\s+(?!week)|in\s+(?:the\s+)?(?:new\s+year|spring|summer|autumn|fall|winter|"
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"q[1-4]))|\bmelde\s+dich\s+(?:gerne\s+)?(?:im|nach|ab)\b|"
    r"\b(?:melden\s+sie\s+sich|schreiben\s+sie\s+(?:mir|uns))\s+(?:\w+\s+){0,3}?(?:im|nach|ab|in)\b|"
    r"\bescríbeme\s+(?:en|después)\b|"
    # "would you mind writing me again in May?", "reach back out in the autumn"
    r"\b(?:writing|emailing|e-mailing|pinging|messaging|contacting|nudging|reaching\s+out\s+to)\s+"
    r"(?:to\s+)?(?:me|us)\s+(?:again\s+|back\s+)?(?:in|after|from|next|around|once|when|later|"
    r"closer|towards|at\s+the)\b|\breach(?:ing)?\s+back\s+out\b|"
    r"\b(?:escr[ií]b[ae]me|escribirme|cont[aá]ct[ae]me|contactarme|vuelve\s+a\s+escribirme|"
    r"me\s+escribes|me\s+escreve|me\s+escrever|me\s+procur[ae]r?|me\s+chama[r]?)\s+"
    r"(?:de\s+nuevo\s+|otra\s+vez\s+|de\s+novo\s+|novamente\s+)?(?:en|después|a\s+partir|"
    r"em|depois|no\s+in[ií]cio|a\s+fin(?:al)?es|a\s+principios)\b|"
    r"\b(?:hablamos|retomamos|conversamos|falamos)\s+(?:en|em|despu[eé]s|depois|a\s+partir)\b",
    _I,
)
# "After I'm back", "once the launch is over", "from the 14th onwards I'll have more time",
# "can we connect after the holidays?": a point when contact may resume, never a proposal.
_EVENT_OVER = (
    r"(?:over|done|finished|wrapped(?:\s+up)?|behind\s+(?:me|us)|out\s+of\s+the\s+way|settled|"
    r"settles|settle\s+down|calms?\s+down|calmer|quiets?\s+down|quieter|dies\s+down|died\s+down|"
    r"eases?\s+(?:up|off)|passes|passed|shipped|launched|ends|ended|closed|through|sorted)"
)
_MONTH_WORD = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
# a day written as a date, never a clock hour: "the 14th", "Sept 14", "14 June", "Monday"
_DAY_WORD = (
    rf"\d{{1,2}}(?:st|nd|rd|th)|(?:{_MONTH_WORD})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?|"
    rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTH_WORD})|(?:next\s+)?(?:mon|tues|wednes|thurs|fri|"
    rf"satur|sun)day|\d{{1,2}}/\d{{1,2}}"
)
RESUME = re.compile(
    r"\b(?:after|once|when|as\s+soon\s+as)\s+(?:i'm|i\s+am|i\s+get|i've|i\s+have|i|we're|we\s+are|"
    r"we\s+get|we|we've|i'll\s+be|we'll\s+be)\s+(?:\w+\s+)?(?:back|return(?:ed|s)?|home|settled|"
    r"through|done|finished|off\s+leave|out\s+of\s+(?:this|the\s+woods)|clear|less\s+busy|freer|"
    r"free\s+again|in\s+the\s+office\s+again|landed)\b|"
    rf"\b(?:after|once|when|as\s+soon\s+as)\s+(?:[\w'-]+\s+){{1,5}}?(?:is|are|has|have|gets?|"
    rf"'s|'re)?\s*(?:been\s+)?{_EVENT_OVER}\b|"
    r"\bback\s+(?:from|on|in)\b[^.?!\n]{0,40}\b(?:then|after\s+that|afterwards|again)\b|"
    r"\b(?:after|past|beyond|following)\s+(?:the\s+)?\d{1,2}(?:st|nd|rd|th)\b|"
    rf"\b(?:from|starting)\s+(?:the\s+)?(?:{_DAY_WORD})\s+on(?:wards?)?\b|(?:{_DAY_WORD})\s+onwards?\b|"
    r"\b(?:i'll|i\s+will|i\s+should|should|we'll|we\s+should|i'd|i\s+would)\s+(?:\w+\s+)?have\s+(?:a\s+lot\s+|"
    r"much\s+|far\s+|a\s+bit\s+|way\s+)?more\s+(?:time|bandwidth|room|capacity|availability|"
    r"headspace|breathing\s+room)\b|"
    r"\b(?:easier|better|freer|quieter|calmer|less\s+hectic|less\s+busy)\s+(?:then|after(?:wards)?|"
    r"once|later|in\s+a\s+(?:few|couple)|when)\b|"
    r"\bthings\s+(?:should|will|ought\s+to)\s+(?:\w+\s+)?(?:calm|settle|quiet|ease|free\s+up|open\s+up|"
    r"slow\s+down)\b|"
    r"\b(?:connect|talk|chat|speak|catch\s+up|meet|pick\s+(?:this|it)\s+up|do\s+(?:this|it)|"
    r"find\s+(?:a\s+)?time|set\s+(?:something|it|this)\s+up|schedule\s+(?:something|it|this)|"
    r"grab\s+(?:a\s+)?(?:coffee|time))\s+(?:again\s+)?(?:after(?!\s+(?:\d|lunch|noon|midday|work\b|hours|school|my\s+\d))|once|closer\s+to|towards|post|"
    r"following|later\s+(?:in|this|next)|in\s+the\s+new\s+year|when\s+(?:i|we|things|it|this|"
    r"the))\b",
    _I,
)
# A time given on a condition the sender does not control or is unsure of: "if my flight
# lands in time", "might be able to", "tentatively", "no promises". Not "if that works for you".
HEDGE = re.compile(
    r"\bif\s+(?:i|i'm|i\s+am|i\s+get|my|things|nothing|all\s+goes|the\s+(?:flight|train|launch|"
    r"meeting|trip|deal|release|project|deadline)|we\s+(?:get|finish|manage))\b(?!\s+(?:hear|don't\s+"
    r"hear))|\bunless\s+(?:something|anything|i|my|things)\b|\bassuming\s+(?:i|my|nothing|things|the)\b|"
    r"\bdepending\s+on\b|\bdepends\s+on\b|\b(?:might|may)\s+(?:\w+\s+)?be\s+able\s+to\b|"
    r"\bnot\s+(?:yet\s+)?sure\s+(?:yet\s+)?(?:if|whether|i\s+can|i'll|that)\b|\btentative(?:ly)?\b|"
    r"\bprovisional(?:ly)?\b|\bcan't\s+promise\b|\bno\s+promises\b|\bsubject\s+to\b|"
    r"\bfingers\s+crossed\b|\bto\s+be\s+confirmed\b|\btbc\b|\bwill\s+(?:have\s+to\s+)?"
    r"(?:confirm|check)\s+(?:closer|nearer|nearer\s+the|on\s+the\s+day|and\s+(?:get\s+back|let))|"
    r"\bmaybe\b.{0,30}\bnot\s+sure\b|\b(?:i'll|i\s+will|will)\s+(?:\w+\s+)?(?:let\s+you\s+know|"
    r"confirm|double-check|get\s+back\s+to\s+you)\b|\b(?:i'd|i\s+would|i'll|i\s+will|i)\s+(?:need|"
    r"have)\s+to\s+(?:check|confirm|double-check|see)\b|\blet\s+me\s+(?:check|confirm|double-check|"
    r"see)\b",
    _I,
)
# Words that offer the time that follows them: "once I'm back I could do Tuesday at 3"
OFFER = re.compile(
    r"\b(?:i|we)\s+(?:could|can|should\s+be\s+able\s+to)\s+(?:do|make|manage|meet|talk|chat)|"
    r"\bhow\s+about\b|\bwhat\s+about\b|\b(?:i'm|i\s+am|i'll\s+be|i\s+will\s+be)\s+(?:free|"
    r"available)\b|\bworks?\s+for\s+me\b|\blet's\s+(?:say|do|meet|talk|chat)\b|"
    r"\bhappy\s+to\s+(?:chat|talk|meet)\b|\b(?:i|we)\s+(?:could|can)\s+(?:\w+\s+)?(?:meet|talk|chat|do)\b",
    _I,
)
CANCEL = re.compile(
    r"\bcancel\w*|\bcall\s+(?:it\s+)?off\b|\bdrop\s+out\b|\bbow\s+out\b|\b(?:won't|will\s+not|"
    r"can't|cannot|not)\s+(?:be\s+able\s+to\s+)?make\s+(?:it|our|the|this)|\bunable\s+to\s+"
    r"(?:make|attend)|\bhave\s+to\s+(?:skip|miss)\b|\babsagen\b|\bcancelar\b|has\s+declined|"
    r"\bpull\s+out\b|\bback\s+out\b|\bbail(?:ing)?\s+(?:on|out)\b|\bstep\s+(?:back|away)\s+from\b|\bwithdraw\b|"
    r"\b(?:scrap|drop)\s+(?:our|the|this|it)\b|\bannuler\b|\bno\s+longer\s+(?:be\s+)?(?:able|"
    r"available|possible)\b",
    _I,
)
RESCHEDULE = re.compile(
    r"\b(?:move|push|reschedul\w*|postpone|shift|bump|rearrange|another\s+(?:time|day|slot)|"
    r"different\s+(?:time|day|slot)|rain\s*check|running\s+late|start\s+(?:at|a\s+bit)\s+later|"
    r"instead|verschieben|cambiar|aplazar|posponer|pasar(?:lo|la)?\s+al|mover(?:lo|la)|trasladar|"
    r"remarcar|adiar|d[ée]caler|reporter)\b",
    _I,
)
# A hope to meet again with no time or request: "don't know yet when I can reschedule"
VAGUE_FUTURE = re.compile(
    r"\b(?:don't|do\s+not|doesn't)\s+know\s+(?:yet\s+|exactly\s+)?(?:when|if|whether)\b|"
    r"\bnot\s+(?:yet\s+)?sure\s+(?:yet\s+)?(?:when|if|whether)\b|\bno\s+idea\s+when\b|"
    r"\bunclear\s+when\b|\bwhen\s+(?:i|we)\s+(?:can|am\s+able|are\s+able|know\s+more)\b|"
    r"\bat\s+some\s+(?:point|stage)\b|\bsome\s+(?:other\s+)?(?:day|time)\s+(?:down\s+the|in\s+the)\b|"
    r"\bdown\s+the\s+(?:line|road|track)\b|\bin\s+the\s+(?:future|new\s+year)\b|"
    r"\bonce\s+(?:things|life|work|everything)\b|\bwhen\s+things\s+(?:settle|calm|quiet)|"
    r"\b(?:i'll|i\s+will|we'll)\s+(?:reach\s+out|be\s+in\s+touch|get\s+back\s+to\s+you|"
    r"let\s+you\s+know|circle\s+back|come\s+back\s+to\s+you)\b(?!.{0,30}\b(?:today|tomorrow|"
    r"tonight|this\s+week)\b)|\bhopefully\s+(?:we\s+can|another|some)|"
    r"\b(?:maybe|perhaps|possibly)\s+(?:\w+\s+)?(?:another|some\s+other|a\s+different)\s+"
    r"(?:time|day|occasion)\b|\bhop(?:e|ing)\b[^.?!\n]{0,40}\b(?:another|some\s+other|"
    r"a\s+different|a\s+future)\s+(?:time|day|occasion|point)\b|\b(?:another|some\s+other)\s+"
    r"time\s*(?:,\s*)?(?:perhaps|maybe)\b",
    _I,
)
NEGATED_VERB = re.compile(
    r"(?:n't|\bnot|\bnever|\bno)\s+(?:\w+\s+){0,3}$|"
    r"(?:n't|\bnot)\s+(?:going\s+to\s+be|gonna\s+be|be)\s+able\s+to\s+$",
    _I,
)
ACCEPT = re.compile(
    r"\bhappy\s+to(?:\s+(?:chat|help|talk|connect|meet|share|do\s+it|jump|hop|speak))?\b(?!\s+"
    r"consider)|\b(?:would|'d)\s+(?:love|be\s+happy|be\s+glad|like)\s+to\b|\bglad\s+to\b|"
    r"\bsure\b|\byes\b|\byep\b|\byeah\b|\babsolutely\b|\bof\s+course\b|\bdefinitely\b|"
    r"\bsounds\s+(?:good|great|perfect)\b|\bcount\s+me\s+in\b|\bworks?\s+for\s+me\b|"
    r"\blet's\s+(?:do|chat|talk|meet|set)\b|\bi'm\s+free\b|\bi\s+am\s+free\b|\bi\s+could\s+do\b|"
    r"\bi\s+can\s+do\b|\bkeen\b|\bgladly\b|\bgerne?\b|\bencantad[oa]\b|\bcon\s+gusto\b|\bclaro\b|"
    r"\bwith\s+pleasure\b|\bdelighted\b|\bsend\s+(?:me\s+)?(?:an?\s+|the\s+)?(?:calendar\s+)?"
    r"invite\b|\bi'll\s+accept\b|\bpick\s+whichever\b|\bhow\s+about\b|\bhow's\b|"
    r"\bwhat\s+times?\s+(?:work|suit|are\s+good)|\bbook\s+(?:something|a\s+time|it)\b|"
    r"\bavec\s+plaisir\b|\bvolontiers\b|\bd'accord\b|\bça\s+(?:me\s+va|marche)\b|"
    r"\bme\s+(?:va|viene)\s+bien\b|\bpasst\s+(?:mir|gut)\b|\bklingt\s+gut\b|\beinverstanden\b|"
    r"\bperfecto\b|\bsehr\s+gerne\b|"
    # Italian, Portuguese, Dutch basics
    r"\bvolentieri\b|\bcon\s+piacere\b|\bmolto\s+volentieri\b|\bmi\s+va\s+bene\b|\bva\s+benissimo\b|"
    r"\bcom\s+(?:todo\s+o\s+)?prazer\b|\bcom\s+certeza\b|\bpode\s+ser\b|\bcombinado\b|\bfico\s+feliz\b|"
    r"\bmet\s+plezier\b|\bgraag\b|\bprima\s+(?:hoor|voor\s+mij)\b|"
    # Japanese (no word boundaries in the script)
    r"喜んで|ぜひ|是非|大丈夫です|問題ありません|時間が取れます|都合がつきます|可能です|いかがでしょうか|"
    r"いかがですか|お話しします|お受けします|\bi'm\s+game\b|\b(?:i'm|i\s+am|i'd\s+be)\s+(?:totally\s+|"
    r"definitely\s+|happily\s+)?up\s+for\b|\bgo\s+on\s+then\b|\bwhy\s+not\b|\bfor\s+sure\b|"
    r"\bno\s+problem\b|\bdon't\s+see\s+why\s+not\b|"
    r"\b(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|that|this|either|both)(?:'s)?\s+(?:(?:slot|"
    r"one|option|time)\s+)?(?:works|suits)\b(?!\s+for\s+you)",
    _I,
)
# A question that holds the choice back: "Before I pick: are those London times?"
BEFORE_CHOOSING = re.compile(
    r"\bbefore\s+i\s+(?:commit|pick|choose|confirm|book|decide|accept)\b|"
    r"\bantes\s+de\s+(?:escolher|elegir|decidir|confirmar|marcar)\b|\bprima\s+di\s+(?:scegliere|"
    r"decidere|confermare)\b|\bavant\s+de\s+(?:choisir|décider|confirmer)\b|"
    r"\bbevor\s+ich\s+(?:wähle|zusage|mich\s+entscheide)\b",
    _I,
)
QUESTION_STRONG = re.compile(
    r"\b(?:can|could|would)\s+you\s+(?:please\s+)?(?:tell\s+me|send|share|clarify|explain|"
    r"let\s+me\s+know|say\s+more|give\s+me)\b|\bbefore\s+we\s+(?:set|schedule|book|arrange|"
    r"pick|lock|go\s+ahead)\b|\bbefore\s+i\s+(?:commit|agree|say\s+yes|pick|choose|confirm|book|"
    r"decide|accept|go\s+ahead)\b|"
    r"\bantes\s+de\s+(?:escolher|elegir|decidir|confirmar|marcar)\b|\bprima\s+di\s+(?:scegliere|"
    r"decidere|confermare)\b|\bavant\s+de\s+(?:choisir|décider|confirmer)\b|"
    r"\bbevor\s+ich\s+(?:wähle|zusage|mich\s+entscheide)\b|\bare\s+you\s+(?:currently\s+)?(?:interviewing|applying|in\s+"
    r"(?:our|the|a)\s+(?:hiring\s+)?process|a\s+candidate)\b|\b(?:are|were)\s+(?:those|these|"
    r"they|the\s+(?:times|slots))\s+(?:in\s+)?(?:\w+\s+)?(?:time|times)\b|"
    r"\bwhat\s+(?:would|do|did)\s+you\s+(?:like|want|hope|hoping)\b|\bwhat\s+are\s+you\s+"
    r"(?:hoping|looking|trying)\b|\bare\s+you\s+a\s+recruiter\b|\bhow\s+did\s+you\s+(?:get|find)\b|"
    r"\bwho\s+(?:gave|referred)\s+you\b|\bis\s+this\s+(?:about|for|regarding)\b|"
    r"\bwhich\s+(?:of\s+(?:our|my)|team|group|role|area|part|side|product|function)\b|"
    # a question put as a statement: "tell me first", "I'd want to know what you're after first"
    r"\b(?:tell|let)\s+me\s+(?:know\s+)?(?:\w+\s+){0,2}first\b|\bfirst\s*,?\s+(?:tell|let)\s+me\b|"
    r"\b(?:i'd|i\s+would|i'll|i)\s+(?:want|like|need)\s+to\s+(?:know|understand|hear)\s+"
    r"(?:what|why|how|more|a\s+bit|which|who|whether|if)\b|\bbefore\s+we\s+go\s+(?:any\s+)?"
    r"further\b|\btell\s+me\s+(?:a\s+(?:bit|little)\s+)?(?:more\s+)?about\s+(?:you|your)\b|"
    r"\bare\s+you\s+(?:hoping|looking|planning|thinking|wanting|expecting|after)\s+(?:to|for)\b|"
    r"\bwhat\s+(?:exactly\s+)?(?:is\s+(?:it|this)|are\s+you)\s+(?:about|after)\b|"
    r"\bwhat\s+(?:kind|sort|type)\s+of\s+(?:role|roles|job|position|advice|help|questions)\b|"
    r"\bare\s+you\s+(?:currently\s+)?(?:working|employed|based|looking\s+for\s+a\s+job)\b|"
    r"\bdo\s+you\s+(?:have|work)\s+(?:a|an|any)\s+(?:cv|resume|résumé|portfolio|agency|"
    r"recruit\w*)\b|\b(?:is|are)\s+you\s+(?:with|from)\s+(?:a|an)\s+(?:agency|recruit\w*)\b|"
    # who is writing: "Which Priya is this?", "have we met?", "remind me where we met"
    r"\bwhich\s+[A-Z]\w+\s+is\s+this\b|\b(?:have|did|had)\s+we\s+(?:ever\s+|already\s+)?(?:met|meet|"
    r"spoken|worked\s+together)\b|\bdo\s+(?:we|i)\s+know\s+(?:each\s+other|you)\b|"
    r"\bremind\s+me\s+(?:how|where|who|when|and\b)|"
    r"\bwie\s+sind\s+sie\s+auf\s+mich\b|\bworum\s+geht\s+es\b|\bde\s+qué\s+se\s+trata\b",
    _I,
)
# "Could you send a few options?" asks for times: it is scheduling, not a question to answer.
SCHEDULING_REQUEST = re.compile(
    r"\b(?:can|could|would|will)\s+you\s+(?:please\s+)?(?:send|share|suggest|propose|give\s+me|"
    r"let\s+me\s+know|offer|pick|choose)\b.{0,60}\b(?:options?|times?|slots?|availability|dates?|"
    r"days?|invite|invitation|link|calendar|calendly|windows?|a\s+time)\b",
    _I,
)
# "Video call or in person?": the owner must answer it before anything can be booked.
MEETING_FORMAT = re.compile(
    r"\bin[\s-]person\s+or\b|\bor\s+(?:in[\s-]person|face[\s-]to[\s-]face)\b|"
    r"\b(?:video|phone|zoom|teams|virtual|online)\s+(?:call\s+)?or\s+(?:in[\s-]person|"
    r"face|a\s+coffee|coffee|meet)",
    _I,
)
SCHEDULING_QUESTION = re.compile(
    r"\b(?:what|which)\s+(?:time|times|day|days|slot|slots)\b|\bwhat\s+(?:works|suits|"
    r"would\s+(?:work|suit)|is\s+(?:good|best|easiest|convenient))\b|\bsend\s+(?:me\s+)?"
    r"(?:a\s+(?:couple|few)\s+of\s+|some\s+|a\s+few\s+)?(?:options|times|slots)\b|\bwhen\s+(?:works|is\s+good|suits|"
    r"would|are\s+you|is\s+best)|\bhow\s+about\b|\bhow's\b|\bdoes\b.{0,40}\bwork\b|"
    r"\bwould\b.{0,40}\bwork\b|\b(?:could|can|shall|should)\s+we\b|\bany\s+chance\b|\bok\s*\?|"
    r"\bokay\s*\?|\bwork\s+for\s+you\b|\bsuit\s+you\b|\bte\s+viene\s+bien\b|\bpasst\s+(?:es\s+)?"
    r"(?:dir|ihnen)\b|\bzoom\b|\b(?:on|via|over|by|a|ms|microsoft)\s+teams\b|\bteams\s+(?:call|link|"
    r"meeting|invite)\b|(?<!did\swe\s)(?<!have\swe\s)(?<!had\swe\s)\bmeet\b|\binvite\b",
    _I,
)
# "assistant editor", "assistant professor": a job title, not someone who keeps a diary
_NOT_SCHEDULER = (
    r"(?!\s+(?:editor|professor|director|manager|producer|principal|coach|curator|engineer|buyer|"
    r"vice|general|to\s+the|teacher|lecturer|attorney|brand|creative|art))"
)
ASSISTANT = re.compile(
    rf"\b(?:assistant{_NOT_SCHEDULER}|EA|PA|chief\s+of\s+staff|scheduler|coordinator|office\s+manager)\b|"
    r"\b(?:manages|runs|handles|looks\s+after|keeps|owns|controls)\s+my\s+(?:calendar|diary|"
    r"schedule|agenda)|\b(?:calendar|diary|schedule|agenda)\s+is\s+(?:managed|run|handled|kept|"
    r"looked\s+after)\s+by\b|\b(?:find|book|set\s+up|arrange|schedule|coordinate|sort\s+out|organi[sz]e|"
    r"line\s+up|pencil\s+in|lock\s+in)\s+(?:us\s+)?(?:a\s+|some\s+)?(?:time|slot|meeting|call|"
    r"chat|date)|\bset\s+(?:something|a\s+time|it|this)\s+up\b|\bin\s+touch\s+to\s+(?:schedule|"
    r"book|arrange|find|set)",
    re.IGNORECASE,
)
# Someone in the sender's office who will arrange the time ("my assistant Carla will find a slot")
ARRANGER = re.compile(
    rf"\b(?:EA|PA)\b|(?i:\b(?:assistant{_NOT_SCHEDULER}|chief\s+of\s+staff|scheduler|coordinator|office\s+manager|"
    r"secretary|assistentin|assistent|asistente|secrétaire)\b)"
)
REDIRECT = re.compile(
    r"\bnot\s+the\s+(?:best|right)\b|\bnot\s+(?:really\s+)?the\s+(?:person|one)\s+(?:for|to)\b|"
    r"\byou\s+(?:could|should|might|may\s+want\s+to|'d\s+do\s+better\s+to)\s+(?:try|ask|contact|"
    r"reach\s+out|talk|speak|email|e-mail|ping|write)\b|\bbetter\s+(?:off|person|fit|placed|suited)\b|\bshould\s+"
    r"(?:talk|speak|reach|contact|ask)\b|\b(?:great|good|better|best|right|ideal|perfect)\s+"
    r"(?:person|fit|contact)\b|\bcolleague\b|\bcc'?d\b|\bcopied\b|\blooping\s+in\b|\bintroduce\b|"
    r"\bput\s+you\s+in\s+touch\b|\breach(?:ing)?\s+out\s+to\b|\bspeak(?:ing)?\s+(?:with|to)\b|"
    r"\btalk(?:ing)?\s+(?:to|with)\b|\bconnect(?:ing)?\s+(?:you\s+)?with\b|\btaking\s+over\b|"
    r"\bnot\s+my\s+(?:area|field)\b|\bask(?:ing)?\s+[A-Z]|\bwould\s+be\s+(?:much\s+|far\s+|"
    r"a\s+lot\s+|way\s+)?(?:better|best)\b|\bthe\s+(?:one|person)\s+to\s+(?:ask|talk\s+to)\b|"
    r"\bmention\s+my\s+name\b|\b(?:drop|shoot|send)\s+(?:him|her|them)\s+(?:a\s+)?(?:line|note|"
    r"message|e-?mail)\b|\b(?:reach\s+out\s+to|contact|email|ping|try)\s+(?:him|her|them)\b|"
    r"\byou\s+(?:want|need)\s+(?-i:[A-Z][a-z]+)\b|\bdid\s+(?:exactly\s+)?(?:this|that|the\s+same)\s+"
    r"(?:move|switch|jump|transition)\b|\bmade\s+(?:exactly\s+)?(?:this|that|the\s+same)\s+"
    r"(?:move|switch|jump|transition)\b|\b(?:tell|let)\s+(?:him|her|them)\s+(?:know\s+)?(?:that\s+)?i\s+"
    r"(?:said|sent|pointed)\b|\bsay\s+i\s+sent\s+you\b|\blook(?:ing)?\s+(?:him|her|them)\s+up\b|"
    r"\b(?:she|he|they)(?:'s|\s+is|'re|\s+are)\s+on\s+linkedin\b|\b(?:in|from)\s+our\s+"
    r"(?:[\w-]+\s+){0,2}(?:office|team|group|department|branch)\b|"
    r"\b(?:runs|leads|heads\s+up|manages|owns)\s+(?:the|our|that)\s+(?:[\w-]+\s+)?(?:team|group|"
    r"function|practice|department)\s+(?:now|these\s+days|today)\b|"
    r"\bhave\s+a\s+(?:word|chat|natter|yarn)\s+with\b|\bthe\s+(?:person|one)\s+you\s+(?:really\s+|actually\s+)?(?:want|need)\b|"
    r"\bfind\s+(?:him|her|them)\s+on\b|\bget\s+hold\s+of\b|\brefer\s+you\s+to\b|"
    r"\bpoint\s+you\s+(?:to|towards|at|in\s+the\s+direction\s+of)\b|\bsend\s+you\s+(?:to|over\s+to)\b|"
    r"\b(?:recommend|suggest)(?:ing)?\s+(?:you\s+)?(?:talk|speak|reach|contact|ask|try|email)\b|"
    r"\b(?:he|she|they)(?:'d|\s+would)\s+be\s+(?:ideal|perfect|great|brilliant|the\s+one)\b|"
    r"\byou'?d\s+get\s+(?:way\s+|far\s+|much\s+|a\s+lot\s+)?more\s+out\s+of\b|"
    r"\bserve\s+you\s+(?:far\s+|much\s+|a\s+lot\s+)?better\b|"
    r"\b(?:he|she|they)(?:'s|\s+is|'re|\s+are)\s+easy\s+to\s+find\b|"
    # Italian, Portuguese, Spanish, French, German, Dutch: "ti consiglio di scrivere a ..."
    r"\b(?:ti|le|vi)\s+consiglio\b|\bdi(?:lle|gli)\s+(?:pure\s+)?che\s+ti\s+mando\s+io\b|"
    r"\brecomendo\s+(?:que\s+)?(?:fale|falar|procure|procurar|converse|conversar|escreva)\b|"
    r"\bfale\s+com\b|\bte\s+recomiendo\b|\bhabla\s+con\b|\bje\s+(?:te|vous)\s+(?:conseille|"
    r"recommande)\b|\bich\s+empfehle\b|\bwende\s+dich\s+an\b|\bneem\s+contact\s+op\s+met\b",
    _I,
)

SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")


def un_negated(rx: re.Pattern[str], text: str) -> bool:
    """A cue not preceded by a negation: "happy to" but not "not happy to"."""
    for mt in rx.finditer(text):
        if not NEGATED_VERB.search(text, max(0, mt.start() - 30), mt.start()):
            return True
    return False
