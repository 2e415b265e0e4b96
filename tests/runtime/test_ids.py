"""Record ids: opaque, unique, increasing within a process (bulk ids follow the input)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from metacrm.runtime import new_id
from metacrm.runtime.ids import ID_LENGTH, new_ids


def test_ids_increase_and_never_repeat():
    ids = [new_id() for _ in range(2000)] + new_ids(5000) + [new_id() for _ in range(10)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert {len(i) for i in ids} == {ID_LENGTH}
    assert all(c in "0123456789abcdef" for c in ids[0])


def test_ids_from_many_threads_are_unique():
    with ThreadPoolExecutor(8) as pool:
        batches = list(pool.map(lambda _: new_ids(500), range(32)))
    everything = [i for batch in batches for i in batch]
    assert len(set(everything)) == len(everything)
    assert all(batch == sorted(batch) for batch in batches)
