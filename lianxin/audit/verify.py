"""Walking the audit chains: what `lianxin audit-verify` (and the audit log page) report."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from . import chain
from .models import AuditChain, AuditEntry

CHUNK = 5000

# progress_for(county_id, total_rows) gives a callback taking a number of rows just checked.
ProgressFactory = Callable[[int, int], Callable[[int], None] | None]


def chained_counties() -> list[int]:
    """Every county with a chain head or an audit row (a county whose head is gone still counts)."""
    with_rows = AuditEntry.objects.order_by().values_list("county_id", flat=True).distinct()
    return sorted(set(AuditChain.objects.values_list("county_id", flat=True)) | set(with_rows))


def verify_county(county_id: int, progress_for: ProgressFactory | None = None) -> chain.Result:
    head = AuditChain.objects.filter(county_id=county_id).values_list("seq", "last_hash").first()
    rows = (
        AuditEntry.objects.filter(county_id=county_id)
        .order_by("seq")
        .values_list(*chain.VERIFY_FIELDS)
        .iterator(chunk_size=CHUNK)
    )

    def find_hash(digest: str) -> tuple[int, int] | None:
        return (
            AuditEntry.objects.filter(county_id=county_id, row_hash=digest)
            .values_list("id", "seq")
            .first()
        )

    progress = progress_for(county_id, head[0] if head else 0) if progress_for else None
    return chain.walk(
        county_id,
        rows,
        head=head,
        find_hash=find_hash,
        key=chain.chain_key(),
        progress=progress,
    )


def verify(
    county_ids: Iterable[int] | None = None, progress_for: ProgressFactory | None = None
) -> list[chain.Result]:
    ids = chained_counties() if county_ids is None else list(county_ids)
    return [verify_county(county_id, progress_for) for county_id in ids]


def last_row_agrees() -> bool | None:
    """Whether the audit key makes the newest row's chain hash (None: no row yet) — the check a
    missing audit-key canary is written on (lianxin.core.keys)."""
    last = AuditEntry.objects.order_by("-pk").values_list(*chain.VERIFY_FIELDS).first()
    if last is None:
        return None
    row = dict(zip(chain.VERIFY_FIELDS, last, strict=True))
    fields = {name: row[name] for name in chain.CONTENT_FIELDS}
    digest = chain.row_hash(chain.chain_key(), seq=row["seq"], prev_hash=row["prev_hash"], **fields)
    return digest == row["row_hash"]
