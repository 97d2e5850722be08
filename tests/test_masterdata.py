from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bot.errors import InputError
from bot.masterdata import load_master_data, parse_master_data

COMPANY = """\
[[cost_centers]]
code = "400"
name = "IT"
description = "IT equipment, software and licences for internal use"

[[cost_centers]]
code = "600"
name = "Prosjekt"
description = "Materials and tools for customer projects"

[[projects]]
code = "P-1042"
name = "Ombygging Hamar stasjon"
lead = "Kari.Nordmann@example.no"
cost_center = "600"
customer = "Hamar Energi AS"
sites = ["Stasjonsveien 4, 2317 Hamar"]
start = 2026-01-15
end = 2026-12-31

[[accounts]]
number = "6551"
name = "Datautstyr"
default_tax_code = "1"

[[accounts]]
number = "6800"
name = "Kontorrekvisita"

[[tax_codes]]
code = "1"
name = "Inngående mva, høy sats"
rate = 25

[[employees]]
email = "kari.nordmann@example.no"
name = "Kari Nordmann"
cost_center = "600"
role = "project_lead"

[[employees]]
email = "ola.hansen@example.no"
name = "Ola Hansen"
cost_center = "400"
manager = "kari.nordmann@example.no"

[[events]]
name = "Elmia Subcontractor"
start = 2026-11-10
end = 2026-11-13
location = "Elmiavägen 11, 554 54 Jönköping"
cost_center = "600"

[[locations]]
label = "Hovedkontor"
address = "Industriveien 12, 2004 Lillestrøm"
kind = "office"

[[locations]]
label = "Hamar stasjon"
address = "Stasjonsveien 4, 2317 Hamar"
kind = "customer"
project = "P-1042"
"""


def write_master(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "master.toml"
    path.write_text(text, encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str) -> InputError:
    path = write_master(tmp_path, text)
    with pytest.raises(InputError) as caught:
        load_master_data(path)
    return caught.value


def test_valid_file_loads(tmp_path):
    master = load_master_data(write_master(tmp_path, COMPANY))

    assert set(master.cost_centers) == {"400", "600"}
    assert master.cost_centers["400"].description.startswith("IT equipment")
    assert master.projects["P-1042"].lead == "kari.nordmann@example.no"
    assert master.projects["P-1042"].sites == ("Stasjonsveien 4, 2317 Hamar",)
    assert master.projects["P-1042"].start == date(2026, 1, 15)
    assert master.accounts["6551"].default_tax_code == "1"
    assert master.accounts["6800"].default_tax_code is None
    assert master.tax_codes["1"].rate == Decimal("25")
    assert master.employees["ola.hansen@example.no"].role == "employee"
    assert master.employees["ola.hansen@example.no"].manager == "kari.nordmann@example.no"
    assert master.events[0].end == date(2026, 11, 13)
    assert master.locations[1].project == "P-1042"


def test_employee_lookup_ignores_case(tmp_path):
    master = load_master_data(write_master(tmp_path, COMPANY))

    assert master.employee(" Ola.Hansen@Example.no ").name == "Ola Hansen"
    assert master.employee("per@example.no") is None
    assert master.employee(None) is None
    assert [p.code for p in master.projects_led_by("KARI.NORDMANN@example.no")] == ["P-1042"]


def test_parse_from_dict():
    raw = {
        "cost_centers": [{"code": 400, "name": "IT"}],
        "employees": [{"email": "ola.hansen@example.no", "name": "Ola Hansen", "cost_center": "400"}],
    }

    master = parse_master_data(raw, Path("test.toml"))

    assert "400" in master.cost_centers
    assert master.cost_centers["400"].description == ""
    assert master.employees["ola.hansen@example.no"].cost_center == "400"


def test_unknown_employee_cost_center(tmp_path):
    error = load_error(tmp_path, COMPANY + """
[[employees]]
email = "per.olsen@example.no"
name = "Per Olsen"
cost_center = "999"
""")

    assert str(tmp_path / "master.toml") in str(error)
    assert "[[employees]] per.olsen@example.no, key cost_center: " in str(error)
    assert "'999'" in str(error)


def test_duplicate_cost_center_code(tmp_path):
    error = load_error(tmp_path, COMPANY + """
[[cost_centers]]
code = "400"
name = "IT drift"
""")

    assert "[[cost_centers]] #3, key code: " in str(error)
    assert "duplicate code '400'" in str(error)


def test_duplicate_employee_email_ignores_case(tmp_path):
    error = load_error(tmp_path, COMPANY + """
[[employees]]
email = "OLA.HANSEN@example.no"
name = "Ola Hansen"
cost_center = "400"
""")

    assert "[[employees]] #3, key email: " in str(error)
    assert "duplicate email" in str(error)


def test_unknown_manager(tmp_path):
    error = load_error(tmp_path, COMPANY + """
[[employees]]
email = "per.olsen@example.no"
name = "Per Olsen"
cost_center = "400"
manager = "sluttet@example.no"
""")

    assert "[[employees]] per.olsen@example.no, key manager: " in str(error)
    assert "'sluttet@example.no' is not an employee" in str(error)


def test_own_manager(tmp_path):
    error = load_error(tmp_path, COMPANY.replace(
        'cost_center = "600"\nrole = "project_lead"',
        'cost_center = "600"\nrole = "project_lead"\nmanager = "kari.nordmann@example.no"',
    ))

    assert "[[employees]] kari.nordmann@example.no, key manager: " in str(error)
    assert "own manager" in str(error)


def test_project_lead_not_employee(tmp_path):
    error = load_error(tmp_path, COMPANY + """
[[projects]]
code = "P-2001"
name = "Ladestasjon Gjøvik"
lead = "ekstern@konsulent.no"
""")

    assert "[[projects]] P-2001, key lead: " in str(error)
    assert "'ekstern@konsulent.no'" in str(error)


def test_unknown_project_cost_center(tmp_path):
    error = load_error(tmp_path, COMPANY + """
[[projects]]
code = "P-2001"
name = "Ladestasjon Gjøvik"
lead = "kari.nordmann@example.no"
cost_center = "700"
""")

    assert "[[projects]] P-2001, key cost_center: " in str(error)
    assert "'700'" in str(error)


def test_event_with_unknown_project(tmp_path):
    error = load_error(tmp_path, COMPANY + """
[[events]]
name = "Nor-Shipping"
start = 2026-06-01
end = 2026-06-04
location = "Messeveien 8, 2004 Lillestrøm"
project = "P-9999"
""")

    assert "[[events]] Nor-Shipping, key project: " in str(error)
    assert "'P-9999'" in str(error)


def test_location_with_unknown_project(tmp_path):
    error = load_error(tmp_path, COMPANY + """
[[locations]]
label = "Kunde Elverum"
address = "Storgata 1, 2408 Elverum"
kind = "customer"
project = "P-0007"
""")

    assert "[[locations]] Kunde Elverum, key project: " in str(error)
    assert "'P-0007'" in str(error)


def test_invalid_role(tmp_path):
    error = load_error(tmp_path, COMPANY + """
[[employees]]
email = "per.olsen@example.no"
name = "Per Olsen"
cost_center = "400"
role = "boss"
""")

    assert "[[employees]] #3, key role: " in str(error)
    assert "'boss'" in str(error)
    assert "field_technician" in str(error)


def test_invalid_location_kind(tmp_path):
    error = load_error(tmp_path, COMPANY + """
[[locations]]
label = "Hytta"
address = "Fjellveien 2, 2560 Alvdal"
kind = "cabin"
""")

    assert "[[locations]] #3, key kind: " in str(error)
    assert "'cabin'" in str(error)


def test_event_ends_before_start(tmp_path):
    error = load_error(tmp_path, COMPANY + """
[[events]]
name = "Julebord"
start = 2026-12-12
end = 2026-12-11
location = "Hotel Lillestrøm"
cost_center = "400"
""")

    assert "[[events]] Julebord, key end: " in str(error)
    assert "ends before it starts" in str(error)


def test_event_datetime_is_rejected(tmp_path):
    error = load_error(tmp_path, COMPANY + """
[[events]]
name = "Kickoff"
start = 2026-01-08T09:00:00
end = 2026-01-08
location = "Hovedkontor"
cost_center = "400"
""")

    assert "[[events]] #2, key start: " in str(error)
    assert "expected a TOML date" in str(error)


def test_project_ends_before_start(tmp_path):
    error = load_error(tmp_path, COMPANY.replace("end = 2026-12-31", "end = 2025-12-31"))

    assert "[[projects]] P-1042, key end: " in str(error)


def test_unknown_default_tax_code(tmp_path):
    error = load_error(tmp_path, COMPANY + """
[[accounts]]
number = "6540"
name = "Inventar"
default_tax_code = "11"
""")

    assert "[[accounts]] 6540, key default_tax_code: " in str(error)
    assert "'11'" in str(error)


def test_missing_required_key(tmp_path):
    error = load_error(tmp_path, COMPANY + """
[[tax_codes]]
code = "11"
name = "Inngående mva, middels sats"
""")

    assert "[[tax_codes]] #2, key rate: " in str(error)
    assert "missing key" in str(error)


def test_invalid_rate(tmp_path):
    error = load_error(tmp_path, COMPANY + """
[[tax_codes]]
code = "11"
name = "Inngående mva, middels sats"
rate = "femten"
""")

    assert "[[tax_codes]] #2, key rate: " in str(error)
    assert "'femten'" in str(error)


def test_entry_that_is_not_table(tmp_path):
    error = load_error(tmp_path, 'cost_centers = ["400", "600"]\n')

    assert "[[cost_centers]] #1: " in str(error)
    assert "'400'" in str(error)


def test_table_that_is_not_array(tmp_path):
    error = load_error(tmp_path, '[cost_centers]\ncode = "400"\nname = "IT"\n')

    assert "cost_centers: " in str(error)


def test_invalid_toml(tmp_path):
    error = load_error(tmp_path, COMPANY + '\n[[employees]\nemail = "per@example.no"\n')

    assert str(tmp_path / "master.toml") in str(error)
    assert "invalid TOML" in str(error)


def test_invalid_utf8(tmp_path):
    path = tmp_path / "master.toml"
    path.write_bytes('[[cost_centers]]\ncode = "400"\nname = "Økonomi"\n'.encode("cp1252"))

    with pytest.raises(InputError) as caught:
        load_master_data(path)

    assert "UTF-8" in str(caught.value)


def test_missing_file(tmp_path):
    path = tmp_path / "masterdata.toml"

    with pytest.raises(InputError) as caught:
        load_master_data(path)

    assert str(path) in str(caught.value)
    assert "not found" in str(caught.value)


def test_empty_file_rejected(tmp_path):
    path = tmp_path / "stamdata.toml"
    path.write_text("", encoding="utf-8")

    with pytest.raises(InputError) as caught:
        load_master_data(path)

    assert "stamdata.toml" in str(caught.value)
    assert "[[cost_centers]] is empty or missing" in str(caught.value)


def test_unknown_table_named(tmp_path):
    error = load_error(tmp_path, COMPANY + '\n[[location]]\nlabel = "Lager"\naddress = "Lagerveien 3"\nkind = "warehouse"\n')

    assert error.params["key"] == "location"
    assert "locations" in error.params["allowed"]


def test_account_description_read(tmp_path):
    text = COMPANY.replace('name = "Datautstyr"', 'name = "Datautstyr"\ndescription = "PC og skjerm"', 1)

    master = load_master_data(write_master(tmp_path, text))

    assert master.accounts["6551"].description == "PC og skjerm"
