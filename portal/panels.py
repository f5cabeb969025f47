"""Sections other apps add to the developer's case page.

``portal`` knows nothing of ``reviews`` or ``access``; they register a panel
here (in their AppConfig.ready), and the case page renders each panel that
returns something for the person looking. A panel is a function
``(request, case) -> (template_name, context) | None``.
"""

CASE_PANELS: list[tuple[int, object]] = []


def case_panel(order: int):
    def decorator(function):
        CASE_PANELS.append((order, function))
        CASE_PANELS.sort(key=lambda entry: entry[0])
        return function

    return decorator


def render_case_panels(request, case) -> list[tuple[str, dict]]:
    panels = []
    for _order, panel in CASE_PANELS:
        result = panel(request, case)
        if result is not None:
            panels.append(result)
    return panels
