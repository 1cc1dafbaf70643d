"""The report as one self-contained HTML page: inline CSS, inline SVG charts,
no network, no external file; it opens offline from a CI artifact."""

import html

from . import verdicts as V
from .doc import Bullets, Cell, Chart, Note, Row, Table, Trace

CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1b1b1b; }
h1 { margin: 0 0 .2em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ccc; }
nav a { margin-right: 1em; } .intro { color: #444; max-width: 70em; }
table { border-collapse: collapse; margin: .6em 0; }
th, td { border: 1px solid #d0d0d0; padding: 3px 7px; vertical-align: top; text-align: left; }
th { background: #f3f3f3; font-weight: 600; }
table.matrix td { min-width: 6.5em; font-size: 13px; } table.matrix th { font-size: 12px; }
.scroll { overflow-x: auto; } .row { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; }
.caption { font-weight: 600; margin: .8em 0 .2em; } details.folded { border: none; padding: 0; }
td a { color: inherit; text-decoration: none; display: block; }
.sub { font-size: 11px; color: #333; } .design { font-weight: 600; } .flaw { padding-left: 1.5em; }
.floor { font-style: italic; color: #555; } .absent { color: #999; }
.badge { display: inline-block; font-size: 11px; padding: 0 4px; margin: 2px 2px 0 0; border-radius: 3px; }
.unexpected { outline: 3px solid #b00020; outline-offset: -3px; font-weight: 700; }
.note { padding: 4px 8px; border-left: 4px solid #999; background: #f7f7f7; max-width: 70em; }
.note.bad, td.bad { border-left-color: #b00020; background: #fde0e0; }
.note.good, td.good { border-left-color: #2e7d32; background: #e6f4e6; }
.note.missing { border-left-color: #c99a00; background: #fff6d6; }
.yes { color: #2e7d32; } .no { color: #777; } .missed { color: #777; }
table.legend td { font-size: 12px; }
figure { margin: .8em 0; } figure svg { max-width: 100%; height: auto; }
details { margin: .3em 0; padding: 2px 8px; border-left: 6px solid #ccc; }
summary { cursor: pointer; font-weight: 600; }
pre { background: #f6f6f6; padding: 6px; overflow: auto; max-height: 28em; font-size: 12px; }
"""
CSS += "".join(f".{V.css(v)} {{ background: {colour}; }}\n" for v, colour in V.COLOURS.items())
CSS += "".join(f"details.{V.css(v)} {{ background: none; border-left-color: {colour}; }}\n"
               for v, colour in V.COLOURS.items())

# A matrix link opens the counterexample it points at (a closed <details>).
SCRIPT = """
function openTarget() {
  const el = location.hash && document.getElementById(location.hash.slice(1));
  if (el && el.tagName === 'DETAILS') { el.open = true; el.scrollIntoView(); }
}
window.addEventListener('hashchange', openTarget); window.addEventListener('load', openTarget);
"""

e = html.escape


def cell(c, tag="td"):
    c = c if isinstance(c, Cell) else Cell(str(c))
    inner = e(c.text)
    if c.sub:
        inner += f'<div class="sub">{e(c.sub)}</div>'
    if c.badges:
        inner += "<div>" + "".join(f'<span class="badge {e(b.css)}">{e(b.text)}</span>' for b in c.badges) + "</div>"
    if c.href:
        inner = f'<a href="{e(c.href)}">{inner}</a>'
    attrs = (f' class="{e(c.css)}"' if c.css else "") + (f' title="{e(c.title)}"' if c.title else "")
    return f"<{tag}{attrs}>{inner}</{tag}>"


def table(t):
    head = "".join(f"<th>{e(col)}</th>" for col in t.columns)
    body = "\n".join("<tr>" + "".join(cell(c) for c in row) + "</tr>" for row in t.rows)
    out = f'<div class="scroll"><table class="{e(t.css)}"><thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table></div>'
    if t.folded:
        return f'<details class="folded"><summary>{e(t.caption)}</summary>{out}</details>'
    return (f'<p class="caption">{e(t.caption)}</p>' if t.caption else "") + out


def trace(t):
    lines = "".join(f"<li>{e(line)}</li>" for line in t.lines)
    replays = f"<p>replay:</p><pre class=\"replay\">{e(chr(10).join(t.replays))}</pre>" if t.replays else ""
    steps = f"<pre>{e(t.trace)}</pre>" if t.trace else ""
    program = f"<p>shrunk program:</p><pre class=\"program\">{e(t.program)}</pre>" if t.program else ""
    return (f'<details id="{e(t.anchor)}" class="{e(t.css)}"><summary>{e(t.title)}</summary>'
            f"<ul>{lines}</ul>{replays}{program}{steps}</details>")


def block(b):
    if isinstance(b, Table):
        return table(b)
    if isinstance(b, Chart):
        return f'<figure id="chart-{e(b.name)}">{b.svg}</figure>'
    if isinstance(b, Row):
        return '<div class="row">' + "".join(f"<div>{block(x)}</div>" for x in b.blocks) + "</div>"
    if isinstance(b, Note):
        return f'<p class="note {e(b.css)}">{e(b.text)}</p>'
    if isinstance(b, Bullets):
        title = f'<p class="caption">{e(b.title)}</p>' if b.title else ""
        return title + "<ul>" + "".join(f"<li>{e(item)}</li>" for item in b.items) + "</ul>"
    if isinstance(b, Trace):
        return trace(b)
    raise TypeError(f"no HTML for {type(b).__name__}")


def section(s):
    intro = f'<p class="intro">{e(s.intro)}</p>' if s.intro else ""
    return f'<section id="{e(s.anchor)}"><h2>{e(s.title)}</h2>{intro}\n' + "\n".join(block(b) for b in s.blocks) \
        + "</section>"


def page(title, subtitle, banner, sections):
    """banner: a Note shown above everything (baseline regressions), or None."""
    nav = " ".join(f'<a href="#{e(s.anchor)}">{e(s.title)}</a>' for s in sections)
    top = block(banner) if banner else ""
    body = "\n".join(section(s) for s in sections)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>'
            f"<style>{CSS}</style><script>{SCRIPT}</script></head>\n<body><header><h1>{e(title)}</h1>"
            f'<p class="intro">{e(subtitle)}</p><nav>{nav}</nav></header>\n{top}\n{body}\n</body></html>\n')

