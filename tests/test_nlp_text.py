import pytest

from bot.nlp.text import DEFAULT_LANGUAGE, analyze_title, detect_language, pipeline


@pytest.mark.parametrize(
    ("title", "language"),
    [
        ("Batterier til fjernkontroll, 24 stk", "nb"),
        ("Vernehansker i nitril, størrelse 10", "nb"),
        ("Arbeitshandschuhe für Damen und Herren, Größe 8", "de"),
        ("Leitz Ordner, 8 cm Rückenbreite, blau", "de"),
        ("Gel Ink Pens with Fine Point, 12 Pack", "en"),
        ("USB-C cable for the office", "en"),
    ],
)
def test_language_from_stop_words(title, language):
    assert detect_language(title) == language


def test_language_default_without_clues():
    assert detect_language("Logitech MX Master 3S") == DEFAULT_LANGUAGE


def test_norwegian_plural_is_stemmed():
    analysis = analyze_title("Batterier til fjernkontroll")

    assert analysis.language == "nb"
    assert "batteri" in analysis.words
    assert "batterier" not in analysis.words


def test_german_plural_gets_lemma():
    analysis = analyze_title("Schrauben und Muttern für die Werkstatt")

    assert analysis.language == "de"
    assert "schraube" in analysis.words


def test_english_title_case_gets_lemma():
    analysis = analyze_title("Nitrile Gloves with Batteries")

    assert "glove" in analysis.words
    assert "battery" in analysis.words


def test_stop_words_are_dropped():
    analysis = analyze_title("Kabel für die Küche und das Büro")

    assert "für" not in analysis.words
    assert "und" not in analysis.words
    assert "kabel" in analysis.words


@pytest.mark.parametrize(
    ("title", "unit"),
    [
        ("Sechskantschrauben M8x20 verzinkt, 100 Stück", "m8x20"),
        ("SanDisk Ultra USB 3.0 Flash-Laufwerk 16GB", "16gb"),
        ("SanDisk Ultra USB 3.0 Flash-Laufwerk 16 GB", "16gb"),
        ("Anker PowerCore 10000mAh Powerbank", "10000mah"),
        ("Verlängerungskabel 4,5 m, schwarz", "4.5m"),
        ("Dell P2723DE 27 Zoll Monitor", "p2723de"),
    ],
)
def test_units_and_model_numbers_kept_whole(title, unit):
    assert unit in analyze_title(title).units


def test_plain_numbers_are_not_units():
    analysis = analyze_title("Ordner 2025, blau")

    assert "2025" not in analysis.units
    assert "2025" not in analysis.words


def test_pipelines_loaded_once():
    assert pipeline("de") is pipeline("de")
    assert pipeline("nb").pipe_names == []
    assert pipeline("en").pipe_names == ["lemmatizer"]
