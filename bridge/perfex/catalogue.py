"""Every endpoint of the Perfex REST API as data: the actions rules can name.

Actions are named `perfex.<resource>.<verb>`: `<resource>` is the API's path word and
`<verb>` one of create, get, list, search, update, delete. Endpoints that fit no verb keep
a name of their own (see SPECIAL_VERBS):

- `perfex.tickets.reply` and `perfex.tasks.checklist_{add,list,update,delete}`;
- `perfex.zapier.resources`, `perfex.zapier.poll`, `perfex.zapier.test` and
  `perfex.zapier.route` (the generic `/zapier/{method}/{resource}`);
- `perfex.common.get` (`/common/{type}`) and the fixed `perfex.common.expense_category`,
  `perfex.common.payment_mode`, `perfex.common.tax_data`;
- `perfex.custom_fields.get` (`/custom_fields/{belongs_to}/{id}`) and `.list` (no id).

The reference's quirks are kept on purpose: deletes at `/delete/<resource>/{id}` for some
resources and `/<resource>/{id}` for others, `PUT /credit_notes` and `PUT /expenses` without
an id, `PUT /proposal/{id}` (singular). Every create/update that takes a form accepts
`custom_fields` (`{"invoice": {1: "value"}}` -> `custom_fields[invoice][1]`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from bridge.exceptions import UnknownAction
from bridge.perfex._reference_data import ROWS
from bridge.settings import LIST_RESOURCES

BodyKind = Literal["form", "json", "query", "none"]

#: The verbs of the naming convention.
VERBS = frozenset({"create", "get", "list", "search", "update", "delete"})
#: Verbs outside the convention, for endpoints that fit none of VERBS.
SPECIAL_VERBS = frozenset(
    {
        "reply",
        "checklist_add",
        "checklist_list",
        "checklist_update",
        "checklist_delete",
        "resources",
        "poll",
        "test",
        "route",
        "expense_category",
        "payment_mode",
        "tax_data",
    }
)
#: Other names accepted for an action: the reference calls a customtable create "insert".
ALIASES: dict[str, str] = {"perfex.customtable.insert": "perfex.customtable.create"}

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True, slots=True)
class Operation:
    """One Perfex API endpoint, named as an action: `perfex.<resource>.<verb>`."""

    #: The action name used in rules, e.g. "perfex.tasks.create".
    name: str
    #: HTTP method: GET, POST, PUT or DELETE.
    method: str
    #: Path below the API base (BRIDGE_PERFEX_URL, which ends in /api), with
    #: placeholders for path parameters: "/tasks/{id}/checklist".
    path: str
    #: Names of the path placeholders, given in rules as ordinary fields.
    path_params: tuple[str, ...]
    #: Fields the endpoint requires (besides path parameters).
    required: tuple[str, ...]
    #: Fields the endpoint documents as optional.
    optional: tuple[str, ...]
    #: How the remaining fields are sent: PHP-style form, JSON, query string, or not at all.
    body: BodyKind
    #: Key of the new record's id in the JSON answer, where the API returns one.
    returns_id: str | None
    #: One line from the reference saying what the endpoint does.
    summary: str

    @property
    def resource(self) -> str:
        """The API path word of the action name: "tasks" for perfex.tasks.create."""
        return self.name.split(".")[1]

    @property
    def verb(self) -> str:
        """The last part of the action name: "create" for perfex.tasks.create."""
        return self.name.split(".")[2]


def _operation(row: tuple[str, str, str, str, str, str, str | None, str]) -> Operation:
    name, method, path, required, optional, body, returns_id, summary = row
    return Operation(
        name=name,
        method=method,
        path=path,
        path_params=tuple(_PLACEHOLDER.findall(path)),
        required=tuple(required.split()),
        optional=tuple(dict.fromkeys(optional.split())),
        body=cast(BodyKind, body),
        returns_id=returns_id,
        summary=summary,
    )


OPERATIONS: dict[str, Operation] = {row[0]: _operation(row) for row in ROWS}

#: What every list of a current (v3) module takes (perfex-module-v3 facts).
LIST_PARAMS = "page per_page limit sort fields created_after created_before date_from date_to"


def _v3_list(resource: str) -> Operation:
    """`perfex.<resource>.list` as a current module serves it: paged, sortable, trimmed."""
    return Operation(
        name=f"perfex.{resource}.list",
        method="GET",
        path=f"/{resource}",
        path_params=(),
        required=(),
        optional=tuple(LIST_PARAMS.split()),
        body="query",
        returns_id=None,
        summary=f"All {resource}; v3 modules page ({{data, meta}}), sort and trim (fields=).",
    )


def _add_v3_lists() -> None:
    for resource in LIST_RESOURCES:
        OPERATIONS[f"perfex.{resource}.list"] = _v3_list(resource)


_add_v3_lists()


def get_operation(name: str) -> Operation:
    """The operation for an action name (or one of its ALIASES), or UnknownAction."""
    try:
        return OPERATIONS[ALIASES.get(name, name)]
    except KeyError:
        raise UnknownAction(f"unknown action {name!r}") from None


def missing_fields(operation: Operation, fields: Mapping[str, Any]) -> tuple[str, ...]:
    """Path parameters and required fields that `fields` lacks or leaves empty.

    Rules call this at load time so a step that cannot succeed is refused before it runs.
    """
    wanted = (*operation.path_params, *operation.required)
    return tuple(name for name in wanted if fields.get(name) in (None, ""))
