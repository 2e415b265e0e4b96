"""The fast YAML path (libyaml) gives exactly the data of the round-trip loader, and leaves
bad YAML to the round-trip loader's messages; positions are still found on demand."""

from __future__ import annotations

from pathlib import Path

import pytest

from metacrm.meta import sources
from metacrm.meta.sources import _fast_load, _yaml, parse_document, to_plain

ROOT = Path(__file__).resolve().parents[2]


def _round_trip(path: Path):
    try:
        return to_plain(_yaml().load(path.read_text()))
    except Exception:  # noqa: BLE001 - a deliberately broken fixture: tested below instead
        return None


FILES = [path for path in sorted([*ROOT.glob("metadata/**/*.yaml"),
                                  *ROOT.glob("tests/fixtures/**/*.yaml")])
         if isinstance(_round_trip(path), dict)]

EDGES = [
    "on: yes\nno: off\ny: Y\n",                         # YAML 1.1 booleans are text in 1.2
    "octal: 010\nhex: 0x1F\nsexagesimal: 1:20\nexp: 1e3\nfloat: 3.50\n",
    "d: 2024-01-31\ndt: 2024-01-31 10:20:30\ndtz: 2024-01-31T10:20:30Z\n",
    "inf: .inf\nnan: .nan\nneg: -.inf\n",
    "n1: null\nn2: ~\nn3:\nlist: [a, 'b', \"c\", 1, true]\n",
    "text: |\n  line one\n  line two\nfolded: >\n  a\n  b\n",
    "base: &b {x: 1}\nother: *b\n",
    "nested: {a: [1, {b: 2}], 'quoted key': \"v\"}\nunicode: \"Zo\\u00eb\"\n",
    "big: 123456789012345678901234567890\n",
]


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_every_shipped_file_reads_the_same_both_ways(path):
    document, errors = parse_document(path.read_text(), "f.yaml", "p")
    assert errors == [] and document.data == _round_trip(path)


@pytest.mark.parametrize("text", EDGES)
def test_edge_cases_read_the_same_both_ways(text):
    assert to_plain(_fast_load(text)) == to_plain(_yaml().load(text))


@pytest.mark.parametrize("text,message", [
    ("a: 1\na: 2\n", "duplicate key"),
    ("a: [1, 2\n", "invalid YAML"),
    ("x: !custom 1\n", None),
    ("- 1\n- 2\n", "a document must be a mapping"),
    ("a: 1\n---\nb: 2\n", "second"),
])
def test_what_the_fast_loader_refuses_gets_the_round_trip_message(text, message):
    document, errors = parse_document(text, "f.yaml", "p")
    slow = sources._has_fast_loader
    try:
        sources._has_fast_loader = lambda: False
        expected = parse_document(text, "f.yaml", "p")
    finally:
        sources._has_fast_loader = slow
    assert (document is None) == (expected[0] is None)
    assert errors == expected[1]
    if document is not None:
        assert document.data == expected[0].data
    if message:
        assert message in " ".join(e.message for e in errors)


def test_lines_are_found_on_demand():
    text = "kind: object\nname: deal\nfields:\n  amount: {type: curency}\n"
    document, _ = parse_document(text, "f.yaml", "p")
    assert document.parsed is None                       # nothing parsed for positions yet
    assert document.line(("fields", "amount", "type")) == 4
    assert document.parsed is not None


def test_the_fast_loader_is_installed():
    assert sources._has_fast_loader(), "ruamel.yaml.clib is a dependency: install it"
