"""The progress line of a long management command (seed_load, export_fhir): a bar
redrawn in place with \\r on a terminal; off a terminal (a log, CI) a plain line every
tenth of the way, so a log shows how it went without thousands of lines."""

import time


class ProgressLine:
    WIDTH = 24

    def __init__(self, stream, total: int, *, unit: str = "patients"):
        self.stream = stream  # a management command's OutputWrapper (its self.stderr)
        self.total = total
        self.unit = unit
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.started = time.monotonic()
        self.next_tenth = 1
        self.shown = None  # (done, detail) of the last plain line

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def show(self, done: int, detail: str = "", *, final: bool = False) -> None:
        """`done` of the total, with `detail` after it ("3,000 sessions · ..."). The
        final call ends the line on a terminal, and off one repeats nothing already
        written."""
        total = max(self.total, 1)
        filled = min(self.WIDTH, self.WIDTH * done // total)
        parts = [
            f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done:,}/{self.total:,} {self.unit}"
        ]
        if detail:
            parts.append(detail)
        parts.append(f"{self.elapsed:.0f} s")
        text = " · ".join(parts)
        if self.tty:
            self.stream.write("\r" + text, ending="\n" if final else "")
            self.stream.flush()
        elif (final and (done, detail) != self.shown) or (
            not final and done * 10 >= self.next_tenth * total
        ):
            self.stream.write(text)
            self.next_tenth = done * 10 // total + 1
            self.shown = (done, detail)

    def line(self, text: str) -> None:
        """A line of its own between the bar's (a step that follows the loop)."""
        self.stream.write(text)
        if hasattr(self.stream, "flush"):
            self.stream.flush()
