"""metacrm.runtime: the RecordService (the ONE write path), validation, defaults, roll-ups."""
