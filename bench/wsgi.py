"""The WSGI application gunicorn serves during the HTTP benchmark (the bench's URLs)."""

from bench.db import setup_django

setup_django()

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
