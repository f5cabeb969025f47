"""The portal's form renderer writes <select> and <input> exactly as Django's templates do."""

import re

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import mark_safe

from portal.core.form_renderer import PortalFormRenderer
from tests.reviews.fixtures_reviewer import *  # noqa: F403  (the fixtures in its __all__)

TEMPLATES = DjangoTemplates()
FAST = PortalFormRenderer()


class Kinds(forms.Form):
    plain = forms.ChoiceField(choices=[("a", "Alpha"), ("b", "Beta & <Gamma>")])
    optional = forms.ChoiceField(
        required=False, choices=[("", "Any"), (1, 1), ('x"y', mark_safe("<b>bold</b>"))]
    )
    grouped = forms.ChoiceField(
        choices=[("Fruit", [("apple", "Apple"), ("pear", "Pear")]), ("none", "None at all")]
    )
    many = forms.MultipleChoiceField(choices=[("r", "Red"), ("g", "Green")])
    maybe = forms.NullBooleanField()
    text = forms.CharField(max_length=20, widget=forms.TextInput(attrs={"autofocus": True}))
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date", "data-x": 'q"<'}))
    number = forms.IntegerField(min_value=0)
    email = forms.EmailField(required=False, disabled=True)
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True))
    hidden = forms.CharField(widget=forms.HiddenInput)
    flag = forms.BooleanField(required=False)
    upload = forms.FileField(required=False)


DATA = {
    "plain": "b",
    "optional": 'x"y',
    "grouped": "pear",
    "many": ["r", "g"],
    "maybe": "true",
    "text": "<script>alert(1)</script>",
    "date": "2026-13-40",
    "number": "-3",
    "email": "a@b.test",
    "secret": "p&ss",
    "hidden": '" onmouseover="x',
    "flag": "on",
}


@pytest.mark.parametrize("data", [None, DATA, {"plain": "nope", "many": ["z"]}])
def test_every_field_renders_byte_for_byte_as_the_templates_do(data):
    form = Kinds(data)
    for field in form:
        expected = field.field.widget.render(
            field.html_name, field.value(), attrs=field.build_widget_attrs({}), renderer=TEMPLATES
        )
        fast = field.field.widget.render(
            field.html_name, field.value(), attrs=field.build_widget_attrs({}), renderer=FAST
        )
        assert fast == expected, field.name


class Groups(forms.Form):
    """Radio and checkbox groups, rendered an option at a time (``{{ option.tag }}``)."""

    pick = forms.ChoiceField(
        choices=[("a", "Alpha"), (1, "Beta & <Gamma>"), ('x"y', mark_safe("<b>bold</b>"))],
        widget=forms.RadioSelect,
    )
    several = forms.MultipleChoiceField(
        required=False,
        choices=[(1, "One"), (2, "Two <2>")],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "usa-checkbox__input"}),
    )
    grouped = forms.ChoiceField(
        choices=[("Fruit", [("apple", "Apple")]), ("none", "None")], widget=forms.RadioSelect
    )


@pytest.mark.parametrize(
    "data", [None, {"pick": 'x"y', "several": ["1", "2"], "grouped": "apple"}, {"pick": "z"}]
)
def test_each_radio_and_checkbox_of_a_group_renders_as_the_templates_do(data):
    for form in (Groups(data, renderer=FAST), Groups(data, auto_id=False, renderer=FAST)):
        for field in form:
            for option in field:
                template = option.parent_widget._render(
                    option.template_name, {"widget": {**option.data, "wrap_label": True}}, TEMPLATES
                )
                assert option.tag(wrap_label=True) == template, field.name
                bare = option.parent_widget._render(
                    option.template_name,
                    {"widget": {**option.data, "wrap_label": False}},
                    TEMPLATES,
                )
                assert option.tag() == bare, field.name
                assert option.tag().startswith("<input"), field.name


def test_selects_and_inputs_never_reach_the_templates(monkeypatch):
    asked = []
    monkeypatch.setattr(
        DjangoTemplates, "render", lambda self, name, context, request=None: asked.append(name)
    )
    form = Kinds(DATA)
    for field in form:
        str(field)
    # Only the file field's "clear" control has a template of its own.
    assert asked == ["django/forms/widgets/clearable_file_input.html"]
    asked.clear()
    radio = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect)
    radio.widget.render("r", "a")  # radios have templates of their own
    assert asked == ["django/forms/widgets/radio.html"]
    asked.clear()
    for option in Groups()["several"]:
        option.tag(), str(option)  # a group's options, one at a time
    assert asked == []


def test_the_portal_uses_it_and_values_are_escaped():
    assert isinstance(get_default_renderer(), PortalFormRenderer)
    html = str(Kinds(DATA)["text"])
    assert "&lt;script&gt;" in html and "<script>" not in html


def _masked(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)
    html = re.sub(r'nonce="[^"]+"', "NONCE", html)
    # One-time form tokens (signed, with a timestamp) differ per render.
    return re.sub(r'value="[\w-]+:[\w-]+:[\w-]+"', "TOKEN", html)


@pytest.mark.django_db
def test_pages_with_forms_are_the_same_with_either_renderer(
    client, coordinator, reviewer, lead_assignment, review_case, settings
):
    from django.urls import reverse

    pages = [
        (coordinator, reverse("reviews:agency_queue")),
        (coordinator, reverse("reviews:agency_queue") + "?status=zzz"),
        (coordinator, reverse("reviews:workspace", args=[review_case.pk])),
        (reviewer, reverse("reviews:case_findings", args=[review_case.pk])),
        (reviewer, reverse("reviews:my_cases") + "?due_after=never"),
        # The form to start a thread: its markings are a radio group.
        (coordinator, reverse("reviews:case_discussion", args=[review_case.pk])),
    ]
    rendered = {}
    for renderer in ("django.forms.renderers.DjangoTemplates", settings.FORM_RENDERER):
        settings.FORM_RENDERER = renderer
        get_default_renderer.cache_clear()
        rendered[renderer] = []
        for person, page in pages:
            client.force_login(person)
            rendered[renderer].append(_masked(client.get(page).content.decode()))
    get_default_renderer.cache_clear()
    first, second = rendered.values()
    for index, (one, other) in enumerate(zip(first, second, strict=True)):
        assert one == other, pages[index][1]
    assert all("<select" in page for page in first)
