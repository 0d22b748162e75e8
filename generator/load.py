"""Stage 1, load: content files -> `RawDoc`s that remember where each value came from.

Only this stage reads content from disk. It parses YAML itself (through
PyYAML's node graph) so that every value keeps its line, column and source
text, which validation needs to point editors at the exact spot.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, NamedTuple

import frontmatter
import yaml

from .errors import Problem, display_path
from .model import SHARED_LENGTH

KINDS = {"launches": "launch", "sources": "source", "actors": "actor"}
SUFFIXES = (".md", ".markdown", ".yaml", ".yml")

try:  # libyaml is several times faster; its marks are as good.
    _BaseLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _BaseLoader = yaml.SafeLoader


class _Loader(_BaseLoader):
    """SafeLoader that leaves dates as text, so impossible dates become our errors."""

    def resolve(self, kind, value, implicit):
        """The tag PyYAML's resolver gives a node, by a shorter way: the parser asks for every
        node (~70 a file), and for each scalar the resolver joins two lists and looks for
        path resolvers, which a SafeLoader has none of (9-12 us a file of the 10,000-launch corpus)."""
        if kind is yaml.ScalarNode:
            if implicit[0]:  # plain: its text may be a number, a boolean or null
                for tag, regexp in IMPLICIT_BY_FIRST.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
            return STR_TAG
        return SEQ_TAG if kind is yaml.SequenceNode else MAP_TAG

    # Asked by the parser on entering and leaving every node, for path resolvers, which a SafeLoader has none of.
    def descend_resolver(self, current_node, current_index):
        pass

    def ascend_resolver(self):
        pass


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
# What the resolver tries on a plain scalar, by its first character ("" for an empty one). A
# SafeLoader has no resolvers tried whatever the first character (the key None), nor path resolvers.
IMPLICIT_BY_FIRST = {first: tuple(resolvers) for first, resolvers in _Loader.yaml_implicit_resolvers.items()}
STR_TAG = yaml.resolver.BaseResolver.DEFAULT_SCALAR_TAG  # 'tag:yaml.org,2002:str'
SEQ_TAG, MAP_TAG = yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG


class Mark(NamedTuple):  # a tuple: there is one per value of every file, and tuples are made fastest
    """Where a value stands in its file, and its text as written."""

    line: int
    col: int
    raw: str | None = None  # the scalar as the editor typed it (e.g. `NO`, `8:07`)
    # Where a scalar's text itself begins: past an opening quote, or on the line
    # after a block scalar's `|`/`>`, whose lines all share one indentation.
    text_line: int = 0
    text_col: int = 0
    block: bool = False


@dataclass
class RawDoc:
    """One content file, parsed but not yet checked."""

    path: Path
    shown: str  # the path as printed in problems
    kind: str  # launch | source | actor | site
    id: str
    data: dict[str, Any]
    # Each value's YAML node and each key's, by path, their Marks made only when asked for: most never
    # are, and making them all took ~7 % of reading and validating a file.
    nodes: dict[tuple, yaml.Node] = field(default_factory=dict)
    key_nodes: dict[tuple, yaml.Node] = field(default_factory=dict)
    yaml_text: str = ""  # where a block scalar's indentation is read
    unreadable: set[tuple] = field(default_factory=set)  # values already reported; validation skips them
    body: str = ""
    body_line: int = 1

    def mark(self, path: tuple) -> Mark:
        """The mark of a value, or of its nearest parent that has one."""
        while path and path not in self.nodes:
            path = path[:-1]
        return self.value_mark(path) or Mark(1, 1)

    def position(self, path: tuple) -> tuple[int, int]:
        """The line and column of the value at `path` (see `mark`), without making its Mark: a
        launch names ~13 records, each found here (~10 us of validating a launch's file)."""
        node = self.nodes.get(path)
        if node is None:
            mark = self.mark(path)
            return mark.line, mark.col
        start = node.start_mark
        return start.line + 1, start.column + 1

    def value_mark(self, path: tuple) -> Mark | None:
        """The mark of the value at `path`, if there is one."""
        node = self.nodes.get(path)
        return None if node is None else _mark(node, self.yaml_text)

    def key_mark(self, path: tuple) -> Mark | None:
        """The mark of the key of the value at `path`, if it is in a mapping."""
        node = self.key_nodes.get(path)
        if node is None:
            return None
        start = node.start_mark
        return Mark(start.line + 1, start.column + 1, node.value if type(node) is yaml.ScalarNode else "?")

    def problem(self, path: tuple, message: str, hint: str = "", *, at_key: bool = False) -> Problem:
        """A problem at the value (or key) found at `path`."""
        mark = self.key_mark(path) if at_key else None
        mark = mark or self.mark(path)
        return Problem(self.shown, mark.line, mark.col, field_name(path), message, hint)


def field_name(path: tuple) -> str:
    """('actors', 1, 'id') -> 'actors[1].id'."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass(frozen=True)
class Unreadable:
    """A record file that could not be parsed, and why."""

    kind: str
    problems: tuple[Problem, ...]


@dataclass
class Loaded:
    site: RawDoc | None
    docs: list[RawDoc]
    problems: list[Problem]  # about site.yaml, stray files, and values in `docs`
    unreadable: list[Unreadable] = field(default_factory=list)


def load_content(content_dir: Path) -> Loaded:
    """Read site.yaml and every record file under the content directory."""
    problems: list[Problem] = []
    site = load_site_file(content_dir, problems)
    files, stray = content_files(content_dir)
    problems.extend(stray)
    docs, unreadable = [], []
    for path, kind, _ in files:
        found: list[Problem] = []
        doc = load_file(Path(path), kind, content_dir, found)
        if doc is None:
            unreadable.append(Unreadable(kind, tuple(found)))
        else:
            docs.append(doc)
            problems.extend(found)
    return Loaded(site, docs, problems, unreadable)


def load_site_file(content_dir: Path, problems: list[Problem]) -> RawDoc | None:
    """Parse content/site.yaml; a missing file is a problem."""
    site_path = content_dir / "site.yaml"
    if site_path.is_file():
        return load_file(site_path, "site", content_dir, problems)
    shown = display_path(site_path, content_dir)
    problems.append(Problem(shown, 1, 1, "", "missing site.yaml",
                            "create it with at least 'title:' and 'base_url:'"))
    return None


@functools.cache  # asked for every record of every build: 0.04 s per 15,000 paths
def file_id(path: str) -> str:
    """A record's id, from its file's path: the name without its suffix (os.path, not a pathlib object per file)."""
    return os.path.splitext(os.path.basename(path))[0]


def content_files(content_dir: Path, files_in: Callable[[str], list[str] | None] = lambda folder: None,
                  ) -> tuple[list[tuple[str, str, str]], list[Problem]]:
    """Every record file (its path as a string) with its kind and id, in a stable order; stray files are problems.

    `files_in(folder)`: the paths of the files in a folder, if the build's snapshot listed it (Snapshot.files_in).
    """
    files, problems = [], []
    for folder, kind in KINDS.items():
        where = str(content_dir / folder)
        paths = files_in(where)
        if paths is None:
            try:  # scandir, paths sorted as strings: globbing, sorting Paths and a stat each cost ~0.15 s at 15,000 files
                paths = [entry.path for entry in os.scandir(where) if not entry.is_dir()]
            except OSError:
                continue
        start = len(where) + 1
        for path in sorted(paths):
            name = path[start:]
            if name.startswith("."):
                continue
            dot = name.rfind(".")  # as os.path.splitext, in a third of the time
            if dot < 0 or name[dot:] not in SUFFIXES:
                shown = display_path(Path(path), content_dir)
                problems.append(Problem(shown, 1, 1, "", f"unexpected file in {folder}/",
                                        "records are .md or .yaml files; move or rename it"))
                continue
            files.append((path, kind, name[:dot]))
    return files, problems


def listed_as(content_dir: Path, path: str) -> tuple[str, str] | tuple[None, None]:
    """The path content_files() would give a file, and its kind; (None, None) for a file it never looks at."""
    folder, _, name = os.path.relpath(path, content_dir).partition(os.sep)
    if folder not in KINDS or not name or os.sep in name or name.startswith("."):
        return None, None
    return os.path.join(content_dir / folder, name), KINDS[folder]


def load_file(path: Path, kind: str, content_dir: Path, problems: list[Problem],
              data: bytes | None = None) -> RawDoc | None:
    """Parse one file (its bytes `data`, if the caller has read them); on failure add a problem and return None."""
    shown = display_path(path, content_dir)
    text = _text(path.read_bytes() if data is None else data, shown, problems)
    if text is None:
        return None
    parts = _front_matter(text, shown, problems) if path.suffix in (".md", ".markdown") else (text, "", 1)
    if parts is None:
        return None
    yaml_text, body, body_line = parts
    node = _mapping(yaml_text, shown, problems)
    if node is None:
        return None
    doc = RawDoc(path, shown, kind, path.stem, {}, yaml_text=yaml_text, body=body, body_line=body_line)
    doc.data = _to_python(node, (), doc, problems, yaml.constructor.SafeConstructor())
    if kind != "site" and path.suffix in (".yaml", ".yml") and isinstance(doc.data.get("body"), str):
        doc.body = doc.data.pop("body")
        doc.body_line = doc.value_mark(("body",)).text_line
    return doc


def _text(data: bytes, shown: str, problems: list[Problem]) -> str | None:
    """A file's bytes as text; None, with a problem, if they are not UTF-8 or hold nothing."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, col = data[: exc.start].count(b"\n") + 1, exc.start - data.rfind(b"\n", 0, exc.start)
        problems.append(Problem(shown, line, col, "", f"file is not UTF-8 text: byte 0x{data[exc.start]:02x}",
                                "save it with UTF-8 encoding"))
        return None
    if not text.strip():
        problems.append(Problem(shown, 1, 1, "", "file is empty",
                                "add the record's fields, or delete the file"))
        return None
    return text


def _front_matter(text: str, shown: str, problems: list[Problem]) -> tuple[str, str, int] | None:
    """A Markdown file's YAML front matter (padded so that its line numbers are the file's), its body,
    and the body's first line; None, with a problem, if there is no front matter or it is not closed."""
    handler = frontmatter.YAMLHandler()
    if not handler.detect(text):
        problems.append(Problem(shown, 1, 1, "", "no front matter",
                                "start the file with a line '---', the YAML fields, and another '---'"))
        return None
    try:
        yaml_text, body = handler.split(text)
    except ValueError:
        problems.append(Problem(shown, 1, 1, "", "front matter is not closed",
                                "end the YAML fields with a line '---'"))
        return None
    # The opening boundary may swallow blank lines after '---'; pad the YAML with as many newlines.
    opening = handler.FM_BOUNDARY.match(text).end()
    yaml_text = "\n" * text[:opening].count("\n") + yaml_text
    return yaml_text, body, text[: len(text) - len(body)].count("\n") + 1


def _mapping(yaml_text: str, shown: str, problems: list[Problem]) -> yaml.MappingNode | None:
    """The YAML's top-level mapping, its nodes kept for their lines and columns; None, with a problem,
    if the YAML is invalid or is not 'key: value' fields."""
    try:
        node = yaml.compose(yaml_text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problems.append(Problem(shown, line, col, "", f"invalid YAML: {exc.problem or exc}",
                                "check indentation, colons and quotes"))
        return None
    except yaml.reader.ReaderError as exc:
        line, col = yaml_text[: exc.position].count("\n") + 1, exc.position - yaml_text.rfind("\n", 0, exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        problems.append(Problem(shown, line, col, "", f"invalid YAML: character U+{code:04X} is not allowed",
                                "remove the control character"))
        return None
    except yaml.YAMLError as exc:
        problems.append(Problem(shown, 1, 1, "", f"invalid YAML: {exc}"))
        return None
    if node is None or not isinstance(node, yaml.MappingNode):
        where = (node.start_mark.line + 1, node.start_mark.column + 1) if node is not None else (1, 1)
        problems.append(Problem(shown, *where, "", "expected 'key: value' fields at the top level"))
        return None
    return node


def markdown_body(data: bytes) -> str | None:
    """The body of a Markdown file's bytes, as load_file finds it, without parsing its front matter;
    None where load_file would report a problem before (not UTF-8, empty, no front matter or not closed)."""
    problems: list[Problem] = []  # load_file reports them
    text = _text(data, "", problems)
    parts = _front_matter(text, "", problems) if text is not None else None
    return parts[1] if parts else None


def _mark(node: yaml.Node, yaml_text: str) -> Mark:
    """The node's position, and for a scalar where its text begins."""
    start = node.start_mark
    line, col = start.line + 1, start.column + 1
    if type(node) is not yaml.ScalarNode:
        return Mark(line, col)
    if node.style in ("|", ">"):
        following = [text for text in yaml_text.split("\n")[line:node.end_mark.line + 1] if text.strip()]
        indent = len(following[0]) - len(following[0].lstrip(" ")) if following else 0
        return Mark(line, col, node.value, line + 1, indent + 1, block=True)
    quoted = node.style in ("'", '"')
    return Mark(line, col, node.value, line, col + quoted)


def _to_python(node: yaml.Node, path: tuple, doc: RawDoc, problems: list[Problem],
               constructor: yaml.constructor.SafeConstructor, within: tuple = ()) -> Any:
    """Build plain Python values from a YAML node, noting the node of every value and key."""
    doc.nodes[path] = node
    kind = type(node)  # the composer makes nodes of these three classes alone
    if kind is not yaml.ScalarNode:
        if node in within:  # `&a [*a]`: an alias to a value it is part of (nodes compare by identity)
            problems.append(doc.problem(path, "value contains itself", "remove the YAML alias (*name) here"))
            doc.unreadable.add(path)
            return None
        within += (node,)
    if kind is yaml.MappingNode:
        result: dict[str, Any] = {}
        key_nodes = doc.key_nodes
        for key_node, value_node in node.value:
            plain = type(key_node) is yaml.ScalarNode
            key = key_node.value if plain else "?"
            key_path = path + (key,)
            key_nodes[key_path] = key_node
            if not plain:
                problems.append(doc.problem(key_path, "a key must be a plain name", at_key=True))
                doc.unreadable.add(key_path)
            elif key in result:
                problems.append(doc.problem(key_path, "key appears twice", "keep one of them", at_key=True))
            result[key] = _to_python(value_node, key_path, doc, problems, constructor, within)
        return result
    if kind is yaml.SequenceNode:
        return [_to_python(item, path + (i,), doc, problems, constructor, within)
                for i, item in enumerate(node.value)]
    if node.tag == STR_TAG:  # most values: their text is what the constructor would give, by a longer way
        value = node.value
    else:
        try:
            value = constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:  # e.g. `!!int x`
            problems.append(doc.problem(path, f"cannot read value: {getattr(exc, 'problem', None) or exc}"))
            doc.unreadable.add(path)
            return None
    return sys.intern(value) if type(value) is str and len(value) < SHARED_LENGTH else value
