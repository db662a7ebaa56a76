"""National-scale benchmarks for cadre_exit: ``python -m bench`` (see docs/benchmarks.md)."""
