"""Formula cycles: found directly, through other formulas and across lookups; chains are fine."""

from __future__ import annotations

from metacrm.meta.expressions import formula_cycles
from metacrm.meta.fieldtypes import FormulaType, LookupType, TextType
from metacrm.meta.model import Field, ObjectType, frozen_mapping


def obj(name: str, **formulas: str) -> ObjectType:
    fields = {"name": Field("name", TextType(), "Name")}
    for field_name, expression in formulas.items():
        if expression.startswith("->"):
            fields[field_name] = Field(field_name, LookupType(to=expression[2:], on_delete="set_null"),
                                       field_name)
        else:
            fields[field_name] = Field(field_name, FormulaType(returns="integer", expression=expression),
                                       field_name)
    return ObjectType(name, name, name, "name", frozen_mapping(fields))


def test_no_cycles_in_a_long_chain():
    formulas = {f"f{i}": f"f{i + 1} + 1" for i in range(3000)}
    formulas["f3000"] = "len(name)"
    assert formula_cycles({"deal": obj("deal", **formulas)}) == []


def test_a_long_cycle_is_found_once():
    formulas = {f"f{i}": f"f{(i + 1) % 500} + 1" for i in range(500)}
    cycles = formula_cycles({"deal": obj("deal", **formulas)})
    assert len(cycles) == 1
    assert cycles[0][0] == cycles[0][-1] == ("deal", "f0") and len(cycles[0]) == 501


def test_cycles_across_lookups_and_self_references():
    objects = {
        "deal": obj("deal", account="->account", score="account.rating", own="own * 2", ok="score + 1"),
        "account": obj("account", top="->deal", rating="top.score"),
    }
    assert formula_cycles(objects) == [
        [("deal", "score"), ("account", "rating"), ("deal", "score")],
        [("deal", "own"), ("deal", "own")],
    ]


def test_unparsable_formulas_are_left_to_the_checker():
    assert formula_cycles({"deal": obj("deal", bad="1 +", other="bad")}) == []
