"""The SeaweedFS fixture starts a real S3 server whose per-client access rules hold.

The publisher (``admin``) writes one release per client; each client reads its own release and is
refused on the other's, anonymous reads and client writes are refused, listings are scoped to the
client's prefix, and presigned links work until they expire. See ``tests/seaweed.py`` for how
SeaweedFS scopes actions and which errors refusals surface as.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest
from seaweed import ADMIN, S3Server

botocore_exceptions = pytest.importorskip("botocore.exceptions")

# The fixture comes from the plugin, not from an import into this module: an imported fixture is a
# separate definition per module, and each would start its own server.
pytest_plugins = ["seaweed"]
pytestmark = pytest.mark.e2e

# The server is shared by the session (other modules publish under client-a/ too): own keys only.
RELEASE = "seaweed-fixture-test/v1/report.html"


def report_path(server: S3Server, client: str) -> str:
    """Object path (``bucket/key``) of ``client``'s test release."""
    return f"{server.bucket}/{client}/{RELEASE}"


def content(client: str) -> bytes:
    """Distinct HTML body of ``client``'s test release."""
    return f"<html><body><h1>Report for {client}</h1></body></html>".encode()


@pytest.fixture(scope="module")
def published(s3_server: S3Server) -> S3Server:
    """The server with one release per client, and one under a sibling prefix, written by admin."""
    admin = s3_server.fs(ADMIN)
    for client in ("client-a", "client-b", "client-ab"):
        admin.pipe(report_path(s3_server, client), content(client))
    return s3_server


def assert_refused(excinfo: pytest.ExceptionInfo[PermissionError]) -> None:
    """The server refused with HTTP 403: s3fs raised PermissionError from a botocore ClientError."""
    cause = excinfo.value.__cause__
    assert isinstance(cause, botocore_exceptions.ClientError), repr(cause)
    assert cause.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def http_error(url: str) -> tuple[int, str]:
    """GET ``url`` expecting an S3 error; return the HTTP status and the S3 error code."""
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(url, timeout=5)
    error = excinfo.value
    body = error.read()
    error.close()
    code = ET.fromstring(body).findtext("Code") or ""
    return error.code, code


def test_server_started_quickly(s3_server: S3Server) -> None:
    assert s3_server.endpoint.startswith("http://127.0.0.1:")
    assert s3_server.startup_seconds < 30, f"start-up took {s3_server.startup_seconds:.1f} s"


@pytest.mark.parametrize("client", ["client-a", "client-b"])
def test_client_reads_own_release(published: S3Server, client: str) -> None:
    assert published.fs(client).cat(report_path(published, client)) == content(client)


@pytest.mark.parametrize(("reader", "owner"), [("client-a", "client-b"), ("client-b", "client-a")])
def test_client_refused_on_other_clients_release(
    published: S3Server, reader: str, owner: str
) -> None:
    fs = published.fs(reader)
    path = report_path(published, owner)
    with pytest.raises(PermissionError) as excinfo:
        fs.cat(path)
    assert_refused(excinfo)
    with pytest.raises(PermissionError) as excinfo:
        fs.info(path)
    assert_refused(excinfo)


def test_client_prefix_does_not_cover_sibling_prefix(published: S3Server) -> None:
    """``client-a/*`` must not grant ``client-ab/``: the scope is a string prefix with the slash."""
    with pytest.raises(PermissionError) as excinfo:
        published.fs("client-a").cat(report_path(published, "client-ab"))
    assert_refused(excinfo)


def test_anonymous_read_refused(published: S3Server) -> None:
    path = report_path(published, "client-a")
    with pytest.raises(PermissionError) as excinfo:
        published.fs(None).cat(path)
    assert_refused(excinfo)
    assert http_error(f"{published.endpoint}/{path}") == (403, "AccessDenied")


def test_client_cannot_write(published: S3Server) -> None:
    fs = published.fs("client-a")
    for key in ("client-a/seaweed-fixture-test/v2/report.html", f"client-a/{RELEASE}"):
        with pytest.raises(PermissionError) as excinfo:
            fs.pipe(f"{published.bucket}/{key}", b"tampered")
        assert_refused(excinfo)
    assert published.fs(ADMIN).cat(report_path(published, "client-a")) == content("client-a")


def test_client_listing_is_scoped_to_own_prefix(published: S3Server) -> None:
    """List is prefix-scoped: own prefix lists, any other prefix is refused (not empty)."""
    fs = published.fs("client-a")
    own = fs.find(f"{published.bucket}/client-a/")
    assert report_path(published, "client-a") in own
    assert all(path.startswith(f"{published.bucket}/client-a/") for path in own)
    for prefix in ("client-b/", "client-ab/", ""):
        with pytest.raises(PermissionError) as excinfo:
            fs.ls(f"{published.bucket}/{prefix}")
        assert_refused(excinfo)
    # ListBuckets is not refused but reveals nothing to a client.
    assert fs.ls("") == []


def test_dot_dot_key_cannot_escape_prefix(published: S3Server) -> None:
    traversal = f"{published.bucket}/client-a/../client-b/{RELEASE}"
    with pytest.raises(OSError) as excinfo:
        published.fs("client-a").cat(traversal)
    assert "Bad Request" in str(excinfo.value)


@pytest.mark.parametrize("signer", [ADMIN, "client-a"])
def test_presigned_url_downloads_release(published: S3Server, signer: str) -> None:
    url = published.fs(signer).sign(report_path(published, "client-a"), expiration=60)
    assert "X-Amz-Signature=" in url
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.read() == content("client-a")


def test_presigned_url_carries_signers_rights(published: S3Server) -> None:
    url = published.fs("client-a").sign(report_path(published, "client-b"), expiration=60)
    assert http_error(url) == (403, "AccessDenied")


def _garble(url: str) -> str:
    """Change the last hex digit of the signature."""
    last = url[-1]
    return url[:-1] + ("0" if last != "0" else "1")


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (_garble, (403, "SignatureDoesNotMatch")),
        (lambda url: url.replace("client-a/", "client-b/"), (403, "SignatureDoesNotMatch")),
    ],
    ids=["garbled-signature", "other-key"],
)
def test_tampered_presigned_url_refused(
    published: S3Server, tamper: Callable[[str], str], expected: tuple[int, str]
) -> None:
    url = published.fs(ADMIN).sign(report_path(published, "client-a"), expiration=60)
    assert url.split("X-Amz-Signature=")[1].isalnum()
    assert http_error(tamper(url)) == expected


def test_expired_presigned_url_refused(published: S3Server) -> None:
    url = published.fs(ADMIN).sign(report_path(published, "client-a"), expiration=1)
    time.sleep(2)
    assert http_error(url) == (403, "AccessDenied")
