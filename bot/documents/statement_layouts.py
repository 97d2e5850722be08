"""The built-in statement layouts of Norwegian banks and card issuers, most specific first.

The comment above each layout names the source of its header names.
"Verified" means that several public projects reading real exports agree on
the names, separators and signs. "Corroborated" means one public source.
"Unverified" means no real sample was found, so the layout is a best guess.
A company whose export differs describes it under
``[[statement_layouts]]`` in the configuration, and those layouts are tried
before these.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.documents.statement_layout import StatementLayout
from bot.documents.statement_lines import ACCOUNT_SKIP_TEXTS

# Verified, also with a public sample of DNB's transaction list (XLSX):
# "Valuta" is the original amount and currency ("12.50 EUR"), "Inn" and "Ut"
# positive NOK.
DNB_MASTERCARD = StatementLayout(
    name="DNB Mastercard",
    columns={
        "date": ("Dato",),
        "description": ("Beløpet gjelder",),
        "original": ("Valuta",),
        "rate": ("Kurs",),
        "credit": ("Inn",),
        "debit": ("Ut",),
    },
    required=frozenset({"date", "description", "credit", "debit"}),
)

# Verified: "Lagre til fil" of DNB's online bank, ";" and quoted. Newer
# exports write "Ut fra konto"/"Inn på konto", older ones "Uttak"/"Innskudd".
# Amounts are "249,00" or, in some versions, "35.8". "Dato" is the booking
# date; a card purchase's own date is in its text ("... Dato 07.08 kl. 13.01").
DNB_ACCOUNT = StatementLayout(
    name="DNB konto",
    columns={
        "date": ("Dato",),
        "description": ("Forklaring",),
        "debit": ("Ut fra konto", "Uttak", "Uttak fra konto"),
        "credit": ("Inn på konto", "Innskudd", "Innskudd på konto"),
    },
    required=frozenset({"date", "description", "debit", "credit"}),
    skip_texts=ACCOUNT_SKIP_TEXTS,
    purchase_date_in_text=True,
)

# Verified: Nordea Norway's CSV, with BOM, ";" and dates like 2026/09/03.
# The newer header ends "Tittel;Valuta;Betalingstype", the older one
# "Tittel;Saldo;Valuta". A reserved row has "Reservert" instead of a date.
# "Valuta" is the account's currency.
NORDEA = StatementLayout(
    name="Nordea konto",
    columns={
        "date": ("Bokføringsdato",),
        "amount": ("Beløp",),
        "description": ("Tittel",),
        "counterparty": ("Navn",),
        "currency": ("Valuta",),
    },
    required=frozenset({"date", "amount", "description"}),
    sign="debit_negative",
    skip_texts=ACCOUNT_SKIP_TEXTS,
)

# Verified: SpareBank 1's account CSV, with BOM, ";" and a trailing ";" on
# every line. "Ut" amounts are negative ("-163,80").
SPAREBANK1_ACCOUNT = StatementLayout(
    name="SpareBank 1 konto",
    columns={
        "date": ("Dato",),
        "description": ("Beskrivelse",),
        "credit": ("Inn",),
        "debit": ("Ut",),
    },
    required=frozenset({"date", "description", "credit", "debit"}),
    sign="debit_negative",
    skip_texts=ACCOUNT_SKIP_TEXTS,
)

# Corroborated by one public importer: SpareBank 1's credit card CSV, ";"
# with a decimal comma, purchases negative.
SPAREBANK1_CARD = StatementLayout(
    name="SpareBank 1 kredittkort",
    columns={
        "date": ("Kjøpsdato",),
        "booking_date": ("Posteringsdato",),
        "description": ("Beskrivelse",),
        "amount": ("Beløp",),
    },
    required=frozenset({"date", "description", "amount"}),
    sign="debit_negative",
)

# Corroborated: Sbanken's CSV is tab-separated with upper-case names and
# positive "UT FRA KONTO"; its XLSX ("Kontoutskrift" sheet) has the header on
# row 3 and a "MOTKONTO" column.
SBANKEN = StatementLayout(
    name="Sbanken konto",
    columns={
        "date": ("Bokføringsdato",),
        "description": ("Tekst",),
        "debit": ("Ut fra konto",),
        "credit": ("Inn på konto",),
    },
    required=frozenset({"date", "description", "debit", "credit"}),
    skip_texts=ACCOUNT_SKIP_TEXTS,
)

# NOTE: unverified. No Norwegian SEB Kort/Eurocard export was found. SEB
# Kort's Swedish exports (Eurocard, SAS EuroBonus, Circle K) have a
# "Transaktionsexport" title above "Datum | Bokfört | Specifikation | Ort |
# Valuta | Utl. belopp | Belopp", purchases positive, payments negative, and a
# "Summa ..." row under each section; the Norwegian names here are guessed
# translations of those.
SEB_KORT = StatementLayout(
    name="SEB Kort / Eurocard",
    columns={
        "date": ("Dato", "Datum", "Kjøpsdato"),
        "booking_date": ("Bokført", "Bokfört", "Bokføringsdato"),
        "description": ("Spesifikasjon", "Specifikation"),
        "place": ("Sted", "Ort"),
        "original_currency": ("Valuta",),
        "original_amount": ("Utl. beløp", "Utl. belopp", "Beløp i valuta"),
        "rate": ("Kurs", "Valutakurs"),
        "card_holder": ("Kortholder", "Kortinnehavare"),
        "amount": ("Beløp", "Belopp", "Beløp NOK"),
    },
    required=frozenset({"date", "booking_date", "description", "amount"}),
)

# NOTE: unverified. No Handelsbanken Norway corporate card export was found,
# so this is a guess from what card statements print. It has both dates, the
# card holder or card number, the original amount and currency, the rate and
# the NOK amount, with purchases positive.
HANDELSBANKEN_CARD = StatementLayout(
    name="Handelsbanken bedriftskort",
    columns={
        "date": ("Transaksjonsdato",),
        "booking_date": ("Bokføringsdato", "Bokført", "Reskontrodato"),
        "description": ("Beskrivelse", "Tekst", "Brukersted"),
        "card_holder": ("Kortholder", "Kortinnehaver"),
        "card_number": ("Kortnummer", "Kort"),
        "original_amount": ("Beløp i valuta", "Originalbeløp", "Opprinnelig beløp"),
        "original_currency": ("Valuta", "Originalvaluta"),
        "rate": ("Kurs", "Valutakurs"),
        "amount": ("Beløp NOK", "Beløp (NOK)", "NOK", "Beløp"),
    },
    required=frozenset({"date", "description", "amount", "card_holder"}),
)

# NOTE: unverified. One public test writes Handelsbanken's account export as
# "Reskontrodato;Transaksjonsdato;Tekst;Beløp;Saldo" with ISO dates and
# purchases negative; no real export was found.
HANDELSBANKEN_ACCOUNT = StatementLayout(
    name="Handelsbanken konto",
    columns={
        "date": ("Transaksjonsdato",),
        "booking_date": ("Reskontrodato",),
        "description": ("Tekst",),
        "amount": ("Beløp",),
    },
    required=frozenset({"date", "booking_date", "description", "amount"}),
    sign="debit_negative",
    skip_texts=ACCOUNT_SKIP_TEXTS,
)

# Corroborated by one public importer: American Express Norway's
# "aktivitet.xlsx" has six rows above the header "Dato | Beskrivelse |
# Beløp". Charges are positive and credits negative, as in American Express
# exports of other countries; "Kortmedlem" names the card member there.
AMEX_NORWAY = StatementLayout(
    name="American Express",
    columns={
        "date": ("Dato",),
        "description": ("Beskrivelse",),
        "card_holder": ("Kortmedlem",),
        "card_number": ("Konto #", "Kontonummer"),
        "amount": ("Beløp",),
    },
    required=frozenset({"date", "description", "amount"}),
)

BUILT_IN_LAYOUTS: tuple[StatementLayout, ...] = (
    DNB_MASTERCARD,
    DNB_ACCOUNT,
    NORDEA,
    SPAREBANK1_ACCOUNT,
    SPAREBANK1_CARD,
    SBANKEN,
    SEB_KORT,
    HANDELSBANKEN_CARD,
    HANDELSBANKEN_ACCOUNT,
    AMEX_NORWAY,
)


def with_built_ins(configured: Sequence[StatementLayout]) -> tuple[StatementLayout, ...]:
    """Return the layouts to try, in order: the configured ones, then the built-in ones."""
    return (*configured, *BUILT_IN_LAYOUTS)
