"""Cost centers, ledger accounts and VAT codes of the sample company.

Account numbers and names follow the NS 4102 based standard accounts of
the Norwegian Tax Administration's SAF-T code lists; VAT codes are the SAF-T
standard tax codes. Goods bought from Amazon's EU marketplaces arrive from
abroad, so their usual code is 14 (import VAT paid at the border,
deductible) or 15 for food; software downloads are services bought from
abroad (86, reverse charge); gifts and representation carry no VAT
deduction (0).
"""

from __future__ import annotations

from decimal import Decimal

from bot.masterdata import Account, CostCenter, TaxCode

COST_CENTERS = (
    CostCenter("100", "Ledelse/administrasjon",
               "Ledelse, økonomi, HR og felles kontordrift: kontorrekvisita, kaffe og personaltiltak"),
    CostCenter("200", "Salg", "Salgsavdelingen: kundebesøk, kundegaver og salgsmøter"),
    CostCenter("300", "Marked", "Markedsføring, messer, reklameartikler, roll-ups og trykksaker"),
    CostCenter("400", "IT", "IT-utstyr, PC-er, skjermer, nettverk, programvare og lisenser til intern bruk"),
    CostCenter("500", "Produksjon",
               "Verkstedet på Lillestrøm: råvarer, komponenter, skruer, kabel, verktøy og verneutstyr"),
    CostCenter("600", "Prosjekt/feltservice",
               "Kundeprosjekter og feltservice: materiell levert til kundens anlegg, verktøy for montører"),
    CostCenter("700", "Lager og logistikk", "Lageret på Skedsmokorset: emballasje, etiketter, reoler og truckutstyr"),
)

TAX_CODES = (
    TaxCode("0", "Ingen mva-behandling (anskaffelser)", Decimal("0")),
    TaxCode("1", "Fradrag for inngående mva, alminnelig sats", Decimal("25")),
    TaxCode("11", "Fradrag for inngående mva, redusert sats (næringsmidler)", Decimal("15")),
    TaxCode("14", "Fradrag for innførselsmva betalt ved innførsel, alminnelig sats", Decimal("25")),
    TaxCode("15", "Fradrag for innførselsmva betalt ved innførsel, redusert sats (næringsmidler)", Decimal("15")),
    TaxCode("81", "Innførsel av varer med fradrag for innførselsmva, alminnelig sats", Decimal("25")),
    TaxCode("86", "Tjenester kjøpt fra utlandet med fradrag for mva, alminnelig sats", Decimal("25")),
)

ACCOUNTS = (
    Account("1250", "Inventar", "14"),
    Account("4000", "Innkjøp av råvarer og halvfabrikata", "14"),
    Account("5990", "Annen personalkostnad", "15"),
    Account("6420", "Leie datasystemer", "86"),
    Account("6510", "Håndverktøy", "14"),
    Account("6540", "Inventar", "14"),
    Account("6551", "Datautstyr", "14"),
    Account("6552", "Programvare anskaffelse", "86"),
    Account("6560", "Rekvisita", "14"),
    Account("6575", "Verneutstyr", "14"),
    Account("6590", "Annet driftsmateriale", "14"),
    Account("6800", "Kontorrekvisita", "14"),
    Account("6860", "Møte, kurs", "1"),
    Account("7323", "Reklameartikler", "14"),
    Account("7329", "Annen reklamekostnad", "14"),
    Account("7350", "Representasjon, fradragsberettiget", "0"),
    Account("7360", "Representasjon, ikke fradragsberettiget", "0"),
    Account("7420", "Gave, fradragsberettiget", "0"),
    Account("7430", "Gave, ikke fradragsberettiget", "0"),
    Account("7770", "Bank- og kortgebyr", "0"),
)
