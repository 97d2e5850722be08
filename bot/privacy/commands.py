"""``allocbot privacy erase EMAIL``: pseudonymise a former employee and print what changed and what stayed."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.commands import cli_actor, open_store
from bot.config import Settings
from bot.errors import UsageError
from bot.i18n import N_, Translator
from bot.masterdata import load_master_data
from bot.privacy.erase import Erasure, Person, erase_person, new_pseudonym, person_names
from bot.privacy.redact import EMAIL

# The reason printed for each kind of kept data, by bot.privacy.erase.KEPT key.
KEPT_REASONS = {
    "vouchers": N_("vouchers as sent to the ERP ({count}): posting documentation, which the Bookkeeping Act "
                   "requires to be kept for five years"),
    "approvals": N_("approvers of approved allocations ({count}): the approval documents the posting, "
                    "which the Bookkeeping Act requires to be kept for five years"),
    "purchase_text": N_("item titles, card statement lines and file names ({count}): the text of the purchase "
                        "documentation, kept like the vouchers"),
    "audit_events": N_("audit events ({count}): each event's hash covers its content, so changing one would break "
                       "the chain; they are deleted when the audit retention of {years} years ends"),
}


def privacy_erase(settings: Settings, email: str, *, dry_run: bool = False, out: TextIO | None = None) -> int:
    """Pseudonymise ``email`` in one transaction and print the report; 1 when the store never held the address.

    With ``dry_run`` the same changes are made and then rolled back, so the
    printed counts are exactly those of a real run.
    """
    out = out or sys.stdout
    translator = Translator(settings.language)
    address = _checked_email(email)
    master_names, master_lists_person = _master_data_names(settings, address)

    store = open_store(settings)
    try:
        with store.session() as session:
            person = Person(address, person_names(session, address, master_names), new_pseudonym())
            erasure = erase_person(session, person, actor=cli_actor())
            if dry_run:
                session.rollback()
    finally:
        store.close()

    if not erasure.found:
        print(translator("{email} was not found in the store; nothing was changed. Check the address.",
                         email=address), file=out)
        return 1
    _print_erasure(erasure, translator, out, email=address, dry_run=dry_run, settings=settings)
    _print_reminders(settings, translator, out, master_lists_person=master_lists_person, changed=erasure.changed_rows)
    return 0


def _checked_email(email: str) -> str:
    address = email.strip().lower()
    if not EMAIL.fullmatch(address):
        raise UsageError("EMAIL", N_("invalid email address {value}"),
                         fix=N_("pass the person's address as the store has it, such as ola.hansen@example.no"),
                         value=repr(email))
    return address


def _master_data_names(settings: Settings, address: str) -> tuple[tuple[str, ...], bool]:
    """Return the person's name from the configured master data file, and whether the file lists them."""
    if settings.master_data is None:
        return (), False
    employee = load_master_data(settings.master_data).employee(address)
    mentioned = address in settings.master_data.read_text(encoding="utf-8").lower()
    return ((employee.name,) if employee else ()), mentioned


def _print_erasure(erasure: Erasure, translator: Translator, out: TextIO, *, email: str, dry_run: bool,
                   settings: Settings) -> None:
    _ = translator
    if dry_run:
        print(_("Dry run: nothing was changed. A real run would pseudonymise these rows:"), file=out)
    elif erasure.changed_rows:
        print(_("Erased {email}: the store now names the person {pseudonym}.", email=email,
                pseudonym=erasure.pseudonym), file=out)
    else:
        print(_("Nothing left to pseudonymise for {email}.", email=email), file=out)

    if erasure.changed:
        print(_("Pseudonymised (table.column: rows):"), file=out)
        width = max(len(key) for key in erasure.changed)
        for key, rows in sorted(erasure.changed.items()):
            print(f"  {key:<{width}}  {rows:>6}", file=out)

    if erasure.handed_to_controllers:
        print(_("Open questions handed to the controllers, which the bot posts again in the controller channel: "
                "{questions}", questions=", ".join(map(str, erasure.handed_to_controllers))), file=out)

    print(_("Kept, and why:"), file=out)
    for key, count in erasure.kept.items():
        if count:
            print("  " + _(KEPT_REASONS[key], count=count, years=settings.audit.retention_years), file=out)
    print("  " + _("received files under {folder}: purchase documentation, kept like the vouchers",
                   folder=settings.mail.documents_dir), file=out)


def _print_reminders(settings: Settings, translator: Translator, out: TextIO, *, master_lists_person: bool,
                     changed: int) -> None:
    _ = translator
    print(_("Still to do by hand:"), file=out)
    if master_lists_person:
        print("  " + _("remove the person from the master data file {path}, or the next allocbot masterdata "
                       "sync brings them back", path=settings.master_data), file=out)
    print("  " + _("remove or pseudonymise the person in the ERP, such as employee or supplier entries"), file=out)
    if changed:
        print("  " + _("run allocbot model retrain, because saved model versions remember the address until "
                       "newer versions replace them"), file=out)
