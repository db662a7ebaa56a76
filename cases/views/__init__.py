"""The server-rendered web interface, one module per role (see ``cases/urls.py``)."""
