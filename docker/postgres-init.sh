#!/bin/sh
# Runs once, when the PostgreSQL volume is created: the application's login role owns
# nothing and is no superuser, so it cannot alter tables or disable their triggers.
# The tables belong to POSTGRES_USER, which only the "migrate" service uses.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE cadre_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD '${APP_DB_PASSWORD}';
SQL
