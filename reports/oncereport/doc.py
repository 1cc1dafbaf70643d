"""The report as data: sections of tables, charts, notes and traces.

Each section module builds these plain objects from the inputs; render_html
and render_md turn the same objects into a page and a Markdown summary, so the
two can never say different things.
"""

from dataclasses import dataclass, field

from .inputs import PRODUCERS


@dataclass
class Cell:
    """A table cell. css names a class (a verdict colour, `bad`, `good`);
    title is a tooltip; href links to an anchor; sub is a second, small line."""
    text: str
    css: str = ""
    title: str = ""
    href: str = ""
    sub: str = ""
    badges: list = field(default_factory=list)  # smaller Cells shown under the text


@dataclass
class Table:
    columns: list
    rows: list          # lists of Cell or str
    css: str = ""
    caption: str = ""
    folded: bool = False  # behind a <details> showing the caption: detail few need


@dataclass
class Chart:
    name: str           # file name under charts/, without .svg
    title: str
    svg: str            # the <svg> element, no XML prologue


@dataclass
class Row:
    """Blocks side by side on the page (a chart and its table); one after
    the other in Markdown."""
    blocks: list


@dataclass
class Note:
    text: str
    css: str = ""       # `missing` (a file not produced yet), `bad`, `good`


@dataclass
class Bullets:
    items: list         # strings
    title: str = ""


@dataclass
class Trace:
    """A counterexample: what failed, how to replay it, the steps."""
    anchor: str
    title: str
    css: str
    lines: list         # one-line facts (scheduler: verdict, reason)
    replays: list       # shell commands
    trace: str          # the readable counterexample, may be long
    program: str = ""   # random_programs: the failing program and its shrunk form


@dataclass
class Section:
    anchor: str
    title: str
    blocks: list = field(default_factory=list)
    intro: str = ""


def absent(section, value, name):
    """True, and the section says which command writes it, when the optional
    input `name` (stress, bench, designs) was not produced."""
    if value is None:
        section.blocks.append(Note(f"not run: {PRODUCERS[name]} writes {name}.json", "missing"))
    return value is None
