"""Answer bodies into models and models into request bodies, with the wire's own shapes.

The models' one converter plus the hooks for what a server spells its own way (an access
key's secret, the /api/v1 collaborator list, a null rollout). A body that does not fit
raises ``ResponseDecodeError`` naming the field, never a bare ``KeyError``/``TypeError``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import cattrs
from cattrs.gen import make_dict_structure_fn, override

from .._exceptions import ResponseDecodeError
from .._models.converter import (
    add_fast_structuring,
    json_kind,
    make_converter,
    require_object,
    to_camel,
)
from .._models.entities import (
    AccessKey,
    App,
    CollaboratorProperties,
    Deployment,
    DiffPackage,
    Package,
)
from .._models.secret import Secret

__all__ = ["converter", "decode", "encode_package_info"]

T = TypeVar("T")

_HIDDEN_KEY = "(hidden)"
_SECRET_FIELDS = ("name", "accessToken")  # the classic and the /api/v1 spelling


def _structure_secret(value: Any, _: Any) -> Secret | None:
    """A key's secret, held as a ``Secret`` from here on."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {json_kind(value)}")
    return Secret(value)


def _revealed(value: Any) -> Any:
    """A field read as a ``Secret`` (the whole answer was) that is not the secret: plain."""
    return str(value) if isinstance(value, Secret) else value


def _access_key_from_wire(conv: cattrs.Converter) -> Callable[[Any, type], AccessKey]:
    # On the wire ``name`` is the secret (or "(hidden)") and ``friendlyName`` the handle.
    base = make_dict_structure_fn(
        AccessKey,
        conv,
        name=override(rename="friendlyName"),
        key=override(rename="name", struct_hook=_structure_secret),
        created_time=override(rename="createdTime"),
        created_by=override(rename="createdBy"),
        is_session=override(rename="isSession"),
    )

    def structure(value: Any, cls: type) -> AccessKey:
        require_object(value)
        data = {k: v if k in _SECRET_FIELDS else _revealed(v) for k, v in value.items()}
        if "accessToken" in data:  # the /api/v1 spelling of the secret
            data["name"] = data.pop("accessToken")
        if data.get("name") == _HIDDEN_KEY:
            del data["name"]
        if data.get("friendlyName") is None and isinstance(data.get("description"), str):
            data["friendlyName"] = data["description"]
        if data.get("isSession") is None:
            data.pop("isSession", None)
        return base(data, cls)

    return structure


def _collaborators_from_wire(conv: cattrs.Converter) -> Callable[[Any, type], Any]:
    """E-mail -> properties, from the classic map or the /api/v1 list of ``{email, ...}``."""
    base = conv.get_structure_hook(dict[str, CollaboratorProperties])

    def structure(value: Any, cls: type) -> Any:
        if isinstance(value, list):
            for index, item in enumerate(value):  # a malformed entry fails, never vanishes
                require_object(item)
                if not isinstance(item.get("email"), str):
                    raise TypeError(
                        f"expected a string email in entry {index}, "
                        f"got {json_kind(item.get('email'))}"
                    )
            value = {
                item["email"]: {k: v for k, v in item.items() if k != "email"} for item in value
            }
        return base(value, cls)

    return structure


def _package_from_wire(conv: cattrs.Converter) -> Callable[[Any, type], Package]:
    """A null ``rollout`` is the server's spelling of 100 (a complete rollout)."""
    base = conv.get_structure_hook(Package)

    def structure(value: Any, cls: type) -> Package:
        if isinstance(value, dict) and "rollout" in value and value["rollout"] is None:
            value = {k: v for k, v in value.items() if k != "rollout"}
        return base(value, cls)  # type: ignore[no-any-return]

    return structure


def _make_wire_converter(*, fast: bool = False) -> cattrs.Converter:
    """The models' converter with the wire's hooks; ``fast``: without per-field error
    bookkeeping, plus generated structuring for the models that come in lists."""
    conv = make_converter(detailed=not fast)
    if fast:  # before the hooks below, which wrap what it generates
        add_fast_structuring(
            conv,
            (App, CollaboratorProperties, Deployment, DiffPackage, Package,
             dict[str, DiffPackage], dict[str, CollaboratorProperties]),
            null_default={Package: ("rollout",)},  # what _package_from_wire does
        )
    conv.register_structure_hook(AccessKey, _access_key_from_wire(conv))
    collaborators = dict[str, CollaboratorProperties]
    conv.register_structure_hook_func(
        lambda tp: tp == collaborators, _collaborators_from_wire(conv)
    )
    if not fast:  # the generated hooks read a null rollout as 100 themselves
        conv.register_structure_hook(Package, _package_from_wire(conv))
    return conv


converter = _make_wire_converter()


@functools.cache
def _fast_converter() -> cattrs.Converter:
    """Tried first by ``decode``; on any failure the detailed converter runs again to name the
    field (or, should it accept, to answer). Built on first use, not at import."""
    return _make_wire_converter(fast=True)


@functools.cache
def _fast_hook(tp: Any) -> Callable[[Any, Any], Any]:
    """The fast converter's hook for ``tp``, found once (not dispatched on every answer)."""
    return _fast_converter().get_structure_hook(tp)


def decode(payload: Any, tp: type[T], *, where: str, status_code: int) -> T:
    """Structure ``payload`` (found at ``where`` in the body) into ``tp`` or raise."""
    try:
        hook: Callable[[Any, Any], T] = _fast_hook(tp)  # type: ignore[arg-type]
        return hook(payload, tp)
    except Exception:  # noqa: S110 - any failure is reported by the detailed path, below
        pass
    try:
        return converter.structure(payload, tp)
    except (cattrs.BaseValidationError, KeyError, TypeError, ValueError) as exc:
        detail = cattrs.transform_error(exc, path=where) if isinstance(
            exc, cattrs.BaseValidationError
        ) else [f"{exc} @ {where}"]
        first = detail[0] if detail else f"invalid value @ {where}"
        reason, _, field = first.rpartition(" @ ")
        raise ResponseDecodeError(
            f"Unexpected response from the server: {reason or first} at {field or where}",
            status_code,
            field=field or where,
        ) from None


def encode_package_info(**fields: Any) -> dict[str, Any]:
    """The camelCase ``packageInfo`` object, leaving out every field that is ``None``."""
    return {to_camel(name): value for name, value in fields.items() if value is not None}
