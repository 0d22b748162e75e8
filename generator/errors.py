"""Problems found in content, and how they are printed.

Every stage reports problems as `Problem` values instead of raising, so a
build can list all of them at once and stop before writing anything.
"""

from __future__ import annotations

import difflib
import functools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol


# A dataclass of its own, not model.record: the command line imports this module before it forks
# the look ahead (cli.look_ahead), and importing model, its classes made, took ~7 ms of that.
# Problems are few: how fast they unpickle does not matter.
@dataclass(frozen=True, slots=True, order=True)
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
        return f"{where}: error: " + re.sub(r"\s*\n\s*", " ", text)  # one line, whatever a library said

    def as_dict(self) -> dict[str, str | int]:
        """The problem as a JSON object for editors' and CI tools."""
        return {"file": self.path, "line": self.line, "column": self.col, "field": self.field,
                "message": self.message, "hint": self.hint}

    def format_github(self) -> str:
        """A GitHub Actions annotation: `::error file=...,line=...,col=...,title=...::message`."""
        properties = {"file": self.path, "line": self.line, "col": self.col, "title": self.field or "digest check"}
        text = f"{self.message} ({self.hint})" if self.hint else self.message
        listed = ",".join(f"{key}={_escape_property(str(value))}" for key, value in properties.items())
        return f"::error {listed}::{_escape_data(text)}"


FORMATS = ("text", "json", "github")


def format_problems(problems: list[Problem], style: str) -> str:
    """All problems in one of FORMATS: lines of text, a JSON array, or GitHub annotations."""
    if style == "json":
        return json.dumps([p.as_dict() for p in problems], indent=2, ensure_ascii=False)
    if style == "github":
        return "\n".join(p.format_github() for p in problems)
    return "\n".join(p.format() for p in problems)


def _escape_data(text: str) -> str:
    # The escapes GitHub's runner reverses in a workflow command's message.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


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
    folder = _shown_folder(path.parent, root, os.getcwd())
    if folder is None:
        return path.as_posix()
    return f"{folder}/{path.name}" if folder else path.name


@functools.lru_cache(maxsize=256)
def _shown_folder(folder: Path, root: Path, cwd: str) -> str | None:
    """A folder as display_path shows what is in it: relative to `cwd` or else to the folder
    holding `root` ("" for that folder itself), None if outside both. Asked for once per folder,
    not once per file: a full build shows every file's path, and at 10,000 launches the
    paths relative to each file took 0.44 s (15,427 files, on the cores reading them)."""
    full = folder.resolve()
    for base in (Path(cwd), root.parent):
        try:
            relative = full.relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
        return "" if relative == "." else relative
    return None


class ProgressBar(Protocol):
    def update(self, n: int) -> object: ...
    def close(self) -> object: ...


# Makes a bar for a stage: (description, total) -> bar. The CLI passes tqdm.
Progress = Callable[[str, int], ProgressBar]


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def no_progress(stage: str, total: int) -> ProgressBar:
    """A Progress that shows nothing (the library default)."""
    return _NoBar()
