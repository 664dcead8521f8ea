"""The typed payload of each task node for the API schema, read from the node's own form
(workflows.forms: the single source of the fields; the rules stay in the core services).

Each node's payload is a schema component (`TeamReviewPayload`, `EctDraftPayload`, ...) with an
optional `node` property naming it: the complete operation's body is a `oneOf` of them with `node`
as its discriminator. On the wire `node` may be left out; when given it must be the task's node.
"""

from functools import cache

from django import forms

from workflows.inbox import FLOWS
from workflows.nodes import CaseView

NODE_FIELD = "node"


@cache
def node_forms() -> dict[str, type[forms.Form]]:
    """Every human task's node name and its form class, in the flows' order."""
    found: dict[str, type[forms.Form]] = {}
    for flow_class in FLOWS:
        for node in flow_class.instance.nodes():
            if isinstance(node, CaseView):
                found.setdefault(node.name, node.form_class)
    return found


def component_name(node: str) -> str:
    """team_review -> TeamReviewPayload."""
    return "".join(part.capitalize() for part in node.split("_")) + "Payload"


def _choice_values(field) -> list:
    values = []
    for value, label in field.choices:
        if isinstance(label, list | tuple):  # an option group
            values.extend(inner for inner, _label in label)
        else:
            values.append(value)
    return values


def field_schema(field: forms.Field) -> dict:
    """The JSON schema of a form field as the API accepts it."""
    if isinstance(field, forms.ModelChoiceField):
        if field.to_field_name == "username":
            schema = {"type": "string", "description": "A username."}
        else:
            schema = {"type": "integer", "minimum": 1}
    elif isinstance(field, forms.MultipleChoiceField):
        schema = {"type": "array", "uniqueItems": True,
                  "items": {"type": "string", "enum": [str(v) for v in _choice_values(field) if v != ""]}}
    elif isinstance(field, forms.ChoiceField):
        values = [str(v) for v in _choice_values(field)]
        if not field.required and "" not in values:
            values.append("")
        schema = {"type": "string", "enum": values}
    elif isinstance(field, forms.NullBooleanField | forms.BooleanField):
        schema = {"type": "boolean"}
    elif isinstance(field, forms.DateField):
        schema = {"type": "string", "format": "date"}
    elif isinstance(field, forms.IntegerField):
        schema = {"type": "integer"}
        if field.min_value is not None:
            schema["minimum"] = field.min_value
        if field.max_value is not None:
            schema["maximum"] = field.max_value
    else:
        schema = {"type": "string"}
        if getattr(field, "max_length", None):
            schema["maxLength"] = field.max_length
    words = [str(text) for text in (field.label, field.help_text) if text]
    if words:
        described = " ".join(word if word[-1] in ".?!" else f"{word}." for word in words)
        schema["description"] = f"{schema['description']} {described}" if "description" in schema else described
    return schema


def payload_schema(node: str, form_class) -> dict:
    form = form_class()  # instantiated: some forms adjust their fields in __init__
    required = set(getattr(form_class, "yes_no_fields", ()))
    properties = {NODE_FIELD: {"type": "string", "enum": [node],
                               "description": "Optional: the node this payload is for; when given it must be "
                                              "the task's node (else a 400 on node)."}}
    for name, field in form.fields.items():
        properties[name] = field_schema(field)
        if field.required:
            required.add(name)
    schema = {"type": "object", "properties": properties, "additionalProperties": False,
              "description": f"The payload that completes a {node} task."}
    if required:
        schema["required"] = sorted(required)
    return schema


def payload_components() -> dict[str, dict]:
    return {component_name(node): payload_schema(node, form_class) for node, form_class in node_forms().items()}


def complete_body() -> dict:
    """The complete operation's request body schema: one of the payloads, `node` discriminating."""
    refs = {node: f"#/components/schemas/{component_name(node)}" for node in node_forms()}
    return {"oneOf": [{"$ref": ref} for ref in refs.values()],
            "discriminator": {"propertyName": NODE_FIELD, "mapping": refs}}
