"""Products Havrekorn Bakeri AS buys on amazon.de (EUR) and amazon.se (SEK).

Office supplies, IT, software, gifts, catering, giveaways, fair material,
office furniture and some warehouse and safety products are the same
listings (and so the same ASINs) as in the Nordlys sample. The bakery's
own listings follow: packaging, ingredients, bakeware, cleaning, hygiene,
workwear, laboratory supplies, store supplies, kitchen equipment and café
furniture. ``NEW_PRODUCTS`` is the compostable packaging line that the
packing hall takes into use in August 2026; none of it is sold before
``NEW_PRODUCTS_FROM``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.sample import catalog as nordlys
from bot.sample.catalog import (
    CATERING, FAIR_MATERIAL, FURNITURE, GIFT, GIVEAWAY, IT, OFFICE, PACKAGING, SAFETY, SOFTWARE, Product, Seller,
)

INGREDIENTS = "ingredients"
BAKEWARE = "bakeware"
CONSUMABLES = "consumables"
CLEANING = "cleaning"
HYGIENE = "hygiene"
WORKWEAR = "workwear"
LAB = "lab"
STORE_SUPPLIES = "store_supplies"
EQUIPMENT = "equipment"

NEW_PRODUCTS_FROM = date(2026, 8, 1)

SELLERS = {
    **nordlys.SELLERS,
    "gastro": Seller("Gastro-Großhandel Weber GmbH", "Speditionstraße 15, DÜSSELDORF, 40221, DE"),
    "backbedarf": Seller("Backbedarf Sommer KG", "Mühlenweg 7, FREIBURG, 79100, DE"),
    "hygiene": Seller("Hygieneprofi Nord GmbH", "Wandsbeker Zollstraße 87, HAMBURG, 22041, DE"),
    "labor": Seller("LaborDirekt GmbH", "Robert-Bosch-Straße 30, MAINZ, 55129, DE"),
    "ladenbau": Seller("Ladenbau Kroll GmbH", "Werkstraße 11, BIELEFELD, 33609, DE"),
    "forpack": Seller("Förpackningsbolaget i Borås AB", "Lundbygatan 3, BORÅS, 506 30, SE"),
    "storkok": Seller("Storköksgrossisten AB", "Mölndalsvägen 40, GÖTEBORG, 412 63, SE"),
}


def _de(kind: str, title: str, brand: str, category: str, unspsc: str, model: str, price: str,
        seller: str = "amazon.de") -> Product:
    return Product(kind, "de", title, brand, category, unspsc, model, Decimal(price), seller)


def _se(kind: str, title: str, brand: str, category: str, unspsc: str, model: str, price: str,
        seller: str = "amazon.se") -> Product:
    return Product(kind, "se", title, brand, category, unspsc, model, Decimal(price), seller)


# Nordlys listings by model number. Of the safety gear, only what a
# warehouse and a bakery need (no gas detector, no hard hat).
_SHARED_SAFETY = frozenset({"1100", "WW-10", "643850-43", "0301125", "AS-500-2", "H520A", "11-840-9", "AH-10-12"})
_SHARED_PACKAGING = frozenset({"SF-500-6", "PB-50-36", "VK-432-50", "LP-100", "HA-50", "3006322", "MT-GS-6"})
_SHARED_FURNITURE = frozenset({"E7-16080", "435A00", "608500", "AS-195", "SR-1809040", "KS-ERGO", "AT-160"})
_SHARED_KINDS = frozenset({OFFICE, IT, SOFTWARE, GIFT, CATERING, GIVEAWAY, FAIR_MATERIAL})


def _shared(product: Product) -> bool:
    if product.kind in _SHARED_KINDS:
        return True
    return product.model in _SHARED_SAFETY | _SHARED_PACKAGING | _SHARED_FURNITURE


_BAKERY_PRODUCTS = (
    # Packaging for the bakery's own products and the stores' take-away
    _de(PACKAGING, "Papstar Bäckerbeutel Kraftpapier 14 x 4 x 30 cm, braun, 1000 Stück", "Papstar",
        "Industrial Supplies", "24111503", "88140", "39.90"),
    _de(PACKAGING, "Tortenkarton weiß 28 x 28 x 10 cm mit Sichtfenster, 50 Stück", "Verpackungsprofi",
        "Industrial Supplies", "24112404", "TK-2828-50", "44.90"),
    _de(PACKAGING, "Kuchenkarton 20 x 20 x 8 cm, weiß, 100 Stück", "Verpackungsprofi", "Industrial Supplies",
        "24112404", "KK-2020-100", "36.90"),
    _de(PACKAGING, "Duni Coffee-to-go Becher 300 ml, Pappe, 1000 Stück", "Duni", "Kitchen",
        "52151504", "188711", "79.00"),
    _de(PACKAGING, "Papstar Deckel für Coffee-to-go Becher, Ø 80 mm, schwarz, 1000 Stück", "Papstar", "Kitchen",
        "52151504", "88079", "42.90"),
    _de(PACKAGING, "Papiertragetaschen mit Kordel 32 x 14 x 42 cm, braun, 250 Stück", "Verpackungsprofi",
        "Industrial Supplies", "24111503", "TT-3214-250", "69.00"),
    _de(PACKAGING, "Brotbeutel Papier mit Sichtfenster, 12 x 6 x 38 cm, 500 Stück", "Verpackungsprofi",
        "Industrial Supplies", "24111503", "BB-SF-500", "49.90"),
    _de(PACKAGING, "Sandwichbeutel Papier fettdicht, 16 x 24 cm, 1000 Stück", "Papstar", "Industrial Supplies",
        "24111503", "SB-1624", "34.90"),
    _de(PACKAGING, "Tortenunterlagen Pappe rund, Ø 30 cm, gold, 100 Stück", "Städter", "Kitchen",
        "24121500", "TU-30-100", "29.90"),
    _de(PACKAGING, "Etiketten Mindesthaltbarkeitsdatum 40 x 25 mm, 5000 Stück auf Rolle", "Labelident",
        "Industrial Supplies", "55121606", "MHD-4025", "24.90"),
    _de(PACKAGING, "Zebra Z-Select 2000D Thermoetiketten 57 x 32 mm, 12 Rollen", "Zebra", "Industrial Supplies",
        "55121606", "800262-125", "59.90"),
    _de(PACKAGING, "Take-away Salatschalen Kraft mit Deckel, 750 ml, 300 Stück", "Papstar", "Kitchen",
        "52151500", "SK-750-300", "64.90"),
    _se(PACKAGING, "Brødposer papir med vindu, 500 stk", "Förpackningsbolaget", "Industrial Supplies",
        "24111503", "BP-V-500", "549.00", seller="forpack"),
    _se(PACKAGING, "Kakebokser hvit 25 x 25 cm, 50 stk", "Förpackningsbolaget", "Industrial Supplies",
        "24112404", "KB-25-50", "429.00", seller="forpack"),
    _se(PACKAGING, "Take away-kopper 350 ml, hvit, 500 stk", "Duni", "Kitchen",
        "52151504", "TAK-350", "699.00"),

    # Ingredients for the test bakery, cake decoration and the gluten-free range
    _de(INGREDIENTS, "Dr. Oetker Bourbon-Vanillezucker, 10er Pack", "Dr. Oetker", "Grocery",
        "50171800", "VZ-10", "9.99"),
    _de(INGREDIENTS, "Nielsen-Massey Madagascar Bourbon Vanilla Extract, 118 ml", "Nielsen-Massey", "Grocery",
        "50171500", "NM-118", "24.90"),
    _de(INGREDIENTS, "Wilton Lebensmittelfarbe Gel, 12er Set", "Wilton", "Grocery",
        "50171800", "601-5580", "21.99"),
    _de(INGREDIENTS, "FunCakes Zuckerstreusel Mix, 6er Set", "FunCakes", "Grocery",
        "50161800", "F50100", "14.99"),
    _de(INGREDIENTS, "Callebaut Kuvertüre Zartbitter 811 Callets, 2,5 kg", "Callebaut", "Grocery",
        "50161509", "811-2.5", "39.90", seller="backbedarf"),
    _de(INGREDIENTS, "Schär Mix B Brot-Mix glutenfrei, 1 kg, 5er Pack", "Schär", "Grocery",
        "50221300", "MIXB-5", "24.90"),
    _de(INGREDIENTS, "Xanthan Gum Pulver, glutenfrei, 500 g", "Kamelur", "Grocery",
        "50171800", "XG-500", "19.90"),
    _de(INGREDIENTS, "Flohsamenschalen gemahlen, 1 kg", "Bioking", "Grocery",
        "50221300", "FS-1000", "16.99"),
    _de(INGREDIENTS, "Diastatisches Backmalz, 500 g", "Backbedarf Sommer", "Grocery",
        "50221300", "BM-500", "9.90", seller="backbedarf"),
    _de(INGREDIENTS, "Sauerteig getrocknet, Roggen, 1 kg", "Backbedarf Sommer", "Grocery",
        "50221300", "ST-R-1000", "12.90", seller="backbedarf"),
    _se(INGREDIENTS, "Kardemomme malt, 500 g", "Santa Maria", "Grocery",
        "50171500", "KM-500", "249.00"),
    _se(INGREDIENTS, "Perlesukker, 1 kg", "Dansukker", "Grocery",
        "50161500", "PS-1000", "59.00"),
    _se(INGREDIENTS, "Marsipanmasse 50 %, 1 kg", "Odense", "Grocery",
        "50161800", "MM-1000", "129.00"),

    # Bakeware and small utensils
    _de(BAKEWARE, "Teigschaber flexibel aus Kunststoff, 10 Stück", "Städter", "Kitchen",
        "52151600", "TS-10", "12.90"),
    _de(BAKEWARE, "Schneider Teigabstecher Edelstahl, 12 cm", "Schneider", "Kitchen",
        "52151600", "158120", "11.90", seller="backbedarf"),
    _de(BAKEWARE, "Gärkörbchen rund Ø 22 cm aus Peddigrohr mit Leinentuch, 6 Stück", "Schneider", "Kitchen",
        "52151600", "GK-22-6", "49.90", seller="backbedarf"),
    _de(BAKEWARE, "Silikomart Silikon Backmatte 60 x 40 cm, 4 Stück", "Silikomart", "Kitchen",
        "52151600", "SM-6040-4", "59.90"),
    _de(BAKEWARE, "Kaiser Backform Springform 26 cm, 3 Stück", "Kaiser Backform", "Kitchen",
        "52151700", "KB-SF26-3", "44.90"),
    _de(BAKEWARE, "Spritztüllen Set Edelstahl, 24-teilig", "Städter", "Kitchen",
        "52151600", "ST-24", "19.99"),
    _de(BAKEWARE, "Zenker Palettenmesser gewinkelt 25 cm, Edelstahl", "Zenker", "Kitchen",
        "52151600", "PM-25", "14.90"),
    _de(BAKEWARE, "Soehnle Page Profi 300 Küchenwaage bis 20 kg", "Soehnle", "Kitchen",
        "52141500", "67080", "39.99"),
    _de(BAKEWARE, "Victorinox Brotmesser mit Wellenschliff 26 cm, schwarz", "Victorinox", "Kitchen",
        "52151600", "5.2533.26", "34.90"),
    _de(BAKEWARE, "Hendi Backblech Aluminium gelocht 60 x 40 cm, 5 Stück", "Hendi", "Kitchen",
        "52151600", "808214", "89.00", seller="gastro"),
    _de(BAKEWARE, "Hendi GN 1/1 Behälter Edelstahl, 65 mm tief, 6 Stück", "Hendi", "Kitchen",
        "52151600", "801208", "79.00", seller="gastro"),
    _de(BAKEWARE, "Baking Proofing Basket Set, oval 25 cm, 4 pack, with liners", "DoughBox", "Kitchen",
        "52151600", "DB-OV25-4", "36.99"),
    _se(BAKEWARE, "Deigskrape i plast, 10 stk", "Exxent", "Kitchen",
        "52151600", "DS-10", "99.00", seller="storkok"),
    _se(BAKEWARE, "Hevekurv rund 25 cm med trekk", "Exxent", "Kitchen",
        "52151600", "HK-25", "179.00", seller="storkok"),

    # Production consumables
    _de(CONSUMABLES, "Backpapier Zuschnitte 60 x 40 cm, 500 Blatt", "Papstar", "Kitchen",
        "52151500", "BP-6040-500", "39.90"),
    _de(CONSUMABLES, "Einweg Spritzbeutel 53 cm, 100 Stück auf Rolle", "Städter", "Kitchen",
        "52151500", "EW-SB53", "14.90"),
    _de(CONSUMABLES, "Wrapmaster 4500 Frischhaltefolie 45 cm x 300 m, 3 Rollen", "Wrapmaster", "Kitchen",
        "24141500", "61003", "44.90"),
    _de(CONSUMABLES, "Aluminiumfolie Gastro 45 cm x 150 m", "Papstar", "Kitchen",
        "52151500", "AF-45-150", "29.90"),
    _se(CONSUMABLES, "Bakepapir ark 40 x 60 cm, 500 stk", "Exxent", "Kitchen",
        "52151500", "BP-ARK-500", "399.00", seller="storkok"),

    # Cleaning
    _de(CLEANING, "Vileda Professional MicronQuick Mikrofasertuch, 20 Stück", "Vileda Professional",
        "Industrial Supplies", "47131501", "168080", "39.90", seller="hygiene"),
    _de(CLEANING, "Tork Reflex Zentralabrollung Papierwischtuch M4, 6 Rollen", "Tork", "Industrial Supplies",
        "47131502", "473254", "49.90"),
    _de(CLEANING, "Dr. Schnell FOROL Allzweckreiniger, 10 l Kanister", "Dr. Schnell", "Industrial Supplies",
        "47131800", "30177", "49.90", seller="hygiene"),
    _de(CLEANING, "Flächendesinfektion lebensmittelgeeignet, alkoholbasiert, 5 l", "Dr. Schnell",
        "Industrial Supplies", "47131803", "DS-5L", "34.90", seller="hygiene"),
    _de(CLEANING, "Somat Professional Spülmaschinentabs Gastro, 200 Stück", "Somat Professional",
        "Industrial Supplies", "47131800", "SP-200", "42.90"),
    _de(CLEANING, "Müllbeutel 120 l extra stark, 250 Stück", "Deiss", "Industrial Supplies",
        "47121701", "DE-120-250", "54.90"),
    _de(CLEANING, "Vileda Professional UltraSpeed Pro Bodenwischer-Set", "Vileda Professional",
        "Industrial Supplies", "47131600", "147590", "79.00", seller="hygiene"),
    _de(CLEANING, "Spülschwämme mit Griffmulde, 50 Stück", "Vileda Professional", "Industrial Supplies",
        "47131500", "123117", "19.90"),
    _se(CLEANING, "Oppvaskmiddel profesjonelt, 5 l", "Nordiska Rengöring", "Industrial Supplies",
        "47131800", "OM-5L", "229.00", seller="storkok"),
    _se(CLEANING, "Avfallssekker 125 l, 100 stk", "Nordiska Rengöring", "Industrial Supplies",
        "47121701", "AS-125", "289.00", seller="storkok"),

    # Food hygiene
    _de(HYGIENE, "Hygostar Nitrilhandschuhe blau, puderfrei, lebensmittelecht, Größe L, 1000 Stück", "Hygostar",
        "Safety Supplies", "46181504", "NH-L-1000", "64.90", seller="hygiene"),
    _de(HYGIENE, "Hygostar Haarnetze Einweg, weiß, 1000 Stück", "Hygostar", "Safety Supplies",
        "46181500", "HN-1000", "24.90", seller="hygiene"),
    _de(HYGIENE, "Hygostar Bartschutz Einweg, weiß, 1000 Stück", "Hygostar", "Safety Supplies",
        "46181500", "BS-1000", "29.90", seller="hygiene"),
    _de(HYGIENE, "Hendi Ofenhandschuhe hitzebeständig bis 250 °C, 1 Paar", "Hendi", "Safety Supplies",
        "46181504", "556658", "24.90", seller="gastro"),
    _de(HYGIENE, "Schnittschutzhandschuh Klasse 5, lebensmittelecht, Größe 9", "uvex", "Safety Supplies",
        "46181504", "60490-9", "14.90"),
    _de(HYGIENE, "Söhngen Pflasterspender blau, detektierbar, lebensmittelgeeignet", "Söhngen",
        "Safety Supplies", "42311500", "1009922", "39.90"),
    _se(HYGIENE, "Nitrilhansker blå, str. L, 100 stk", "Abena", "Safety Supplies",
        "46181504", "AB-NL-100", "119.00"),
    _se(HYGIENE, "Hårnett engangs, hvit, 100 stk", "Abena", "Safety Supplies",
        "46181500", "AB-HN-100", "59.00"),

    # Workwear
    _de(WORKWEAR, "Karlowsky Bäckerjacke Basic, weiß, Langarm, Gr. L", "Karlowsky", "Apparel",
        "53102710", "BJM2-L", "29.90"),
    _de(WORKWEAR, "Karlowsky Bistroschürze mit Tasche, schwarz, 5 Stück", "Karlowsky", "Apparel",
        "53102710", "LS-9-5", "49.90"),
    _de(WORKWEAR, "Karlowsky Bäckerhose Pepita, Unisex, Gr. M", "Karlowsky", "Apparel",
        "53102710", "BHPE-M", "34.90"),
    _de(WORKWEAR, "Papstar Kochmütze Papier verstellbar, 100 Stück", "Papstar", "Apparel",
        "53102500", "KM-100", "29.90"),
    _de(WORKWEAR, "ABEBA Arbeitsschuhe Küche rutschfest S2 SRC, Gr. 42", "ABEBA", "Shoes",
        "46181604", "7131-42", "69.90"),
    _de(WORKWEAR, "Chef Jacket Unisex, short sleeve, white, size M", "Chef Works", "Apparel",
        "53102710", "CW-SS-M", "32.90"),
    _se(WORKWEAR, "Kokkejakke hvit, str. L", "Kentaur", "Apparel",
        "53102710", "KJ-L", "499.00"),
    _se(WORKWEAR, "Forkle svart med lomme", "Kentaur", "Apparel",
        "53102710", "FK-S", "229.00"),

    # Quality laboratory
    _de(LAB, "Testo 104 Einstichthermometer, klappbar, HACCP", "Testo", "Lab & Scientific",
        "41112210", "0563 0104", "89.00", seller="labor"),
    _de(LAB, "TFA Dostmann Kühlschrankthermometer, 5 Stück", "TFA Dostmann", "Lab & Scientific",
        "41112210", "14.4003", "24.90"),
    _de(LAB, "3M Clean-Trace ATP Oberflächentest, 100 Stück", "3M", "Lab & Scientific",
        "41116000", "UXL100", "249.00", seller="labor"),
    _de(LAB, "Abklatschplatten Caso-Agar für Hygienekontrolle, 20 Stück", "Merck", "Lab & Scientific",
        "41104100", "146151", "79.00", seller="labor"),
    _de(LAB, "Hanna Instruments HI98161 pH-Meter für Lebensmittel mit Einstichelektrode", "Hanna Instruments",
        "Lab & Scientific", "41113000", "HI98161", "299.00", seller="labor"),
    _de(LAB, "Elitech RC-5 USB Temperatur-Datenlogger, HACCP, 2 Stück", "Elitech", "Lab & Scientific",
        "41112210", "RC-5", "39.90"),
    _de(LAB, "RIDA QUICK Gliadin Allergen-Schnelltest Gluten, 10 Tests", "R-Biopharm", "Lab & Scientific",
        "41116100", "R7003", "149.00", seller="labor"),
    _se(LAB, "Digitalt stikktermometer, HACCP", "Exxent", "Lab & Scientific",
        "41112210", "TF-STIKK", "249.00", seller="storkok"),

    # Store supplies
    _de(STORE_SUPPLIES, "Exacompta Thermorollen 57 mm x 40 m, BPA-frei, 50 Rollen", "Exacompta",
        "Office Product", "14111818", "40831E", "29.90"),
    _de(STORE_SUPPLIES, "Papstar Servietten 33 x 33 cm, 2-lagig, weiß, 1000 Stück", "Papstar", "Kitchen",
        "14111704", "10500", "24.90"),
    _de(STORE_SUPPLIES, "Securit Kreidemarker weiß, 6 mm, 8 Stück", "Securit", "Office Product",
        "44121708", "SMA720-8", "24.90"),
    _de(STORE_SUPPLIES, "Preisschilder zum Stecken für Backwaren, 50 Stück", "Securit", "Office Product",
        "55121600", "PS-50", "39.90"),
    _de(STORE_SUPPLIES, "Papstar Kaffeerührer Holz 140 mm, 1000 Stück", "Papstar", "Kitchen",
        "52151500", "KR-1000", "9.99"),
    _de(STORE_SUPPLIES, "Hendi Kuchenzange Edelstahl 23 cm, 6 Stück", "Hendi", "Kitchen",
        "52151600", "KZ-6", "19.90", seller="gastro"),
    _de(STORE_SUPPLIES, "Paper Drinking Straws, 250 pack, biodegradable", "Papstar", "Kitchen",
        "52151500", "TH-250", "12.90"),
    _se(STORE_SUPPLIES, "Kasseruller 57 mm, 20 stk", "Kontorsgrossisten", "Office Product",
        "14111818", "KR-57-20", "199.00", seller="kontor"),
    _se(STORE_SUPPLIES, "Servietter 2-lags, 24 x 24 cm, hvit, 500 stk", "Duni", "Kitchen",
        "14111704", "SV-24-500", "159.00"),

    # Kitchen and café equipment
    _de(EQUIPMENT, "KitchenAid Artisan Küchenmaschine 5KSM175, 4,8 l, Empire Rot", "KitchenAid", "Kitchen",
        "52141500", "5KSM175PSEER", "549.00"),
    _de(EQUIPMENT, "Bartscher Heißluftofen AT400, 4 Bleche 438 x 315 mm", "Bartscher", "Kitchen",
        "48101500", "A120797", "699.00", seller="gastro"),
    _de(EQUIPMENT, "Bartscher Kühlvitrine Deli-Cool 1500 mm, 3 Etagen", "Bartscher", "Appliances",
        "48101700", "700451G", "2790.00", seller="gastro"),
    _de(EQUIPMENT, "Rancilio Classe 5 USB 2-gruppig Siebträgermaschine", "Rancilio", "Kitchen",
        "48101714", "CL5-USB2", "5490.00", seller="gastro"),
    _de(EQUIPMENT, "Mahlkönig E65S GbW Espressomühle", "Mahlkönig", "Kitchen",
        "52141500", "E65S-GBW", "2390.00", seller="gastro"),
    _de(EQUIPMENT, "Bartscher Waffeleisen 1WB Herzwaffel", "Bartscher", "Kitchen",
        "48101500", "A370240", "189.00", seller="gastro"),
    _de(EQUIPMENT, "Hendi Kontaktgrill Panini, gerillt", "Hendi", "Kitchen",
        "48101500", "263501", "219.00", seller="gastro"),
    _de(EQUIPMENT, "Soehnle Professional Plattformwaage 9201, bis 150 kg", "Soehnle Professional", "Industrial",
        "41111600", "9201.01.001", "429.00"),
    _se(EQUIPMENT, "Vannkoker stål 1,7 l, profesjonell", "Exxent", "Kitchen",
        "52141500", "VK-17", "899.00", seller="storkok"),

    # Café furniture
    _de(FURNITURE, "Paged Bistrostuhl Holz stapelbar, 4er Set, Eiche", "Paged", "Furniture",
        "56101504", "A-4420-4", "459.00"),
    _de(FURNITURE, "Bistrotisch rund Ø 70 cm, Eiche mit Gusseisenfuß", "Hammerbacher", "Furniture",
        "56101519", "BT-70", "189.00"),
    _de(FURNITURE, "WOLTU Barhocker Metall mit Holzsitz, 2er Set", "WOLTU", "Furniture",
        "56101504", "BH7051", "119.00"),
    _de(FURNITURE, "Brotregal Holz mit Schrägböden, 180 x 100 cm", "Ladenbau Kroll", "Furniture",
        "56101500", "BR-18010", "649.00", seller="ladenbau"),
    _de(FURNITURE, "Edelstahl Arbeitstisch 140 x 70 cm mit Grundboden", "Hendi", "Furniture",
        "56101533", "811020", "289.00", seller="gastro"),
    _de(FURNITURE, "Hendi Edelstahlregal 4 Böden, 150 x 50 x 180 cm", "Hendi", "Furniture",
        "56101520", "810880", "239.00", seller="gastro"),
    _se(FURNITURE, "Kafébord rundt Ø 60 cm, svart", "Kontorsgrossisten", "Furniture",
        "56101519", "KB-60", "1490.00", seller="kontor"),

    # Store and launch advertising
    _de(FAIR_MATERIAL, "Kundenstopper A1 Aluminium, doppelseitig, mit Plakatwechselrahmen", "Securit",
        "Office Product", "55121700", "KS-A1", "89.90", seller="messe"),
    _de(FAIR_MATERIAL, "Securit Kreidetafel Kundenstopper Holz, 60 x 100 cm", "Securit", "Office Product",
        "44111900", "SBS-BL-WA", "74.90"),
    _de(FAIR_MATERIAL, "Tischaufsteller A5 Acryl, 10 Stück", "MesseDisplay24", "Office Product",
        "44111500", "TA-A5-10", "29.90", seller="messe"),
    _de(GIVEAWAY, "Brotbeutel Baumwolle mit Logo-Druck, 100 Stück", "Werbemittel Direkt", "Office Product",
        "53121600", "BBL-100", "229.00", seller="werbung"),

    # Receipt printers and cash drawers for the stores
    _de(IT, "Epson TM-T20III Bondrucker, USB und Ethernet, schwarz", "Epson", "Personal Computer",
        "43212110", "C31CH51012", "189.00"),
    _de(IT, "Star Micronics CB-2002 Kassenlade, 5 Scheine, 8 Münzen", "Star Micronics", "Personal Computer",
        "43211900", "CB-2002", "99.00"),
)

NEW_PRODUCTS = (
    _de(PACKAGING, "BioPak kompostierbare Brotbeutel Kraft mit PLA-Sichtfenster, 14 x 8 x 35 cm, 1000 Stück",
        "BioPak", "Industrial Supplies", "24111503", "BB-PLA-1435", "89.90"),
    _de(PACKAGING, "Vegware compostable bakery bags, kraft, 8 x 14 inch, pack of 1000", "Vegware",
        "Industrial Supplies", "24111503", "VW-BK814", "74.90"),
    _de(PACKAGING, "NatureFlex Flowpack-Folie kompostierbar, 350 mm x 1000 m", "Futamura", "Industrial Supplies",
        "24141501", "NF-350-1000", "149.00", seller="gastro"),
    _de(PACKAGING, "Papierbanderolen für Brot, bedruckbar, 60 mm, 2000 Stück", "Verpackungsprofi",
        "Industrial Supplies", "55121606", "BD-60-2000", "59.00"),
    _de(PACKAGING, "Etiketten glutenfrei, rund 50 mm, weiß/grün, Rolle mit 1000 Stück", "Labelident",
        "Industrial Supplies", "55121606", "GF-50-1000", "19.90"),
    _de(PACKAGING, "Sichtfensterkarton Kraft für Kekse, 12 x 8 x 4 cm, 200 Stück", "Verpackungsprofi",
        "Industrial Supplies", "24112404", "SK-1284-200", "54.90"),
    _de(CONSUMABLES, "Thermotransferbänder Wachs 110 mm x 450 m, 6 Rollen", "Labelident", "Industrial Supplies",
        "44103112", "TTR-110-450", "54.90"),
    _de(EQUIPMENT, "hawo HPL 630 AS-S Balkenschweißgerät für Folienbeutel, 300 mm", "hawo", "Industrial",
        "24102004", "HPL630AS-S", "469.00"),
    _de(EQUIPMENT, "Etikettenspender manuell für Rollen bis 110 mm", "Labelident", "Industrial",
        "44101800", "ES-110", "39.90"),
    _de(IT, "Zebra ZT231 Industriedrucker 203 dpi, Thermotransfer, USB und Ethernet", "Zebra", "Personal Computer",
        "43212105", "ZT23142-T0E000FZ", "899.00"),
    _se(PACKAGING, "Komposterbare brødposer med vindu, 1000 stk", "Förpackningsbolaget", "Industrial Supplies",
        "24111503", "KBP-1000", "1090.00", seller="forpack"),
    _se(PACKAGING, "Papirbånd til brødposer, kraft, 2000 stk", "Förpackningsbolaget", "Industrial Supplies",
        "31201500", "PB-2000", "349.00", seller="forpack"),
)

PRODUCTS = tuple(product for product in nordlys.PRODUCTS if _shared(product)) + _BAKERY_PRODUCTS + NEW_PRODUCTS

NEW_ASINS = frozenset(product.asin for product in NEW_PRODUCTS)

# Usual quantity per order line by kind, as (lowest, highest).
QUANTITIES = {
    OFFICE: (1, 5), IT: (1, 3), SOFTWARE: (1, 5), PACKAGING: (2, 20), INGREDIENTS: (1, 10), BAKEWARE: (1, 6),
    CONSUMABLES: (1, 10), CLEANING: (1, 8), HYGIENE: (1, 10), WORKWEAR: (1, 10), LAB: (1, 4),
    STORE_SUPPLIES: (1, 8), EQUIPMENT: (1, 2), FURNITURE: (1, 2), CATERING: (1, 6), GIFT: (1, 6),
    GIVEAWAY: (1, 4), FAIR_MATERIAL: (1, 2), SAFETY: (1, 8),
}

# Subsets by model number, for buyers who only order from part of a kind.
PERSONAL_IT = nordlys.PERSONAL_IT
WAREHOUSE_IT = frozenset({"ZD4A042-D0EM00EZ", "1250G-2USB-1"})
STORE_IT = frozenset({"C31CH51012", "CB-2002", "MPQ03FD/A"})
WAREHOUSE_PACKAGING = _SHARED_PACKAGING
STORE_PACKAGING = frozenset({
    "88140", "TK-2828-50", "KK-2020-100", "188711", "88079", "TT-3214-250", "SB-1624", "SK-750-300",
    "KB-25-50", "TAK-350",
})
OFFICE_FURNITURE = _SHARED_FURNITURE - {"SR-1809040"}
CAFE_FURNITURE = frozenset({"A-4420-4", "BT-70", "BH7051", "BR-18010", "KB-60"})
BAKERY_FURNITURE = frozenset({"811020", "810880", "SR-1809040"})
CAFE_EQUIPMENT = frozenset({"700451G", "CL5-USB2", "E65S-GBW", "A370240", "263501", "VK-17"})
# Equipment that fills a new store: display fridges and espresso machines, often capitalised.
STORE_FIT_OUT = frozenset({"700451G", "CL5-USB2", "E65S-GBW"})


def is_available(product: Product, day: date) -> bool:
    """Tell whether a product is sold on ``day``: the new packaging line only from August 2026."""
    return product.asin not in NEW_ASINS or day >= NEW_PRODUCTS_FROM
