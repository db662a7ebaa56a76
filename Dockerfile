FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir -e .
COPY . .
ENV DJANGO_SETTINGS_MODULE=cadre_exit.settings
RUN SECRET_KEY=build DEBUG=0 python manage.py compilemessages -v0 \
    && SECRET_KEY=build DEBUG=0 python manage.py collectstatic --noinput -v0
EXPOSE 8000
