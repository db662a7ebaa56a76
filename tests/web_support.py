"""Shared helpers of the web tests: the compiled translation fragment, sign-in, checks
that a page shows no untranslated string of the web fragment.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
FRAGMENT = ROOT / "cases" / "locale" / "vi" / "LC_MESSAGES" / "django.po"  # the merged catalog
PASSWORD = "cadre-demo"

_PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{\{[^}]*\}\}")


def _unquote(chunk: str) -> str:
    return bytes(chunk[1:-1], "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


def parse_po(path: Path = FRAGMENT) -> list[tuple[str, list[str]]]:
    """(msgid, [msgstr…]) for every entry of a .po file (plural ids give msgid and plural)."""
    entries: list[tuple[str, list[str]]] = []
    current: dict[str, Any] = {}
    key = ""

    def flush() -> None:
        if "msgid" in current and current["msgid"]:
            strs = [v for k, v in sorted(current.items()) if k.startswith("msgstr")]
            entries.append((current["msgid"], strs))
            if current.get("msgid_plural"):
                entries.append((current["msgid_plural"], strs[1:] or strs))

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            if current and not line:
                flush()
                current, key = {}, ""
            continue
        if line.startswith('"'):
            current[key] += _unquote(line)
            continue
        name, _sep, rest = line.partition(" ")
        key = name
        current[key] = _unquote(rest.strip())
    flush()
    return entries


# The language switch names each language in its own language, on purpose.
NATIVE_NAMES = {"English", "Vietnamese"}


def translated_msgids() -> list[str]:
    """The msgids whose Vietnamese text differs from the English id."""
    return [
        msgid
        for msgid, strs in parse_po()
        if strs and strs[0] and strs[0] != msgid and msgid not in NATIVE_NAMES
    ]


def _matcher(msgid: str) -> re.Pattern[str] | None:
    """How a msgid would look on the page, placeholders filled in; None if not worth it."""
    parts = _PLACEHOLDER.split(msgid)
    literal = "".join(parts).strip()
    if not re.search(r"[A-Za-z]{2}", literal):
        return None
    if len(parts) > 1:
        # A msgid with placeholders renders as its own text node: match the whole node.
        body = r".+?".join(re.escape(p) for p in parts)
        return re.compile(r"^\W*" + body + r"\W*$")
    if " " not in msgid.strip():
        # One word: a whole node, or the start of one followed by a number or a date
        # ("Started 24/11/2026"), never a word inside another catalog's sentence.
        return re.compile(r"^\W*" + re.escape(msgid.strip(" .:")) + r"\W*(?:$|[^\w\s]|\s+[\d\W])")
    return re.compile(r"(?<![A-Za-z])" + re.escape(msgid.strip()) + r"(?![A-Za-z])")


def untranslated_in(texts: str | list[str], ids: list[str] | None = None) -> list[str]:
    """The translated msgids that appear verbatim in the page's text nodes."""
    nodes = [" ".join(t.split()) for t in ([texts] if isinstance(texts, str) else texts)]
    nodes = [n for n in nodes if n]
    found = []
    for msgid in ids if ids is not None else translated_msgids():
        pattern = _matcher(msgid)
        if pattern is not None and any(pattern.search(n) for n in nodes):
            found.append(msgid)
    return found


def compile_fragment(target: Path) -> Path:
    """Compile the fragment to ``target/vi/LC_MESSAGES/django.mo`` with gettext's msgfmt."""
    out = target / "vi" / "LC_MESSAGES"
    out.mkdir(parents=True, exist_ok=True)
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "gettext's msgfmt is needed to compile the translation fragment"
    subprocess.run(
        [msgfmt, "--check-format", "-o", str(out / "django.mo"), str(FRAGMENT)], check=True
    )
    return target


@pytest.fixture(scope="session")
def web_locale_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return compile_fragment(tmp_path_factory.mktemp("locale"))


@pytest.fixture(autouse=True)
def web_translations(settings: Any, web_locale_dir: Path) -> None:
    settings.LOCALE_PATHS = [str(web_locale_dir)]


def signed_in(username: str, language: str = "vi") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.cookies["django_language"] = language
    assert client.login(username=username, password=PASSWORD)
    return client


def page_texts(html: str) -> list[str]:
    """The text nodes of an HTML page's body (scripts, styles and tags removed)."""
    import html as html_lib

    body = html.split("<body", 1)[-1]
    # Raw audit data (JSON in <pre>/<code>) is the hashed record itself, not interface text.
    body = re.sub(r"<(script|style|pre|code)\b.*?</\1>", " ", body, flags=re.S | re.I)
    return [html_lib.unescape(t) for t in re.split(r"<[^>]+>", body) if t.strip()]


VISIBLE_TEXT_JS = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest("script,style,pre,code,[hidden]")) continue;
    if (node.textContent.trim()) out.push(node.textContent);
  }
  return out;
}"""
