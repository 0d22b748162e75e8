"""Problems found in content, and how they are printed.

Every stage reports problems as `Problem` values instead of raising, so a
build can list all of them at once and stop before writing anything.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    col: int
    field: str
    message: str
    hint: str = ""

    def format(self) -> str:
        """The one line editors' tools understand: `path:line:col: error: field: message`."""
        where = f"{self.path}:{self.line}:{self.col}"
        text = f"{self.field}: {self.message}" if self.field else self.message
        if self.hint:
            text += f" ({self.hint})"
        return f"{where}: error: {text}"


class ContentError(Exception):
    """Raised by a stage that cannot go on; carries every problem found so far."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = sorted(problems)


def closest(name: str, candidates) -> str:
    """A hint naming the closest candidate, or an empty string."""
    match = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return f"did you mean '{match[0]}'?" if match else ""


def display_path(path: Path, root: Path) -> str:
    """The path as editors see it: relative to the working directory when possible."""
    for base in (Path.cwd(), root.parent):
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return path.as_posix()
