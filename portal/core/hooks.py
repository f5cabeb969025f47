"""Every hook between the portal's apps, declared in one place.

Dependencies run one way (``docs/architecture.md``): ``portal.cases`` knows
nothing of ``reviews``, ``access`` or ``portal.capability``, and
``portal.notifications`` knows nothing of the apps whose reminders it sends.
Where a lower app must reach a higher one, it sends a signal or reads a
registry declared here, and the higher app fills it in from its
``AppConfig.ready()`` — never from a module imported by chance. This module
imports nothing of the portal, so any app may import it.

Signals (all sent inside the transaction of the change, so a receiver that
raises rolls the change back, and receivers queue their side effects with
``transaction.on_commit``):

``case_submitted``
    sender=Submission; ``case``, ``actor``. Sent by
    ``portal.cases.services.lifecycle.submit_case`` after the case is routed.
    ``portal.capability`` evaluates the case's scores against the frontier.
``score_corrected``
    sender=Submission; ``case``, ``result`` (the developer-reported
    ``EvalResult``, its ``score`` already the corrected one), ``correction``
    (the ``ScoreCorrection``), ``actor``. Sent by
    ``portal.cases.services.corrections.correct_score``. ``portal.capability``
    evaluates the score again, retracts a jump that no longer holds and tells
    the agencies that were alerted.
``case_routed``
    sender=Submission; ``case``, ``agency``, ``actor``. A case reached an
    agency. ``access`` shares existing grants' operator findings with it.
``case_withdrawn``
    sender=Submission; ``case``, ``actor``. ``reviews`` closes open
    information requests.
``release_date_changed``
    sender=Submission; ``case``, ``previous`` (the date it replaced),
    ``actor``. The developer moved the planned public release of a submitted
    case. ``access`` moves the end of every open grant that follows the
    release date; ends chosen on their own stay.
``case_released``
    sender=Submission; ``case``, ``actor``. The developer marked the case
    released; ``case.released_on`` is the day the model became public.
    ``access`` ends every open grant at that day.

Registries:

``case_panel(order, *, section="overview", title="", pages=CASE_PAGES, shown_to=None)``
    A panel of the developer's case page (``CASE_PAGE``,
    ``portal.cases.views.sections``) and of the agencies' workspace
    (``WORKSPACE``, ``reviews.views.workspace``), on the pages named in
    ``pages``: ``function(request, case) -> (template_name, context) | None``.
    By default it stacks on the Overview section. With ``section`` (a slug) and
    ``title`` it gets a section of its own on those pages: a URL of its own
    (``portal:case_section`` and ``reviews:case_section``, with the case and
    the slug), an entry in the side navigation before the timeline, rendered
    by the same section machinery under the case header; ``shown_to(user,
    case) -> bool`` (no queries) says for whom the entry is listed, and
    everyone else gets 404 there. The panel runs only on its own section, so
    each section pays for its own queries only (``portal.capability.panels``
    on the workspace's overview; ``reviews.panels``' Review and
    ``portal.discussions.panels``' Discussion sections on the developer's page;
    ``access.panels``' Operator access section on both).
``grant_panel(order)``
    A section of an operator's grant page (``access.views.operator.grant_detail``):
    ``function(request, grant) -> (template_name, context) | None``, where
    ``grant`` is an ``access.models.AccessGrant`` of the person's own
    organization. ``access`` renders the panels only while the grant is open
    (active and not ended), so a revoked or ended grant shows none of them.
    ``reviews.panels`` lists the findings marked *operators* and the issued
    recommendation's part for operators. (The threads addressed to the
    organization are read by ``access`` itself from ``portal.discussions``, a
    lower layer, so they stay listed after the grant closes.)
``operator_readers``
    Who among the operators reads what the government shares with operators
    on a case, and where: ``function(case) -> Iterable[OperatorReaders]``, one
    per operator organization holding an open grant on the case (``access``).
    ``reviews`` tells them when a finding is shared with operators or amended.
``search_section(order)``
    More results on the search page, after the cases and findings:
    ``function(request, query) -> (template_name, context) | None``
    (``access.search``: an operator's granted models).
``reminder_source(kind, description, *, recipients_in_bulk)``
    A source for the deadline sweep (``portal.notifications.sweep``):
    ``function(at) -> Iterable[Reminder]`` (``reviews.reminders``,
    ``access.reminders``), and ``recipients_in_bulk(reminders) -> list of
    lists of people``: who is still there to be told of each reminder of a
    batch, in the batch's order, in a few queries for the whole batch (never
    one per reminder). Sources only read; the sweep claims and sends, a batch
    at a time.
``seeder(order)``
    Demo data for ``seed_demo``: ``function(stdout)``, idempotent
    (``portal.cases.demo``, ``reviews.demo``, ``access.demo``).
``nav_link(label, url_name, *, roles, order, home_for=(), badge=None, badge_cache_key=None)``
    A link in the header for the people of ``roles`` (membership roles, by
    value), lower orders first; ``home_for`` makes it the start page of those
    roles (``portal.accounts``' home view and header read them). Each app
    registers its own pages, so the header names no app's URLs itself.
    ``badge(user)`` is a count beside the label, on every page; a badge that
    caches its count names the key (``badge_cache_key(user_id)``), and the
    header reads all such counts in one cache round trip.
``temp_upload_dir(name)``
    A folder where uploads wait while their bytes arrive, for the storage check
    (``portal.files.reconcile``, ``manage.py storage_check``):
    ``function() -> (folder: Path, pattern: str)``; files matching the glob
    ``pattern`` in ``folder`` untouched for ``STORAGE_TEMP_GRACE_HOURS`` are
    left behind by a dead process and removed by ``--fix``
    (``portal.files``: ``MEDIA_ROOT/.incoming/upload-*``).
``queue_copy(name)``
    A copy that database triggers keep on the agencies' routings, for
    ``manage.py check_queue_copies``: ``function(repair) -> list of (routing
    id, stored, source)``, the routings whose copy differs from its source,
    rewritten from the source when ``repair`` (``portal.cases.queue_copies``,
    ``reviews.queue_copies``).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.dispatch import Signal

# --- signals -------------------------------------------------------------------------

case_submitted = Signal()  # sender=Submission; case, actor
case_routed = Signal()  # sender=Submission; case, agency, actor
score_corrected = Signal()  # sender=Submission; case, result, correction, actor
case_withdrawn = Signal()  # sender=Submission; case, actor
release_date_changed = Signal()  # sender=Submission; case, previous, actor
case_released = Signal()  # sender=Submission; case, actor
cases_updated = Signal()  # sender=Submission; fields (a QuerySet.update of cases, after it)


# --- case panels and the sections they add -----------------------------------------

PanelResult = tuple[str, dict] | None
CASE_PAGE = "case"  # the developer's case page (portal.cases.views.sections)
WORKSPACE = "workspace"  # the agencies' workspace (reviews.views.workspace)
CASE_PAGES = (CASE_PAGE, WORKSPACE)
OVERVIEW = "overview"


@dataclass(frozen=True)
class CasePanel:
    order: int
    function: Callable[..., PanelResult]
    section: str
    pages: tuple[str, ...]


@dataclass(frozen=True)
class CaseSection:
    """A section an app adds to the case pages, with one panel or more on it."""

    key: str
    title: str
    order: int
    pages: tuple[str, ...]
    shown_to: Callable[[Any, Any], bool]


CASE_PANELS: list[CasePanel] = []
CASE_SECTIONS: dict[str, CaseSection] = {}


def _everyone(user, case) -> bool:
    return True


def case_panel(
    order: int,
    *,
    section: str = OVERVIEW,
    title: str = "",
    pages: tuple[str, ...] = CASE_PAGES,
    shown_to: Callable[[Any, Any], bool] | None = None,
):
    """Register a panel; lower orders render first (and list their sections first).

    A ``section`` other than the overview is added to ``pages`` under ``title``
    by its first panel; ``shown_to(user, case)`` says who finds it there.
    """
    if section != OVERVIEW and section not in CASE_SECTIONS:
        if not title:
            raise ValueError(f"The case section {section!r} needs a title.")
        CASE_SECTIONS[section] = CaseSection(
            key=section, title=title, order=order, pages=pages, shown_to=shown_to or _everyone
        )

    def decorator(function):
        if all(panel.function is not function for panel in CASE_PANELS):
            CASE_PANELS.append(CasePanel(order, function, section, pages))
            CASE_PANELS.sort(key=lambda panel: panel.order)
        return function

    return decorator


def case_sections(page: str, user, case) -> list[CaseSection]:
    """The sections apps add to ``page`` that ``user`` finds for ``case``, in order."""
    return sorted(
        (
            added
            for added in CASE_SECTIONS.values()
            if page in added.pages and added.shown_to(user, case)
        ),
        key=lambda added: added.order,
    )


def render_case_panels(
    request, case, *, page: str, section: str = OVERVIEW
) -> list[tuple[str, dict]]:
    """The panels of one section of ``page``: only those run, so only they cost queries."""
    panels = []
    for panel in CASE_PANELS:
        if panel.section != section or page not in panel.pages:
            continue
        result = panel.function(request, case)
        if result is not None:
            panels.append(result)
    return panels


# --- the operator's grant page, and who reads what operators are shown ---------------

GRANT_PANELS: list[tuple[int, Callable[..., PanelResult]]] = []


def grant_panel(order: int):
    """Register a panel of the operator's grant page; lower orders render first."""

    def decorator(function):
        if function not in (panel for _, panel in GRANT_PANELS):
            GRANT_PANELS.append((order, function))
            GRANT_PANELS.sort(key=lambda entry: entry[0])
        return function

    return decorator


# --- search sections -----------------------------------------------------------------

SEARCH_SECTIONS: list[tuple[int, Callable[..., PanelResult]]] = []


def search_section(order: int):
    """Register a section of search results; lower orders render first."""

    def decorator(function):
        if function not in (section for _, section in SEARCH_SECTIONS):
            SEARCH_SECTIONS.append((order, function))
            SEARCH_SECTIONS.sort(key=lambda entry: entry[0])
        return function

    return decorator


def render_grant_panels(request, grant) -> list[tuple[str, dict]]:
    panels = []
    for _order, panel in GRANT_PANELS:
        result = panel(request, grant)
        if result is not None:
            panels.append(result)
    return panels


@dataclass(frozen=True)
class OperatorReaders:
    """An operator organization that reads what is shared with operators on a case."""

    organization: Any
    # Its people to tell, read when asked (they may change until then).
    people: Callable[[], Iterable[Any]]
    # The page where they read it: their grant on the case.
    url: str


OPERATOR_READERS: list[Callable[..., Iterable[OperatorReaders]]] = []


def operator_readers(function):
    """Register ``function(case) -> Iterable[OperatorReaders]``."""
    if function not in OPERATOR_READERS:
        OPERATOR_READERS.append(function)
    return function


def operator_readers_of(case) -> list[OperatorReaders]:
    return [readers for source in OPERATOR_READERS for readers in source(case)]


def render_search_sections(request, query: str) -> list[tuple[str, dict]]:
    sections = []
    for _order, section in SEARCH_SECTIONS:
        result = section(request, query)
        if result is not None:
            sections.append(result)
    return sections


# --- reminder sources ----------------------------------------------------------------


@dataclass
class Reminder:
    """One reminder a source found due; the sweep claims its key once, then sends it."""

    kind: str
    subject: Any
    threshold: str
    title: str
    template: str
    # Computed at send time, just before the claim: who is still there to be told.
    # A sweep source leaves it empty: its ``recipients_in_bulk`` answers for a batch.
    recipients: Callable[[], Iterable[Any]] | None = None
    context: dict = field(default_factory=dict)
    case: Any = None
    # A path, or a lazy one (``reverse_lazy``): sweep sources leave the work of
    # reversing to the reminders that are sent.
    url: Any = ""
    # The date the threshold counts towards. It is part of the key, so a moved
    # due date arms the reminders again instead of counting as already sent.
    deadline: Any = None

    @property
    def threshold_key(self) -> str:
        return f"{self.threshold}@{self.deadline.isoformat()}" if self.deadline else self.threshold

    @property
    def subject_key(self) -> str:
        meta = self.subject._meta
        return f"{meta.app_label}.{meta.model_name}:{self.subject.pk}"


SOURCES: list[tuple[str, str, Callable[..., Iterable[Reminder]]]] = []
# Per kind: ``recipients_in_bulk(reminders) -> [[person, ...], ...]`` in the batch's order.
RECIPIENTS_IN_BULK: dict[str, Callable[[list[Reminder]], list[list[Any]]]] = {}


def reminder_source(
    kind: str,
    description: str,
    *,
    recipients_in_bulk: Callable[[list[Reminder]], list[list[Any]]],
):
    """Register ``function(at) -> Iterable[Reminder]`` under a kind, with the function
    that resolves who is told of a batch of its reminders."""

    def decorator(function):
        if not any(existing == kind for existing, _, _ in SOURCES):
            SOURCES.append((kind, description, function))
            RECIPIENTS_IN_BULK[kind] = recipients_in_bulk
        return function

    return decorator


# --- demo data -----------------------------------------------------------------------

SEEDERS: list[tuple[int, str, Callable[..., None]]] = []


def seeder(order: int):
    """Register a function(stdout) that adds demo data; lower orders run first."""

    def decorator(function):
        name = f"{function.__module__}.{function.__qualname__}"
        if not any(existing == name for _, existing, _ in SEEDERS):
            SEEDERS.append((order, name, function))
        return function

    return decorator


# --- temporary upload folders --------------------------------------------------------

TEMP_UPLOAD_DIRS: list[tuple[str, Callable[[], tuple[Any, str]]]] = []


def temp_upload_dir(name: str):
    """Register ``function() -> (folder, glob pattern)`` of uploads in progress."""

    def decorator(function):
        if not any(existing == name for existing, _ in TEMP_UPLOAD_DIRS):
            TEMP_UPLOAD_DIRS.append((name, function))
        return function

    return decorator


# --- the queue's copies --------------------------------------------------------------

QUEUE_COPIES: list[tuple[str, Callable[..., list[tuple]]]] = []


def queue_copy(name: str):
    """Register ``function(repair: bool) -> [(routing id, stored, source), ...]``."""

    def decorator(function):
        if not any(existing == name for existing, _ in QUEUE_COPIES):
            QUEUE_COPIES.append((name, function))
        return function

    return decorator


# --- the header's navigation ---------------------------------------------------------


@dataclass(frozen=True)
class NavLink:
    order: int
    label: str
    url_name: str
    roles: frozenset[str]
    # ``badge(user) -> int``: a count shown beside the label (unread messages); it
    # runs on every page, so it must cost at most one query.
    badge: Callable[[Any], int] | None = None
    # ``badge_cache_key(user_id) -> str``: where ``badge`` keeps its count in the
    # cache. The header reads every link's cached count in one round trip and
    # calls ``badge`` only for the counts that are not there.
    badge_cache_key: Callable[[int], str] | None = None


NAV_LINKS: list[NavLink] = []
HOME_FOR_ROLE: dict[str, str] = {}


def nav_link(
    label: str,
    url_name: str,
    *,
    roles: Iterable[str],
    order: int,
    home_for: Iterable[str] = (),
    badge: Callable[[Any], int] | None = None,
    badge_cache_key: Callable[[int], str] | None = None,
) -> None:
    """Register a header link for ``roles``; ``home_for`` roles start on its page;
    ``badge(user)`` counts something beside the label (one query at most), and
    keeps its count in the cache under ``badge_cache_key(user.pk)`` if given."""
    link = NavLink(
        order, label, url_name, frozenset(str(role) for role in roles), badge, badge_cache_key
    )
    if link not in NAV_LINKS:
        NAV_LINKS.append(link)
        NAV_LINKS.sort(key=lambda entry: (entry.order, entry.label))
    for role in home_for:
        HOME_FOR_ROLE.setdefault(str(role), url_name)


def nav_links_for(role: str | None) -> list[NavLink]:
    return [link for link in NAV_LINKS if role in link.roles] if role else []
