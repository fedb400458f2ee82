"""Background report jobs: one worker thread in the application process.

A cohort report takes seconds to minutes, longer than a request should wait. Asking for one
stores a job (:mod:`dresskit.registry.report_jobs`: its state, progress and parameters live
in the ``report_jobs`` table, so the status page survives a reload) and hands it to this
process's :class:`JobRunner`, one worker thread with a queue: reports are built one at a
time, so one person's large report cannot starve the server of its cores.

The report is built as ``dresskit report --db`` builds it (src/dresskit/cli/reports.py):
:func:`dresskit.analysis.report.build_report`, the figures, the self-contained HTML, the
definitions page, every table as CSV and XLSX (and all of them in one workbook,
``report.xlsx``), written into ``work_dir/<job id>/`` whole or not at all
(:func:`dresskit.atomic.atomic_folder`). The cohort comes from
:func:`dresskit.registry.cohorts.choose_cohort`, de-identified for an account that sees
de-identified data only. The PDF is optional per job and laid out by WeasyPrint in a child
process with a time limit: when it fails or takes too long, the job still finishes with its
HTML and XLSX and says why there is no PDF.

Only the files of :data:`DOWNLOADS` are ever served, by their fixed names: a file name in a
request is looked up in that table, never joined to a path.
"""

from __future__ import annotations

import logging
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any, Final

from fastapi import Request
from sqlalchemy import Engine

from dresskit.errors import DresskitError, InputError, InputErrors
from dresskit.registry.access import Permission, Role, allowed
from dresskit.registry.accounts import Account, account
from dresskit.registry.cohorts import DEIDENTIFIED_DAY_ZERO, CohortFilter, choose_cohort
from dresskit.registry.report_jobs import (
    ReportJob,
    create_job,
    fail_job,
    finish_job,
    get_job,
    jobs_of,
    set_progress,
)
from dresskit.web.auth import engine_of, settings_of

__all__ = [
    "DOWNLOADS",
    "INDEX_EVENTS",
    "MAX_UNFINISHED_JOBS",
    "PDF_TIMEOUT_SECONDS",
    "STALE_AFTER",
    "JobRunner",
    "ReportRequest",
    "TooManyJobsError",
    "build_report_files",
    "check_index",
    "job_file",
    "runner_of",
    "visible_job",
]

#: The files a job's owner may download: name -> (media type, label). Nothing else is served.
DOWNLOADS: Final[dict[str, tuple[str, str]]] = {
    "report.html": ("text/html; charset=utf-8", "HTML report"),
    "report.pdf": ("application/pdf", "PDF report"),
    "report.xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Every table (XLSX workbook)",
    ),
    "definitions.html": ("text/html; charset=utf-8", "Definitions"),
}
#: The index events offered by name (an agent of a biologic or other treatment also works).
INDEX_EVENTS: Final = ("ivig", "steroid", "onset", "admission")
#: How long the PDF may take to lay out before the job finishes without it.
PDF_TIMEOUT_SECONDS: Final = 300.0
#: A job not finished whose last progress is older than this is no longer worked on (the
#: server stopped): it is marked failed when next looked at.
STALE_AFTER: Final = timedelta(hours=1)
#: The figure files written beside the report (the HTML and PDF embed the SVG).
_FIGURE_FORMATS: Final = ("svg",)
#: Progress is written at most this often (seconds), besides every change of step.
_PROGRESS_EVERY: Final = 1.0
#: The child process laying out the PDF: HTML on standard input, PDF on standard output.
_PDF_PROGRAM: Final = (
    "import sys; from dresskit.analysis.rendering import render_pdf; "
    "sys.stdout.buffer.write(render_pdf(sys.stdin.buffer.read().decode('utf-8')))"
)
_MAX_INDEX: Final = 100
#: Jobs one account may have queued or running at a time.
MAX_UNFINISHED_JOBS: Final = 3


class TooManyJobsError(DresskitError):
    """The account already has as many unfinished jobs as allowed (answer 429)."""


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """What a report job builds: the cohort, the index event (day 0), whether a PDF too."""

    cohort: CohortFilter
    index: str = "ivig"
    pdf: bool = False

    def parameters(self, *, deidentified: bool) -> dict[str, Any]:
        """Return the job's stored parameters."""
        return {
            "cohort": self.cohort.as_json(),
            "index": self.index,
            "pdf": self.pdf,
            "deidentified": deidentified,
        }

    @classmethod
    def from_parameters(cls, parameters: dict[str, Any]) -> ReportRequest:
        """Return the request :meth:`parameters` stored."""
        return cls(
            CohortFilter.from_json(parameters.get("cohort") or {}),
            str(parameters.get("index", "ivig")),
            bool(parameters.get("pdf", False)),
        )


def check_index(index: str) -> str:
    """Return ``index`` if it can name an index event (an agent is checked by the report).

    Raises
    ------
    InputError
        For an empty, over-long or unprintable value.
    """
    text = index.strip() if isinstance(index, str) else ""
    if not text or len(text) > _MAX_INDEX or not text.isprintable():
        raise InputError(
            "index",
            index,
            f"{', '.join(INDEX_EVENTS)} or the name of a biologic or other treatment "
            f"(at most {_MAX_INDEX} characters)",
        )
    return text


def _title(cohort: CohortFilter, deidentified: bool) -> str:
    title = f"Cohort report: {cohort.describe()}"
    if deidentified:
        title += (
            f" (de-identified: pseudonymous ids; every date is days from the episode's onset, "
            f"written from {DEIDENTIFIED_DAY_ZERO.isoformat()} = day 0)"
        )
    return title


def _pdf(html: str, timeout: float) -> tuple[bytes | None, str | None]:
    """Lay the report out as PDF in a child process: (the PDF, or None and why not)."""
    try:
        done = subprocess.run(  # our own interpreter and program; no shell
            [sys.executable, "-c", _PDF_PROGRAM],
            input=html.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None, f"laying it out took longer than {timeout:g} s"
    except OSError as error:
        return None, f"the PDF program could not start ({error.strerror or error})"
    if done.returncode != 0 or not done.stdout.startswith(b"%PDF"):
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = lines[-1] if lines else f"exit status {done.returncode}"
        # "dresskit.errors.ConfigurationError: the PDF report needs ..." -> the sentence.
        head, _, rest = reason.partition(": ")
        return None, (rest if rest and " " not in head else reason)[:500]
    return done.stdout, None


Progress = Callable[[str, int], None]


def build_report_files(
    engine: Engine,
    owner: Account,
    request: ReportRequest,
    folder: Path,
    *,
    progress: Progress,
    deidentified: bool | None = None,
    pdf_timeout: float = PDF_TIMEOUT_SECONDS,
) -> tuple[list[str], list[str], dict[str, Any]]:
    """Build the report of ``request`` for ``owner`` into ``folder`` (written atomically).

    ``deidentified``: build it from the de-identified cohort (default: unless the owner sees
    identified data).

    Returns
    -------
    tuple
        The files written (names of :data:`DOWNLOADS`), notes for the owner, and the audit
        record's values.

    Raises
    ------
    InputErrors, InputError
        A refused filter or index event, or a cohort with no episode (or none with the
        index event).
    """
    from dresskit.analysis.rendering import (
        DEFINITIONS_FILE,
        csv,
        definitions_html,
        draw_figures,
        render_html,
        report_tables,
        xlsx,
    )
    from dresskit.analysis.report import build_report
    from dresskit.atomic import atomic_folder
    from dresskit.spreadsheets import xlsx_bytes

    progress("choosing the cohort", 2)
    cohort = choose_cohort(
        engine, owner, request.cohort, deidentified=deidentified, source="cohort"
    )
    notes: list[str] = []
    if cohort.left_out_count:
        named = f": {', '.join(cohort.left_out[:20])}" if cohort.left_out else ""
        notes.append(
            f"{cohort.left_out_count} episode(s) of these sites break a rule of the bundle "
            f"format and were left out{named}"
        )
    steps = iter(range(20, 60, 4))

    def advance(description: str, done: int = 1, total: int = 1) -> None:
        progress(description if total <= 1 else f"{description} ({done}/{total})", next(steps, 60))

    built = build_report(
        cohort.bundle,
        index=request.index,
        title=_title(request.cohort, cohort.deidentified),
        progress=advance,
        figure_formats=_FIGURE_FORMATS,
    )
    progress("figures", 62)
    figures = draw_figures(
        built,
        progress=lambda step: progress(f"figures: {step}", 70),
        figure_formats=_FIGURE_FORMATS,
    )
    progress("HTML", 76)
    generated = datetime.now(tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    html = render_html(built, figures, generated=generated, definitions_file=DEFINITIONS_FILE)
    written = ["report.html", DEFINITIONS_FILE, "report.xlsx"]
    with atomic_folder(folder, replaceable=lambda _: False) as out:
        out.write("report.html", html.encode("utf-8"))
        out.write(DEFINITIONS_FILE, definitions_html(version=built.version).encode("utf-8"))
        if request.pdf:
            progress("PDF", 80)
            document, reason = _pdf(html, pdf_timeout)
            if document is not None:
                out.write("report.pdf", document)
                written.insert(1, "report.pdf")
            else:
                notes.append(f"PDF not made: {reason}. The HTML and XLSX reports are complete.")
        progress("tables", 95)
        tables = report_tables(built)
        for name, frame in tables.items():
            out.write(f"tables/{name}.csv", csv(frame))
            out.write(f"tables/{name}.xlsx", xlsx(frame, sheet=name))
        out.write("report.xlsx", xlsx_bytes({name[:31]: frame for name, frame in tables.items()}))
        for figure in figures:
            for suffix, content in figure.files.items():
                out.write(f"figures/{PurePosixPath(figure.name).name}.{suffix}", content)
    audit_after = {
        "index": request.index,
        "cohort": request.cohort.as_json(),
        "deidentified": cohort.deidentified,
        "episodes": cohort.bundle.episodes.height,
        "episodes_with_index": built.counts["episodes_with_index"],
        "files": written,
    }
    return written, notes, audit_after


class JobRunner:
    """The report worker of one application: one thread, its queue, and its live jobs."""

    def __init__(self, engine: Engine, work_dir: Path) -> None:
        self.engine = engine
        self.work_dir = work_dir
        self._queue: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._live: set[str] = set()
        self._lock = threading.Lock()
        # A daemon thread, unlike a ThreadPoolExecutor's workers, does not hold the server up
        # at shutdown (Ctrl-C) until a long report is done: the job it was building stops,
        # its staging folder is left aside by atomic_folder, and the job is marked failed
        # once stale (STALE_AFTER).
        self._worker = threading.Thread(target=self._work, name="dresskit-report", daemon=True)
        self._worker.start()

    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            try:
                self._run(job_id)
            except Exception:  # even marking the job failed failed: the registry is down
                _LOG.exception("report job %s could not be built nor marked failed", job_id)

    def submit(self, owner: Account, request: ReportRequest) -> ReportJob:
        """Store a job for ``owner`` and queue it; return it (state ``queued``).

        Raises
        ------
        TooManyJobsError
            When the owner already has :data:`MAX_UNFINISHED_JOBS` jobs queued or running.
        """
        unfinished = [
            job
            for job in (self.refresh(j) for j in jobs_of(self.engine, owner.username, limit=50))
            if not job.finished
        ]
        if len(unfinished) >= MAX_UNFINISHED_JOBS:
            raise TooManyJobsError(
                f"you have {len(unfinished)} reports queued or being built; wait until one "
                f"finishes (at most {MAX_UNFINISHED_JOBS} at a time)"
            )
        deidentified = not allowed(owner.role, Permission.VIEW_IDENTIFIED)
        job = create_job(self.engine, owner.username, request.parameters(deidentified=deidentified))
        with self._lock:
            self._live.add(job.id)
        self._queue.put(job.id)
        return job

    def is_live(self, job_id: str) -> bool:
        """Whether this process has the job queued or running."""
        with self._lock:
            return job_id in self._live

    def refresh(self, job: ReportJob) -> ReportJob:
        """Return ``job``, marked failed first if no process works on it any more."""
        if job.finished or self.is_live(job.id):
            return job
        if datetime.now(tz=UTC) - job.heartbeat < STALE_AFTER:
            return job
        fail_job(
            self.engine,
            job.id,
            "the server stopped before the report was finished; build it again",
        )
        return get_job(self.engine, job.id) or job

    def wait(self, timeout: float = 60.0) -> None:
        """Wait until no job of this process is queued or running (for tests and shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._live:
                    return
            time.sleep(0.05)

    def _run(self, job_id: str) -> None:
        try:
            self._build(job_id)
        except (DresskitError, OSError) as error:
            fail_job(self.engine, job_id, _reason(error))
        except Exception as error:  # a bug: said to the owner, the traceback to the log
            _LOG.exception("report job %s failed", job_id)
            fail_job(self.engine, job_id, f"the report could not be built ({type(error).__name__})")
        finally:
            with self._lock:
                self._live.discard(job_id)

    def _build(self, job_id: str) -> None:
        job = get_job(self.engine, job_id)
        if job is None or job.finished:
            return
        owner = account(self.engine, job.username)
        if owner is None or not owner.active or not allowed(owner.role, Permission.BUILD_REPORTS):
            fail_job(self.engine, job_id, "the account may no longer build reports")
            return
        # De-identified as asked, or because the role no longer sees identified data.
        deidentified = bool(job.parameters.get("deidentified")) or not allowed(
            owner.role, Permission.VIEW_IDENTIFIED
        )
        last_step, last_time = "", 0.0

        def progress(step: str, percent: int) -> None:
            nonlocal last_step, last_time
            now = time.monotonic()
            if step != last_step or now - last_time >= _PROGRESS_EVERY:
                last_step, last_time = step, now
                set_progress(self.engine, job_id, step, percent)

        request = ReportRequest.from_parameters(dict(job.parameters))
        files, notes, audit_after = build_report_files(
            self.engine,
            owner,
            request,
            self.work_dir / job_id,
            progress=progress,
            deidentified=deidentified,
        )
        finish_job(self.engine, job_id, files=files, notes=notes, audit_after=audit_after)


def _reason(error: Exception) -> str:
    if isinstance(error, InputErrors):
        return "; ".join(e.message for e in error.errors[:10])
    if isinstance(error, OSError):
        return f"the report could not be written ({error.strerror or type(error).__name__})"
    return str(error)


_RUNNERS_LOCK: Final = threading.Lock()
_LOG: Final = logging.getLogger(__name__)


def runner_of(request: Request) -> JobRunner:
    """Return the report worker of the application serving ``request`` (made on first use)."""
    state = request.app.state
    with _RUNNERS_LOCK:
        runner: JobRunner | None = getattr(state, "report_runner", None)
        if runner is None:
            runner = JobRunner(engine_of(request), settings_of(request).work_dir)
            state.report_runner = runner
    return runner


def visible_job(request: Request, visitor_account: Account, job_id: str) -> ReportJob | None:
    """Return the job if this account may see it (its owner, or an admin), else None.

    None for a job that does not exist as for one of someone else, so that a job id says
    nothing about other people's reports (answer 404 either way).
    """
    job = get_job(engine_of(request), job_id)
    if job is None:
        return None
    if job.username != visitor_account.username and visitor_account.role != Role.ADMIN:
        return None
    return runner_of(request).refresh(job)


def job_file(request: Request, job: ReportJob, name: str) -> Path | None:
    """Return the path of the job's file ``name`` if it is one of :data:`DOWNLOADS` and written.

    The path is made from the job's id (checked hexadecimal) and a name from the fixed
    table, never from the request's text.
    """
    if not job.finished or job.state != "done":
        return None
    known = next((fixed for fixed in DOWNLOADS if fixed == name), None)
    if known is None or known not in job.files:
        return None
    path = settings_of(request).work_dir / job.id / known
    return path if path.is_file() else None
