"""Import batches: one per imported file (name, sha256, format, counts) and the history listing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from types import TracebackType
from typing import Self

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from soleflip_cli.models import FILE_NAME_CHARS, ImportBatch, utcnow


@dataclass(frozen=True)
class Counts:
    """What a writer did with the rows it was given."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    matched: int = 0
    attached: int = 0
    warnings: tuple[str, ...] = ()  # what the file asked for but could not be done, and why


class ChunkWriter:
    """A writer is entered around the scan of its file; this one holds nothing open between chunks."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        """Nothing to end: every chunk was written in full."""


@dataclass(frozen=True)
class BatchSummary:
    """One row of `soleflip import history`."""

    batch_id: int
    file: str
    format: str
    target: str
    status: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    sha256: str
    started_at: datetime
    finished_at: datetime | None
    exported_at: datetime | None  # when the file was exported, if its name says so


def stored_name(file: str) -> str:
    """The file's name as a batch keeps it: a path too long for the column keeps its end, after '…'."""
    return file if len(file) <= FILE_NAME_CHARS else "…" + file[-(FILE_NAME_CHARS - 1) :]


def start_batch(
    session: Session,
    *,
    file: str,
    sha256: str,
    format: str,
    target: str,
    exported_at: datetime | None = None,
) -> int:
    """Record a running batch and return its id."""
    batch = ImportBatch(
        file_name=stored_name(file),
        sha256=sha256,
        format=format,
        target=target,
        status="running",
        exported_at=exported_at,
    )
    session.add(batch)
    session.flush()
    return batch.id


def finish_batch(session: Session, batch_id: int, *, rows: int, rejected: int, counts: Counts) -> None:
    """Store the final counts of a batch that is being committed."""
    session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch_id)
        .values(
            status="done",
            rows=rows,
            inserted=counts.inserted,
            updated=counts.updated,
            unchanged=counts.unchanged,
            rejected=rejected,
            finished_at=utcnow(),
        )
    )


# Names that say nothing of a file: stdin, and the pipes of `<(...)`.
NAMELESS = ("<stdin>", "/dev/fd/", "/proc/self/fd/")


def same_name(file: str, other: str) -> bool:
    """Whether two batches' files have one name (wherever they were): never for stdin or a pipe."""
    return not file.startswith(NAMELESS) and PurePath(file).name == PurePath(other).name


def earlier_formats(session: Session, sha256: str, file: str) -> list[tuple[str, bool]]:
    """Formats this file was imported with before, newest first, each with whether its bytes were the same.

    Those of its exact bytes come first, then those of files of its name.
    """
    query = select(ImportBatch.format, ImportBatch.sha256, ImportBatch.file_name).where(
        ImportBatch.status == "done"
    )
    same, named = [], []
    for fmt, digest, file_name in session.execute(query.order_by(ImportBatch.id.desc())):
        if digest == sha256:
            same.append((fmt, True))
        elif same_name(file, file_name):
            named.append((fmt, False))
    return list(dict.fromkeys(same + named))


def previous_import(session: Session, sha256: str) -> int | None:
    """The latest finished batch of a file with these exact bytes, if any."""
    return session.scalar(
        select(ImportBatch.id)
        .where(ImportBatch.sha256 == sha256, ImportBatch.status == "done")
        .order_by(ImportBatch.id.desc())
        .limit(1)
    )


def list_batches(session: Session, *, limit: int = 50) -> list[BatchSummary]:
    """The latest import batches, newest first."""
    batches = session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit))
    return [
        BatchSummary(
            batch_id=b.id,
            file=b.file_name,
            format=b.format,
            target=b.target,
            status=b.status,
            rows=b.rows,
            inserted=b.inserted,
            updated=b.updated,
            unchanged=b.unchanged,
            rejected=b.rejected,
            sha256=b.sha256,
            started_at=b.started_at,
            finished_at=b.finished_at,
            exported_at=b.exported_at,
        )
        for b in batches
    ]
