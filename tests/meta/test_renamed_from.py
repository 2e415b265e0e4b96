"""renamed_from on objects and fields: loaded, and checked (the old name must be gone)."""

from __future__ import annotations

from meta_helpers import load_errors, write_package

from metacrm.meta import load_package

DEAL = """
    kind: object
    name: deal
    renamed_from: opportunity
    title: name
    fields:
      name: {type: text}
      total: {type: currency, renamed_from: amount}
"""


def test_renamed_from_is_loaded(tmp_path):
    catalog = load_package(write_package(tmp_path, "app", {"objects/deal.yaml": DEAL}))
    deal = catalog.object("deal")
    assert deal.renamed_from == "opportunity"
    assert deal.fields["total"].renamed_from == "amount"
    assert deal.fields["name"].renamed_from is None


def test_the_old_name_must_not_exist_any_more(tmp_path):
    errors = load_errors(write_package(tmp_path, "app", {
        "objects/deal.yaml": DEAL.replace("renamed_from: amount}", "renamed_from: name}"),
        "objects/opportunity.yaml": """
            kind: object
            name: opportunity
            title: name
            fields:
              name: {type: text}
        """}))
    assert errors == [
        "objects/deal.yaml:3: renamed_from: object 'opportunity' still exists: remove it, or "
        "drop renamed_from",
        "objects/deal.yaml:7: fields.total.renamed_from: field 'name' still exists on 'deal': "
        "remove it, or drop renamed_from",
    ]


def test_not_from_itself_and_not_twice(tmp_path):
    errors = load_errors(write_package(tmp_path, "app", {
        "objects/deal.yaml": DEAL.replace("renamed_from: opportunity", "renamed_from: deal")
        + "      sum: {type: currency, renamed_from: amount}\n"}))
    assert errors == [
        "objects/deal.yaml:3: renamed_from: an object cannot be renamed from its own name",
        "objects/deal.yaml:8: fields.sum.renamed_from: field 'total' is already renamed from "
        "'amount'",
    ]


def test_a_renamed_from_that_is_not_a_name(tmp_path):
    errors = load_errors(write_package(tmp_path, "app", {
        "objects/deal.yaml": DEAL.replace("renamed_from: amount", "renamed_from: Old-Name")}))
    assert len(errors) == 1 and "fields.total.renamed_from: 'Old-Name' is not a valid name" in errors[0]


def test_extension_fields_may_be_renamed(tmp_path):
    write_package(tmp_path, "base", {"objects/deal.yaml": DEAL})
    folder = write_package(tmp_path, "extra", {"extensions/more.yaml": """
        kind: extension
        name: more
        object: deal
        fields:
          score: {type: integer, renamed_from: rating}
    """}, requires=["base"])
    assert load_package(folder).object("deal").fields["score"].renamed_from == "rating"
