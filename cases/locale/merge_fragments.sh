#!/usr/bin/env bash
# Merge the Vietnamese fragments of parallel work into the one catalog, then refresh it
# from the sources (entries no source uses any more become obsolete).
set -euo pipefail
cd "$(dirname "$0")/../.."
PO=cases/locale/vi/LC_MESSAGES/django.po
.venv/bin/python manage.py makemessages -l vi -l en --ignore=.venv --ignore=tests --ignore=bench -v0
shopt -s nullglob
for fragment in cases/locale/fragments/*.po; do
  msgattrib --clear-fuzzy --empty "$PO" -o "$PO"
  msgcat --use-first "$fragment" "$PO" -o "$PO.tmp"
  mv "$PO.tmp" "$PO"
done
.venv/bin/python manage.py makemessages -l vi --ignore=.venv --ignore=tests --ignore=bench -v0 --no-obsolete
# msgmerge's fuzzy guesses are wrong more often than right: empty them for a translator.
msgattrib --clear-fuzzy --empty "$PO" -o "$PO"
msgfmt --check -o /dev/null "$PO"
echo "untranslated: $(msgattrib --untranslated --no-obsolete "$PO" | grep -c '^msgid' || true)"
echo "fuzzy: $(msgattrib --only-fuzzy --no-obsolete "$PO" | grep -c '^msgid' || true)"
