"""Kill trials (issue 14, item 13): kill `reportkit batch` and `reportkit publish` with SIGKILL at a
random moment, run the same command again to completion, and check that nothing broke.

    .venv/bin/python bench/kill_trials.py [--trials 20] [--seed 14] [--no-write] [--keep]

Set-up (untimed, in a temporary folder; the repository is not written, except bench/results.json):

* a snapshot of the project (reportkit/, notebooks/, reports/, data/, templates/) is copied to the
  temporary folder and every command runs there with PYTHONPATH pointing at the copy (workers and
  kernels inherit it), so engineers editing the package meanwhile cannot change run keys between a
  kill and its re-run;
* the matrix is the first two rows of reports/clients.csv;
* one batch is run from a cold run cache to measure its typical duration (and the moment its first
  file appears); its folder is the source of the publish trials; the English edition is built too
  (a second version for the "new version" publish trials); each publish mode is timed once.

Trials alternate batch and publish. A trial starts the command in a new session, sleeps until its
kill moment (drawn with ``random.Random(seed)``: a fraction u of the window ``[min(0.5 s, 0.9 × time
to the first written file), typical duration]``, so a publish that takes 0.2 s in all is still
killed while it writes), kills the whole process group with SIGKILL, waits for every process that
carries the trial's environment tag (kernels run in sessions of their own, so ``killpg`` does not
reach them: they must exit by themselves once their parent is gone) and kills any still alive after
a grace period (reported as survivors: a failure). It then inspects what a reader would see at that
moment, re-runs the same command to completion and checks:

batch  every row has report.html, report.pdf and manifest.json (each file matching the hashes its
       manifest records), index.json lists every row as done/reused with no failure; no temporary
       file (``*.partial*``, ``*.tmp``) is left under --out or the run cache; the runs whose cache
       entry was complete at the kill are not executed again (no "executed" event for them in the
       re-run, the entry's files not rewritten), and rows complete at the kill are "reused" with
       their manifest untouched; at the kill, no final name held a half-written file.
publish every release verifies (``reportkit verify``), each client's latest.json points to a release
       holding exactly the build's report.html/report.pdf, index.html lists only complete
       releases; no temporary file or staging folder is left under the destination; releases complete
       at the kill are not rewritten; at the kill, latest.json/index.html pointed only at complete
       releases. Publish modes rotate: "fresh" (empty destination), "partial" (one client already
       published), "new-version" (both clients hold the Chinese edition; the English one is published).

A trial passes when its command was killed (not finished first) and every check holds. Prints one
line per trial and ``kill_trials_ok = N/T``; merges ``kill_trials_ok`` and ``kill_trials``
(set-up, every trial's command, kill moment, what was checked, pass/fail reasons) into
bench/results.json unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
SPEC = "reports/china-ecommerce-2024.yaml"
PROJECT_PARTS = ("reportkit", "notebooks", "reports", "data", "templates", "pyproject.toml")
TAG_VAR = "REPORTKIT_KILL_TRIAL"
PUBLISH_MODES = ("fresh", "partial", "new-version")
CLIENT_FILES = ("report.html", "report.pdf")
ROW_FILES = ("report.html", "report.pdf", "manifest.json")


def reportkit_exe() -> str:
    for candidate in (ROOT / ".venv" / "bin" / "reportkit", Path(sys.executable).parent / "reportkit"):
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("reportkit")
    if not found:
        raise SystemExit("kill_trials: the reportkit command is not installed (make setup)")
    return found


# --------------------------------------------------------------------------- small helpers

def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def is_temporary(name: str) -> bool:
    """The kit's temporary names: ``.<name>.XXXX.partial`` (atomic.py), ``.<stem>.<pid>.partial.ipynb``
    (execute.py), ``.report.pdf.XXXX.tmp`` (render/pdf.py), ``.<version>.partial-XXXX/`` (publish)."""
    return ".partial" in name or name.endswith(".tmp")


def temporaries(root: Path) -> list[str]:
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) + ("/" if p.is_dir() else "") for p in root.rglob("*") if is_temporary(p.name))


def complete_pdf(path: Path) -> bool:
    data = path.read_bytes()
    return data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]


def complete_html(path: Path) -> bool:
    return path.read_text(encoding="utf-8", errors="replace").rstrip().endswith("</html>")


def files_match(folder: Path, files: dict[str, Any]) -> list[str]:
    """Problems of ``folder``'s files against ``{name: {bytes, sha256}}`` ([] when all match)."""
    problems = []
    for rel, meta in sorted(files.items()):
        path = folder / rel
        if not path.is_file():
            problems.append(f"{path.name} missing")
        elif path.stat().st_size != meta.get("bytes") or sha256(path) != meta.get("sha256"):
            problems.append(f"{rel} does not match its recorded hash")
    return problems


def final_name_problems(root: Path) -> list[str]:
    """Half-written files under a final (non-temporary) name: what a reader would be misled by."""
    problems = []
    if not root.exists():
        return problems
    for path in root.rglob("*"):
        if not path.is_file() or any(is_temporary(part) for part in path.relative_to(root).parts):
            continue
        rel = str(path.relative_to(root))
        try:
            if path.suffix in (".json", ".ipynb"):
                read_json(path)
            elif path.name.endswith(".pdf") and not complete_pdf(path):
                problems.append(f"{rel}: not a complete PDF")
            elif path.suffix == ".html" and not complete_html(path):
                problems.append(f"{rel}: HTML cut short (no closing </html>)")
        except (OSError, ValueError) as exc:
            problems.append(f"{rel}: unreadable ({type(exc).__name__})")
    return problems


# --------------------------------------------------------------------------- processes

def tagged_processes(tag: str) -> list[psutil.Process]:
    """Live (non-zombie) processes whose environment carries ``TAG_VAR=tag``."""
    found = []
    for proc in psutil.process_iter(["pid"]):
        try:
            if proc.pid == os.getpid() or proc.status() == psutil.STATUS_ZOMBIE:
                continue
            if proc.environ().get(TAG_VAR) == tag:
                found.append(proc)
        except (psutil.Error, OSError):
            continue
    return found


def describe(proc: psutil.Process) -> str:
    """What a tagged process is, with its parent and age: which kind outlived a kill says where to look."""
    try:
        cmd = " ".join(proc.cmdline())
        ppid, age = proc.ppid(), time.time() - proc.create_time()
        threads = proc.num_threads()
    except psutil.Error:
        cmd, ppid, age, threads = "?", 0, 0.0, 0
    name = f"{cmd[:60]}"
    if "reportkit.kernel_template" in cmd:
        try:  # a forked kernel keeps its template's command line; the template's parent is not a template
            forked = "reportkit.kernel_template" in " ".join(psutil.Process(ppid).cmdline())
        except psutil.Error:
            forked = False
        name = "forked kernel" if forked else "kernel template"
    else:
        for marker, kind in (("ipykernel", "kernel"), ("spawn_main", "pool worker"),
                             ("resource_tracker", "resource tracker"), ("reportkit", "reportkit command")):
            if marker in cmd:
                name = kind
                break
    return f"{name} (pid {proc.pid}, parent {ppid}, {threads} threads, started {age:.1f} s ago)"


def reap(tag: str, grace: float) -> dict[str, Any]:
    """Wait up to ``grace`` s for every tagged process to end; SIGKILL and report those that do not."""
    first = tagged_processes(tag)
    outlived = [describe(p) for p in first]
    started = time.monotonic()
    alive = first
    while alive and time.monotonic() - started < grace:
        time.sleep(0.1)
        alive = tagged_processes(tag)
    lingered = round(time.monotonic() - started, 2) if first else 0.0
    survivors = [describe(p) for p in alive]
    for proc in alive:
        try:
            proc.kill()
        except psutil.Error:
            pass
    if alive:
        psutil.wait_procs(alive, timeout=3)
    return {"alive_just_after_kill": outlived, "lingered_seconds": lingered, "survivors": survivors}


@dataclass
class Env:
    project: Path
    exe: str

    def make(self, tag: str, tmpdir: Path) -> dict[str, str]:
        tmpdir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(self.project), *filter(None, [env.get("PYTHONPATH")])])
        env[TAG_VAR] = tag
        env["TMPDIR"] = str(tmpdir)  # kernels' IPC folders and connection files stay in the trial's folder
        env.setdefault("MPLBACKEND", "Agg")
        return env


def run(cmd: list[str], env: dict[str, str], cwd: Path, timeout: float = 600) -> dict[str, Any]:
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    return {"rc": proc.returncode, "seconds": round(time.monotonic() - started, 3), "stdout": proc.stdout,
            "stderr": proc.stderr}


def first_write_time(cmd: list[str], env: dict[str, str], cwd: Path, written: Any) -> dict[str, Any]:
    """Run ``cmd`` to completion (untimed set-up), noting when ``written()`` first turns true."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = None
    while proc.poll() is None:
        if first is None and written():
            first = time.monotonic() - started
        time.sleep(0.002)
    out, err = proc.communicate()
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"kill_trials: set-up command failed ({proc.returncode}): {' '.join(cmd)}\n{err[-2000:]}")
    return {"seconds": round(seconds, 3), "first_write": round(first if first is not None else seconds, 3)}


def run_and_kill(cmd: list[str], env: dict[str, str], cwd: Path, at: float, tag: str, grace: float,
                 log: Path, anchor: Any = None, anchor_at: float = 0.0) -> dict[str, Any]:
    """Start ``cmd`` in a new session; at ``at`` s SIGKILL its process group; reap what is left.

    ``anchor`` (a callable): the clock is re-set when it first turns true (the command's first
    written file, expected at ``anchor_at`` s): the kill then comes ``at - anchor_at`` s after it,
    so start-up jitter does not decide whether a 40 ms write phase is hit."""
    with open(log, "wb") as out:
        started = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        target, seen = at, None
        if anchor is not None:
            while proc.poll() is None and not anchor():
                time.sleep(0.0005)
            seen = time.monotonic() - started
            target = seen + max(0.0, at - anchor_at)
        remaining = target - (time.monotonic() - started)
        try:
            proc.wait(timeout=max(0.0, remaining))
            finished = True
        except subprocess.TimeoutExpired:
            finished = False
        if finished:
            result = {"killed": False, "finished_before_kill": True, "rc": proc.returncode,
                      "elapsed": round(time.monotonic() - started, 3)}
        else:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            elapsed = time.monotonic() - started
            proc.wait()
            result = {"killed": True, "finished_before_kill": False, "rc": proc.returncode, "elapsed": round(elapsed, 3)}
        if seen is not None:
            result["first_write_seen_s"] = round(seen, 3)
    result.update(reap(tag, grace))
    return result


# --------------------------------------------------------------------------- batch trials

def batch_cmd(exe: str, matrix: Path, out: Path, cache: Path, lang: str | None = None) -> list[str]:
    cmd = [exe, "batch", SPEC, "--matrix", str(matrix), "--out", str(out), "--cache-dir", str(cache),
           "--workers", "2", "--json"]
    return cmd + (["--lang", lang] if lang else [])


def cache_entries(cache: Path) -> dict[str, dict[str, int]]:
    """Complete run-cache entries (notebook matching its record): key → files' mtime_ns."""
    entries = {}
    if not cache.is_dir():
        return entries
    for record in cache.glob("*.json"):
        if is_temporary(record.name):
            continue
        notebook = record.with_suffix(".ipynb")
        try:
            meta = read_json(record)
            if notebook.stat().st_size == meta["bytes"] and sha256(notebook) == meta["sha256"]:
                entries[record.stem] = {"ipynb": notebook.stat().st_mtime_ns, "json": record.stat().st_mtime_ns}
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return entries


def complete_rows(out: Path, ids: list[str]) -> dict[str, int]:
    """Rows whose manifest.json is there with every file it lists intact: row → manifest mtime_ns."""
    rows = {}
    for row in ids:
        manifest = out / row / "manifest.json"
        try:
            files = read_json(manifest).get("files") or {}
        except (OSError, ValueError):
            continue
        if files and not files_match(out / row, files):
            rows[row] = manifest.stat().st_mtime_ns
    return rows


def visible_batch_problems(out: Path, cache: Path, ids: list[str]) -> list[str]:
    problems = [f"out/{p}" for p in final_name_problems(out)] + [f"cache/{p}" for p in final_name_problems(cache)]
    for row in ids:  # a manifest under its final name must describe intact files
        manifest = out / row / "manifest.json"
        if manifest.is_file():
            try:
                files = read_json(manifest).get("files") or {}
            except (OSError, ValueError):
                continue  # already reported as unreadable
            problems += [f"out/{row}: {p}" for p in files_match(out / row, files)]
    for record in cache.glob("*.json") if cache.is_dir() else []:
        if is_temporary(record.name):
            continue  # a record under its final name vouches for its notebook
        if record.stem not in cache_entries(cache):
            problems.append(f"cache/{record.name}: its notebook does not match the record")
    return problems


def batch_events(stdout: str) -> tuple[list[dict[str, Any]], int]:
    events, bad = [], 0
    for line in stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            events.append(json.loads(line))
        except ValueError:
            bad += 1
    return events, bad


def check_batch(out: Path, cache: Path, ids: list[str], at_kill: dict[str, Any], rerun: dict[str, Any]) -> dict[str, Any]:
    checks: dict[str, Any] = {}
    reasons: list[str] = []

    def check(name: str, ok: bool, why: str = "") -> None:
        checks[name] = ok
        if not ok:
            reasons.append(f"{name}: {why}")

    check("rerun_exit_0", rerun["rc"] == 0, f"exit code {rerun['rc']}: {rerun['stderr'][-400:]}")
    # every row complete
    missing = []
    for row in ids:
        for name in ROW_FILES:
            if not (out / row / name).is_file():
                missing.append(f"{row}/{name}")
        try:
            files = read_json(out / row / "manifest.json").get("files") or {}
            missing += [f"{row}: {p}" for p in files_match(out / row, files)]
            if not files:
                missing.append(f"{row}/manifest.json lists no files")
        except (OSError, ValueError):
            pass
        pdf, page = out / row / "report.pdf", out / row / "report.html"
        if pdf.is_file() and not complete_pdf(pdf):
            missing.append(f"{row}/report.pdf incomplete")
        if page.is_file() and not complete_html(page):
            missing.append(f"{row}/report.html incomplete")
    check("rows_complete", not missing, "; ".join(missing[:6]))
    try:
        index = read_json(out / "index.json")
        statuses = {r["id"]: r["status"] for r in index.get("rows", [])}
        summary = index.get("summary", {})
        ok = (sorted(statuses) == sorted(ids) and all(s in ("done", "reused") for s in statuses.values())
              and not summary.get("failed") and not summary.get("interrupted") and not summary.get("runs_failed"))
        check("index_ok", ok, f"rows {statuses}, summary failed={summary.get('failed')} "
                              f"interrupted={summary.get('interrupted')}")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        check("index_ok", False, f"index.json unreadable ({type(exc).__name__}: {exc})")
    left = [f"out/{p}" for p in temporaries(out)] + [f"cache/{p}" for p in temporaries(cache)]
    check("no_temporary_files", not left, ", ".join(left[:6]))
    visible = visible_batch_problems(out, cache, ids)
    check("no_half_written_after_rerun", not visible, "; ".join(visible[:6]))
    check("no_half_written_at_kill", not at_kill["visible_problems"], "; ".join(at_kill["visible_problems"][:6]))
    # finished work not redone
    events, bad_lines = batch_events(rerun["stdout"])
    executed = {e.get("detail", {}).get("run_key") for e in events if e.get("kind") == "run" and e.get("status") == "executed"}
    cached = {e.get("detail", {}).get("run_key") for e in events if e.get("kind") == "run" and e.get("status") == "cached"}
    row_status = {e.get("name"): e.get("status") for e in events if e.get("kind") == "row"}
    now_entries = cache_entries(cache)
    redone = sorted(k for k in at_kill["cache_entries"] if k in executed)
    rewritten = sorted(k for k, m in at_kill["cache_entries"].items() if now_entries.get(k) != m)
    rebuilt = sorted(r for r in at_kill["complete_rows"] if row_status.get(r) != "reused")
    touched = sorted(r for r, m in at_kill["complete_rows"].items()
                     if not (out / r / "manifest.json").is_file() or (out / r / "manifest.json").stat().st_mtime_ns != m)
    check("finished_runs_not_redone", not redone and not rewritten,
          f"executed again: {redone}; cache entries rewritten: {rewritten}")
    check("finished_rows_reused", not rebuilt and not touched, f"rebuilt: {rebuilt}; manifest rewritten: {touched}")
    check("rerun_events_parse", bad_lines == 0, f"{bad_lines} unparseable --json lines")
    return {
        "checks": checks, "reasons": reasons,
        "rerun": {"rc": rerun["rc"], "seconds": rerun["seconds"], "runs_executed": len(executed),
                  "runs_cached": len(cached), "rows": row_status},
    }


# --------------------------------------------------------------------------- publish trials

def publish_cmd(exe: str, source: Path, dest: Path) -> list[str]:
    return [exe, "publish", str(source), "--to", str(dest)]


def release_problems(folder: Path) -> list[str]:
    try:
        manifest = read_json(folder / "manifest.json")
    except (OSError, ValueError) as exc:
        return [f"{folder.name}: no readable manifest.json ({type(exc).__name__})"]
    files = manifest.get("files") or {}
    return [f"{folder.name}: {p}" for p in files_match(folder, files)] + ([] if files else [f"{folder.name}: no files"])


def releases(dest: Path) -> dict[str, int]:
    """Visible release folders (``client/report/version``) → manifest mtime_ns (-1: no manifest)."""
    found = {}
    if not dest.is_dir():
        return found
    for client in sorted(p for p in dest.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for report in sorted(p for p in client.iterdir() if p.is_dir() and not p.name.startswith(".")):
            for version in sorted(p for p in report.iterdir() if p.is_dir() and not p.name.startswith(".")):
                manifest = version / "manifest.json"
                found[str(version.relative_to(dest))] = manifest.stat().st_mtime_ns if manifest.is_file() else -1
    return found


def visible_publish_problems(dest: Path) -> list[str]:
    """What a reader of ``dest`` could be misled by: incomplete visible releases, a pointer or an
    index naming anything but a complete release, a half-written file under a final name."""
    problems = list(final_name_problems(dest))
    complete = set()
    for rel in releases(dest):
        bad = release_problems(dest / rel)
        problems += [f"{rel}: {p}" for p in bad]
        if not bad:
            complete.add(rel)
    for pointer in dest.glob("*/*/latest.json") if dest.is_dir() else []:
        try:
            version = read_json(pointer)["version"]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # reported by final_name_problems when unreadable
        rel = str(pointer.parent.relative_to(dest) / version)
        if rel not in complete:
            problems.append(f"{pointer.relative_to(dest)} points to {version}, not a complete release")
    for index in dest.glob("*/index.html") if dest.is_dir() else []:
        text = index.read_text(encoding="utf-8", errors="replace")
        client = index.parent.name
        for chunk in text.split('href="')[1:]:
            link = chunk.split('"', 1)[0]
            if link.startswith("#"):
                continue  # a place on the page itself (the skip link, a report's card)
            rel = f"{client}/{link.rsplit('/', 1)[0]}"
            if rel not in complete:
                problems.append(f"{client}/index.html links {link}, not in a complete release")
    return problems


def check_publish(env: dict[str, str], cwd: Path, exe: str, source: Path, dest: Path, at_kill: dict[str, Any],
                  rerun: dict[str, Any]) -> dict[str, Any]:
    checks: dict[str, Any] = {}
    reasons: list[str] = []

    def check(name: str, ok: bool, why: str = "") -> None:
        checks[name] = ok
        if not ok:
            reasons.append(f"{name}: {why}")

    check("rerun_exit_0", rerun["rc"] == 0, f"exit code {rerun['rc']}: {rerun['stderr'][-400:]}")
    from reportkit.manifest import Manifest

    rows = [r["id"] for r in read_json(source / "index.json")["rows"] if r["status"] in ("done", "reused")]
    wrong = []
    for row in rows:
        # each language edition has its own folder under a client (the English one: <report>-en)
        report = Manifest.read(source / row / "manifest.json").release_folder
        pointer = dest / row / report / "latest.json"
        try:
            version = read_json(pointer)["version"]
        except (OSError, ValueError, KeyError, TypeError):
            wrong.append(f"{row}: no readable latest.json")
            continue
        folder = dest / row / report / version
        for name in CLIENT_FILES:
            if not (folder / name).is_file() or sha256(folder / name) != sha256(source / row / name):
                wrong.append(f"{row}: latest {version}/{name} is not the build's {name}")
        if not (dest / row / "index.html").is_file() or version not in (dest / row / "index.html").read_text(encoding="utf-8"):
            wrong.append(f"{row}: index.html does not list {version}")
    check("latest_is_the_build", not wrong, "; ".join(wrong[:6]))
    failed = []
    verified = 0
    for rel in releases(dest):
        res = run([exe, "verify", str(dest / rel)], env, cwd, timeout=120)
        verified += 1
        if res["rc"] != 0:
            failed.append(f"{rel}: {(res['stdout'] + res['stderr']).strip()[-300:]}")
    check("every_release_verifies", not failed and verified > 0, "; ".join(failed[:4]) or "no release found")
    left = temporaries(dest)
    check("no_temporary_files", not left, ", ".join(left[:6]))
    visible = visible_publish_problems(dest)
    check("no_half_written_after_rerun", not visible, "; ".join(visible[:6]))
    check("no_half_written_at_kill", not at_kill["visible_problems"], "; ".join(at_kill["visible_problems"][:6]))
    now = releases(dest)
    rewritten = sorted(rel for rel, m in at_kill["complete_releases"].items() if now.get(rel) != m)
    check("finished_releases_not_redone", not rewritten, f"rewritten: {rewritten}")
    return {"checks": checks, "reasons": reasons,
            "rerun": {"rc": rerun["rc"], "seconds": rerun["seconds"], "releases_verified": verified,
                      "output": rerun["stdout"].strip().splitlines()[-4:]}}


# --------------------------------------------------------------------------- set-up and trials

@dataclass
class Setup:
    work: Path
    project: Path
    matrix: Path
    ids: list[str]
    exe: str
    source_zh: Path
    source_en: Path
    dest_partial: Path
    dest_zh: Path
    timing: dict[str, dict[str, float]] = field(default_factory=dict)

    def window(self, kind: str, floor: float) -> tuple[float, float]:
        """Batch: [min(floor, 0.9 × first write), typical duration]. Publish (0.2 s in all, most of
        it start-up): [first write, typical duration], anchored on the first write (see run_and_kill)."""
        t = self.timing[kind]
        if kind.startswith("publish"):  # the first half of its writing time: killed while it writes
            return t["first_write"], t["first_write"] + 0.5 * max(t["seconds"] - t["first_write"], 0.0)
        return round(min(floor, 0.9 * t["first_write"]), 3), round(0.8 * t["seconds"], 3)  # killed before it ends

    def anchor(self, mode: str, dest: Path) -> tuple[Any, float]:
        """A publish's first write to ``dest`` (a callable) and when the set-up run saw it."""
        at = self.timing[f"publish-{mode}"]["first_write"]
        if mode == "fresh":
            return dest.exists, at
        if mode == "partial":
            return (dest / self.ids[1]).exists, at
        return entry_appears(dest / self.ids[0]), at


def entry_appears(client: Path) -> Any:
    """A callable that turns true once anything new appears in the client folder ``client``: the
    English edition is released into a folder of its own (``<report>-en``, beside the Chinese
    edition's), so its publish's first write is a new entry there, not one in the Chinese folder."""
    before = set(os.listdir(client))
    return lambda: set(os.listdir(client)) != before


def copy_project(target: Path) -> Path:
    target.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.executed.ipynb")
    for part in PROJECT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, target / part, ignore=ignore)
        elif source.is_file():
            shutil.copy2(source, target / part)
    return target


def setup(work: Path, floor: float, say: Any, modes: set[str] | None = None) -> Setup:
    """Build, publish and time what the trials start from. ``modes``: the publish modes the trials
    use (default: all); the English batch is built only for "new-version" trials (about a third of
    the set-up), so a short run (the test's two trials) does not pay for it."""
    modes = set(PUBLISH_MODES) if modes is None else modes
    exe = reportkit_exe()
    project = copy_project(work / "project")
    matrix = work / "two-clients.csv"
    with open(ROOT / "reports" / "clients.csv", encoding="utf-8") as fh:
        lines = fh.read().splitlines()[:3]  # header + 2 rows (head -3)
    matrix.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ids = [row["id"] for row in csv.DictReader(matrix.open(encoding="utf-8"))]
    base = Env(project, exe)
    env = base.make("setup", work / "setup-tmp")
    s = Setup(work, project, matrix, ids, exe, work / "setup" / "zh", work / "setup" / "en",
              work / "setup" / "dest-partial", work / "setup" / "dest-zh")
    say("set-up: cold batch (untimed measurement) …")
    s.timing["batch"] = first_write_time(batch_cmd(exe, matrix, s.source_zh, work / "setup" / "cache-measure"), env,
                                         project, s.source_zh.exists)
    if "new-version" in modes:
        res = run(batch_cmd(exe, matrix, s.source_en, work / "setup" / "cache-measure", lang="en"), env, project)
        if res["rc"] != 0:
            raise SystemExit(f"kill_trials: the English batch failed:\n{res['stderr'][-2000:]}")
    say("set-up: publish timings …")
    measure = work / "setup" / "dest-measure"
    s.timing["publish-fresh"] = first_write_time(publish_cmd(exe, s.source_zh, measure), env, project, measure.exists)
    shutil.copytree(measure, s.dest_zh)
    res = run([exe, "publish", str(s.source_zh), "--to", str(s.dest_partial), "--client", ids[0]], env, project)
    if res["rc"] != 0:
        raise SystemExit(f"kill_trials: set-up publish failed:\n{res['stderr'][-2000:]}")
    measure = work / "setup" / "dest-measure-partial"
    shutil.copytree(s.dest_partial, measure)
    s.timing["publish-partial"] = first_write_time(publish_cmd(exe, s.source_zh, measure), env, project,
                                                   (measure / ids[1]).exists)
    if "new-version" in modes:
        measure = work / "setup" / "dest-measure-new"
        shutil.copytree(s.dest_zh, measure)
        s.timing["publish-new-version"] = first_write_time(publish_cmd(exe, s.source_en, measure), env, project,
                                                           entry_appears(measure / ids[0]))
    reap("setup", 5.0)
    return s


def batch_trial(s: Setup, n: int, at: float, grace: float) -> dict[str, Any]:
    folder = s.work / f"trial-{n:02d}"
    out, cache = folder / "out", folder / "cache"
    tag = f"kt-{os.getpid()}-{n}"
    env = Env(s.project, s.exe).make(tag, folder / "tmp")
    cmd = batch_cmd(s.exe, s.matrix, out, cache)
    kill = run_and_kill(cmd, env, s.project, at, tag, grace, folder / "killed.log")
    at_kill = {
        "cache_entries": cache_entries(cache),
        "complete_rows": complete_rows(out, s.ids),
        "temporary_files": [f"out/{p}" for p in temporaries(out)] + [f"cache/{p}" for p in temporaries(cache)],
        "visible_problems": visible_batch_problems(out, cache, s.ids),
    }
    rerun = run(cmd, env, s.project)
    after = check_batch(out, cache, s.ids, at_kill, rerun)
    leftover = reap(tag, grace)
    after["checks"]["no_survivors"] = not kill["survivors"] and not leftover["survivors"]
    if not after["checks"]["no_survivors"]:
        after["reasons"].append(f"no_survivors: alive {grace} s after the kill: {kill['survivors']}; "
                                f"after the re-run: {leftover['survivors']}")
    return {
        "kind": "batch", "command": " ".join(cmd), "kill_at_s": round(at, 3), "kill": kill,
        "state_at_kill": {"complete_cache_entries": sorted(at_kill["cache_entries"]),
                          "complete_rows": sorted(at_kill["complete_rows"]),
                          "temporary_files": at_kill["temporary_files"],
                          "visible_problems": at_kill["visible_problems"]},
        "leftover_tmpdir": sorted(p.name for p in (folder / "tmp").iterdir()) if (folder / "tmp").is_dir() else [],
        **after,
    }


def publish_trial(s: Setup, n: int, mode: str, at: float, grace: float) -> dict[str, Any]:
    folder = s.work / f"trial-{n:02d}"
    dest = folder / "dest"
    folder.mkdir(parents=True, exist_ok=True)
    if mode == "partial":
        shutil.copytree(s.dest_partial, dest)
    elif mode == "new-version":
        shutil.copytree(s.dest_zh, dest)
    source = s.source_en if mode == "new-version" else s.source_zh
    tag = f"kt-{os.getpid()}-{n}"
    env = Env(s.project, s.exe).make(tag, folder / "tmp")
    cmd = publish_cmd(s.exe, source, dest)
    before = releases(dest)
    anchor, anchor_at = s.anchor(mode, dest)
    kill = run_and_kill(cmd, env, s.project, at, tag, grace, folder / "killed.log", anchor, anchor_at)
    complete = {rel: m for rel, m in releases(dest).items() if not release_problems(dest / rel)}
    at_kill = {"complete_releases": complete, "temporary_files": temporaries(dest),
               "visible_problems": visible_publish_problems(dest)}
    rerun = run(cmd, env, s.project)
    after = check_publish(env, s.project, s.exe, source, dest, at_kill, rerun)
    leftover = reap(tag, grace)
    after["checks"]["no_survivors"] = not kill["survivors"] and not leftover["survivors"]
    if not after["checks"]["no_survivors"]:
        after["reasons"].append(f"no_survivors: {kill['survivors'] + leftover['survivors']}")
    return {
        "kind": "publish", "mode": mode, "command": " ".join(cmd), "kill_at_s": round(at, 3), "kill": kill,
        "state_at_kill": {"releases_before": sorted(before), "complete_releases": sorted(complete),
                          "new_complete_releases": sorted(set(complete) - set(before)),
                          "temporary_files": at_kill["temporary_files"],
                          "visible_problems": at_kill["visible_problems"]},
        **after,
    }


def plan_trials(trials: int, seed: int) -> list[dict[str, Any]]:
    """Kind, publish mode and the kill moment's fraction u of its window, for every trial: drawn
    before anything is measured, so a seed gives the same plan on any machine."""
    rng = random.Random(seed)
    plan = []
    for n in range(trials):
        kind = "batch" if n % 2 == 0 else "publish"
        mode = PUBLISH_MODES[(n // 2) % len(PUBLISH_MODES)] if kind == "publish" else None
        plan.append({"n": n + 1, "kind": kind, "mode": mode, "u": round(rng.random(), 4)})
    return plan


def run_trials(trials: int = 20, seed: int = 14, *, floor: float = 0.5, grace: float = 5.0, work: Path | None = None,
               keep: bool = False, say: Any = print) -> dict[str, Any]:
    own = work is None
    work = Path(tempfile.mkdtemp(prefix="kill-trials-")) if own else Path(work)
    started = time.monotonic()
    try:
        plan = plan_trials(trials, seed)
        s = setup(work, floor, say, modes={p["mode"] for p in plan if p["kind"] == "publish"})
        results = []
        for p in plan:
            key = "batch" if p["kind"] == "batch" else f"publish-{p['mode']}"
            lo, hi = s.window(key, floor)
            at = lo + p["u"] * (hi - lo)
            t0 = time.monotonic()
            if p["kind"] == "batch":
                r = batch_trial(s, p["n"], at, grace)
            else:
                r = publish_trial(s, p["n"], p["mode"], at, grace)
            # a command that ended before its kill moment tested no kill: it does not count as passed
            r = {"trial": p["n"], "u": p["u"], "window_s": [lo, hi], **r,
                 "passed": bool(r["kill"]["killed"]) and all(r["checks"].values()),
                 "seconds": round(time.monotonic() - t0, 1)}
            results.append(r)
            what = (f"killed at {r['kill']['elapsed']:.2f} s" if r["kill"]["killed"]
                    else f"finished before the kill ({r['kill']['elapsed']:.2f} s)")
            state = r["state_at_kill"]
            done = (f"{len(state['complete_cache_entries'])} runs/{len(state['complete_rows'])} rows complete"
                    if r["kind"] == "batch" else f"{len(state['new_complete_releases'])} new releases complete")
            say(f"trial {p['n']:2d} {r['kind']:7s} {(p['mode'] or ''):11s} {what}; {done}, "
                f"{len(state['temporary_files'])} temporaries at kill → {'ok' if r['passed'] else 'FAIL'}"
                + ("" if r["passed"] else "  " + " | ".join(r["reasons"] or ["not killed: it finished first"])))
        ok = sum(r["passed"] for r in results)
        failed_checks: dict[str, int] = {}
        for r in results:
            for name, passed in r["checks"].items():
                if not passed:
                    failed_checks[name] = failed_checks.get(name, 0) + 1
        summary = {
            "ok": ok, "trials": len(results), "seed": seed, "grace_seconds": grace,
            "typical_seconds": s.timing, "failed_checks": failed_checks,
            "survivors": sum(bool(r["kill"]["survivors"]) for r in results),
            "killed": sum(r["kill"]["killed"] for r in results),
            "seconds": round(time.monotonic() - started, 1), "work": str(work) if keep else None,
            "results": results,
        }
        if keep:
            (work / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
        return summary
    finally:
        if own and not keep:
            shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--no-write", action="store_true", help="do not merge the results into bench/results.json")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    ap.add_argument("--grace", type=float, default=5.0, help="seconds processes may outlive the kill (default 5)")
    ap.add_argument("--min-kill", type=float, default=0.5,
                    help="earliest kill moment in s (lowered to 0.9 × time to the first written file)")
    args = ap.parse_args(argv)
    if args.trials < 1:
        ap.error("--trials: expected at least 1")
    summary = run_trials(args.trials, args.seed, floor=args.min_kill, grace=args.grace, keep=args.keep,
                         say=lambda m: print(m, flush=True))
    print("typical durations (s): " + ", ".join(f"{k} {v['seconds']} (first write {v['first_write']})"
                                                  for k, v in summary["typical_seconds"].items()))
    if summary["failed_checks"]:
        print("failed checks: " + ", ".join(f"{k} ×{v}" for k, v in summary["failed_checks"].items()))
    if summary["work"]:
        print(f"kept: {summary['work']}")
    print(f"killed {summary['killed']} of {summary['trials']} commands; survivors {summary['survivors']}")
    print(f"kill_trials_ok = {summary['ok']}/{summary['trials']}")
    if not args.no_write:
        sys.path.insert(0, str(ROOT))
        from bench.results import merge_results

        merge_results({"kill_trials_ok": summary["ok"], "kill_trials": summary})
    return 0 if summary["ok"] == summary["trials"] else 1


if __name__ == "__main__":
    sys.exit(main())
