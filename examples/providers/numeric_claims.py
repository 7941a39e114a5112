#!/usr/bin/env python3
"""A Marginalia provider with no dependencies: proposes sentences that state a quantity as claims.

Checkable claims in news usually carry a number: "rose 12 per cent", "$3.2 billion", "more than
100,000 troops", "five times since December". This provider finds such quantities and proposes
the sentence (or clause) around each one as `claim`, scored by how specific the quantity is:

    0.75  a percentage or an amount of money ("12 per cent", "$3.2 billion", "£40m")
    0.65  a figure with a unit or a count of things ("100,000 soldiers", "five-hour meeting")
    0.45  a number written as a word ("five times", "thousands of troops")

Speaks protocol version 1 (docs/PROVIDERS.md): reads the header and the documents as JSON lines
on standard input, writes one proposal per line on standard output. Offsets are Python `str`
indices, which are code points, as Marginalia counts them.

    marginalia suggest --provider 'python3 examples/providers/numeric_claims.py'
"""

import json
import re
import sys

PROTOCOL = 1

WORD_NUMBERS = (
    r"two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|hundreds|thousand|thousands|million|millions|billion|billions|dozens?|half"
)
FIGURE = r"\d+(?:[.,]\d+)*"
SCALE = r"(?:\s?(?:million|billion|trillion|bn|m|k)\b)?"
MONEY = re.compile(
    rf"(?:[$£€¥]\s?{FIGURE}{SCALE}|{FIGURE}{SCALE}\s(?:dollars|euros|pounds|yuan|roubles|rubles)\b)",
    re.I,
)
PERCENT = re.compile(
    rf"{FIGURE}\s?(?:%|per\s?cent\b|percent\b|percentage points?\b)", re.I
)
# A count of things: "100,000", "350 additional soldiers", "a 40-minute call".
COUNT = re.compile(
    rf"\b\d{{1,3}}(?:,\d{{3}})+\b|\b{FIGURE}(?:-[a-z]+\b|\s(?:[a-z]+\s)?[a-z]+s\b)", re.I
)
WORDS = re.compile(rf"\b(?:{WORD_NUMBERS})(?:-\w+|\s(?:times|of|[a-z]+s)\b)", re.I)

# Sentence ends: . ! ? (also before a capital with no space, as in "rose.The"), and line breaks.
# Not after a title or a single capital ("Mr.", "U.S.").
ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "no", "vs", "gen", "col", "sen", "rep", "gov"}


def sentences(text):
    """(start, end) of each sentence, without surrounding white space."""
    start = 0
    for m in re.finditer(r"[.!?][”\"’]?(?=\s|[A-Z“\"”]|$)|\n", text):
        end = m.end()
        if m.group()[0] == "." and len(m.group()) == 1:
            word = re.search(r"(\w+)$", text[start:m.start()])
            before = word.group(1) if word else ""
            if before.lower() in ABBREVIATIONS or (len(before) == 1 and before.isupper()):
                continue
            if text[m.start() - 1 : m.start()].isdigit() and text[end : end + 1].isdigit():
                continue
        yield trim(text, start, end)
        start = end
    if start < len(text):
        yield trim(text, start, len(text))


def trim(text, start, end):
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def quantities(sentence):
    """(score, the quantity's words) of the most specific quantity in a sentence, or None."""
    for score, pattern in ((0.75, MONEY), (0.75, PERCENT), (0.65, COUNT), (0.45, WORDS)):
        m = pattern.search(sentence)
        if m:
            return score, m.group().strip()
    return None


def main():
    lines = iter(sys.stdin)
    header = json.loads(next(lines))
    if header.get("protocol") != PROTOCOL:
        sys.exit(f"numeric_claims: protocol {header.get('protocol')} is not {PROTOCOL}")
    if "claim" not in {t["name"] for t in header["tags"]}:
        print("numeric_claims: the workspace offers no claim tag; nothing to propose", file=sys.stderr)
        return
    for line in lines:
        if not line.strip():
            continue
        doc = json.loads(line)
        text = doc["text"]
        for start, end in sentences(text):
            # Headlines, bylines and link lists are not claims: at least five words.
            # Nor is a run of text no sentence end was found in.
            if end - start < 20 or end - start > 400 or len(text[start:end].split()) < 5:
                continue
            found = quantities(text[start:end])
            if not found:
                continue
            score, words = found
            proposal = {
                "path": doc["path"],
                "start": start,
                "end": end,
                "tag": "claim",
                "score": score,
                "explanation": f"states a quantity: {words}",
            }
            print(json.dumps(proposal, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
