"""Whatever is wrong in a package, loading reports it; it never crashes."""

from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from meta_helpers import CRM

from metacrm.meta import PackageInvalid, load_package
from metacrm.meta.sources import to_plain

FILES = sorted(p.relative_to(CRM).as_posix() for p in CRM.rglob("*.yaml"))
yaml = YAML(typ="rt")
DOCUMENTS = {name: to_plain(yaml.load((CRM / name).read_text())) for name in FILES}

junk = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 10**20), st.floats(allow_nan=True),
              st.text(max_size=12), st.sampled_from(["text", "account", "=amount", "stage", "lookup",
                                                     "amount > 1", "user", "-amount", "create"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.sampled_from(["type", "to", "name", "fields", "x", "values"]),
                                            inner, max_size=3)),
    max_leaves=6)


def paths(data, prefix=()):
    """Every path into a document."""
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from paths(value, prefix + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from paths(value, prefix + (i,))


def mutated(data, path, value, delete):
    """A copy of ``data`` with the node at ``path`` replaced by ``value`` (or deleted)."""
    if not path:
        return value
    copy = dict(data) if isinstance(data, dict) else list(data)
    head, rest = path[0], path[1:]
    if delete and not rest:
        del copy[head]
    else:
        copy[head] = mutated(data[head], rest, value, delete)
    return copy


@st.composite
def mutations(draw):
    name = draw(st.sampled_from(FILES))
    path = draw(st.sampled_from(list(paths(DOCUMENTS[name]))))
    delete = draw(st.booleans()) and len(path) > 0
    return name, path, None if delete else draw(junk), delete


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutations(), min_size=1, max_size=3))
def test_mutated_crm_packages_load_or_report(changes):
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "crm"
        shutil.copytree(CRM, copy)
        for name, path, value, delete in changes:
            data = mutated(DOCUMENTS[name], path, value, delete)
            out = io.StringIO()
            YAML(typ="safe", pure=True).dump(data, out)
            (copy / name).write_text(out.getvalue())
        try:
            load_package(copy)
        except PackageInvalid as invalid:
            assert invalid.errors
            for error in invalid.errors:
                assert error.file and error.message
