"""Artifacts and evaluation scores of a case.

Artifacts are immutable once the case is submitted: later uploads are new
artifacts (optionally marking which one they supersede), and nothing is
deleted. Scores can change only while the case is a draft.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from portal.audit import events as audit
from portal.cases.models import Artifact, Benchmark, EvalResult, Submission
from portal.cases.services.lifecycle import CaseActionRefused, locked_case, require_developer
from portal.cases.snapshots import BadRelativePath, clean_relative_path
from portal.files.store import storing
from portal.files.uploads import StreamedFile, clean_display_name


class ArtifactAlreadyStored(CaseActionRefused):
    """The same bytes under the same name and kind are already on the case."""

    def __init__(self, artifact: Artifact):
        super().__init__(
            f"{artifact.original_name} with these exact contents is already on the case."
        )
        self.artifact = artifact


def add_artifact(
    *,
    actor,
    case_id: int,
    kind: str,
    streamed: StreamedFile,
    original_name: str,
    supersedes_id: int | None = None,
    relative_path: str | None = None,
) -> Artifact:
    """Store a streamed upload as an artifact of the case.

    ``relative_path`` places the file in the case's model snapshot
    (``weights/shard-0001.safetensors``); by default it is the file's name.
    Among the case's current artifacts (those no later version supersedes)
    a path names one file: an upload under a current file's path supersedes
    it (a new version), and one that names another artifact to supersede may
    not take a third file's path. The temporary file is moved into storage only after every check
    passed; if anything fails afterwards the stored file is removed again.
    """
    with storing([streamed]) as store, transaction.atomic():
        name = clean_display_name(original_name)
        try:
            path = clean_relative_path(name if relative_path is None else relative_path)
        except BadRelativePath as bad:
            raise CaseActionRefused(bad.message) from None
        if kind not in Artifact.Kind.values:
            raise CaseActionRefused("Choose what kind of artifact this is.")
        case = locked_case(case_id)
        require_developer(actor, case)
        if case.is_closed:
            raise CaseActionRefused(f"This case is {case.get_status_display().lower()}.")
        supersedes = None
        if supersedes_id is not None:
            supersedes = case.artifacts.filter(pk=supersedes_id).first()
            if supersedes is None:
                raise CaseActionRefused("The artifact to supersede is not part of this case.")
        # The case row is locked, so this check and the insert below cannot
        # interleave with another upload to the same case.
        existing = case.artifacts.filter(
            kind=kind, original_name=name, sha256=streamed.sha256
        ).first()
        if existing is not None:
            raise ArtifactAlreadyStored(existing)
        current = case.artifacts.filter(relative_path=path, superseded_by__isnull=True)
        if supersedes is None:
            # The same path again is a new version of that file: it takes its place.
            supersedes = current.order_by("-pk").first()
            supersedes_id = supersedes.pk if supersedes else None
        elif current.exclude(pk=supersedes.pk).exists():
            raise CaseActionRefused(
                f"{path} is already another file of this case's snapshot; "
                "choose another path, or replace that file instead."
            )
        artifact = store(
            Artifact(
                case=case,
                kind=kind,
                supersedes=supersedes,
                uploaded_by=actor,
                relative_path=path,
            ),
            streamed,
            name=name,
        )
        audit.record(
            "artifact.uploaded",
            actor=actor,
            target=case,
            details={
                "artifact": artifact.pk,
                "name": name,
                "path": path,
                "kind": kind,
                "size": artifact.size,
                "sha256": artifact.sha256,
                "supersedes": supersedes_id,
            },
        )
    return artifact


def delete_draft_artifact(*, actor, case_id: int, artifact_id: int) -> None:
    with transaction.atomic():
        case = locked_case(case_id)
        require_developer(actor, case)
        if not case.is_draft:
            raise CaseActionRefused(
                "Artifacts of a submitted case are kept as they are; upload a new version instead."
            )
        artifact = case.artifacts.filter(pk=artifact_id).first()
        if artifact is None:
            raise CaseActionRefused("No such artifact on this case.")
        storage, name = artifact.file.storage, artifact.file.name or ""
        details = {
            "artifact": artifact.pk,
            "name": artifact.original_name,
            "sha256": artifact.sha256,
        }
        artifact.delete()
        audit.record("artifact.deleted", actor=actor, target=case, details=details)
        if name:
            transaction.on_commit(lambda: storage.delete(name))


def check_score(result: EvalResult) -> None:
    """Refuse a score that is not finite or outside its benchmark's range, naming the range."""
    problem = result.benchmark.score_problem(result.score)
    if problem is None:
        try:
            result.full_clean(exclude=["case", "benchmark", "recorded_by"])
        except ValidationError as error:
            problem = " ".join(error.messages)
    if problem:
        raise CaseActionRefused(problem)


def set_eval_result(
    *, actor, case_id: int, benchmark: Benchmark, score: Decimal, notes: str = ""
) -> EvalResult:
    with transaction.atomic():
        case: Submission = locked_case(case_id)
        require_developer(actor, case)
        if not case.is_draft:
            raise CaseActionRefused("Scores can change only while the case is a draft.")
        if not benchmark.active:
            raise CaseActionRefused(f"{benchmark} is no longer in use.")
        result = EvalResult.objects.filter(
            case=case, benchmark=benchmark, source=EvalResult.Source.DEVELOPER
        ).first() or EvalResult(case=case, benchmark=benchmark, source=EvalResult.Source.DEVELOPER)
        created = result.pk is None
        result.score, result.notes, result.recorded_by = score, notes, actor
        check_score(result)
        result.save()
        audit.record(
            "eval.recorded",
            actor=actor,
            target=case,
            details={
                "benchmark": benchmark.slug,
                "benchmark_name": benchmark.name,
                "score": str(score),
                "new": created,
            },
        )
    return result


def remove_eval_result(*, actor, case_id: int, result_id: int) -> None:
    with transaction.atomic():
        case = locked_case(case_id)
        require_developer(actor, case)
        if not case.is_draft:
            raise CaseActionRefused("Scores can change only while the case is a draft.")
        result = case.eval_results.filter(pk=result_id, source=EvalResult.Source.DEVELOPER).first()
        if result is None:
            raise CaseActionRefused("No such score on this case.")
        details = {"benchmark": result.benchmark.slug, "score": str(result.score)}
        result.delete()
        audit.record("eval.removed", actor=actor, target=case, details=details)
