"""Lists and maps of models that show as tables (notebooks, rich, plain text) and export records.

``ModelList`` is a ``list`` and ``ModelMap`` a ``dict``: nothing changes for code that
treats them as such. ``_repr_html_`` is what Jupyter shows, ``__rich__`` what rich prints
(rich is imported only when rich itself asks), ``table()`` a plain-text rendering, and
``to_records()`` the list of flat dicts that ``pandas.DataFrame`` takes. The SDK imports
neither pandas nor rich.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import attrs

from .._models.entities import (
    AccessKey,
    App,
    CollaboratorProperties,
    Deployment,
    Package,
    Session,
    UpdateMetrics,
    release_source,
)
from .._models.export import Mode, check_mode, unstructure
from .._models.reprs import format_size, format_value

__all__ = [
    "Column",
    "Displayed",
    "ModelList",
    "ModelMap",
    "Table",
    "columns_for",
    "make_table",
    "to_records",
]

M = TypeVar("M")

Column = tuple[str, Callable[[Any], str]]


def _field(name: str) -> Callable[[Any], str]:
    return lambda item: format_value(getattr(item, name))


def _size(item: Any) -> str:
    return "" if item.size is None else format_size(item.size)


def _released(package: Package) -> str:
    source = release_source(package)
    time = format_value(package.upload_time)
    return f"{time}\n({source})" if source else time


def _current(deployment: Deployment) -> str:
    package = deployment.package
    if package is None:
        return "No updates released"
    return f"{package.label or ''} (app {package.app_version or '?'})"


_COLUMNS: dict[type, tuple[Column, ...]] = {
    Package: (
        ("Label", _field("label")),
        ("Release Time", _released),
        ("App Version", _field("app_version")),
        ("Mandatory", lambda p: "Yes" if p.is_mandatory else "No"),
        ("Disabled", lambda p: "Yes" if p.is_disabled else "No"),
        ("Rollout", lambda p: f"{p.rollout}%"),
        ("Size", _size),
        ("Description", _field("description")),
    ),
    App: (
        ("Name", _field("name")),
        ("Deployments", _field("deployments")),
        ("Owner", lambda a: a.owner or ""),
        ("OS", _field("os")),
        ("Platform", _field("platform")),
    ),
    Deployment: (
        ("Name", _field("name")),
        ("Deployment Key", _field("key")),
        ("Current Release", _current),
        ("Release Time", lambda d: format_value(d.package and d.package.upload_time)),
    ),
    AccessKey: (
        ("Name", _field("name")),
        ("Created", _field("created_time")),
        ("Expires", _field("expires")),
        ("Created By", _field("created_by")),
    ),
    Session: (("Machine", _field("machine_name")), ("Logged In", _field("logged_in_time"))),
    UpdateMetrics: (
        ("Active", _field("active")),
        ("Downloaded", _field("downloaded")),
        ("Installed", _field("installed")),
        ("Failed", _field("failed")),
    ),
    CollaboratorProperties: (
        ("Permission", _field("permission")),
        ("You", lambda c: "Yes" if c.is_current_account else ""),
    ),
}


def columns_for(cls: type) -> tuple[Column, ...]:
    """The table columns of a model (every field for one without a layout of its own)."""
    for klass in cls.__mro__:
        if klass in _COLUMNS:
            return _COLUMNS[klass]
    if attrs.has(cls):
        return tuple((f.name, _field(f.name)) for f in attrs.fields(cls))
    return (("Value", format_value),)


@attrs.frozen
class Table:
    """Headers and rows of text cells (a cell may hold several lines)."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def html(self) -> str:
        if not self.headers:
            return "<p>(nothing to show)</p>"

        def cell(text: str, tag: str) -> str:
            body = "<br>".join(html.escape(line) for line in text.split("\n"))
            return f'<{tag} style="text-align:left;vertical-align:top">{body}</{tag}>'

        head = "".join(cell(h, "th") for h in self.headers)
        body = "".join(
            "<tr>" + "".join(cell(c, "td") for c in row) + "</tr>" for row in self.rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def text(self) -> str:
        if not self.headers:
            return "(nothing to show)"
        split = [[c.split("\n") for c in row] for row in (self.headers, *self.rows)]
        widths = [
            max(len(line) for row in split for line in row[i]) for i in range(len(self.headers))
        ]
        rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
        out = [rule]
        multiline = any(len(cell) > 1 for row in split for cell in row)
        for index, row in enumerate(split):
            out.extend(_text_lines(row, widths))
            if index == 0 or multiline or index == len(split) - 1:
                out.append(rule)
        return "\n".join(out)

    def rich(self) -> Any:
        from rich.table import Table as RichTable  # type: ignore[import-not-found, unused-ignore]

        table = RichTable(*self.headers, show_lines=True)
        for row in self.rows:
            table.add_row(*row)
        return table


class Displayed:
    """The display hooks (notebook HTML, rich, plain text), given ``_table()``."""

    __slots__ = ()

    def _table(self) -> Table:
        raise NotImplementedError

    def table(self) -> str:
        """The items as a plain-text table."""
        return self._table().text()

    def _repr_html_(self) -> str:
        return self._table().html()

    def __rich__(self) -> Any:
        return self._table().rich()


class ModelList(Displayed, list[M], Generic[M]):
    """A list of models (``cp.releases.history`` and other list calls return one).

    ``item_type`` gives an empty list its table's columns.
    """

    item_type: type | None = None

    def __init__(self, items: Iterable[M] = (), *, item_type: type | None = None) -> None:
        super().__init__(items)
        self.item_type = item_type

    def to_records(
        self, *, by_alias: bool = False, mode: Mode = "python"
    ) -> list[dict[str, Any]]:
        """One dict per item, for ``pandas.DataFrame(items.to_records())``."""
        return to_records(self, by_alias=by_alias, mode=mode)

    def _table(self) -> Table:
        item_type = type(self[0]) if self else self.item_type
        return make_table(columns_for(item_type) if item_type else (), self)

    def __reduce__(self) -> Any:
        return (type(self), (list(self),), {"item_type": self.item_type})


class ModelMap(Displayed, dict[str, M], Generic[M]):
    """A dict of models keyed by name (metrics by label, collaborators by e-mail)."""

    key_name: str = "key"
    item_type: type | None = None

    def __init__(
        self,
        items: Mapping[str, M] | Iterable[tuple[str, M]] = (),
        *,
        key_name: str = "key",
        item_type: type | None = None,
    ) -> None:
        super().__init__(items)
        self.key_name = key_name
        self.item_type = item_type

    def to_records(
        self, *, by_alias: bool = False, mode: Mode = "python"
    ) -> list[dict[str, Any]]:
        """One dict per entry, its key first under ``key_name``."""
        return to_records(self, by_alias=by_alias, mode=mode, key_name=self.key_name)

    def _table(self) -> Table:
        values = list(self.values())
        item_type = type(values[0]) if values else self.item_type
        columns = columns_for(item_type) if item_type else ()
        key_column: Column = (self.key_name.replace("_", " ").title(), str)
        rows = tuple(
            (key, *(get(value) for _, get in columns)) for key, value in self.items()
        )
        return Table(tuple(h for h, _ in (key_column, *columns)), rows)

    def __reduce__(self) -> Any:
        state = {"key_name": self.key_name, "item_type": self.item_type}
        return (type(self), (dict(self),), state)


def make_table(columns: Sequence[Column], items: Iterable[Any]) -> Table:
    """One row per item, one cell per column."""
    return Table(
        tuple(h for h, _ in columns),
        tuple(tuple(get(item) for _, get in columns) for item in items),
    )


def to_records(
    items: Iterable[Any] | Mapping[str, Any],
    *,
    by_alias: bool = False,
    mode: Mode = "python",
    key_name: str = "key",
) -> list[dict[str, Any]]:
    """Models as a list of dicts a ``pandas.DataFrame`` takes.

    A mapping (``{"v1": UpdateMetrics(...)}``) gives one record per entry with its key
    first, under ``key_name``.
    """
    check_mode(mode, by_alias)
    if isinstance(items, Mapping):
        return [
            {key_name: key, **unstructure(value, by_alias=by_alias, mode=mode)}
            for key, value in items.items()
        ]
    return [unstructure(item, by_alias=by_alias, mode=mode) for item in items]


def _text_lines(row: list[list[str]], widths: list[int]) -> list[str]:
    """One table row as text lines, its cells padded to ``widths`` (a cell may wrap)."""
    return [
        "| " + " | ".join(
            (cell[n] if n < len(cell) else "").ljust(width)
            for cell, width in zip(row, widths, strict=True)
        ) + " |"
        for n in range(max(len(cell) for cell in row))
    ]
