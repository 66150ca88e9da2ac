"""Canonicalising the portal's own credentials fast (docs/rules/credentials.md#vc9).

pyld spends most of a canonicalisation processing the Open Badges context again for every typed node. The
credentials the portal signs all have a few fixed shapes (the same keys, types and contexts; only the text values
differ), and turning JSON-LD into RDF moves a text value to its place without looking at it (a text that becomes
an IRI must be an absolute one). So the RDF of a shape is made once from a copy whose texts are unique
placeholders, and each new credential of that shape gets its RDF by putting its texts in their places; only the
canonicalisation (RDFC-1.0) runs per credential.

Guarded: the first credential of a shape is also canonicalised the slow way and the two must be identical, else
that shape always takes the slow way. A value whose expansion could depend on its text (an IRI-typed or
vocabulary-typed term) must be an absolute IRI, as all of the portal's are, else it takes the slow way.
Only signing uses this; checking a pasted credential always canonicalises it in full.
"""
import json

from pyld import jsonld

from .contexts import document_loader

PLACEHOLDER = "urn:x-portal-placeholder:"
_templates: dict[str, object] = {}      # shape → (RDF dataset with placeholders, IRI slots), or None: the slow way


def _shape(value, key=None):
    """The structure of a document: keys, types, contexts, non-text values; texts only as 'str'."""
    if isinstance(value, dict):
        return {k: _shape(v, k) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_shape(v, key) for v in value]
    if isinstance(value, str) and key not in ("type", "@type", "@context") and not value.startswith(PLACEHOLDER):
        return "str"
    return ["=", value]


def _with_placeholders(value, texts: list, key=None):
    if isinstance(value, dict):
        return {k: _with_placeholders(v, texts, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_placeholders(v, texts, key) for v in value]
    if isinstance(value, str) and key not in ("type", "@type", "@context"):
        texts.append(value)
        return f"{PLACEHOLDER}{len(texts) - 1}"
    return value


def _filled(dataset: dict, texts: list) -> dict:
    """The template's RDF dataset with each placeholder replaced by its text."""
    def term(t):
        value = t.get("value")
        if isinstance(value, str) and value.startswith(PLACEHOLDER):
            return {**t, "value": texts[int(value[len(PLACEHOLDER):])]}
        return t
    return {graph: [{k: term(v) if isinstance(v, dict) else v for k, v in quad.items()} for quad in quads]
            for graph, quads in dataset.items()}


def _iri_slots(dataset: dict) -> set:
    """The placeholders that became IRIs (subjects, objects, types): their texts must be absolute IRIs."""
    return {int(t["value"][len(PLACEHOLDER):]) for quads in dataset.values() for quad in quads for t in quad.values()
            if isinstance(t, dict) and t.get("type") == "IRI" and str(t.get("value", "")).startswith(PLACEHOLDER)}


def _absolute(text: str) -> bool:
    scheme, colon, rest = text.partition(":")
    return bool(colon and scheme and scheme.isascii() and scheme.replace("+", "").replace("-", "").replace(
        ".", "").isalnum() and rest and not any(c.isspace() or c in '<>"{}|^`\\' for c in text))


def _normalize(dataset: dict) -> str:
    return jsonld.normalize(jsonld.JsonLdProcessor.to_nquads(dataset),
                            {"algorithm": "URDNA2015", "inputFormat": "application/n-quads",
                             "format": "application/n-quads"})


def canonical(document: dict, full) -> str:
    """RDFC-1.0 N-Quads of one of the portal's own documents; `full` is the slow, checked canonicalisation."""
    texts: list = []
    stand_in = _with_placeholders(document, texts)
    if any(t.startswith(PLACEHOLDER) for t in texts):
        return full(document)
    shape = json.dumps(_shape(document), ensure_ascii=False, sort_keys=True)
    if shape not in _templates:
        slow = full(document)
        template = jsonld.to_rdf(stand_in, {"documentLoader": document_loader})
        slots = _iri_slots(template)
        same = all(_absolute(texts[i]) for i in slots) and _normalize(_filled(template, texts)) == slow
        _templates[shape] = (template, slots) if same else None
        return slow
    if _templates[shape] is None:
        return full(document)
    template, slots = _templates[shape]
    if not all(_absolute(texts[i]) for i in slots):
        return full(document)
    return _normalize(_filled(template, texts))
