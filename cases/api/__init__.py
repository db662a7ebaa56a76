"""The REST API, version 1 (``/api/v1/``): thin views over the shared services and selectors."""
