"""S3-compatible storage for artifacts (``STORAGE_BACKEND=s3``), through django-storages.

Uploads: the finished upload is a temporary file on local disk
(``portal.files.uploads``); ``S3Storage._save`` sends it with boto3's
``upload_fileobj``, a multipart upload that reads the file a part at a time —
never the whole file in memory. The transfer settings below bound that memory
to ``max_concurrency × multipart_chunksize``.

Downloads (``DOWNLOAD_BACKEND=redirect``): the portal checks the request, then
redirects to a presigned URL that lives ``AWS_QUERYSTRING_EXPIRE`` seconds (at
most 60) and names the file for the browser.
"""

from boto3.s3.transfer import TransferConfig
from storages.backends.s3 import S3Storage

MIB = 1024 * 1024


class ArtifactS3Storage(S3Storage):
    def __init__(self, **settings):
        settings.setdefault(
            "transfer_config",
            TransferConfig(
                multipart_threshold=16 * MIB,
                multipart_chunksize=16 * MIB,
                max_concurrency=4,
                use_threads=True,
            ),
        )
        super().__init__(**settings)

    def download_url(self, name: str, *, filename_header: str) -> str:
        """A short-lived signed URL that makes the browser save the file under its name."""
        return self.url(
            name,
            parameters={
                "ResponseContentDisposition": filename_header,
                "ResponseContentType": "application/octet-stream",
            },
        )
