"""Django's form renderer, with the commonest widgets written in Python.

Every ``<select>`` renders an include per option through the template engine,
and every ``<input>`` an include for its attributes: about half a millisecond
for a select of a dozen options. The queues' filter forms render a dozen such
fields on every page. Here Django's ``select.html`` and the input templates
(``text.html``, ``date.html`` … each only an include of ``input.html``), with
``select_option.html`` and ``attrs.html``, and the one radio or checkbox of a
group (``radio_option.html``, ``checkbox_option.html``: each an include of
``input_option.html``, which ``templates/portal/form_fields.html`` renders per
option) are the same markup built in Python, byte for byte
(``tests/core/test_form_renderer.py`` compares the two). Every other template
goes through the template engine as before. The portal overrides none of these
templates; one that did would have to leave ``FAST``.
"""

from html import escape

from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

WIDGETS = "django/forms/widgets/"
OPTION = WIDGETS + "select_option.html"
# Django's templates that are nothing but {% include "…/input.html" %}.
INPUT_KINDS = (
    "input",
    "checkbox",
    "color",
    "date",
    "datetime",
    "email",
    "file",
    "hidden",
    "number",
    "password",
    "search",
    "tel",
    "text",
    "time",
    "url",
)


def conditional_escape(value) -> str:
    """Django's ``conditional_escape`` without its lazy-text wrapper: a form renders
    hundreds of values, and the wrapper was a third of its time."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return escape(str(value))


def _value(value) -> str:
    """``{{ value|stringformat:'s' }}``: a safe string stays as it is."""
    return conditional_escape(value if isinstance(value, str) else f"{value}")


def _attrs(attrs: dict) -> str:
    """``django/forms/widgets/attrs.html``."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{_value(value)}"')
    return "".join(parts)


def _option(option: dict) -> str:
    return (
        f'<option value="{_value(option["value"])}"{_attrs(option["attrs"])}>'
        f"{conditional_escape(option['label'])}</option>\n"
    )


def render_select(widget: dict) -> str:
    html = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            html.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in group_choices:
            if option.get("template_name", OPTION) != OPTION:
                raise _Unsupported
            html.append("\n  " + _option(option))
        if group_name:
            html.append("\n  </optgroup>")
    html.append("\n</select>")
    return "".join(html)


def render_input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{_value(widget["value"])}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"{value}{_attrs(widget["attrs"])}>'
    )


def render_input_option(widget: dict) -> str:
    """``input_option.html``, which ``radio_option.html`` and ``checkbox_option.html`` include:
    one radio or checkbox of a set, as ``{{ option.tag }}`` writes it."""
    if not widget.get("wrap_label"):
        return render_input(widget)
    label_id = widget["attrs"].get("id")
    label_for = f' for="{_value(label_id)}"' if label_id else ""
    # The included input.html ends in a newline; only the whole result is stripped.
    return (
        f"<label{label_for}>{render_input(widget)}\n {conditional_escape(widget['label'])}</label>"
    )


class _Unsupported(Exception):
    """A widget this module does not write (a custom option template): use the template."""


class PortalFormRenderer(DjangoTemplates):
    FAST = {
        WIDGETS + "select.html": render_select,
        **{f"{WIDGETS}{kind}.html": render_input for kind in INPUT_KINDS},
        **{
            f"{WIDGETS}{kind}.html": render_input_option
            for kind in ("input_option", "radio_option", "checkbox_option")
        },
    }

    def render(self, template_name, context, request=None):
        write = self.FAST.get(template_name)
        if write is not None:
            try:
                return mark_safe(write(context["widget"]))  # noqa: S308  # safe: every value above is escaped
            except _Unsupported:
                pass
        return super().render(template_name, context, request)
