"""Plugins: the built-in field types come through the same hook a plugin uses."""

from __future__ import annotations

import inspect

from meta_helpers import REPO, ColorPlugin, load_errors, write_package

from metacrm.formula.types import FType
from metacrm.meta import FieldTypeRegistry, Vocabulary, load_package
from metacrm.plugins import DEFAULT_PLUGINS, hookspecs, make_plugin_manager


def hook_names():
    return sorted(name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction)
                  if hasattr(getattr(hookspecs, name), "metacrm_spec"))


def test_builtins_register_through_the_hook():
    pm = make_plugin_manager(load_entry_points=False)
    assert [name for name, _ in pm.list_name_plugin()] == list(DEFAULT_PLUGINS)
    registry = FieldTypeRegistry.from_plugin_manager(pm)
    assert len(registry.names()) == 18


def test_every_hook_has_a_one_line_docstring_and_is_documented():
    docs = (REPO / "docs" / "metadata.md").read_text()
    assert hook_names() == ["automation_sweep", "record_after_commit", "record_after_save",
                            "record_before_save", "register_actions", "register_field_types",
                            "submit_for_approval"]
    for name in hook_names():
        doc = getattr(hookspecs, name).__doc__
        assert doc and "\n" not in doc.strip(), name
        assert f"`{name}" in docs, f"hook {name} is not documented in docs/metadata.md"


def test_a_plugin_field_type_works_end_to_end(tmp_path):
    pm = make_plugin_manager(load_entry_points=False)
    pm.register(ColorPlugin())
    registry = FieldTypeRegistry.from_plugin_manager(pm)
    assert "color" in registry and registry["color"].keys() == ("max_length", "palette")
    folder = write_package(tmp_path, "paint", {"objects/can.yaml": """
        kind: object
        name: can
        title: shade
        fields:
          shade: {type: color, palette: web, default: '#00ff00'}
          shout: {type: formula, returns: text, expression: 'upper(shade)'}
        """})
    catalog = load_package(folder, Vocabulary(registry))
    shade = catalog.fields("can")["shade"]
    assert shade.type.palette == "web" and shade.default == "#00ff00" and shade.ftype is FType.TEXT
    assert load_errors(folder) == [  # the default registry has no colour type
        "objects/can.yaml:5: fields.shade.palette: unknown key 'palette'",
        "objects/can.yaml:5: fields.shade.type: unknown field type 'color'",
    ]


def test_entry_points_load_without_plugins_installed():
    pm = make_plugin_manager()
    assert pm.get_plugin(DEFAULT_PLUGINS[0]) is not None
