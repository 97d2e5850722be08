import itertools
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bot.masterdata import parse_master_data
from bot.nlp import reasons
from bot.nlp.calibration import Calibrator, Outcome
from bot.nlp.classifier import PERSON_WEIGHT, Classifier, TrainingDataError
from bot.nlp.context import ContextBuilder
from bot.nlp.model import Model
from bot.nlp.coherence import Coherence, FieldProbabilities
from bot.nlp.context import ContextBuilder
from bot.nlp.rules import KeywordRule, check_rules
from bot.nlp.text import analyze_title
from bot.records import Allocation, Reason, ReportItem

MASTER = parse_master_data(
    {
        "cost_centers": [
            {"code": "100", "name": "Administrasjon", "description": "Kontorrekvisita, møter og administrasjon"},
            {"code": "400", "name": "IT", "description": "IT-utstyr, programvare og lisenser"},
            {"code": "600", "name": "Prosjekt", "description": "Kundeprosjekter og montasje"},
        ],
        "accounts": [
            {"number": "6551", "name": "Datautstyr", "default_tax_code": "1"},
            {"number": "6510", "name": "Håndverktøy", "default_tax_code": "1"},
            {"number": "6800", "name": "Kontorrekvisita", "default_tax_code": "1"},
            {"number": "6590", "name": "Annet driftsmateriale", "default_tax_code": "1"},
        ],
        "tax_codes": [
            {"code": "1", "name": "Inngående mva, høy sats", "rate": 25},
            {"code": "14", "name": "Inngående mva betalt ved innførsel", "rate": 25},
        ],
        "employees": [
            {"email": "ola.hansen@example.no", "name": "Ola Hansen", "cost_center": "400"},
            {"email": "per.berg@example.no", "name": "Per Berg", "cost_center": "400"},
            {"email": "kari.nordmann@example.no", "name": "Kari Nordmann", "cost_center": "600",
             "role": "project_lead"},
            {"email": "lise.dahl@example.no", "name": "Lise Dahl", "cost_center": "100"},
            {"email": "tor.lie@example.no", "name": "Tor Lie", "cost_center": "600", "role": "field_technician"},
        ],
        "projects": [
            {"code": "P-1042", "name": "Ombygging Hamar stasjon", "lead": "kari.nordmann@example.no",
             "cost_center": "600", "sites": ["Stasjonsveien 4, 2317 Hamar"]},
            {"code": "P-2001", "name": "Styring Raufoss", "lead": "kari.nordmann@example.no",
             "cost_center": "600", "sites": ["Fabrikkveien 5, 2830 Raufoss"], "start": date(2026, 9, 1)},
            {"code": "P-0999", "name": "Avsluttet prosjekt", "lead": "kari.nordmann@example.no",
             "cost_center": "600", "end": date(2026, 6, 30)},
        ],
        "locations": [
            {"label": "Hovedkontor", "address": "Industriveien 12, 2004 Lillestrøm", "kind": "office"},
        ],
    },
    Path("test.toml"),
)

OFFICE = "Nordlys Teknikk AS, Industriveien 12, LILLESTRØM, 2004, NO"
SITE = "Hamar Energi AS, Stasjonsveien 4, HAMAR, 2317, NO"
NEW_SITE = "Raufoss Komponent AS, Fabrikkveien 5, RAUFOSS, 2830, NO"
OLA = "ola.hansen@example.no"
PER = "per.berg@example.no"
KARI = "kari.nordmann@example.no"
LISE = "lise.dahl@example.no"
TOR = "tor.lie@example.no"

IT_OFFICE = Allocation("400", None, "6551", "1")
IT_TOOLS = Allocation("400", None, "6510", "1")
PROJECT_IT = Allocation("600", "P-1042", "6551", "1")
PROJECT_MATERIAL = Allocation("600", "P-1042", "6590", "1")
OFFICE_MATERIAL = Allocation("400", None, "6590", "1")
ADMIN_OFFICE = Allocation("100", None, "6800", "1")

HISTORY_REASONS = {
    reasons.SAME_PRODUCT, reasons.SIMILAR_TITLE, reasons.PERSON_CHOSE, reasons.TERM_HISTORY,
    reasons.REQUESTER_PROJECT_HISTORY, reasons.REQUESTER_COST_CENTER_HISTORY, reasons.RECENT_PROJECT,
}

_lines = itertools.count(2)


def make_item(title: str, requester: str = OLA, address: str = OFFICE, **changes) -> ReportItem:
    line = next(_lines)
    values = dict(
        source="report.csv", line=line, order_id=f"302-0000000-{line:07d}", order_date=date(2026, 10, 1),
        currency="EUR", title=title, quantity=1, unit_price=Decimal("24.99"), net_total=Decimal("24.99"),
        account_user_email=requester, shipping_address=address,
    )
    values.update(changes)
    return ReportItem(**values)


# Title, ASIN, requester, delivery address and allocation of the products in the history.
PRODUCTS = [
    ("Logitech MX Master 3S kabellose Maus", "B09HM94VDS", OLA, OFFICE, IT_OFFICE),
    ("UGREEN USB C Kabel 100W, 2 m, 3er Pack", "B0BHTM1QQ5", PER, OFFICE, IT_OFFICE),
    ("Dell P2723DE 27 Zoll Monitor", "B0B5TJ2QXR", OLA, OFFICE, IT_OFFICE),
    ("Wera Kraftform Schraubendreher-Satz, 6-teilig", "B000XJ8FU6", KARI, SITE, PROJECT_MATERIAL),
    ("Kabelbinder 300 mm schwarz, 100 Stück", "B07D7G5Q1M", KARI, SITE, PROJECT_MATERIAL),
    ("Isolierband 19 mm x 20 m, 10 Rollen", "B08L5WRM3C", KARI, SITE, PROJECT_MATERIAL),
]
MOUSE, CABLE = PRODUCTS[0], PRODUCTS[1]


def office_history() -> list[tuple[ReportItem, Allocation]]:
    """Return 48 decided items: IT gear for the office, and project material for the Hamar site."""
    examples = []
    for _ in range(8):
        for title, asin, requester, address, allocation in PRODUCTS:
            examples.append((make_item(title, requester, address, asin=asin), allocation))
    return examples


def assert_honest(suggestions) -> None:
    assert suggestions, "no suggestions"
    for suggestion in suggestions:
        assert 0.0 <= suggestion.confidence < 1.0
        assert len(suggestion.reasons) <= 3
    assert sum(suggestion.confidence for suggestion in suggestions) <= 1.0 + 1e-9


@pytest.fixture(scope="module")
def trained() -> Classifier:
    classifier = Classifier(MASTER)
    classifier.learn(office_history())
    return classifier


def test_cold_start_is_marked_low_confidence():
    suggestions = Classifier(MASTER).suggest(make_item("Kontorrekvisita-sett med hullemaskin", requester=LISE))

    assert_honest(suggestions)
    assert all(suggestion.source == "cold_start" for suggestion in suggestions)
    assert all(suggestion.confidence <= 0.5 for suggestion in suggestions)


def test_cold_start_matches_account_name():
    suggestion = Classifier(MASTER).suggest(make_item("Kontorrekvisita-sett med hullemaskin", requester=LISE))[0]

    assert suggestion.allocation == ADMIN_OFFICE
    templates = [reason.template for reason in suggestion.reasons]
    assert reasons.TITLE_MATCHES_ACCOUNT in templates
    assert reasons.REQUESTER_COST_CENTER in templates


def test_cold_start_uses_project_site():
    suggestion = Classifier(MASTER).suggest(make_item("Skjøteledning 10 m", requester=KARI, address=SITE))[0]

    assert suggestion.allocation.project == "P-1042"
    assert suggestion.allocation.cost_center == "600"


def test_reasons_claim_no_history_before_learning():
    classifier = Classifier(MASTER)
    for title in ("Logitech MX Master 3S kabellose Maus", "Kontorrekvisita-sett", "Skjøteledning 10 m"):
        for suggestion in classifier.suggest(make_item(title)):
            templates = {reason.template for reason in suggestion.reasons}
            assert not templates & HISTORY_REASONS, suggestion


def test_reason_counts_match_history(trained):
    history = office_history()
    title, asin, requester, address, _ = CABLE
    item = make_item(title, requester, address, asin=asin)

    checked = 0
    for suggestion in trained.suggest(item):
        allocation = suggestion.allocation
        for reason in suggestion.reasons:
            if reason.template == reasons.SAME_PRODUCT:
                expected = sum(1 for seen, label in history
                               if seen.asin == asin and seen.account_user_email == requester and label == allocation)
            elif reason.template == reasons.TERM_HISTORY:
                term = reason.params["term"]
                expected = sum(1 for seen, label in history
                               if term in analyze_title(seen.title).words and label.account == allocation.account)
            elif reason.template == reasons.REQUESTER_COST_CENTER_HISTORY:
                expected = sum(1 for seen, label in history
                               if seen.account_user_email == requester and label.cost_center == allocation.cost_center)
            else:
                continue
            assert reason.params["count"] == expected, reason
            checked += 1
    assert checked >= 2


def test_memory_applies_correction_at_once():
    classifier = Classifier(MASTER)
    classifier.learn(office_history())
    version = classifier.version
    title, asin, _, _, _ = MOUSE

    before = classifier.suggest(make_item(title, OLA, OFFICE, asin=asin))
    assert before[0].allocation == IT_OFFICE

    classifier.remember(make_item(title, OLA, OFFICE, asin=asin), ADMIN_OFFICE)
    after = classifier.suggest(make_item(title, OLA, OFFICE, asin=asin))

    assert_honest(after)
    assert after[0].allocation == ADMIN_OFFICE
    assert after[0].source == "memory"
    assert reasons.PERSON_CHOSE in [reason.template for reason in after[0].reasons]
    assert classifier.version == version


def test_memory_keeps_other_requesters_apart():
    classifier = Classifier(MASTER)
    classifier.learn(office_history())
    title = "Logitech MX Master 3S kabellose Maus"
    classifier.remember(make_item(title, OLA, OFFICE), ADMIN_OFFICE)

    suggestion = classifier.suggest(make_item(title, LISE, OFFICE))[0]

    assert suggestion.source != "memory"


def test_learn_counts_a_row_once():
    classifier = Classifier(MASTER)
    history = office_history()
    classifier.learn(history)
    version = classifier.version
    classifier.learn(history)

    assert classifier.version.startswith(f"m-{len(history)}-")
    assert classifier.version != version


def test_learn_reports_progress():
    calls = []
    Classifier(MASTER).learn(office_history(), progress=lambda done, total: calls.append((done, total)))

    assert calls[-1][0] == calls[-1][1]
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_coherence_project_implies_cost_center():
    coherence = Coherence(MASTER, {})
    probabilities = FieldProbabilities(
        cost_center={"400": 0.9, "600": 0.1},
        project={"P-1042": 0.8, "": 0.2},
        account={"6590": 1.0},
    )

    ranked = coherence.combine(probabilities, ContextBuilder(MASTER).build(make_item("Kabelbinder")), top=5)

    assert ranked[0] == (PROJECT_MATERIAL, pytest.approx(0.8))
    assert all(allocation.cost_center == "600" for allocation, _ in ranked if allocation.project == "P-1042")
    assert sum(probability for _, probability in ranked) <= 1.0 + 1e-9


def test_rule_cost_center_drops_projects():
    coherence = Coherence(MASTER, {})
    probabilities = FieldProbabilities(cost_center={"400": 0.5, "600": 0.5}, project={"P-1042": 0.9, "": 0.1},
                                       account={"6590": 1.0})

    context = ContextBuilder(MASTER).build(make_item("Kabelbinder"))
    ranked = coherence.combine(probabilities, context, fixed=KeywordRule(keywords=("kabel",), cost_center="400"))

    assert ranked[0][0] == OFFICE_MATERIAL
    assert ranked[0][1] == pytest.approx(1.0)


def test_suggestions_coherent_mixed_context(trained):
    suggestions = trained.suggest(make_item("Kabelbinder 300 mm schwarz, 100 Stück", OLA, SITE))

    assert_honest(suggestions)
    for suggestion in suggestions:
        if suggestion.allocation.project == "P-1042":
            assert suggestion.allocation.cost_center == "600"


def test_empty_tax_code_means_account_default():
    classifier = Classifier(MASTER)
    examples = [(item, Allocation(label.cost_center, label.project, label.account, ""))
                for item, label in office_history()]
    classifier.learn(examples)

    suggestion = classifier.suggest(make_item("Dell P2723DE 27 Zoll Monitor", PER, OFFICE))[0]

    assert suggestion.allocation == IT_OFFICE


def test_history_overrides_default_tax_code():
    classifier = Classifier(MASTER)
    examples = [(item, Allocation(label.cost_center, label.project, label.account, "14"))
                for item, label in office_history()]
    classifier.learn(examples)

    suggestion = classifier.suggest(make_item("Dell P2723DE 27 Zoll Monitor", PER, OFFICE))[0]

    assert suggestion.allocation.tax_code == "14"


def test_rule_outranks_model():
    rule = KeywordRule(keywords=("schraubendreher",), cost_center="400", account="6510")
    classifier = Classifier(MASTER, [rule])
    classifier.learn(office_history())

    suggestions = classifier.suggest(make_item("Wera Schraubendreher-Satz, 12-teilig", PER, OFFICE))

    assert_honest(suggestions)
    assert suggestions[0].source == "rule"
    assert suggestions[0].allocation == IT_TOOLS
    assert suggestions[0].reasons[0].template == reasons.KEYWORD_RULE
    assert suggestions[0].reasons[0].params == {"keyword": "schraubendreher"}


def test_rule_matches_lemma_of_keyword():
    rule = KeywordRule(keywords=("batteries",), account="6590")
    classifier = Classifier(MASTER, [rule])

    suggestion = classifier.suggest(make_item("Battery Pack for Cordless Drill"))[0]

    assert suggestion.source == "rule"
    assert suggestion.allocation.account == "6590"


def test_memory_outranks_rule():
    rule = KeywordRule(keywords=("maus",), account="6800")
    classifier = Classifier(MASTER, [rule])
    classifier.learn(office_history())
    classifier.remember(make_item("Logitech MX Master 3S kabellose Maus", OLA, OFFICE), IT_OFFICE)

    suggestions = classifier.suggest(make_item("Logitech MX Master 3S kabellose Maus", OLA, OFFICE))

    assert suggestions[0].source == "memory"
    assert suggestions[0].allocation == IT_OFFICE
    assert suggestions[1].source == "rule"


def test_most_specific_rule_wins():
    general = KeywordRule(keywords=("kabel",), account="6590")
    specific = KeywordRule(keywords=("kabel",), unspsc_prefix="2612", account="6551")
    tie = KeywordRule(keywords=("kabel",), unspsc_prefix="26", account="6800")
    classifier = Classifier(MASTER, [general, specific, tie])

    suggestion = classifier.suggest(make_item("USB C Kabel 2 m", unspsc="26121609"))[0]

    assert suggestion.source == "rule"
    assert suggestion.allocation.account == "6551"


def test_rule_needs_condition_and_target():
    with pytest.raises(ValueError, match="keywords or unspsc_prefix"):
        KeywordRule(account="6551")
    with pytest.raises(ValueError, match="sets no"):
        KeywordRule(keywords=("kabel",))


def test_rule_with_unknown_account_rejected():
    with pytest.raises(ValueError, match="unknown account '9999'"):
        check_rules([KeywordRule(keywords=("kabel",), account="9999")], MASTER)


def test_rule_contradicting_project_cost_center_rejected():
    with pytest.raises(ValueError, match="belongs to cost center 600"):
        Classifier(MASTER, [KeywordRule(keywords=("kabel",), project="P-1042", cost_center="400")])


def test_delivery_place_flips_project():
    """Ola and Per buy the same extension cord for the office and for the Hamar site. Lise never bought one."""
    title = "Verlängerungskabel 10 m, 3-fach Steckdose"
    examples = []
    for index in range(12):
        requester = OLA if index % 2 else PER
        examples.append((make_item(title, requester, OFFICE), OFFICE_MATERIAL))
        examples.append((make_item(title, requester, SITE), PROJECT_MATERIAL))
    examples += office_history()[:12]
    classifier = Classifier(MASTER)
    classifier.learn(examples)

    to_site = classifier.suggest(make_item(title, LISE, SITE))
    to_office = classifier.suggest(make_item(title, LISE, OFFICE))

    assert to_site[0].source == "model"
    assert to_site[0].allocation.project == "P-1042"
    assert to_site[0].allocation.cost_center == "600"
    assert to_office[0].source == "model"
    assert to_office[0].allocation.project is None


def test_model_confidences_are_honest(trained):
    for title, *_ in PRODUCTS:
        for address in (OFFICE, SITE):
            assert_honest(trained.suggest(make_item(title, LISE, address)))


def test_coherence_inactive_project_loses():
    coherence = Coherence(MASTER, {})
    probabilities = FieldProbabilities(cost_center={"600": 1.0}, project={"P-0999": 0.6, "P-1042": 0.4},
                                       account={"6590": 1.0})

    ranked = coherence.combine(probabilities, ContextBuilder(MASTER).build(make_item("Kabelbinder")), top=2)

    assert ranked[0][0].project == "P-1042"
    assert ranked[1][0].project == "P-0999"
    assert ranked[1][1] < 0.1


def test_new_project_site_is_suggested():
    """P-2001 never occurs in the history, but deliveries to a project site always went to that project."""
    classifier = Classifier(MASTER)
    classifier.learn(office_history())

    suggestion = classifier.suggest(make_item("Kabelbinder 300 mm schwarz, 100 Stück", KARI, NEW_SITE))[0]

    assert suggestion.allocation.project == "P-2001"
    assert suggestion.allocation.cost_center == "600"
    assert reasons.CUSTOMER_SITE in [reason.template for reason in suggestion.reasons]


def test_memory_needs_two_history_items():
    title, asin = "Brother TN-2420 Tonerkassette", "B06XCZ4R8V"
    history = office_history() + [(make_item(title, LISE, OFFICE, asin=asin), ADMIN_OFFICE)]
    classifier = Classifier(MASTER)
    classifier.learn(history)

    assert classifier.suggest(make_item(title, LISE, OFFICE, asin=asin))[0].source != "memory"

    classifier.learn([(make_item(title, LISE, OFFICE, asin=asin), ADMIN_OFFICE)])
    suggestion = classifier.suggest(make_item(title, LISE, OFFICE, asin=asin))[0]

    assert suggestion.source == "memory"
    assert suggestion.reasons[0] == Reason(reasons.SAME_PRODUCT, {"target": ADMIN_OFFICE.label(), "count": 2})


def test_technician_recent_project_wins():
    """Tor worked for P-1042 in September and for P-2001 in October, so an office delivery in October is for P-2001."""
    examples = office_history()
    for day in (2, 9, 16):
        examples.append((make_item("Ansell HyFlex Arbeitshandschuhe", TOR, OFFICE, order_date=date(2026, 9, day)),
                         Allocation("600", "P-1042", "6590", "1")))
    for day in (5, 12):
        examples.append((make_item("Wera Bitsatz, 30-teilig", TOR, NEW_SITE, order_date=date(2026, 10, day)),
                         Allocation("600", "P-2001", "6590", "1")))
    classifier = Classifier(MASTER)
    classifier.learn(examples)

    item = make_item("Knipex Seitenschneider 160 mm", TOR, OFFICE, order_date=date(2026, 10, 20))
    suggestion = classifier.suggest(item)[0]

    assert suggestion.allocation.project == "P-2001"
    recent = [reason for reason in suggestion.reasons if reason.template == reasons.RECENT_PROJECT]
    assert recent
    assert recent[0].params["count"] == 2


def test_suggest_many_equals_suggest(trained):
    items = [make_item(title, requester, address, asin=asin) for title, asin, requester, address, _ in PRODUCTS]
    items.append(make_item("Notizblock A5 kariert", LISE))

    assert trained.suggest_many(items) == [trained.suggest(item) for item in items]


def test_person_answer_weighs_more_in_fit(monkeypatch):
    fitted_weights = []
    original_fit = Model.fit

    def recording_fit(self, contexts, allocations, weights=None, progress=None):
        fitted_weights.append(list(weights))
        return original_fit(self, contexts, allocations, weights, progress)

    monkeypatch.setattr(Model, "fit", recording_fit)
    classifier = Classifier(MASTER)
    classifier.learn(office_history())
    classifier.remember(make_item("Schreibtischlampe LED dimmbar", OLA, OFFICE), ADMIN_OFFICE)
    classifier.learn([])

    assert set(fitted_weights[0]) == {1.0}
    assert fitted_weights[1][-1] == PERSON_WEIGHT
    assert fitted_weights[1][:-1] == fitted_weights[0]


def test_person_weight_moves_model():
    contexts = [ContextBuilder(MASTER).build(item) for item, _ in office_history()]
    allocations = [allocation for _, allocation in office_history()]
    lamp = ContextBuilder(MASTER).build(make_item("Schreibtischlampe LED dimmbar", OLA, OFFICE))
    contexts.append(lamp)
    allocations.append(ADMIN_OFFICE)

    plain, weighted = Model(), Model()
    plain.fit(contexts, allocations)
    weighted.fit(contexts, allocations, [1.0] * (len(contexts) - 1) + [PERSON_WEIGHT])

    assert weighted.predict([lamp])[0].account["6800"] > plain.predict([lamp])[0].account["6800"]


def test_empty_training_set_raises():
    with pytest.raises(TrainingDataError):
        Classifier(MASTER).learn([])


def test_one_allocation_training_set_raises():
    history = [(make_item(title, OLA, OFFICE), IT_OFFICE) for title, *_ in PRODUCTS]

    with pytest.raises(TrainingDataError, match="400/-/6551/1"):
        Classifier(MASTER).learn(history)


def test_person_decision_outranks_confident_model():
    classifier = Classifier(MASTER)
    classifier.learn(office_history())
    title, asin, _, _, _ = MOUSE
    classifier.remember(make_item(title, OLA, OFFICE, asin=asin), ADMIN_OFFICE)
    # A calibration that trusts the model fully and memory little must not reorder the tiers.
    classifier.calibrator = Calibrator().fit(
        [Outcome("model", 0.9, True)] * 60 + [Outcome("memory", 0.6, False)] * 60)

    suggestions = classifier.suggest(make_item(title, OLA, OFFICE, asin=asin))

    assert suggestions[0].allocation == ADMIN_OFFICE
    assert suggestions[0].source == "memory"


def test_memory_skips_project_after_move():
    classifier = Classifier(MASTER)
    classifier.learn(office_history())
    screws = "Zylinderschrauben M6x16 DIN 912, 100 Stück"
    classifier.remember(make_item(screws, TOR, SITE, order_date=date(2026, 9, 1)), PROJECT_MATERIAL)
    moved = Allocation("600", "P-2001", "6590", "1")
    classifier.remember(make_item("Kabelkanal 40 x 60 mm", TOR, NEW_SITE, order_date=date(2026, 9, 10)), moved)

    same_site = classifier.suggest(make_item(screws, TOR, SITE, order_date=date(2026, 9, 5)))[0]
    after_move = classifier.suggest(make_item(screws, TOR, SITE, order_date=date(2026, 9, 12)))[0]

    assert same_site.source == "memory"
    assert after_move.source != "memory"


def test_model_predict_matches_feature_union():
    # office_history repeats every title eight times, which predict transforms once each.
    history = office_history()
    contexts = [ContextBuilder(MASTER).build(item) for item, _ in history]
    model = Model()
    model.fit(contexts, [allocation for _, allocation in history])
    matrix = model.features.transform(contexts)

    predicted = model.predict(contexts)

    for name in ("cost_center", "project", "account"):
        expected = model.heads[name].probabilities(matrix)
        for row, probabilities in enumerate(predicted):
            assert getattr(probabilities, name) == pytest.approx(expected[row])
