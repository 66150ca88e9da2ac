"""Everything the portal's engines offer, in one explicit list: the import kinds of the import
pipeline, the document kinds of the document engine, the background jobs, and the record-book lookup the
training rules ask (record books are a floor above training). create_app installs them; a feature only defines
its kinds as plain module constants and never registers itself."""
from portal.awards.documents import AWARD_KIND
from portal.awards.importing import KIND as OTHER_AWARDS_IMPORT
from portal.awards.models import AwardSource
from portal.certificates import batch
from portal.certificates.documents import ENGLISH_CERTIFICATE_KIND, ENGLISH_TRANSCRIPT_KIND, PERFORMANCE_KIND
from portal.documents.kinds import install_kinds
from portal.documents.models import DocumentStatus
from portal.honor_cards.documents import HONOR_CARD_KIND
from portal.honor_cards.importing import KIND as HONOR_CARDS_IMPORT
from portal.honor_cards.venue_import import KIND as VENUES_IMPORT
from portal.hours.importing import HOURS as HOURS_IMPORT
from portal.imports import registry
from portal.imports.models import BatchStatus
from portal.insurance.importing import INSURER_ROSTER_KIND as INSURER_ROSTER_IMPORT
from portal.notifications import dispatch as notifications
from portal.platform import jobs
from portal.platform.jobs import JobStatus
from portal.records.models import BookKind, RecordBook
from portal.training.facts import RecordBookSource, install_record_book_source
from portal.training.importing import TRAINING_KIND as TRAINING_IMPORT
from portal.training.models import Basis, TrainingKind
from portal.volunteers.importing import ROSTER_KIND as ROSTER_IMPORT
from portal.volunteers.record_book_pdf import RECORD_BOOK_KIND

# In the order the import screen offers them.
IMPORT_KINDS = (
    HOURS_IMPORT,          # hours: MOHW 17-column template and the portal's template
    ROSTER_IMPORT,         # volunteers: the roster template
    TRAINING_IMPORT,       # training records, matched later to certificate files
    HONOR_CARDS_IMPORT,    # honor cards: county authorities only
    VENUES_IMPORT,         # honor-card venues: the ministry's survey, ministry and counties
    OTHER_AWARDS_IMPORT,   # other awards: authorities only, with provenance
    INSURER_ROSTER_IMPORT,  # insurance: the insurer's roster, reconciled with the enrolments
)

DOCUMENT_KINDS = (
    PERFORMANCE_KIND, ENGLISH_CERTIFICATE_KIND, ENGLISH_TRANSCRIPT_KIND,   # certificates
    RECORD_BOOK_KIND,                                                      # records
    HONOR_CARD_KIND,                                                       # honor cards
    AWARD_KIND,                                                            # awards (final ones)
)

JOBS = {
    batch.JOB_KIND: batch.issue_prepared,   # countersign and issue a unit's prepared certificates
    notifications.JOB_KIND: notifications.deliver,   # send the outbox's due e-mails and SMS
}


# The status values templates compare with, by name (StrEnum members equal the stored strings).
TEMPLATE_ENUMS = {e.__name__: e for e in (AwardSource, BatchStatus, Basis, BookKind, DocumentStatus, JobStatus,
                                          TrainingKind)}


def install(app) -> None:
    app.jinja_env.globals.update(TEMPLATE_ENUMS)
    registry.install(IMPORT_KINDS)
    install_kinds(DOCUMENT_KINDS)
    jobs.install(JOBS)
    # training: the record-book rule (T7) reads the books' columns, set-based, in the gate and the lists
    install_record_book_source(RecordBookSource(RecordBook.person_id, RecordBook.issued_on, RecordBook.number,
                                                RecordBook.kind != BookKind.CANCELLED))
