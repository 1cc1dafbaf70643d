"""The report in Markdown, for report.md and the CI job summary.

The same sections as the page. Colours become a mark before the text (a
green or red square, a white one for a run ended from outside, a warning sign on a run that differs from the expected
matrix); charts are image links to charts/*.svg; counterexamples fold into
<details> with their replay commands but not their full traces, which stay in
index.html (a job summary holds at most 1 MiB).
"""

from .doc import Bullets, Cell, Chart, Note, Row, Table, Trace
from .verdicts import OUTSIDE_ENDS

NOTE_MARKS = {"bad": "⚠️ ", "good": "✅ ", "missing": "⏳ "}


def _mark(css):
    classes = css.split()
    mark = "⚠️ " if "unexpected" in classes or "bad" in classes else ""
    if "v-pass" in classes:
        mark += "🟩 "
    elif any(c in ("v-" + v for v in OUTSIDE_ENDS) for c in classes):
        mark += "⬜ "  # ended from outside: no verdict on the design
    elif any(c.startswith("v-") for c in classes):
        mark += "🟥 "
    return mark


def _text(c):
    c = c if isinstance(c, Cell) else Cell(str(c))
    text = _mark(c.css) + c.text
    if c.sub:
        text += f" ({c.sub})"
    if c.badges:
        text += "<br>" + " · ".join(_mark(b.css) + b.text for b in c.badges)
    return text.replace("|", "\\|").replace("\n", " ")


def table(t):
    lines = ["| " + " | ".join(_text(c) for c in t.columns) + " |",
             "|" + "---|" * len(t.columns)]
    lines += ["| " + " | ".join(_text(c) for c in row) + " |" for row in t.rows]
    if t.folded:
        return f"<details><summary>{t.caption}</summary>\n\n" + "\n".join(lines) + "\n\n</details>"
    return "\n".join(([f"**{t.caption}**", ""] if t.caption else []) + lines)


def trace(t):
    lines = "\n".join(f"- {line}" for line in t.lines)
    replays = ("\n\n```sh\n" + "\n".join(t.replays) + "\n```") if t.replays else ""
    program = ("\n\nshrunk program:\n\n```cpp\n" + t.program + "\n```") if t.program else ""
    return f"<details><summary>{_mark(t.css)}{t.title}</summary>\n\n{lines}{replays}{program}\n\n</details>"


def block(b):
    if isinstance(b, Table):
        return table(b)
    if isinstance(b, Chart):
        return f"![{b.title}](charts/{b.name}.svg)"
    if isinstance(b, Note):
        return f"> {NOTE_MARKS.get(b.css, '')}{b.text}"
    if isinstance(b, Row):
        return "\n\n".join(block(x) for x in b.blocks)
    if isinstance(b, Bullets):
        return "\n".join(([f"**{b.title}**", ""] if b.title else []) + [f"- {item}" for item in b.items])
    if isinstance(b, Trace):
        return trace(b)
    raise TypeError(f"no Markdown for {type(b).__name__}")


def document(title, subtitle, banner, sections):
    parts = [f"# {title}", subtitle]
    if banner:
        parts.append(block(banner))
    for s in sections:
        parts.append(f"## {s.title}")
        if s.intro:
            parts.append(s.intro)
        parts += [block(b) for b in s.blocks]
    return "\n\n".join(parts) + "\n"
