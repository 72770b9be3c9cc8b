"""Text plots of a bench script's figures beside the figures an issue was filed with.

Used by tools/bench-log, tools/bench-server, tools/bench-postgres and
tools/bench-projections, so that each prints, in its own output, the plot
docs/benchmarks.md shows: for each measured quantity one bar for the figure
the issue recorded ("before", when it recorded one) and one for this run
("now"), on one scale, with the aim marked by '|'.

    import sys; sys.path.insert(0, "tools"); from ratio_plot import Bar, plot
    print(plot("ratios to the baseline", "issue 15 as filed", [
        Bar("append / fillseq", before=0.20, now=0.52, aim=0.6, unit="x"),
    ]))
"""

from dataclasses import dataclass
from typing import Optional

WIDTH = 50  # characters of the longest bar


@dataclass
class Bar:
    label: str
    now: float
    before: Optional[float] = None
    aim: Optional[float] = None
    unit: str = "x"  # printed after each figure: "x", " MiB", " ms"


def _figure(value: float, unit: str) -> str:
    return f"{value:,.2f}{unit}" if value < 100 else f"{value:,.0f}{unit}"


def _line(value: float, scale: float, fill: str, aim: Optional[float]) -> str:
    cells = list((fill * max(1, round(value / scale))).ljust(WIDTH + 1))[: WIDTH + 1]
    if aim is not None:
        cells[min(WIDTH, round(aim / scale))] = "|"
    return "".join(cells)


def plot(title: str, before_label: str, bars: list[Bar]) -> str:
    """The plot as text: a title line, then two lines per bar (before, now)."""
    values = [v for b in bars for v in (b.now, b.before, b.aim) if v is not None]
    scale = max(max(values), 1e-9) / WIDTH
    label_width = max(len(b.label) for b in bars)
    out = [f"plot: {title}; '.' before ({before_label}), '#' now; '|' marks the aim"]
    for b in bars:
        aim = f"   aim {_figure(b.aim, b.unit)}" if b.aim is not None else ""
        if b.before is not None:
            out.append(f"{b.label:<{label_width}}  before {_line(b.before, scale, '.', b.aim)} "
                       f"{_figure(b.before, b.unit)}")
            out.append(f"{'':<{label_width}}  now    {_line(b.now, scale, '#', b.aim)} "
                       f"{_figure(b.now, b.unit)}{aim}")
        else:
            out.append(f"{b.label:<{label_width}}  now    {_line(b.now, scale, '#', b.aim)} "
                       f"{_figure(b.now, b.unit)}{aim}")
    return "\n".join(out)
