"""metacrm's benchmarks, run by ``scripts/bench`` (never timed assertions in tests)."""
