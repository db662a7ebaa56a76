"""National-scale benchmarks for cadre_exit: ``python -m bench`` (see BENCH_README_SECTION.md)."""
