"""Products the sample company buys on amazon.de (EUR) and amazon.se (SEK).

Titles are written the way the marketplaces show them: German on amazon.de,
with some English listings, and Scandinavian listings on amazon.se, which
the sample writes in Norwegian. ``kind`` is what the controller's rules in
`bot.sample.rules` look at; it never appears in a report.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

OFFICE = "office"
IT = "it"
SOFTWARE = "software"
FAIR_MATERIAL = "fair_material"
GIVEAWAY = "giveaway"
PARTS = "parts"
CONSUMABLES = "consumables"
TOOLS = "tools"
SAFETY = "safety"
CATERING = "catering"
GIFT = "gift"
FURNITURE = "furniture"
PACKAGING = "packaging"

_ASIN_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class Seller:
    name: str
    address: str


SELLERS = {
    "amazon.de": Seller("Amazon EU S.à r.l.", "38 avenue John F. Kennedy, LUXEMBOURG, L-1855, LU"),
    "amazon.se": Seller("Amazon EU S.à r.l., Sverige filial", "Box 7164, STOCKHOLM, 103 88, SE"),
    "schrauben": Seller("Schraubenwelt Nord GmbH", "Hafenstraße 21, BREMEN, 28217, DE"),
    "elektro": Seller("Elektro Kern Handels GmbH", "Industriestraße 4, HANNOVER, 30179, DE"),
    "messe": Seller("MesseDisplay24 GmbH", "Am Messeplatz 9, KÖLN, 50679, DE"),
    "werbung": Seller("Werbemittel Direkt GmbH", "Gutenbergstraße 14, LEIPZIG, 04178, DE"),
    "schutz": Seller("Arbeitsschutz Express GmbH", "Carl-Zeiss-Straße 3, DORTMUND, 44149, DE"),
    "feinkost": Seller("Feinkost Wagner GmbH", "Marktplatz 2, LÜBECK, 23552, DE"),
    "buero": Seller("Büro Discount Schmidt e.K.", "Lindenallee 40, HAMBURG, 20259, DE"),
    "verktyg": Seller("Nordiska Verktyg AB", "Verkstadsgatan 12, GÖTEBORG, 417 07, SE"),
    "kontor": Seller("Kontorsgrossisten AB", "Lagervägen 3, MALMÖ, 212 35, SE"),
}


@dataclass(frozen=True)
class Product:
    """One listing: ``price`` is the list price per unit in the marketplace's currency.

    ``giveaway`` marks everyday products (power banks, USB sticks) that the
    marketing department also buys in bulk to hand out at trade fairs.
    """

    kind: str
    marketplace: str
    title: str
    brand: str
    category: str
    unspsc: str
    model: str
    price: Decimal
    seller: str
    giveaway: bool = False

    @property
    def asin(self) -> str:
        """Return a stable ASIN (``B0`` and eight characters) derived from the title."""
        digest = hashlib.sha256(self.title.encode("utf-8")).digest()
        return "B0" + "".join(_ASIN_ALPHABET[byte % len(_ASIN_ALPHABET)] for byte in digest[:8])

    @property
    def currency(self) -> str:
        return "EUR" if self.marketplace == "de" else "SEK"


def _de(kind: str, title: str, brand: str, category: str, unspsc: str, model: str, price: str,
        seller: str = "amazon.de", giveaway: bool = False) -> Product:
    return Product(kind, "de", title, brand, category, unspsc, model, Decimal(price), seller, giveaway)


def _se(kind: str, title: str, brand: str, category: str, unspsc: str, model: str, price: str,
        seller: str = "amazon.se", giveaway: bool = False) -> Product:
    return Product(kind, "se", title, brand, category, unspsc, model, Decimal(price), seller, giveaway)


PRODUCTS = (
    # Office supplies
    _de(OFFICE, "Leitz 180° Ordner Active, A4, 8 cm Rückenbreite, 10 Stück, blau", "Leitz", "Office Product",
        "44122011", "11060035", "32.90"),
    _de(OFFICE, "Pilot FriXion Ball Clicker Tintenroller 0,7 mm, 12er Packung, schwarz", "Pilot", "Office Product",
        "44121704", "BLRT-FR7-B", "19.49"),
    _de(OFFICE, "Post-it Super Sticky Notes, 12 Blöcke à 90 Blatt, 76 x 76 mm, gelb", "Post-it", "Office Product",
        "14111514", "654-12SSCY", "17.99"),
    _de(OFFICE, "HP Druckerpapier Office A4, 80 g/m², 2500 Blatt (5 x 500)", "HP", "Office Product",
        "14111507", "CHP110", "27.49"),
    _de(OFFICE, "STABILO BOSS ORIGINAL Textmarker, 10er Etui, sortiert", "STABILO", "Office Product",
        "44121716", "70/10-1", "11.99"),
    _de(OFFICE, "Brother TN-2420 Original Tonerkassette, schwarz, ca. 3.000 Seiten", "Brother", "Office Product",
        "44103103", "TN2420", "62.90"),
    _de(OFFICE, "edding 250 Whiteboardmarker, 4er Set, Rundspitze 1,5-3 mm", "edding", "Office Product",
        "44121708", "4-250-4", "8.99"),
    _de(OFFICE, "Rexel Heftklammern Nr. 56 (26/6), 5000 Stück", "Rexel", "Office Product",
        "44122107", "06025", "4.49", seller="buero"),
    _de(OFFICE, "Avery Zweckform 3475 Universal Etiketten, 70 x 36 mm, 2.400 Stück", "Avery Zweckform",
        "Office Product", "55121606", "3475", "24.99"),
    _de(OFFICE, "Leitz NeXXt Tischlocher, 30 Blatt, schwarz", "Leitz", "Office Product",
        "44101602", "50080095", "14.90", seller="buero"),
    _de(OFFICE, "Fellowes Powershred 8Cd Aktenvernichter, Partikelschnitt P-4", "Fellowes", "Office Product",
        "44101603", "4692101", "89.99"),
    _de(OFFICE, "Pilot G-2 07 Gel Ink Pens, Fine Point, 12 Pack, Black", "Pilot", "Office Product",
        "44121708", "31020", "13.49"),
    _de(OFFICE, "Oxford Collegeblock A4, kariert, 80 Blatt, 5er Pack", "Oxford", "Office Product",
        "14111530", "100050363", "12.95", seller="buero"),
    _de(OFFICE, "Brother P-touch TZe-231 Schriftband, 12 mm, schwarz auf weiß, 2er Pack", "Brother",
        "Office Product", "44103112", "TZE231S2", "24.90"),
    _se(OFFICE, "Notatbok A5 linjert, hardcover, 5-pakning", "Kontorsgrossisten", "Office Product",
        "14111514", "NB-A5-5", "189.00", seller="kontor"),
    _se(OFFICE, "Kulepenn blå, medium spiss, 50 stk", "BIC", "Office Product",
        "44121701", "8373609", "99.00"),
    _se(OFFICE, "Kopipapir A4 80 g, 5 x 500 ark", "Kontorsgrossisten", "Office Product",
        "14111507", "KP-A4-2500", "329.00", seller="kontor"),

    # IT equipment
    _de(IT, "Anker PowerCore 10000mAh Powerbank, ultrakompakt, externer Akku mit PowerIQ-Technologie",
        "Anker", "Wireless", "26111711", "A1263", "24.99", giveaway=True),
    _de(IT, "INIU Powerbank 10000mAh, USB C Power Bank 22,5W Schnellladung, schlank", "INIU", "Wireless",
        "26111711", "BI-B41", "19.99", giveaway=True),
    _de(IT, "SanDisk Ultra USB 3.0 Flash-Laufwerk 32 GB, bis zu 130 MB/s", "SanDisk", "Personal Computer",
        "43202005", "SDCZ48-032G-G46", "7.49", giveaway=True),
    _de(IT, "Logitech MX Master 3S kabellose Maus, Graphite", "Logitech", "Personal Computer",
        "43211708", "910-006559", "99.99"),
    _de(IT, "Logitech MX Keys S kabellose Tastatur, nordisches Layout, Graphite", "Logitech", "Personal Computer",
        "43211706", "920-011587", "109.99"),
    _de(IT, "Dell P2723DE 27 Zoll QHD Monitor mit USB-C Hub, höhenverstellbar", "Dell", "Personal Computer",
        "43211902", "DELL-P2723DE", "389.00"),
    _de(IT, "Jabra Evolve2 65 Wireless Headset, UC, Stereo, USB-A, schwarz", "Jabra", "Wireless",
        "43211607", "26599-989-999", "179.00"),
    _de(IT, "Samsung 990 PRO NVMe M.2 SSD, 2 TB, PCIe 4.0", "Samsung", "Personal Computer",
        "43201803", "MZ-V9P2T0BW", "169.99"),
    _de(IT, "Anker 565 USB-C Hub 11-in-1, Dockingstation mit 4K HDMI und Ethernet", "Anker", "Personal Computer",
        "43211706", "A8383", "69.99"),
    _de(IT, "Lenovo ThinkPad Universal USB-C Dock, 90 W", "Lenovo", "Personal Computer",
        "43211706", "40AY0090EU", "219.00"),
    _de(IT, "UGREEN USB C Kabel 100W, 2 m, 3er Pack, geflochten", "UGREEN", "Personal Computer",
        "26121609", "60126", "15.99"),
    _de(IT, "TP-Link TL-SG108 8-Port Gigabit Netzwerk Switch, Metallgehäuse", "TP-Link", "Personal Computer",
        "43222612", "TL-SG108", "19.90"),
    _de(IT, "Ubiquiti UniFi U6 Pro WiFi 6 Access Point", "Ubiquiti", "Personal Computer",
        "43222640", "U6-PRO", "169.00", seller="elektro"),
    _de(IT, "APC Back-UPS BX950MI-GR 950VA USV, 4 Schuko-Ausgänge", "APC", "Personal Computer",
        "39121011", "BX950MI-GR", "119.90"),
    _de(IT, "Logitech C920 HD Pro Webcam, Full HD 1080p", "Logitech", "Personal Computer",
        "43211719", "960-001055", "69.99"),
    _de(IT, "Laptop Ständer Aluminium, höhenverstellbar, ergonomisch, für 10-17 Zoll", "Nulaxy", "Personal Computer",
        "43211711", "C1", "29.99"),
    _de(IT, "Lenovo ThinkPad E14 Gen 6, 14 Zoll WUXGA, Ryzen 5 7535HS, 16 GB RAM, 512 GB SSD, Win 11 Pro",
        "Lenovo", "Personal Computer", "43211503", "21M3002NMX", "849.00"),
    _de(IT, "Apple iPad 10,9 Zoll (Wi-Fi, 64 GB) - Silber", "Apple", "Personal Computer",
        "43211509", "MPQ03FD/A", "379.00"),
    _de(IT, "Samsung Galaxy Tab Active5 Enterprise Edition, robustes Tablet, 128 GB, 5G", "Samsung",
        "Personal Computer", "43211509", "SM-X306BZGAEEE", "529.00"),
    _de(IT, "Zebra ZD421 Thermodirekt-Etikettendrucker, 203 dpi, USB", "Zebra", "Personal Computer",
        "43212105", "ZD4A042-D0EM00EZ", "399.00", seller="elektro"),
    _de(IT, "Honeywell Voyager 1250g Barcode-Scanner, USB-Kit", "Honeywell", "Personal Computer",
        "43211701", "1250G-2USB-1", "119.00"),
    _de(IT, "Logitech Zone Vibe 100 Wireless Headphones, Bluetooth, Graphite", "Logitech", "Wireless",
        "43211607", "981-001213", "99.00"),
    _se(IT, "USB-C-lader 65 W GaN, 2 porter, svart", "Deltaco", "Wireless",
        "26111704", "USBC-GAN65", "349.00"),
    _se(IT, "Kensington SD4839P USB-C dokkingstasjon, 10 Gbps, 100 W", "Kensington", "Personal Computer",
        "43211706", "K36800EU", "2790.00"),
    _se(IT, "Trådløs mus, stillegående, 2,4 GHz, svart", "Deltaco", "Personal Computer",
        "43211708", "MS-801", "149.00"),

    # Software (downloads)
    _de(SOFTWARE, "Microsoft 365 Business Standard | 12 Monate | 1 Nutzer | Download", "Microsoft", "Software",
        "43233004", "KLQ-00211", "135.00"),
    _de(SOFTWARE, "Adobe Acrobat Pro | 1 Jahr | Windows/Mac | Download", "Adobe", "Software",
        "43232202", "65324353", "239.88"),
    _de(SOFTWARE, "Norton 360 Deluxe 2026, 5 Geräte, 1 Jahr, Download", "Norton", "Software",
        "43233205", "21436055", "34.99"),
    _de(SOFTWARE, "Microsoft Windows 11 Pro, 64 Bit, Download", "Microsoft", "Software",
        "43233004", "FQC-10572", "259.00"),

    # Trade-fair material
    _de(FAIR_MATERIAL, "Roll-Up Banner 85 x 200 cm inkl. Druck und Transporttasche", "MesseDisplay24",
        "Office Product", "55121715", "RU-85200", "79.90", seller="messe"),
    _de(FAIR_MATERIAL, "Messetheke Promotion Counter, faltbar, mit bedruckter Front", "MesseDisplay24",
        "Office Product", "56101700", "PT-FALT-01", "249.00", seller="messe"),
    _de(FAIR_MATERIAL, "Prospektständer A4 aus Aluminium, 4 Fächer, faltbar mit Tasche", "MesseDisplay24",
        "Office Product", "56101706", "PS-A4-4", "89.99", seller="messe"),
    _de(FAIR_MATERIAL, "PVC Banner 300 x 100 cm mit Ösen, individuell bedruckt", "MesseDisplay24",
        "Office Product", "55121710", "PVC-300100", "59.00", seller="messe"),
    _de(FAIR_MATERIAL, "LED Strahler für Messestand, 3er Set mit Klemmhalterung", "Ledvance", "Tools",
        "39111500", "LMS-3SET", "54.99"),
    _de(FAIR_MATERIAL, "Messeteppich Rips, 2 x 15 m, grau, schwer entflammbar", "MesseDisplay24",
        "Industrial Supplies", "30161700", "MT-RIPS-215", "129.00", seller="messe"),
    _de(FAIR_MATERIAL, "Pop-up Faltdisplay Messewand 3x3, gerade, inkl. Druck", "MesseDisplay24",
        "Office Product", "55121715", "POPUP-33", "399.00", seller="messe"),
    _de(FAIR_MATERIAL, "Beachflag 3,4 m mit Druck und Kreuzfuß", "MesseDisplay24",
        "Office Product", "55121710", "BF-340", "119.00", seller="messe"),
    _de(FAIR_MATERIAL, "Tischdecke mit Logo-Druck, 180 x 75 cm, schwarz", "MesseDisplay24",
        "Office Product", "52121500", "TD-18075", "49.90", seller="messe"),
    _de(FAIR_MATERIAL, "Stehtisch klappbar mit Stretch-Husse, Ø 80 cm, schwarz", "Blumfeldt",
        "Furniture", "56101519", "ST-80-H", "65.90"),
    _se(FAIR_MATERIAL, "Brosjyreholder akryl A4, stående, 6 stk", "Kontorsgrossisten", "Office Product",
        "44111509", "BH-A4-6", "299.00", seller="kontor"),

    # Promotional giveaways
    _de(GIVEAWAY, "Kugelschreiber Metall mit Gravur, 100 Stück, blau schreibend", "Werbemittel Direkt",
        "Office Product", "44121701", "KS-MET-100", "89.00", seller="werbung"),
    _de(GIVEAWAY, "Baumwolltasche mit Logo bedruckt, 38 x 42 cm, 50 Stück", "Werbemittel Direkt",
        "Office Product", "53121600", "BT-3842-50", "119.00", seller="werbung"),
    _de(GIVEAWAY, "Lanyard mit Logo-Druck, 20 mm, Karabiner, 100 Stück", "Werbemittel Direkt",
        "Office Product", "55121505", "LY-20-100", "79.00", seller="werbung"),
    _de(GIVEAWAY, "Notizblock A6 mit Logo, 50 Blatt, 50 Stück", "Werbemittel Direkt",
        "Office Product", "14111514", "NB-A6-50", "65.00", seller="werbung"),
    _de(GIVEAWAY, "Antistressball mit Logo, 50 Stück", "Werbemittel Direkt",
        "Office Product", "60141000", "ASB-50", "69.00", seller="werbung"),
    _de(GIVEAWAY, "Trinkflasche Edelstahl 500 ml mit Gravur, 25 Stück", "Werbemittel Direkt",
        "Kitchen", "52152000", "TF-500-25", "249.00", seller="werbung"),
    _de(GIVEAWAY, "Baseball Cap mit Stickerei, 25 Stück, navy", "Werbemittel Direkt",
        "Apparel", "53102503", "CAP-25", "189.00", seller="werbung"),
    _se(GIVEAWAY, "Reklamepenner med logo, 250 stk", "Kontorsgrossisten", "Office Product",
        "44121701", "RP-250", "1190.00", seller="kontor"),

    # Production parts and materials
    _de(PARTS, "Sechskantschrauben M8x20 DIN 933 Edelstahl A2, 100 Stück", "Schraubenwelt", "Industrial Supplies",
        "31161620", "DIN933-A2-M8X20", "11.99", seller="schrauben"),
    _de(PARTS, "Sechskantmuttern M8 DIN 934 verzinkt, 200 Stück", "Schraubenwelt", "Industrial Supplies",
        "31161700", "DIN934-M8-200", "8.49", seller="schrauben"),
    _de(PARTS, "Unterlegscheiben M8 DIN 125 Edelstahl A2, 200 Stück", "Schraubenwelt", "Industrial Supplies",
        "31161800", "DIN125-A2-M8", "6.99", seller="schrauben"),
    _de(PARTS, "Zylinderschrauben M6x16 DIN 912 Innensechskant, 100 Stück", "Schraubenwelt",
        "Industrial Supplies", "31161600", "DIN912-M6X16", "9.49", seller="schrauben"),
    _de(PARTS, "SKF 6204-2RSH Rillenkugellager 20x47x14 mm", "SKF", "Industrial Supplies",
        "31171504", "6204-2RSH", "12.80"),
    _de(PARTS, "SKF 6205-2Z Rillenkugellager 25x52x15 mm", "SKF", "Industrial Supplies",
        "31171504", "6205-2Z", "14.50"),
    _de(PARTS, "LAPP ÖLFLEX CLASSIC 110 3G1,5 Steuerleitung, 50 m", "LAPP", "Industrial Supplies",
        "26121600", "1119303", "89.00", seller="elektro"),
    _de(PARTS, "LAPP ÖLFLEX CLASSIC 110 5G2,5 Steuerleitung, 25 m", "LAPP", "Industrial Supplies",
        "26121600", "1119755", "109.00", seller="elektro"),
    _de(PARTS, "Installationskabel NYM-J 3x1,5 mm², 100 m Ring", "Elektro Kern", "Industrial Supplies",
        "26121607", "NYMJ-3X15-100", "74.90", seller="elektro"),
    _de(PARTS, "Phoenix Contact PT 2,5 Durchgangsreihenklemme, grau, 50 Stück", "Phoenix Contact",
        "Industrial Supplies", "39121410", "3209510", "42.00", seller="elektro"),
    _de(PARTS, "WAGO 221-413 Verbindungsklemmen, 3-Leiter, 50 Stück", "WAGO", "Industrial Supplies",
        "39121400", "221-413", "17.99"),
    _de(PARTS, "Siemens LOGO! 8.4 Basismodul 12/24RCE", "Siemens", "Industrial Supplies",
        "32151705", "6ED1052-1MD08-0BA2", "139.00", seller="elektro"),
    _de(PARTS, "Omron G9SE-201 Sicherheitsrelais, 24 VDC", "Omron", "Industrial Supplies",
        "39122200", "G9SE-201", "189.00", seller="elektro"),
    _de(PARTS, "Hutschiene 35 mm, gelocht, verzinkt, 1 m, 10 Stück", "Elektro Kern", "Industrial Supplies",
        "39121700", "TS35-1M-10", "24.90", seller="elektro"),
    _de(PARTS, "Verdrahtungskanal 40 x 60 mm, grau, 2 m, 10 Stück", "Elektro Kern", "Industrial Supplies",
        "39131700", "VK-4060-10", "59.00", seller="elektro"),
    _de(PARTS, "Schaltschrank Stahlblech 600 x 400 x 200 mm, IP66, mit Montageplatte", "Elektro Kern",
        "Industrial Supplies", "39121303", "SS-604020", "219.00", seller="elektro"),
    _de(PARTS, "igus drylin JSM-2023-20 Gleitlager, 10 Stück", "igus", "Industrial Supplies",
        "31171500", "JSM-2023-20", "18.40"),
    _de(PARTS, "Festo PUN-8X1,25 Druckluftschlauch, blau, 50 m", "Festo", "Industrial Supplies",
        "40142000", "159666", "69.00", seller="elektro"),
    _de(PARTS, "Gates PowerGrip HTD Zahnriemen 800-8M-20", "Gates", "Industrial Supplies",
        "26111801", "800-8M-20", "36.90"),
    _se(PARTS, "Kabelsko isolert 0,5-6 mm², sortiment 400 stk", "Nordiska Verktyg", "Industrial Supplies",
        "39121432", "KS-400", "249.00", seller="verktyg"),
    _se(PARTS, "Skruer rustfri A4 M6x30, 100 stk", "Nordiska Verktyg", "Industrial Supplies",
        "31161620", "A4-M6X30", "179.00", seller="verktyg"),

    # Consumables
    _de(CONSUMABLES, "Kabelbinder 200 x 4,8 mm, schwarz, UV-beständig, 1000 Stück", "Elektro Kern",
        "Industrial Supplies", "39121702", "KB-2048-1000", "14.99", seller="elektro"),
    _de(CONSUMABLES, "tesa Gewebeband 4651, 50 m x 50 mm, silber", "tesa", "Industrial Supplies",
        "31201500", "04651-00001", "9.99"),
    _de(CONSUMABLES, "Schrumpfschlauch Sortiment 2:1, 560 Stück, 8 Größen", "Wirefy", "Industrial Supplies",
        "39131711", "WF-560", "12.99"),
    _de(CONSUMABLES, "WD-40 Multifunktionsspray Smart Straw, 500 ml, 6er Pack", "WD-40", "Industrial Supplies",
        "15121900", "49424", "29.90"),
    _de(CONSUMABLES, "Loctite 243 Schraubensicherung mittelfest, 50 ml", "Loctite", "Industrial Supplies",
        "31201600", "1335884", "21.50"),
    _de(CONSUMABLES, "Bosch Professional HSS-G Metallbohrer-Set, 19-teilig", "Bosch Professional", "Tools",
        "27112806", "2608587013", "29.99"),
    _de(CONSUMABLES, "Trennscheiben 125 mm für Edelstahl, 1 mm, 50 Stück", "Klingspor", "Tools",
        "27112809", "TS-125-50", "27.99"),
    _de(CONSUMABLES, "Putzlappen Baumwolle, farbig, 10 kg Karton", "Arbeitsschutz Express", "Industrial Supplies",
        "47131502", "PL-10KG", "29.90", seller="schutz"),
    _de(CONSUMABLES, "3M Temflex 1500 Isolierband, 19 mm x 25 m, schwarz, 10 Rollen", "3M", "Industrial Supplies",
        "39121614", "7000062614", "14.49"),
    _se(CONSUMABLES, "Tørkepapir industri, 2-lags, 2 ruller", "Nordiska Verktyg", "Industrial Supplies",
        "14111704", "TP-IND-2", "349.00", seller="verktyg"),

    # Tools
    _de(TOOLS, "Bosch Professional Akku-Bohrschrauber GSR 12V-15, 2 Akkus 2,0 Ah, L-BOXX", "Bosch Professional",
        "Tools", "27112700", "0615990G6L", "149.00"),
    _de(TOOLS, "Makita DHP485Z Akku-Schlagbohrschrauber 18 V, ohne Akku", "Makita", "Tools",
        "27112700", "DHP485Z", "99.00"),
    _de(TOOLS, "Wera Kraftform Kompakt 62 Schraubendreher-Set, 33-teilig", "Wera", "Tools",
        "27111701", "05059297001", "39.90"),
    _de(TOOLS, "KNIPEX Abisolierzange 12 62 180, selbsteinstellend", "KNIPEX", "Tools",
        "27112100", "12 62 180", "49.90"),
    _de(TOOLS, "KNIPEX Crimpzange für Aderendhülsen 97 53 14", "KNIPEX", "Tools",
        "27112100", "97 53 14", "69.00"),
    _de(TOOLS, "Fluke 117 Digitalmultimeter True RMS mit VoltAlert", "Fluke", "Tools",
        "41113616", "FLUKE-117", "219.00"),
    _de(TOOLS, "Fluke T6-1000 Spannungsprüfer mit FieldSense", "Fluke", "Tools",
        "41113616", "FLUKE-T6-1000", "289.00"),
    _de(TOOLS, "Wiha TorqueVario-S Drehmomentschraubendreher-Set, 0,8-5,0 Nm", "Wiha", "Tools",
        "27111701", "36636", "129.00"),
    _de(TOOLS, "HAZET Steckschlüssel-Satz 1/2 Zoll, 24-teilig", "HAZET", "Tools",
        "27111707", "900Z", "189.00"),
    _de(TOOLS, "Bosch Professional Linienlaser GLL 3-80 mit Schutztasche", "Bosch Professional", "Tools",
        "41111615", "0601063S00", "349.00"),
    _de(TOOLS, "Milwaukee M18 FPD3-502X Akku-Schlagbohrschrauber, 2 x 5,0 Ah, HD-Box", "Milwaukee", "Tools",
        "27112700", "4933479860", "499.00"),
    _de(TOOLS, "Stanley FatMax Wasserwaage 120 cm, magnetisch", "Stanley", "Tools",
        "27111801", "0-43-625", "34.90"),
    _de(TOOLS, "Jokari Abmantelungswerkzeug Nr. 28H, 8-28 mm", "Jokari", "Tools",
        "27112100", "30155", "24.50"),
    _de(TOOLS, "DEWALT DCD791D2 18V XR Brushless Drill Driver Kit, 2 x 2.0 Ah", "DEWALT", "Tools",
        "27112700", "DCD791D2-QW", "259.00"),
    _se(TOOLS, "Verktøykoffert 108 deler, pipesett 1/4 og 1/2 tommer", "Nordiska Verktyg", "Tools",
        "27111707", "VK-108", "1290.00", seller="verktyg"),
    _se(TOOLS, "Skrutrekkersett isolert 1000 V, 7 deler", "Nordiska Verktyg", "Tools",
        "27111701", "SK-VDE-7", "459.00", seller="verktyg"),

    # Safety equipment
    _de(SAFETY, "3M Peltor Optime II Kapselgehörschutz, 31 dB, gelb", "3M", "Safety Supplies",
        "46181902", "H520A", "24.90"),
    _de(SAFETY, "3M 1100 Gehörschutzstöpsel, 37 dB, 200 Paar", "3M", "Safety Supplies",
        "46181902", "1100", "39.90"),
    _de(SAFETY, "uvex i-3 Schutzbrille, klar, kratzfest und beschlagfrei", "uvex", "Safety Supplies",
        "46181802", "9190275", "11.90"),
    _de(SAFETY, "uvex pheos B-WR Schutzhelm, weiß", "uvex", "Safety Supplies",
        "46181701", "9772030", "24.90"),
    _de(SAFETY, "Ansell HyFlex 11-840 Arbeitshandschuhe, Größe 9, 12 Paar", "Ansell", "Safety Supplies",
        "46181504", "11-840-9", "39.90", seller="schutz"),
    _de(SAFETY, "Warnweste EN ISO 20471 Klasse 2, gelb, 10 Stück", "Arbeitsschutz Express", "Safety Supplies",
        "46181531", "WW-10", "19.99", seller="schutz"),
    _de(SAFETY, "PUMA Safety Velocity 2.0 Sicherheitsschuhe S3 ESD, Größe 43", "PUMA Safety", "Shoes",
        "46181604", "643850-43", "109.00", seller="schutz"),
    _de(SAFETY, "Erste-Hilfe-Koffer DIN 13157 für Betriebe, mit Wandhalterung", "Söhngen", "Safety Supplies",
        "42172001", "0301125", "39.90"),
    _de(SAFETY, "Augenspülflasche 500 ml mit Wandhalter, 2 Stück", "Arbeitsschutz Express", "Safety Supplies",
        "46182205", "AS-500-2", "19.90", seller="schutz"),
    _de(SAFETY, "Dräger X-am 2500 Gaswarngerät, Ex/O2/CO/H2S", "Dräger", "Safety Supplies",
        "46191509", "3703880", "569.00", seller="schutz"),
    _se(SAFETY, "Vernebriller klare, antidugg, 10 stk", "Nordiska Verktyg", "Safety Supplies",
        "46181802", "VB-10", "199.00", seller="verktyg"),
    _se(SAFETY, "Arbeidshansker nitril, str. 10, 12 par", "Nordiska Verktyg", "Safety Supplies",
        "46181504", "AH-10-12", "229.00", seller="verktyg"),

    # Catering
    _de(CATERING, "Lavazza Kaffeebohnen Crema e Aroma, 1 kg", "Lavazza", "Grocery",
        "50201706", "2490", "17.49"),
    _de(CATERING, "Tchibo Caffè Crema mild, ganze Bohnen, 8 x 1 kg", "Tchibo", "Grocery",
        "50201706", "486620", "109.00"),
    _de(CATERING, "Twinings Tee Sortiment, 100 Teebeutel in Holzbox", "Twinings", "Grocery",
        "50201712", "TW-100", "14.99"),
    _de(CATERING, "HARIBO Goldbären Minibeutel, 100 x 10 g", "HARIBO", "Grocery",
        "50161800", "HB-100", "15.99"),
    _de(CATERING, "Milka Naps Schokolade Mix, 1 kg Box", "Milka", "Grocery",
        "50161813", "MN-1KG", "19.99"),
    _de(CATERING, "Kaffeebecher Pappe 300 ml, 1000 Stück, weiß", "Arbeitsschutz Express", "Kitchen",
        "52151504", "KB-300-1000", "59.00", seller="schutz"),
    _de(CATERING, "Nespresso Professional Lungo Forte Kapseln, 300 Stück", "Nespresso", "Grocery",
        "50201706", "NP-LF-300", "119.00"),
    _de(CATERING, "Coca-Cola Zero Sugar, 24 x 0,33 l Dose", "Coca-Cola", "Grocery",
        "50202301", "CCZ-24", "22.99"),
    _de(CATERING, "KIND Nussriegel Mix, 24 x 40 g", "KIND", "Grocery",
        "50192100", "KIND-24", "29.90"),
    _se(CATERING, "Kaffe hele bønner, mørkbrent, 1 kg", "Gevalia", "Grocery",
        "50201706", "GV-1KG", "199.00"),
    _se(CATERING, "Sjokoladekjeks, 24 pakker", "Göteborgs Kex", "Grocery",
        "50181900", "SK-24", "189.00"),
    _se(CATERING, "Servietter 3-lags, 33 x 33 cm, hvit, 250 stk", "Duni", "Kitchen",
        "14111704", "SV-250", "129.00"),

    # Gifts for business contacts
    _de(GIFT, "Lindt Pralinés Excellence Geschenkbox, 200 g", "Lindt", "Grocery",
        "50161813", "LP-200", "14.99"),
    _de(GIFT, "Ferrero Rocher Geschenkpackung, 30 Stück", "Ferrero", "Grocery",
        "50161813", "FR-30", "12.99"),
    _de(GIFT, "Whisky Steine Geschenkset mit 2 Gläsern in Holzbox", "Amerigo", "Kitchen",
        "52152100", "WS-2G", "24.99"),
    _de(GIFT, "Sommelier Wein-Zubehör Set, 5-teilig, in Holzbox", "Vinkelner", "Kitchen",
        "52151600", "VZ-5", "26.90"),
    _de(GIFT, "Weinkühler Edelstahl, doppelwandig", "Vacu Vin", "Kitchen",
        "52141500", "VV-WK", "27.99"),
    _de(GIFT, "Dekanter aus Kristallglas 1,5 l mit Belüfter", "Schott Zwiesel", "Kitchen",
        "52152100", "DK-15", "34.90"),
    _de(GIFT, "Geschenkbox Nordic mit Kaffee, Schokolade und Tasse", "Feinkost Wagner", "Grocery",
        "50161800", "GB-NORDIC", "39.90", seller="feinkost"),
    _de(GIFT, "Präsentkorb Genießer mit Pralinen und Delikatessen", "Feinkost Wagner", "Grocery",
        "50192100", "PK-GEN", "59.90", seller="feinkost"),
    _se(GIFT, "Marsipan gaveeske, 250 g", "Anthon Berg", "Grocery",
        "50161800", "MG-250", "159.00"),
    _se(GIFT, "Vinåpner og tilbehør i gaveeske", "Kontorsgrossisten", "Kitchen",
        "52151600", "VT-GAVE", "289.00", seller="kontor"),
    _se(GIFT, "Gaveeske med sjokolade og kaffe", "Kontorsgrossisten", "Grocery",
        "50161800", "GE-SK", "349.00", seller="kontor"),

    # Furniture
    _de(FURNITURE, "FLEXISPOT E7 elektrisch höhenverstellbarer Schreibtisch, 160 x 80 cm", "FLEXISPOT", "Furniture",
        "56101703", "E7-16080", "599.00"),
    _de(FURNITURE, "Steelcase Series 2 ergonomischer Bürostuhl, schwarz", "Steelcase", "Furniture",
        "56112102", "435A00", "689.00"),
    _de(FURNITURE, "Herman Miller Aeron Bürostuhl, Größe B, Graphite", "Herman Miller", "Furniture",
        "56112102", "AER1B23DW", "1549.00"),
    _de(FURNITURE, "hjh OFFICE Pro-Tec 200 Drehstuhl, Stoff, schwarz", "hjh OFFICE", "Furniture",
        "56112102", "608500", "229.00"),
    _de(FURNITURE, "Aktenschrank abschließbar, Stahl, 4 Fachböden, 195 x 92 cm", "Gürkan", "Furniture",
        "56101715", "AS-195", "349.00"),
    _de(FURNITURE, "Konferenztisch 240 x 120 cm, Eiche Dekor, für 10 Personen", "Hammerbacher", "Furniture",
        "56101706", "KT-240", "1290.00"),
    _de(FURNITURE, "Schwerlastregal 180 x 90 x 40 cm, 5 Böden, 875 kg Traglast", "Monzana", "Furniture",
        "56101520", "SR-1809040", "69.90"),
    _de(FURNITURE, "Werkbank Stahl 150 cm mit Schublade und Lochwand", "Güde", "Furniture",
        "56101533", "WB-150", "289.00"),
    _de(FURNITURE, "Akustik Trennwand für Schreibtisch, 160 x 65 cm, grau", "Bureau Akustik", "Furniture",
        "56101903", "AT-160", "119.00"),
    _se(FURNITURE, "Kontorstol ergonomisk med nakkestøtte, svart", "Kontorsgrossisten", "Furniture",
        "56112102", "KS-ERGO", "3490.00", seller="kontor"),

    # Packaging and warehouse supplies
    _de(PACKAGING, "Stretchfolie 500 mm x 300 m, 23 my, transparent, 6 Rollen", "Verpackungsprofi",
        "Industrial Supplies", "24141501", "SF-500-6", "59.90"),
    _de(PACKAGING, "Packband braun, 50 mm x 66 m, leise abrollend, 36 Rollen", "Verpackungsprofi",
        "Industrial Supplies", "31201512", "PB-50-36", "34.99"),
    _de(PACKAGING, "Versandkartons 400 x 300 x 200 mm, 2-wellig, 50 Stück", "Verpackungsprofi",
        "Industrial Supplies", "24112700", "VK-432-50", "39.90"),
    _de(PACKAGING, "Luftpolsterfolie 100 cm x 100 m", "Verpackungsprofi", "Industrial Supplies",
        "24141700", "LP-100", "44.90"),
    _de(PACKAGING, "Palettenetiketten Nicht stapeln, 148 x 210 mm, 500 Stück", "Verpackungsprofi",
        "Industrial Supplies", "55121606", "PE-NS-500", "19.90"),
    _de(PACKAGING, "Zebra Z-Perform Thermoetiketten 100 x 150 mm, 4 Rollen", "Zebra", "Industrial Supplies",
        "55121606", "3006322", "49.90"),
    _de(PACKAGING, "Packband Handabroller mit Bremse, 50 mm", "Verpackungsprofi", "Industrial Supplies",
        "31201500", "HA-50", "12.99"),
    _de(PACKAGING, "MARTOR SECUNORM 500 Sicherheitsmesser", "MARTOR", "Tools",
        "27112001", "500000.02", "14.90"),
    _se(PACKAGING, "Merketape gul/svart, 50 mm x 33 m, 6 ruller", "Nordiska Verktyg", "Industrial Supplies",
        "31201500", "MT-GS-6", "299.00", seller="verktyg"),
)

# Parts of a kind, by model number, for buyers who only order from that part.
PERSONAL_IT = frozenset({
    "A1263", "BI-B41", "910-006559", "920-011587", "26599-989-999", "960-001055", "C1", "60126",
    "981-001213", "USBC-GAN65", "MS-801", "A8383",
})
FIELD_IT = frozenset({"SM-X306BZGAEEE", "MPQ03FD/A", "A1263", "BI-B41", "60126", "USBC-GAN65"})
WAREHOUSE_IT = frozenset({"ZD4A042-D0EM00EZ", "1250G-2USB-1"})
WAREHOUSE_FURNITURE = frozenset({"SR-1809040", "WB-150"})
# Desks and chairs bought by the dozen when an office floor is refitted.
BULK_FURNITURE = frozenset({"E7-16080", "435A00", "AER1B23DW", "608500", "KS-ERGO", "AT-160"})
