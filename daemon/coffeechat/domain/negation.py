"""Clause-level negation for time mentions: "Monday doesn't work", "Tuesday's a no-go",
"I have a board meeting on Wednesday". ``timeparse`` marks a mention negated when its clause
matches ``NEG_CLAUSE``.
"""

from __future__ import annotations

import re

NEG_CLAUSE = re.compile(
    r"(?i)\b(?:doesn't|does\s+not|don't|do\s+not|won't|will\s+not|wouldn't|isn't|is\s+not|"
    r"can't|cannot|can\s+not|couldn't|aren't)\s+(?:\w+\s+)?(?:work|suit|do|make|be\s+(?:free|"
    r"available|around|able)|manage|go)\b|\b(?:don't|do\s+not)\s+think\s+(?:\w+\s+){0,3}?"
    r"(?:works?|suits?|will\s+(?:work|suit)|is\s+(?:good|possible|doable))\b|\bno\s+good\b|\bnot\s+(?:good|great|ideal|possible|"
    r"free|available|around)\b|\bunavailable\b|\bbusy\b|\bbooked\b|\bblocked\b|"
    r"\bout\s+(?:of\s+(?:the\s+)?office|that\s+day|all\s+day)\b|\b(?:i'm|i\s+am|i'll\s+be|"
    r"we're)\s+(?:away|off|out|travell?ing|on\s+leave|on\s+holiday|on\s+vacation)\b|"
    r"\b(?:is|are|'s|'m|am|looks?)\s+(?:(?!a\b|the\b)\w+\s+)?(?:full|packed|rammed|jammed|"
    r"chock-a-block)\b|\bfull\s+of\b|"
    r"\bwrite-?off\b|\bclash\w*|\bconflict\w*|\bcame\s+up\b|\bcancel\w*|\bunable\b|\blanded\b|"
    r"\bcome\s+up\b|\btied\s+up\b|\bswamped\b|\bslammed\b|\bsnowed\s+under\b|\bheads[\s-]down\b|"
    r"\bflat\s+out\b|\b(?:pulled|dragged|roped|called|drafted)\s+(?:into|in\s+to|onto)\b|\bdouble[\s-]?booked\b|\bstuck\s+(?:in|at|"
    r"with|on)\b|\bnot\s+in\s+a\s+position\b|\bout\s+of\s+the\s+question\b|\bimpossible\b|"
    r"\b(?:sick|unwell)\b|\bno\s+longer\s+(?:works?|free|available)\b|"
    r"\bon\s+(?:annual|parental|maternity|paternity|sick|medical|study|garden|family)\s+leave\b|"
    r"\bon\s+(?:pto|sabbatical|furlough)\b|\bim\s+urlaub\b|\bde\s+vacaciones\b|"
    r"\ben\s+(?:vacances|congé)\b|\bout\s+of\s+(?:the\s+)?(?:country|office)\b|"
    r"\b(?:i'm|i\s+am|i'll\s+be|i\s+will\s+be|we're|we\s+are)\s+(?:flying|in\s+the\s+air|on\s+the\s+road|"
    r"on\s+a\s+plane|at\s+(?:a|an|the)\s+(?:conference|offsite|off-site|site\s+visit|summit|trade\s+show|"
    r"workshop|retreat)|offsite|off-site|on\s+site|on-site|in\s+transit)\b|"
    # busy with something: "I'm in client workshops Wednesday", "I've got training all Monday"
    r"\b(?:i'm|i\s+am|i'll\s+be|i\s+will\s+be|we're|we\s+are|we'll\s+be)\s+(?:\w+\s+)?(?:in|at|on)\s+"
    r"(?:\w+[\s-]){0,3}?(?:workshops?|meetings|trainings?|conferences?|interviews|sessions|offsites?|"
    r"off-sites?|all-hands|board\s+meetings?|court|jury\s+duty|surgery|classes|exams?|"
    r"planning|reviews|deadlines?|site\s+visits?|trips?|the\s+road)\b|"
    r"\b(?:i've\s+got|i\s+have\s+got|i\s+have|i\s+got|got|we\s+have|we've\s+got)\s+(?:\w+[\s-]){0,3}?"
    r"(?:workshops|back-to-backs?|back\s+to\s+backs?|all-hands|offsites?|off-sites?|jury\s+duty|"
    r"interviews|deadlines?|(?:meetings|calls)\s+all\s+day)\b|"
    # a commitment that sits on the day: "I have a board meeting that got moved onto Wednesday"
    r"\b(?:i've\s+got|i\s+have|i\s+got|we\s+have|we've\s+got|there's)\s+(?:a|an|my|our)\s+"
    r"(?:[\w-]+\s+){0,2}?(?:meeting|call|appointment|commitment|offsite|off-site|review|"
    r"dentist|doctor's|hearing)\s+(?:that|which|on|at|all|every|booked|scheduled|landing|"
    r"(?:got|was|has\s+been|just)\s+(?:moved|scheduled|put|booked))\b|"
    r"\bgeht\s+(?:leider\s+)?nicht\b|\bkann\s+ich\s+(?:leider\s+)?nicht\b|\bno\s+puedo\b|"
    r"\bno\s+me\s+va\b|(?:'s|\bis|\bare)\s+(?:now\s+|also\s+)?(?:out|off|bad|tough|tricky|difficult|hard|no\s+go)\b|"
    # "tomorrow is going to be tricky", "Friday's looking hectic"
    r"\b(?:is|are|'s|'re|will\s+be)\s+(?:going\s+to\s+be|gonna\s+be|looking|shaping\s+up\s+to\s+be)"
    r"\s+(?:\w+\s+)?(?:tricky|difficult|hard|tough|bad|impossible|rough|hectic|mad|crazy|full|"
    r"packed|busy|a\s+write-?off)\b|"
    # a clash described rather than named: "the meeting has overrun into this afternoon",
    # "a review that will eat the whole morning", "I can't see past next Friday"
    r"\bover-?r(?:an|un|uns|unning)\b|\bbail(?:ing)?\s+(?:on|out)\b|\b(?:got|been|was|is)\s+(?:eaten|swallowed|hijacked)\b|\beat\s+(?:up\s+)?(?:the\s+|my\s+)?(?:whole|entire|all)\b|"
    r"\b(?:can'?t|cannot|can\s+not)\s+see\s+(?:past|beyond)\b|"
    # a deadline, not a meeting: "the posting closes Sept 30", "applications are due by the 12th"
    r"\bclos(?:es|ing)\s+(?:on\s+)?|\bclosed\b|\bin\s+observance\s+of\b|\bdeadline\b|\bapply\s+by\b|\b(?:is|are)\s+due\b|\bdue\s+(?:on|by)\b|"
    r"\bno[\s-]go\b|\bnon-?starter\b|\b(?:i'll|i\s+will|will|i'd|let\s+me)\s+(?:\w+\s+)?(?:send|get\s+back|"
    r"let\s+you\s+know|confirm|check|reply|respond|circle\s+back|follow\s+up)\b"
)
