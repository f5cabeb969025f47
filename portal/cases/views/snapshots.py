"""The case's model snapshot signed by the portal: ``/cases/<id>/model.sig``.

For the people who download the case's artifacts (the developer and the
case's working reviewers); anyone else who sees the case gets 403, anyone
who does not, 404. Recorded like every other download.
"""

from django.views.decorators.http import require_safe

from portal.cases.access import CasePurpose, get_case_or_404
from portal.cases.snapshots import manifest_entries
from portal.files.downloads import download_view, serve_generated
from portal.files.manifests import SIGNATURE_NAME, signed_manifest


@require_safe
@download_view
def case_model_sig(request, pk):
    case = get_case_or_404(request.user, pk, purpose=CasePurpose.READ_ARTIFACTS)
    signature = signed_manifest(case.reference, manifest_entries(case.artifacts.all()))
    return serve_generated(
        request,
        signature.decode("utf-8"),
        filename=SIGNATURE_NAME,
        through=case,
        case_id=case.pk,
        content_type="application/json",
    )
