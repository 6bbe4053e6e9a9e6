"""Helpers shared by the hook tests: the S3 bucket name and backend arguments for moto."""

from __future__ import annotations

BUCKET = "mme-hooks"


def s3_args(endpoint: str) -> dict:
    """backend_args reaching the moto server with fake credentials."""
    return dict(endpoint_url=endpoint, aws_access_key_id="testing", aws_secret_access_key="testing",
                region_name="us-east-1")
