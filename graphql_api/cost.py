"""What an operation will cost, estimated from its parsed document before it runs.

Fed by the `QueryGuard` extension with the parsed document, the operation's name and its
variables; feeds it a number compared with the cost limit and charged to the tenant's query
budget. The cost is the number of fields the operation may resolve: each field counts once per
item of every list above it, and a paged field (`stores(first:)`, `events(first:)`) multiplies
what is below it by its page size (the default page when `first` is absent, the largest page when
it is not a number we can read). So 30 aliases times `stores(first: 100)` times `events(first: 100)` is
over 300,000, while the dashboard's own queries cost a few thousand at most.

Pure: no I/O. Also says whether a document introspects the schema (`__schema`, `__type`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql.language import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)


@dataclass(frozen=True)
class CostModel:
    max_page: int = 100
    # Page size when `first` is not given, by field name (the schema's defaults).
    default_pages: Mapping[str, int] = field(
        default_factory=lambda: {"stores": 20, "events": 50, "tenants": 100, "plans": 10}
    )


def _page(node: FieldNode, model: CostModel, variables: Mapping[str, Any]) -> int:
    name = node.name.value
    if name not in model.default_pages:
        return 1
    for argument in node.arguments or ():
        if argument.name.value != "first":
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return max(0, min(int(value.value), model.max_page))
        if isinstance(value, VariableNode):
            given = variables.get(value.name.value)
            if isinstance(given, int) and not isinstance(given, bool):
                return max(0, min(given, model.max_page))
        return model.max_page
    return min(model.default_pages[name], model.max_page)


def operation_cost(
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    model: CostModel,
) -> int:
    """The estimated number of fields resolved; 0 when the operation is not in the document
    (validation will say so)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    if not chosen:
        return 0
    values = variables or {}

    def cost(selections: SelectionSetNode | None, multiplier: int, seen: frozenset[str]) -> int:
        total = 0
        for selection in selections.selections if selections else ():
            if isinstance(selection, FieldNode):
                total += multiplier
                below = multiplier * _page(selection, model, values)
                total += cost(selection.selection_set, below, seen)
            elif isinstance(selection, InlineFragmentNode):
                total += cost(selection.selection_set, multiplier, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is not None and name not in seen:  # a cycle is validation's to refuse
                    total += cost(fragment.selection_set, multiplier, seen | {name})
        return total

    # Several operations without a name chosen: validation refuses it; count the dearest.
    return max(cost(o.selection_set, 1, frozenset()) for o in chosen)


INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})


def introspects(document: DocumentNode) -> bool:
    """Whether any selection of the document (fragments included) reads the schema itself."""
    def walk(selections: SelectionSetNode | None) -> bool:
        for selection in selections.selections if selections else ():
            if isinstance(selection, FieldNode) and selection.name.value in INTROSPECTION_FIELDS:
                return True
            if isinstance(selection, (FieldNode, InlineFragmentNode)) and walk(selection.selection_set):
                return True
        return False

    return any(
        walk(d.selection_set) for d in document.definitions
        if isinstance(d, (OperationDefinitionNode, FragmentDefinitionNode))
    )
