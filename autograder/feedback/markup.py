"""The HTML both kinds of page share: a phone-friendly shell, escaping, and embedded images.

Pages are opened from disk, from nbgrader's feedback folder or from e-mail, so they carry
their own styles and no links to anything outside themselves.
"""

from __future__ import annotations

import base64
from html import escape

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
  color: #212529; background: #f8f9fa; line-height: 1.45; }
main { max-width: 46rem; margin: 0 auto; padding: 1rem; }
section { background: #fff; border-radius: 8px; padding: 0.8rem 1rem; margin: 0 0 1rem;
  box-shadow: 0 1px 2px rgba(0, 0, 0, 0.08); }
h1 { font-size: 1.4rem; margin: 0.4rem 0 1rem; overflow-wrap: anywhere; }
h2 { font-size: 1.15rem; margin: 0.2rem 0 0.6rem; }
h3 { font-size: 1rem; margin: 0.8rem 0 0.3rem; }
figure { margin: 0.8rem 0; }
img { display: block; width: 100%; max-width: 36rem; height: auto; margin: 0.4rem 0; }
svg.chart { display: block; width: 100%; max-width: 40rem; height: auto; margin: 0.4rem 0; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f1f3f5; padding: 0.6rem;
  border-radius: 4px; font-size: 0.85rem; max-height: 20rem; overflow-y: auto; }
code { overflow-wrap: anywhere; }
ul.checks { list-style: none; padding: 0; margin: 0; }
ul.checks li { padding: 0.35rem 0; border-top: 1px solid #e9ecef; overflow-wrap: anywhere; }
.pass { color: #2b8a3e; font-weight: 600; }
.fail { color: #c92a2a; font-weight: 600; }
.score { font-size: 2rem; font-weight: 700; margin: 0; }
.mistake { border-left: 4px solid #e8590c; padding-left: 0.7rem; margin: 0.6rem 0; }
.problem { border-left: 4px solid #c92a2a; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { text-align: left; padding: 0.3rem 0.4rem; border-top: 1px solid #e9ecef;
  vertical-align: top; }
td { overflow-wrap: anywhere; }
td.number { text-align: right; white-space: nowrap; }
.muted { color: #6c757d; font-size: 0.9rem; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th::after { content: " ⇅"; color: #adb5bd; }
"""


def text(value: object) -> str:
    """Any value as HTML text, quotes included, so it is safe in elements and attributes."""
    return escape(str(value), quote=True)


def page(title: str, body: str, script: str = "") -> str:
    """A complete document around `body` (already HTML); `title` is plain text; `script` is
    the kit's own JavaScript, never anything a student wrote."""
    run = f"<script>{script}</script>\n" if script else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{text(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n{run}</body>\n</html>\n"
    )


def embedded_png(data: bytes, description: str) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return f'<img src="data:image/png;base64,{encoded}" alt="{text(description)}">'
