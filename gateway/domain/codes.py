"""Redeemable codes (the JSON API's E4-E8): batches of single-use codes worth a fixed number of points.

A code is ``PREFIX-XXXXXXXX``: the first four characters of the campaign's slug, uppercased, and eight
symbols of a 31-symbol alphabet without look-alikes (no O/0, I/1, L). Its plaintext exists only in the
answer that generated it: the database keeps HMAC-SHA256(server secret, code), so a copy of the
database alone cannot be searched for codes offline (31^8 is about 8.5e11: plain SHA-256 of every
candidate takes minutes on one GPU). docs/api-codes.md, docs/decisions.md.

A code's stored status is ACTIVE, REDEEMED or REVOKED. EXPIRED is never stored: an ACTIVE code whose
batch has passed ``expires_at`` reads as EXPIRED (verify, stats), so expiry needs no sweeping job and
an expiry date is a fact of the batch, not of 10,000 rows.

Everything is scoped to a tenant (an account id; the JSON API's live and test environments are
separate tenants): a code, batch or campaign of another tenant is "not found".
"""
from __future__ import annotations

import datetime as _dt
import hmac
import os
import secrets
import tempfile
import uuid
from dataclasses import dataclass

import peewee as pw

from . import participants, programs
from .db import Statement
from .errors import Conflict, InvalidValue, NotFound
from .models import Campaign, Code, CodeBatch

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
BODY_LENGTH = 8
PREFIX_LENGTH = 4
MAX_BATCH_SIZE = 10_000
MAX_POINTS_VALUE = 1_000_000_000  # far below the ledger's 64-bit integers, whatever a participant holds
MAX_LABEL_LENGTH = 255

ACTIVE, REDEEMED, REVOKED, EXPIRED = "ACTIVE", "REDEEMED", "REVOKED", "EXPIRED"

# Why a code cannot be redeemed now, in the reference's evaluation order after "not found": the
# code's own status, then the campaign's. Doors word them (the seven verify messages).
VALID = "valid"
NOT_FOUND = "code_not_found"
REASON_OF_STATUS = {REDEEMED: "code_redeemed", EXPIRED: "code_expired", REVOKED: "code_revoked"}
CAMPAIGN_NOT_ACTIVE = "campaign_not_active"
CAMPAIGN_ENDED = "campaign_ended"


def now_utc() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)


# --- the secret and the hash ------------------------------------------------------------------------

def secret_from_file(path: str) -> bytes:
    """The server's code secret kept in ``path``, created (32 random bytes, hex, mode 0600) on first use.

    Created beside and then linked into place, so concurrent workers all read the one that won.
    """
    try:
        with open(path, "rb") as handle:
            text = handle.read().strip()
    except FileNotFoundError:
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=".code-secret-")
        try:
            os.write(fd, secrets.token_hex(32).encode())
            os.close(fd)
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another worker's secret won
        finally:
            os.unlink(temporary)
        with open(path, "rb") as handle:
            text = handle.read().strip()
    if len(text) < 32:
        raise ValueError(f"the code secret in {path} is shorter than 32 characters")
    return text


def hash_code(key: bytes, code: str) -> str:
    return hmac.digest(key, code.encode(), "sha256").hex()


def normalise(code: str) -> str:
    """What a person may type for a code: surrounding blanks and lowercase letters are forgiven."""
    return code.strip().upper()


def prefix_of(slug: str) -> str:
    return slug[:PREFIX_LENGTH].upper()


def _random_bodies(count: int) -> list[str]:
    """``count`` uniformly random 8-symbol strings over ALPHABET."""
    return ["".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH)) for _ in range(count)]


# --- generating -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Generated:
    batch: CodeBatch
    codes: list[str]  # the plaintext codes, which nothing else ever sees again


# Codes go in with multi-row INSERTs of these sizes (a batch's count is a sum of them), each built once
# per database kind (db.Statement); rows already taken by another code of the tenant are skipped, and
# RETURNING tells which went in.
_CHUNKS = (512, 256, 128, 64, 32, 16, 8, 4, 2, 1)
_insert_statements: dict[int, Statement] = {}


def _insert_codes(rows: list[tuple]) -> set[str]:
    inserted: set[str] = set()
    start = 0
    for size in _CHUNKS:
        while len(rows) - start >= size:
            statement = _insert_statements.get(size)
            if statement is None:
                statement = _insert_statements[size] = Statement(
                    lambda *values, n=size: Code.insert_many(
                        [values[i:i + 4] for i in range(0, 4 * n, 4)],
                        fields=[Code.batch, Code.account, Code.code_hash, Code.status],
                    ).on_conflict(action="IGNORE").returning(Code.code_hash), tuples=True)
            chunk = rows[start:start + size]
            inserted.update(h for (h,) in statement(*(value for row in chunk for value in row)))
            start += size
    return inserted


def generate(tenant_id: str, slug: str, *, batch_size: int, points_value: int, label: str = "",
             expires_at: _dt.datetime | None = None, key: bytes, now: _dt.datetime | None = None) -> Generated:
    """A new batch of ``batch_size`` unique codes, each worth ``points_value``. Run inside a write
    transaction. ``expires_at`` is naive UTC."""
    now = now or now_utc()
    campaign = programs.campaign_by_slug(tenant_id, slug)
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise InvalidValue("batch_size", "out_of_range", minimum=1, maximum=MAX_BATCH_SIZE)
    if not 1 <= points_value <= MAX_POINTS_VALUE:
        raise InvalidValue("points_value", "out_of_range", minimum=1, maximum=MAX_POINTS_VALUE)
    if len(label) > MAX_LABEL_LENGTH:
        raise InvalidValue("label", "too_long", maximum=MAX_LABEL_LENGTH)
    if expires_at is not None and expires_at <= now:
        raise InvalidValue("expires_at", "not_in_future")
    if _campaign_ended(campaign, now):
        raise Conflict(CAMPAIGN_ENDED)
    batch = CodeBatch.create(id=str(uuid.uuid4()), account=tenant_id, campaign=campaign.id, batch_size=batch_size,
                             points_value=points_value, label=label, expires_at=expires_at)
    prefix = prefix_of(campaign.slug) + "-"
    codes: list[str] = []
    while len(codes) < batch_size:
        # A collision (with the tenant's other codes, or within the draw) is rare: about 1 in 85 for a
        # 10,000-code batch beside a million codes. Its code is simply drawn again.
        candidates = {}
        for body in _random_bodies(batch_size - len(codes)):
            code = prefix + body
            candidates[hash_code(key, code)] = code
        rows = [(batch.id, tenant_id, digest, ACTIVE) for digest in candidates]
        inserted = _insert_codes(rows)
        codes.extend(code for digest, code in candidates.items() if digest in inserted)
    return Generated(batch, codes)


# --- reading a code ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Found:
    code_id: int
    stored_status: str
    batch_id: str
    points_value: int
    expires_at: _dt.datetime | None
    campaign: Campaign

    def status(self, now: _dt.datetime) -> str:
        if self.stored_status == ACTIVE and self.expires_at is not None and self.expires_at <= now:
            return EXPIRED
        return self.stored_status


_LOOKUP = Statement(lambda tenant, digest: Code.select(
    Code.id, Code.status, CodeBatch.id, CodeBatch.points_value, CodeBatch.expires_at, Campaign.id,
).join(CodeBatch, on=(Code.batch == CodeBatch.id)).join(Campaign, on=(CodeBatch.campaign == Campaign.id))
 .where((Code.account == tenant) & (Code.code_hash == digest)), tuples=True)


def _find(tenant_id: str, code: str, key: bytes) -> Found | None:
    code = normalise(code)
    # Not the shape of a code: no lookup (and no hash of arbitrary text).
    if len(code) != PREFIX_LENGTH + 1 + BODY_LENGTH or code[PREFIX_LENGTH] != "-":
        return None
    rows = _LOOKUP(tenant_id, hash_code(key, code))
    if not rows:
        return None
    code_id, status, batch_id, points_value, expires_at, campaign_id = rows[0]
    campaign = Campaign.get_or_none((Campaign.id == campaign_id) & (Campaign.account == tenant_id))
    if campaign is None:
        return None
    return Found(code_id, status, batch_id, points_value, expires_at, campaign)


def _campaign_ended(campaign: Campaign, now: _dt.datetime) -> bool:
    return programs.state_of(campaign, now) == programs.ENDED


def _campaign_reason(campaign: Campaign, now: _dt.datetime) -> str:
    """VALID; CAMPAIGN_ENDED when its end date passed while it was running; else CAMPAIGN_NOT_ACTIVE
    (draft, paused, ended by hand, not started yet): the reference's "Campaign has ended" is the end
    date passing, its "Campaign is not active" a paused or ended campaign."""
    state = programs.state_of(campaign, now)
    if state == programs.ACTIVE and programs.started(campaign, now):
        return VALID
    if (state == programs.ENDED and campaign.status == programs.ACTIVE and campaign.active
            and campaign.ends_at is not None and campaign.ends_at <= now):
        return CAMPAIGN_ENDED
    return CAMPAIGN_NOT_ACTIVE


@dataclass(frozen=True, slots=True)
class Verdict:
    reason: str  # VALID, NOT_FOUND, a REASON_OF_STATUS value, CAMPAIGN_NOT_ACTIVE or CAMPAIGN_ENDED
    status: str  # ACTIVE | REDEEMED | EXPIRED | REVOKED; "" when not found
    points_value: int
    campaign: Campaign | None
    campaign_ended: bool

    @property
    def valid(self) -> bool:
        return self.reason == VALID


def _evaluate(found: Found, now: _dt.datetime) -> Verdict:
    status = found.status(now)
    reason = REASON_OF_STATUS.get(status) or _campaign_reason(found.campaign, now)
    return Verdict(reason, status, found.points_value, found.campaign, _campaign_ended(found.campaign, now))


def verify(tenant_id: str, code: str, *, key: bytes, now: _dt.datetime | None = None) -> Verdict:
    """Whether ``code`` could be redeemed now, and why not: not found, then the code's status, then the
    campaign's state. Changes nothing."""
    now = now or now_utc()
    found = _find(tenant_id, code, key)
    if found is None:
        return Verdict(NOT_FOUND, "", 0, None, False)
    return _evaluate(found, now)


# --- redeeming --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Redemption:
    points_earned: int
    total_points: int
    batch_id: str


_MARK_REDEEMED = Statement(lambda code_id, customer_id, now: Code.update(
    status=REDEEMED, redeemed_by=customer_id, redeemed_at=now,
).where((Code.id == code_id) & (Code.status == ACTIVE)).returning(Code.id), tuples=True)


def redeem(tenant_id: str, slug: str, *, user_id: str, code: str, key: bytes,
           now: _dt.datetime | None = None) -> Redemption:
    """Redeem ``code`` for participant ``user_id`` of campaign ``slug``: the code turns REDEEMED and its
    points are credited (a ledger entry), together or not at all. Run inside a write transaction.

    A code of another campaign than ``slug`` is NotFound("code"), as is an unknown one; otherwise the
    verify reasons are Conflicts. Of concurrent redeems of one code exactly one flips it (a conditional
    UPDATE ... WHERE status = 'ACTIVE'); the others roll back with "code_redeemed".
    """
    now = now or now_utc()
    campaign = programs.campaign_by_slug(tenant_id, slug)
    found = _find(tenant_id, code, key)
    if found is None or found.campaign.id != campaign.id:
        raise NotFound("code")
    verdict = _evaluate(found, now)
    if not verdict.valid:
        raise Conflict(verdict.reason)
    customer = participants.join(tenant_id, campaign, user_id)
    if not _MARK_REDEEMED(found.code_id, customer.id, now):
        # Lost a race since the read: say what the winner made of it.
        status = Code.select(Code.status).where(Code.id == found.code_id).scalar()
        raise Conflict(REASON_OF_STATUS.get(status, "code_redeemed"))
    total = participants.credit(tenant_id, campaign, customer, found.points_value,
                                authorization=f"code batch {found.batch_id}")
    return Redemption(found.points_value, total, found.batch_id)


# --- batches, stats, revoking -----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class BatchPage:
    batches: list[CodeBatch]
    total: int
    page: int
    limit: int


MAX_PAGE_LIMIT = 100


def batches(tenant_id: str, slug: str, *, page: int = 1, limit: int = 20) -> BatchPage:
    """The campaign's batches, newest first. ``limit`` above MAX_PAGE_LIMIT is clamped to it."""
    if page < 1:
        raise InvalidValue("page", "out_of_range", minimum=1)
    if limit < 1:
        raise InvalidValue("limit", "out_of_range", minimum=1, maximum=MAX_PAGE_LIMIT)
    limit = min(limit, MAX_PAGE_LIMIT)
    campaign = programs.campaign_by_slug(tenant_id, slug)
    query = CodeBatch.select().where((CodeBatch.campaign == campaign.id) & (CodeBatch.account == tenant_id))
    total = query.count()
    rows = list(query.order_by(CodeBatch.created.desc(), CodeBatch.id).offset((page - 1) * limit).limit(limit))
    return BatchPage(rows, total, page, limit)


@dataclass(frozen=True, slots=True)
class Stats:
    total_codes: int
    active_codes: int
    redeemed_codes: int
    expired_codes: int
    revoked_codes: int
    total_batches: int


def stats(tenant_id: str, slug: str, *, now: _dt.datetime | None = None) -> Stats:
    """Counts of the campaign's codes by status (an ACTIVE code of an expired batch counts as expired):
    total = active + redeemed + expired + revoked."""
    now = now or now_utc()
    campaign = programs.campaign_by_slug(tenant_id, slug)
    expiry = dict(CodeBatch.select(CodeBatch.id, CodeBatch.expires_at)
                  .where((CodeBatch.campaign == campaign.id) & (CodeBatch.account == tenant_id)).tuples())
    counts = {ACTIVE: 0, REDEEMED: 0, REVOKED: 0, EXPIRED: 0}
    if expiry:
        # Counted per batch from the (batch, status) index: no code row is read.
        grouped = (Code.select(Code.batch, Code.status, pw.fn.COUNT(Code.id))
                   .join(CodeBatch, on=(Code.batch == CodeBatch.id))
                   .where((CodeBatch.campaign == campaign.id) & (CodeBatch.account == tenant_id))
                   .group_by(Code.batch, Code.status).tuples())
        for batch_id, status, count in grouped:
            expires_at = expiry[batch_id]
            if status == ACTIVE and expires_at is not None and expires_at <= now:
                status = EXPIRED
            counts[status] = counts.get(status, 0) + count
    return Stats(sum(counts.values()), counts[ACTIVE], counts[REDEEMED], counts[EXPIRED], counts[REVOKED],
                 len(expiry))


def revoke(tenant_id: str, *, code: str | None = None, batch_id: str | None = None, key: bytes) -> int:
    """Revoke one code or every code of a batch; only codes stored ACTIVE (expired ones included) turn
    REVOKED. Answers how many did. Run inside a write transaction."""
    if (code is None) == (batch_id is None):
        raise InvalidValue("code", "one_of", other="batch_id")
    if code is not None:
        found = _find(tenant_id, code, key)
        if found is None:
            raise NotFound("code")
        where = Code.id == found.code_id
    else:
        if not CodeBatch.select().where((CodeBatch.id == batch_id) & (CodeBatch.account == tenant_id)).exists():
            raise NotFound("batch")
        where = Code.batch == batch_id
    return Code.update(status=REVOKED).where(where & (Code.status == ACTIVE)).execute()
