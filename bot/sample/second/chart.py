"""Cost centers, ledger accounts and the reorganisation of Havrekorn Bakeri AS.

Cost centers use four-digit codes. On 1 July 2026 production (2000) is
split into the bakery (2100) and the packing hall (2200); 2000 stays in
master data with its last day, because earlier bookings refer to it. Account
numbers and names are taken from the NS 4102 based standard accounts of
the Tax Administration's SAF-T code lists. That list has no 6550
(driftsmateriale), so operating materials go to 6590. The VAT codes are the
SAF-T standard codes that Nordlys Teknikk uses too.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.masterdata import Account, CostCenter

REORGANISED_ON = date(2026, 7, 1)
OLD_PRODUCTION_CENTER = "2000"
NEW_PRODUCTION_CENTERS = ("2100", "2200")

COST_CENTERS = (
    CostCenter("1000", "Ledelse og administrasjon",
               "Ledelse, økonomi og felles kontordrift: kontorrekvisita, kantine, personaltiltak og julebord"),
    CostCenter("1100", "Salg og kundeservice",
               "Salg til dagligvarekjeder og storhusholdning: kundegaver, kundebesøk og salgskonferanse"),
    CostCenter("1200", "Marked og merkevare",
               "Markedsføring, messer, lanseringer, reklameartikler, plakater og butikkmateriell"),
    CostCenter("1300", "IT", "PC-er, skjermer, nettverk, kassautstyr til butikkene, programvare og lisenser"),
    CostCenter("1400", "Personal og HMS", "HR, HMS og opplæring: arbeidsklær, førstehjelp og verneutstyr"),
    CostCenter("2000", "Produksjon (nedlagt)",
               "Nedlagt 30.06.2026. Produksjonen på Midtun er fra 01.07.2026 delt i 2100 Bakeri og 2200 Pakkeri",
               end=REORGANISED_ON - timedelta(days=1)),
    CostCenter("2100", "Bakeri",
               "Bakeriet på Midtun fra 01.07.2026: bakeutstyr, bakepapir, renhold, hygieneutstyr og arbeidsklær",
               start=REORGANISED_ON),
    CostCenter("2200", "Pakkeri",
               "Pakkeriet på Midtun fra 01.07.2026: brødposer, esker, etiketter, folie og pakkelinjen",
               start=REORGANISED_ON),
    CostCenter("2300", "Produktutvikling", "Prøvebakeriet: råvarer til oppskrifter, småutstyr og nye produkter"),
    CostCenter("2500", "Kvalitet og mattrygghet",
               "HACCP og laboratorium: termometre, hygieneprøver, allergentester og loggere"),
    CostCenter("3000", "Lager og distribusjon",
               "Lageret på Kokstad og bilene: emballasje, strekkfilm, etiketter, skannere og verneutstyr"),
    CostCenter("4000", "Butikkdrift",
               "Bakeriutsalgene med kafé: take away-emballasje, servietter, kasseruller, renhold og inventar"),
)

ACCOUNTS = (
    Account("1250", "Inventar", "14"),
    Account("4030", "Innkjøp av råvarer og halvfabrikata, middels sats", "15"),
    Account("4600", "Emballasjematerialer", "14"),
    Account("5910", "Kantinekostnad", "15"),
    Account("5990", "Annen personalkostnad", "15"),
    Account("6360", "Renhold", "14"),
    Account("6540", "Inventar", "14"),
    Account("6551", "Datautstyr", "14"),
    Account("6552", "Programvare anskaffelse", "86"),
    Account("6560", "Rekvisita", "14"),
    Account("6571", "Arbeidsklær, ikke opplysningspliktig", "14"),
    Account("6575", "Verneutstyr", "14"),
    Account("6590", "Annet driftsmateriale", "14"),
    Account("6800", "Kontorrekvisita", "14"),
    Account("6860", "Møte, kurs, oppdatering o.l.", "14"),
    Account("7140", "Reisekostnad, ikke opplysningspliktig", "0"),
    Account("7323", "Reklameartikler", "14"),
    Account("7329", "Annen reklamekostnad", "14"),
    Account("7350", "Representasjon, fradragsberettiget", "0"),
    Account("7420", "Gave, fradragsberettiget", "0"),
    Account("7430", "Gave, ikke fradragsberettiget", "0"),
    Account("7770", "Bank- og kortgebyr", "0"),
)


def cost_center_on(code: str, day: date) -> str:
    """Return the cost center that ``code`` was booked as on ``day``: 2100 and 2200 were 2000 before the split."""
    if code in NEW_PRODUCTION_CENTERS and day < REORGANISED_ON:
        return OLD_PRODUCTION_CENTER
    return code
