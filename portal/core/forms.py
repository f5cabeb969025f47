"""The forms every app shares: USWDS classes on widgets and errors, and shared validators."""

import copy

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

# Most specific widget first: CheckboxSelectMultiple is a RadioSelect, SelectMultiple
# a Select, ClearableFileInput a FileInput.
USWDS_WIDGET_CLASSES = (
    (forms.CheckboxSelectMultiple, "usa-checkbox__input"),
    (forms.RadioSelect, "usa-radio__input"),
    (forms.Select, "usa-select"),
    (forms.Textarea, "usa-textarea"),
    (forms.CheckboxInput, "usa-checkbox__input"),
    (forms.FileInput, "usa-file-input"),
)
# The error outline USWDS gives each kind of control; choices and files have none.
USWDS_ERROR_CLASSES = {
    "usa-input": "usa-input--error",
    "usa-select": "usa-input--error",
    "usa-textarea": "usa-input--error",
}


def uswds_class(widget: forms.Widget) -> str:
    return next((c for kind, c in USWDS_WIDGET_CLASSES if isinstance(widget, kind)), "usa-input")


class UswdsBoundField(forms.BoundField):
    """Adds USWDS's error outline to a control whose value was refused.

    Django itself sets aria-invalid and points aria-describedby at
    ``<id>_helptext`` and ``<id>_error``, the ids ``portal/form_fields.html`` uses.
    """

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        error_class = USWDS_ERROR_CLASSES.get(uswds_class(widget))
        if self.errors and error_class and not widget.is_hidden:
            base = attrs.get("class") or widget.attrs.get("class", "")
            attrs["class"] = f"{base} {error_class}".strip()
        return attrs


class UswdsFormMixin:
    """Gives every widget the USWDS class for its kind, and errors their outline."""

    bound_field_class: type[forms.BoundField] | None = UswdsBoundField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if field.widget.is_hidden:
                continue
            css = uswds_class(field.widget)
            field.widget.attrs["class"] = f"{field.widget.attrs.get('class', '')} {css}".strip()


def reject_control_characters(value: str) -> None:
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValidationError("Use letters, digits, spaces and punctuation only.")


def first_error(form) -> str:
    """A refused form's first error as one line, after its field's label."""
    for field, errors in form.errors.items():
        # The bound field's label: the field's own, or one made from its name.
        label = form[field].label if field in form.fields else ""
        return f"{label}: {errors[0]}" if label else errors[0]
    return "The form is not valid."


class UnderstoodForm(forms.Form):
    """The required "I understand" box of an action that cannot be undone.

    The box is on the action's form (``templates/portal/understood.html``,
    which names the consequence); this form is the server's check, so a post
    without it changes nothing, whatever the browser did.
    """

    understood = forms.BooleanField(required=True)


def consequence_understood(data) -> bool:
    """Whether the post ticked the "I understand" box of an irreversible action."""
    return UnderstoodForm(data).is_valid()


class FormClassOnce:
    """A FilterSet that builds its form class once, not on every request, and
    copies its filters without a deep copy.

    django-filter's ``get_form_class`` makes a form field for each filter and a
    new form class from them on every request (about a millisecond for a
    dozen filters). A FilterSet whose fields are the same on every request
    (choices that vary per person are set on the form, not on the filters)
    can keep the first class: each form still copies its fields, as any
    Django form does. Two threads building it at once make equal classes.
    """

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        """``BaseFilterSet.__init__``, with each filter copied, not deep-copied.

        The deep copy went down into every filter's choices and widget on every
        request; a filter's own copy only needs its ``model`` and ``parent``,
        and nothing here changes a filter's options after the class is made.
        (The shallow copy shares ``extra``, the filter's field options: set a
        choice that varies per person on the form, never on a filter.)
        """
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {name: copy.copy(filter_) for name, filter_ in self.base_filters.items()}
        for filter_ in self.filters.values():
            filter_.model = queryset.model
            filter_.parent = self
            if filter_.method is not None:
                # A filter ``method`` is called through an object bound to its
                # filter: bind it to this copy (the setter makes a new one).
                filter_.method = filter_.method

    def get_form_class(self):
        form_class = type(self).__dict__.get("_form_class_once")
        if form_class is None:
            form_class = super().get_form_class()
            type(self)._form_class_once = form_class
        return form_class
