"""Seed records from a package's data/*.csv through the RecordService (SQLite, PostgreSQL)."""

from __future__ import annotations

import textwrap
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from runtime_helpers import count

from metacrm.formula import parse, quote
from metacrm.runtime import BulkInvalid
from metacrm.runtime.seed import load_data


def _package(tmp_path, files: dict[str, str]):
    (tmp_path / "data").mkdir(exist_ok=True)
    for name, text in files.items():
        (tmp_path / "data" / f"{name}.csv").write_text(textwrap.dedent(text).lstrip())
    return tmp_path


COMPANIES = """\
    name,tier,revenue,parent,tags
    Acme,Gold,2000000,,a;b
    Acme Labs,Silver,,Acme,
    Globex,,10,,c
"""
PEOPLE = """\
    first_name,last_name,company,email
    Ada,Lovelace,Acme Labs,ada@example.com
    Alan,Turing,Globex,
"""


def test_files_load_parents_first_with_lookups_by_title(service, ann, tmp_path):
    # person.csv sorts before company.csv but needs it: it is loaded after
    package = _package(tmp_path, {"person": PEOPLE, "company": COMPANIES})
    seen = []
    report = load_data(service, package, ann,
                       progress=lambda name, n, kept: seen.append((name, n, kept)))
    assert report.loaded == {"company": 3, "person": 2}
    assert seen == [("company", 3, 0), ("person", 2, 0)]
    companies = {c["name"]: c for c in service.query("company", limit=10).records}
    assert companies["Acme Labs"]["parent"] == companies["Acme"]["id"]
    assert companies["Acme"]["tags"] == ["a", "b"]
    assert companies["Acme"]["revenue"] == Decimal("2000000.00")
    assert companies["Globex"]["tier"] == "Bronze"              # blank cell: the default
    assert companies["Acme"]["owner"] == ann.user_id
    people = service.query("person", sort="last_name", fields=["full_name", "company.name"]).records
    assert [(p["full_name"], p["company.name"]) for p in people] == [
        ("Ada Lovelace", "Acme Labs"), ("Alan Turing", "Globex")]


def test_loading_twice_leaves_out_the_rows_that_are_there(service, ann, tmp_path):
    package = _package(tmp_path, {"company": COMPANIES})
    load_data(service, package, ann)
    again = load_data(service, package, ann)
    assert again.loaded == {} and again.skipped == ["company"] and again.kept == {"company": 3}
    assert count(service.db, service.tables["company"]) == 3
    # one more row in the file: only it is new (its parent is found among the kept rows)
    grown = _package(tmp_path, {"company": COMPANIES + "    Initech,,,Acme,\n"})
    report = load_data(service, grown, ann)
    assert report.loaded == {"company": 1} and report.kept == {"company": 3}
    initech = service.query("company", filter='name == "Initech"', fields=["parent.name"])
    assert initech.records[0]["parent.name"] == "Acme"
    # force loads every row: here a name that unique refuses, so nothing of the file is written
    with pytest.raises(BulkInvalid) as taken:
        load_data(service, _package(tmp_path, {"company": "name\nInitech 2\nAcme\n"}), ann,
                  force=True)
    assert list(taken.value.messages_by_index) == [1]
    assert count(service.db, service.tables["company"]) == 4


def test_a_file_without_titles_loads_only_into_an_empty_table(service, ann, tmp_path):
    # without the title in every row (or with a formula title) rows cannot be matched:
    # the object is judged as a whole
    package = _package(tmp_path, {"person": "first_name\nAda\n"})
    with pytest.raises(BulkInvalid):
        load_data(service, package, ann)              # last_name is required
    service.create("person", {"last_name": "Hopper"}, ann)
    report = load_data(service, package, ann)
    assert report.skipped == ["person"] and report.kept == {"person": 1}


def test_users_load_first(service, ann, tmp_path):
    package = _package(tmp_path, {
        "company": "name\nUser Co\n",
        "user": "username,full_name,manager\nmia,Mia Manager,\nsam,Sam Seller,mia\n"})
    seen = []
    report = load_data(service, package, ann, progress=lambda name, n, k: seen.append(name))
    assert seen == ["user", "company"] and report.loaded == {"user": 2, "company": 1}
    sam = service.query("user", filter='username == "sam"', fields=["manager.username"])
    assert sam.records[0]["manager.username"] == "mia"
    again = load_data(service, package, ann)
    assert again.kept == {"user": 2, "company": 1}


def test_a_bad_file_writes_none_of_its_rows(service, ann, tmp_path):
    package = _package(tmp_path, {"company": """\
        name,rating,parent
        Fine,3,
        ,4,
        Orphan,5,Nowhere Inc
    """})
    with pytest.raises(BulkInvalid) as caught:
        load_data(service, package, ann)
    assert caught.value.messages_by_index == {1: {"name": ["is required"]},
                                              2: {"parent": ["no company 'Nowhere Inc'"]}}
    assert count(service.db, service.tables["company"]) == 0


def test_a_lookup_to_an_unknown_record_of_another_file(service, ann, tmp_path):
    package = _package(tmp_path, {"company": "name\nAcme\n",
                                  "person": "last_name,company\nNobody,Umbrella\n"})
    with pytest.raises(BulkInvalid) as caught:
        load_data(service, package, ann)
    assert caught.value.messages_by_index == {0: {"company": ["no company 'Umbrella'"]}}
    assert count(service.db, service.tables["company"]) == 1   # the file before it stays
    assert count(service.db, service.tables["person"]) == 0


def test_a_package_without_data(service, ann, tmp_path):
    assert load_data(service, tmp_path, ann).loaded == {}


@given(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40))
def test_quote_reads_back_as_the_same_text(text):
    assert parse(quote(text)).value == text
