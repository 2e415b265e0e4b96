"""Packages with deliberate mistakes: every error is reported, with file, line, path and message."""

from __future__ import annotations

import pytest

from metacrm.meta import MetadataError, PackageInvalid, load_package

from meta_helpers import FIXTURES, load_errors, write_package


def test_error_format():
    error = MetadataError("objects/deal.yaml", 14, "fields.amount.type",
                          "unknown field type 'curency'", suggestion="currency")
    assert str(error) == ("objects/deal.yaml:14: fields.amount.type: unknown field type "
                          "'curency'; did you mean 'currency'?")
    assert str(MetadataError("data/x.csv", None, "", "no object 'x'")) == "data/x.csv: no object 'x'"


def test_bad_field_type_with_suggestion():
    with pytest.raises(PackageInvalid) as caught:
        load_package(FIXTURES / "bad_field_type")
    first = caught.value.errors[0]
    assert (first.file, first.line, first.path) == ("objects/deal.yaml", 7, "fields.amount.type")
    assert first.message == "unknown field type 'curency'"
    assert first.suggestion == "currency"
    assert [str(e) for e in caught.value.errors] == [
        "objects/deal.yaml:7: fields.amount.type: unknown field type 'curency'; did you mean 'currency'?",
        "objects/deal.yaml:9: fields.notes.scale: 'scale' does not apply to a text field",
        "objects/deal.yaml:10: fields.status.options: missing required key 'options'",
    ]
    assert str(caught.value).startswith("3 errors in metadata package:\n  objects/deal.yaml:7:")


def test_unknown_keys_everywhere():
    assert load_errors(FIXTURES / "unknown_key") == [
        "objects/deal.yaml:3: lable: unknown key 'lable'; did you mean 'label'?",
        "objects/deal.yaml:6: fields.name.max_lenght: unknown key 'max_lenght'; did you mean 'max_length'?",
        "views/all_deals.yaml:4: colums: unknown key 'colums'; did you mean 'columns'?",
        "workflows/mark.yaml:1: trigger: missing required key 'trigger'",
        "workflows/mark.yaml:4: on: unknown key 'on'; did you mean 'trigger'?",
    ]


def test_lookups_and_rollups_to_missing_objects():
    assert load_errors(FIXTURES / "missing_lookup") == [
        "objects/deal.yaml:6: fields.account.to: lookup to unknown object 'acount'; did you mean 'account'?",
        "objects/deal.yaml:7: fields.partner.to: lookup to unknown object 'partner_company'",
        "objects/deal.yaml:8: fields.lines.from: unknown object 'deal_line'; did you mean 'deal'?",
        "objects/deal.yaml:9: fields.owner_count.from: 'account.name' is not a lookup to 'deal'",
    ]


def test_bad_formulas_point_at_the_column():
    assert load_errors(FIXTURES / "bad_formula") == [
        "objects/opportunity.yaml:9: fields.expected_revenue.expression: column 1: unknown field "
        "'amout'; did you mean 'amount'?",
        "objects/opportunity.yaml:10: fields.label_text.expression: column 1: the expression gives "
        "text, but currency is needed here",
        # the default is '=today() + "x"': columns count from the start of the YAML value
        "objects/opportunity.yaml:11: fields.due.default: column 10: '+' adds numbers; join texts with '&'",
        # a block scalar: the error is on the expression's second line, the file's line 16
        "objects/opportunity.yaml:16: fields.flagged.visible_when: column 15: the expression ends "
        "too early; expected an expression",
        "objects/opportunity.yaml:19: validations[0].when: column 29: the expression ends too early; "
        "expected ')' or ','",
        "objects/opportunity.yaml:22: validations[1].when: column 1: must be a condition (true or "
        "false), but it gives currency",
    ]


def test_formula_cycles_also_across_lookups():
    assert load_errors(FIXTURES / "formula_cycle") == [
        "objects/account.yaml:7: fields.rating.expression: formula cycle: account.rating -> "
        "deal.score -> account.rating",
        "objects/deal.yaml:7: fields.a.expression: formula cycle: deal.a -> deal.b -> deal.a",
        "objects/deal.yaml:9: fields.c.expression: formula cycle: deal.c -> deal.c",
    ]


def test_layouts_and_views_name_existing_fields():
    assert load_errors(FIXTURES / "layout_refs") == [
        "layouts/deal_default.yaml:7: sections[0].fields[1]: unknown field 'amout' on 'deal'; "
        "did you mean 'amount'?",
        "layouts/deal_default.yaml:11: sections[1].columns[1][0]: field 'name' appears twice in this layout",
        "layouts/deal_default.yaml:12: related[1]: 'task.other' is not a lookup to 'deal'",
        "layouts/deal_default.yaml:12: related[2]: unknown object 'tsk'; did you mean 'task'?",
        "views/deals.yaml:5: sort[0]: unknown field 'amout' on 'deal'; did you mean 'amount'?",
    ]


def test_workflows_and_approvals_name_existing_things():
    assert load_errors(FIXTURES / "workflow_refs") == [
        "approvals/big_discount.yaml:6: steps[0].approvers.role: unknown role 'sales_mgr'",
        "approvals/big_discount.yaml:9: steps[1].mode: mode: quorum needs quorum: N (how many approvals)",
        "workflows/won.yaml:5: when: column 1: unknown field 'stge'; did you mean 'stage'?",
        "workflows/won.yaml:6: schedule.field: 'name' is not a date or datetime field",
        "workflows/won.yaml:9: actions[0].values.created_at: 'created_at' cannot be set: it is a system field",
        "workflows/won.yaml:9: actions[0].values.stge: unknown field 'stge' on 'deal'; did you mean 'stage'?",
        "workflows/won.yaml:9: actions[0].values.total: 'total' cannot be set: a formula field is computed",
        "workflows/won.yaml:11: actions[1].process: unknown approval process 'big_discont'; "
        "did you mean 'big_discount'?",
        "workflows/won.yaml:13: actions[2].object: unknown object 'tsk'",
        "workflows/won.yaml:16: actions[3].to[0]: 'not-an-email' is not a valid email address",
        "workflows/won.yaml:17: actions[3].subject: {{ record.nam }}: unknown field 'nam' on 'deal'; "
        "did you mean 'name'?",
    ]


def test_bad_and_reserved_names():
    name_rule = "is not a valid name (lowercase letters, digits and _, starting with a letter, at most 40 characters)"
    assert load_errors(FIXTURES / "bad_names") == [
        "objects/deal.yaml:6: fields.owner: 'owner' is a system field: every object has it already",
        "objects/deal.yaml:7: fields.in: 'in' is a keyword of the expression language and cannot be a name",
        f"objects/deal.yaml:8: fields.Amount: 'Amount' {name_rule}",
        f"objects/deal.yaml:10: validations[0].name: 'Bad Name' {name_rule}",
        f"objects/deal_items.yaml:2: name: 'Deal-Items' {name_rule}",
        "objects/metadata_store.yaml:2: name: 'metadata_store': object names starting with 'meta' "
        "are reserved for the platform",
        "objects/user.yaml:2: name: 'user' is the system user object: extend it with kind: extension instead",
        "package.yaml:3: version: expected text, got 1.0; quote it to make it text",
    ]


def test_duplicates():
    assert load_errors(FIXTURES / "duplicates") == [
        "layouts/one.yaml:5: sections[0].fields[1]: field 'name' appears twice in this layout",
        "layouts/three.yaml:4: default: object 'deal' already has a default layout: 'deal_layout'",
        "layouts/two.yaml:2: name: duplicate layout 'deal_layout' (first in layouts/one.yaml:2)",
        "objects/deal.yaml:8: validations[1].name: duplicate validation 'rule'",
        "objects/deal_copy.yaml:2: name: duplicate object 'deal' (first in objects/deal.yaml:2)",
        'objects/twice.yaml:6: invalid YAML: found duplicate key "name"',
    ]


def test_titles():
    assert load_errors(FIXTURES / "missing_title") == [
        "objects/deal.yaml:1: title: missing required key 'title'",
        "objects/note.yaml:3: title: the title must be a text-like or formula field; 'deal' is a lookup field",
        "objects/task.yaml:3: title: unknown field 'subjct' on 'task'; did you mean 'subject'?",
    ]


def test_every_error_of_a_package_at_once():
    errors = load_errors(FIXTURES / "many_errors")
    assert errors == [
        # the broken 'amount' is still the best guess for 'amout'
        "layouts/deal_default.yaml:4: sections[0].fields[1]: unknown field 'amout' on 'deal'; "
        "did you mean 'amount'?",
        "objects/deal.yaml:3: lable: unknown key 'lable'; did you mean 'label'?",
        "objects/deal.yaml:7: fields.amount.type: unknown field type 'curency'; did you mean 'currency'?",
        "objects/deal.yaml:8: fields.account.to: lookup to unknown object 'acount'; did you mean 'account'?",
        "objects/deal.yaml:9: fields.score.expression: column 1: unknown field 'nam'; did you mean 'name'?",
        "roles/rep.yaml:3: reports_to: unknown role 'manager'",
        "workflows/w.yaml:6: actions[0].process: unknown approval process 'nothing'",
    ]


def test_a_broken_definition_is_reported_once(tmp_path):
    # 'amount' has a wrong type; the formula, layout and view that use it stay quiet
    folder = write_package(tmp_path, "pkg", {
        "objects/deal.yaml": """
            kind: object
            name: deal
            title: name
            fields:
              name: {type: text}
              amount: {type: currency, max_length: [1]}
              double: {type: formula, returns: currency, expression: 'amount * 2'}
            """,
        "views/deals.yaml": """
            kind: list_view
            name: deals
            object: deal
            columns: [name, amount]
            filter: 'amount > 1'
            """,
    })
    assert load_errors(folder) == [
        "objects/deal.yaml:6: fields.amount.max_length: expected a whole number, got a list",
    ]


def test_a_file_that_does_not_parse_silences_references_to_it(tmp_path):
    folder = write_package(tmp_path, "pkg", {
        "objects/account.yaml": "kind: object\nname: account\ntitle: name\nfields: {name: {type: text}\n",
        "objects/deal.yaml": """
            kind: object
            name: deal
            title: name
            fields:
              name: {type: text}
              account: {type: lookup, to: account}
            """,
    })
    errors = load_errors(folder)
    assert len(errors) == 1 and errors[0].startswith("objects/account.yaml:5: invalid YAML:")


@pytest.mark.parametrize("files, expected", [
    ({"objects/a.yaml": "kind: objct\nname: a\n"},
     ["objects/a.yaml:1: kind: unknown kind 'objct'; did you mean 'object'?"]),
    ({"objects/a.yaml": "name: a\n"}, ["objects/a.yaml:1: kind: missing required key 'kind'"]),
    ({"objects/a.yaml": "- just\n- a list\n"},
     ["objects/a.yaml:1: a document must be a mapping of keys to values"]),
    ({"objects/a.yaml": ""}, ["objects/a.yaml: the file is empty"]),
    ({"object/a.yaml": "kind: role\nname: a\n"},
     ["object/: unknown folder 'object'; did you mean 'objects'?"]),
    ({"stray.yaml": "kind: role\nname: a\n"},
     ["stray.yaml: documents go in a folder by kind: objects/, layouts/, views/, workflows/, "
      "approvals/, roles/, extensions/, sharing/"]),
    ({"roles/a.yaml": "kind: layout\nname: a\nobject: user\nsections: [{fields: [email]}]\n"},
     ["roles/a.yaml:1: kind: a layout document belongs in layouts/"]),
    ({"roles/a.yaml": "kind: role\nname: a\n---\nkind: role\nname: b\n"},
     ["roles/a.yaml:3: invalid YAML: a file holds one document, and this one has a second (after ---)"]),
    ({"roles/a.yaml": "kind: role\nname: a\nreports_to: b\n", "roles/b.yaml": "kind: role\nname: b\nreports_to: a\n"},
     ["roles/a.yaml:3: reports_to: roles report to each other: a -> b -> a"]),
])
def test_document_level_mistakes(tmp_path, files, expected):
    assert load_errors(write_package(tmp_path, "pkg", files)) == expected


def test_package_yaml_problems(tmp_path):
    assert load_errors(tmp_path / "nothing_here") == [
        f"package.yaml: no package folder at {tmp_path / 'nothing_here'}"]
    folder = write_package(tmp_path, "pkg", {}, version="1.0.0.0")
    (folder / "package.yaml").write_text("kind: package\nname: other\nversion: '1.0'\nlabel: P\n")
    assert load_errors(folder) == [
        "package.yaml:2: name: package 'other' is in folder 'pkg': name the folder after the "
        "package (requires finds packages by folder)",
        "package.yaml:3: version: '1.0' is not a semantic version such as 1.4.0",
    ]


def test_field_type_keys_and_values(tmp_path):
    folder = write_package(tmp_path, "pkg", {"objects/deal.yaml": """
        kind: object
        name: deal
        title: name
        fields:
          name: {type: text, default: 12345678901, max_length: 5}
          stage: {type: picklist, options: [Open, Won, Open], default: Opne}
          amount: {type: currency, precision: 4, scale: 6, min: 10, max: 1}
          owner_ref: {type: lookup, to: user, on_delete: nullify}
          must: {type: lookup, to: user, required: true, on_delete: set_null}
          total: {type: formula, returns: money, expression: '1'}
          lines: {type: rollup, from: deal, aggregate: count, field: name}
          number: {type: auto_number, format: 'D-{YY}'}
          size: {type: formula, returns: integer, expression: 'len(name)', default: 3}
          tags: {type: multi_picklist, options: ['a;b']}
          flag: {type: boolean, unique: true}
        """})
    assert load_errors(folder) == [
        "objects/deal.yaml:5: fields.name.default: must be at most 5 characters",
        "objects/deal.yaml:6: fields.stage.options: lists 'Open' twice",
        "objects/deal.yaml:7: fields.amount.max: max is smaller than min",
        "objects/deal.yaml:7: fields.amount.scale: scale 6 is larger than precision 4",
        "objects/deal.yaml:8: fields.owner_ref.on_delete: unknown value 'nullify' (expected restrict, "
        "set_null, cascade)",
        "objects/deal.yaml:9: fields.must.on_delete: a required lookup cannot be emptied: use restrict or cascade",
        "objects/deal.yaml:10: fields.total.returns: unknown value 'money' (expected text, integer, "
        "decimal, currency, percent, boolean, date, datetime)",
        "objects/deal.yaml:11: fields.lines.field: count counts records: it takes no field",
        "objects/deal.yaml:11: fields.lines.from: 'deal' is not child_object.lookup_field",
        "objects/deal.yaml:12: fields.number.format: unknown placeholder '{YY}' (use {0000}, {YYYY}, {MM}, {DD})",
        "objects/deal.yaml:13: fields.size.default: 'default' does not apply to a formula field: its "
        "value is computed",
        "objects/deal.yaml:14: fields.tags.options[0]: an option may not contain ';'",
        "objects/deal.yaml:15: fields.flag.unique: a boolean field cannot be unique",
    ]


def test_picklist_default_outside_options(tmp_path):
    folder = write_package(tmp_path, "pkg", {"objects/deal.yaml": """
        kind: object
        name: deal
        title: name
        fields:
          name: {type: text}
          stage: {type: picklist, options: [Open, Won], default: Opne}
          size: {type: integer, default: '=name'}
          due: {type: date, default: 'tomorrow'}
        """})
    assert load_errors(folder) == [
        "objects/deal.yaml:6: fields.stage.default: 'Opne' is not one of the options; did you mean 'Open'?",
        "objects/deal.yaml:7: fields.size.default: column 2: the expression gives text, but integer is "
        "needed here",
        "objects/deal.yaml:8: fields.due.default: expected a date (YYYY-MM-DD), got 'tomorrow'",
    ]


def test_more_reference_checks(tmp_path):
    folder = write_package(tmp_path, "pkg", {
        "objects/deal.yaml": """
            kind: object
            name: deal
            title: name
            fields:
              name: {type: text}
              account: {type: lookup, to: account}
              label: {type: formula, returns: text, expression: 'name'}
              total: {type: rollup, from: line.deal, aggregate: sum, field: note}
              average: {type: rollup, from: line.deal, aggregate: avg, field: qty, filter: 'qty >'}
            validations:
              - {name: v, when: 'true', message: m, field: nme}
            indexes:
              - [name, label]
              - {fields: [nmae], unique: true}
            """,
        "objects/line.yaml": """
            kind: object
            name: line
            title: note
            fields:
              note: {type: text}
              qty: {type: integer}
              deal: {type: lookup, to: deal, on_delete: cascade}
            """,
        "workflows/w.yaml": """
            kind: workflow
            name: w
            object: deal
            trigger: [create]
            actions:
              - {type: update_record, record: name, values: {a: 1}}
              - {type: update_record, record: account.name, values: {a: 1}}
              - {type: webhook, url: 'ftp://x'}
              - {type: set_fields, values: {name: '=1 +'}}
            """,
        "approvals/a.yaml": """
            kind: approval_process
            name: a
            object: deal
            editable_while_locked: [nam]
            steps:
              - {name: s, approvers: {field: account}, quorum: 2}
              - {name: s, approvers: {field: name.x}}
            on_approve: [{type: submit_for_approval, process: b}]
            """,
        "approvals/b.yaml": """
            kind: approval_process
            name: b
            object: line
            steps: [{name: s, approvers: {users: [ann, bob]}}]
            """,
        "views/v.yaml": "kind: list_view\nname: v\nobject: dael\ncolumns: [name]\n",
    })
    assert load_errors(folder) == [
        "approvals/a.yaml:4: editable_while_locked[0]: unknown field 'nam' on 'deal'; did you mean 'name'?",
        "approvals/a.yaml:6: steps[0].quorum: quorum applies only to mode: quorum",
        "approvals/a.yaml:7: steps[1].approvers.field: 'name' is not a lookup, so 'name.x' leads nowhere",
        "approvals/a.yaml:7: steps[1].name: duplicate step 's'",
        "approvals/a.yaml:8: on_approve[0].process: approval process 'b' is for 'line', not 'deal'",
        "objects/deal.yaml:6: fields.account.to: lookup to unknown object 'account'",
        "objects/deal.yaml:8: fields.total.field: cannot sum 'note': it is text, not a number",
        "objects/deal.yaml:9: fields.average.filter: column 6: the expression ends too early; expected an expression",
        "objects/deal.yaml:11: validations[0].field: unknown field 'nme' on 'deal'; did you mean 'name'?",
        "objects/deal.yaml:13: indexes[0][1]: 'label' is computed on read and cannot be indexed",
        "objects/deal.yaml:14: indexes[1].fields[0]: unknown field 'nmae' on 'deal'; did you mean 'name'?",
        "views/v.yaml:3: object: unknown object 'dael'; did you mean 'deal'?",
        "workflows/w.yaml:6: actions[0].record: 'name' is not a lookup field",
        "workflows/w.yaml:8: actions[2].url: 'ftp://x' is not a valid web address (http:// or https://)",
        "workflows/w.yaml:9: actions[3].values.name: column 5: the expression ends too early; expected an expression",
    ]


def test_every_kind_of_expression_is_checked_in_its_usage(tmp_path):
    folder = write_package(tmp_path, "pkg", {
        "objects/deal.yaml": """
            kind: object
            name: deal
            title: name
            fields:
              name: {type: text}
              amount: {type: currency}
              was_renamed: {type: formula, returns: boolean, expression: 'changed(name)'}
              note: {type: text, read_only_when: 'is_new() or changed(amount)'}
            validations:
              - {name: fine, when: 'changed(amount) and prior(amount) > amount', message: m}
            """,
        "views/v.yaml": """
            kind: list_view
            name: v
            object: deal
            columns: [name]
            filter: 'name & "x"'
            """,
        "approvals/a.yaml": """
            kind: approval_process
            name: a
            object: deal
            when: 'amount >> 2'
            steps:
              - {name: s, approvers: {role: r}, when: 'amount'}
            """,
        "roles/r.yaml": "kind: role\nname: r\n",
        "layouts/l.yaml": """
            kind: layout
            name: l
            object: deal
            sections: [{fields: [name], visible_when: 'is_blank(amont)'}]
            """,
    })
    errors = load_errors(folder)
    # the formula layer words syntax errors; the position is ours to get right
    assert errors[0].startswith("approvals/a.yaml:4: when: column 9: unexpected '>'")
    assert errors[1:] == [
        "approvals/a.yaml:6: steps[0].when: column 1: must be a condition (true or false), but it "
        "gives currency",
        "layouts/l.yaml:4: sections[0].visible_when: column 10: unknown field 'amont'; did you mean "
        "'amount'?",
        "objects/deal.yaml:7: fields.was_renamed.expression: column 1: changed() needs the record being "
        "written, and this expression also runs in queries where there is none",
        "views/v.yaml:5: filter: column 1: must be a condition (true or false), but it gives text",
    ]


def test_long_names(tmp_path):
    long_name = "r" * 41
    folder = write_package(tmp_path, "pkg", {"roles/r.yaml": f"kind: role\nname: {long_name}\n"})
    assert load_errors(folder) == [
        f"roles/r.yaml:2: name: '{'r' * 37}...' is not a valid name (lowercase letters, digits and _, "
        "starting with a letter, at most 40 characters)"]
