#!/usr/bin/env python3
"""A Marginalia provider built on spaCy, with no model to download: phrases the team already
tagged, found again in other documents.

It builds a `spacy.blank("en")` pipeline (spaCy's English tokenizer, no trained model) with an
EntityRuler whose patterns are the spans of the workspace's curated layer, read through
`marginalia export --layer curated --format jsonl`. Each phrase is proposed with the tag the
curated layer gave it most often, its attribute values (a misspelt name's `correction`, a
quote's `speaker`), and a score:

    score = agreement × (0.6 + 0.35 × min(times, 4) / 4)

where `times` is how often the phrase was tagged and `agreement` the share of those with the
winning tag: a phrase tagged once scores about 0.69, four times or more the same way 0.95.
A span the layer already has (same document, same place) is not proposed again.

Speaks protocol version 1 (docs/PROVIDERS.md). Options:

    --layer NAME       the layer to learn from (default: curated); when it has no spans, every
                       annotator's layer is used instead (said on standard error)
    --marginalia PATH  the marginalia program (default: $MARGINALIA_BIN, which Marginalia sets
                       for its providers, else `marginalia` on PATH)
    --min-chars N      leave out phrases shorter than N chars (default: 3)

    marginalia suggest --provider "$VENV/bin/python examples/providers/spacy_ruler.py"
"""

import argparse
import collections
import json
import os
import subprocess
import sys

PROTOCOL = 1


def export(marginalia, workspace, layer):
    """The spans of `layer` (None: every layer) as (path, start, end, label, text, attrs)."""
    cmd = [marginalia, "export", "--format", "jsonl", "-o", "-"]
    cmd += ["--layer", layer] if layer else ["--all-layers"]
    cmd.append(workspace)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if done.returncode != 0 and layer and "no layer named" in done.stderr:
        return []
    if done.returncode != 0:
        raise SystemExit(
            f"spacy_ruler: {' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()[-500:]}"
        )
    spans = []
    for line in done.stdout.splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        path = record.get("meta", {}).get("path")
        for s in record.get("spans", []):
            attrs = s.get("meta", {}).get("attrs", {})
            spans.append((path, s["start"], s["end"], s["label"], s["text"], attrs))
    return spans


def patterns_from(spans, offered, min_chars):
    """For each phrase: (tag, score, attrs), the tag the spans gave it most often."""
    by_phrase = collections.defaultdict(collections.Counter)
    attrs_of = collections.defaultdict(collections.Counter)
    for _path, _start, _end, label, text, attrs in spans:
        phrase = text.strip()
        if label not in offered or len(phrase) < min_chars or "\n" in phrase:
            continue
        by_phrase[phrase][label] += 1
        allowed = {
            k: v for k, v in attrs.items() if offered[label].get(k) is not None and valid(offered[label][k], v)
        }
        attrs_of[(phrase, label)][json.dumps(allowed, sort_keys=True)] += 1
    out = {}
    for phrase, labels in by_phrase.items():
        tag, n = labels.most_common(1)[0]
        times = sum(labels.values())
        score = round((n / times) * (0.6 + 0.35 * min(times, 4) / 4), 3)
        attrs = json.loads(attrs_of[(phrase, tag)].most_common(1)[0][0])
        out[phrase] = (tag, score, attrs)
    return out


def valid(attribute, value):
    """Whether `value` fits the attribute as the header describes it."""
    kind = attribute["kind"]
    if kind == "choice":
        return value in attribute["values"]
    if kind == "flag":
        return value in ("true", "false")
    return isinstance(value, str)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layer", default="curated")
    parser.add_argument("--marginalia", default=os.environ.get("MARGINALIA_BIN", "marginalia"))
    parser.add_argument("--min-chars", type=int, default=3)
    args = parser.parse_args()

    import spacy  # after the arguments, so --help works without spaCy

    lines = iter(sys.stdin)
    header = json.loads(next(lines))
    if header.get("protocol") != PROTOCOL:
        sys.exit(f"spacy_ruler: protocol {header.get('protocol')} is not {PROTOCOL}")
    offered = {t["name"]: {a["name"]: a for a in t["attributes"]} for t in header["tags"]}

    spans = export(args.marginalia, header["workspace"], args.layer)
    if not spans:
        print(
            f"spacy_ruler: layer {args.layer!r} has no spans here; learning from every layer instead",
            file=sys.stderr,
        )
        spans = export(args.marginalia, header["workspace"], None)
    phrases = patterns_from(spans, offered, args.min_chars)
    known = {(p, s, e, label) for p, s, e, label, _t, _a in spans}
    print(f"spacy_ruler: {len(phrases)} phrases from {len(spans)} spans", file=sys.stderr)

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    found = list(phrases.values())
    ruler.add_patterns(
        [{"label": tag, "pattern": phrase, "id": str(i)} for i, (phrase, (tag, _s, _a)) in enumerate(phrases.items())]
    )

    docs = (json.loads(line) for line in lines if line.strip())
    for doc in docs:
        text = doc["text"]
        nlp.max_length = max(nlp.max_length, len(text) + 1)
        for ent in nlp(text).ents:
            tag, score, attrs = found[int(ent.ent_id_)]
            if (doc["path"], ent.start_char, ent.end_char, tag) in known:
                continue
            proposal = {
                "path": doc["path"],
                "start": ent.start_char,
                "end": ent.end_char,
                "tag": tag,
                "score": score,
                "attrs": attrs,
                "explanation": f"tagged {tag} elsewhere in the workspace",
            }
            print(json.dumps(proposal, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
