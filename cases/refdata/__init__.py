"""Per-process caches of reference data: catalog rows and org units (see refcache)."""
