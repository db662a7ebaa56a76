"""The server-rendered web interface, one module per role (see ``cases/web/urls.py``)."""
