"""The casus privacy check: what may make a client recognisable, and what may not."""
import datetime
import threading
import time

import pytest
from flask_babel import force_locale

from app import placenames
from app.recognisable import (
    FIRST_NAMES, KIND_LABELS, NON_NAMES, Finding, check, is_valid_bsn,
)


def found(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in check(text)]


def kinds(text: str) -> set[str]:
    return {f.kind for f in check(text)}


# --- clean, anonymised cases -------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Een moeder van drie kinderen belde maandag in paniek. Ik twijfel of ik moet ingrijpen. "
    "Hoe houd ik de regie?",
    "De jongen (14) zit in de brugklas en heeft sinds de zomervakantie ruzie met zijn stiefvader. "
    "Veilig Thuis is op de hoogte. Het Wijkteam overweegt een melding via de GGD.",
    "Sinds Januari werkt het Wijkteam samen met Jeugdzorg en de Raad voor de Kinderbescherming.",
    "In 2019 verhuisde het gezin vanuit Marokko naar Nederland. Moeder spreekt Arabisch.",
    "Hulpvraag: Hoe ga ik om met een vader die dreigt? \"Waarom doe je dit?\" vroeg ze.",
    "Hij gebruikt 1000mg paracetamol, speelt Fortnite en zit in groep B. Daarna gaat hij naar huis.",
    "Kosten: 250 euro per maand, dossiernummer 2023-04512, afspraak om 14.30 uur in kamer 3.12.",
    "Onderweg 10 minuten gepraat. Ben je er klaar voor? Wil jij dat doen?",
    "Het College van B en W besliste. Basisschool is lastig voor hem.",
])
def test_an_anonymised_case_has_no_findings(text):
    assert check(text) == []


def test_empty_text():
    assert check("") == []


# --- names -------------------------------------------------------------------------------------

def test_first_names_after_family_words():
    assert found("Moeder Fatima belde over haar zoon Daan (8).") == [
        ("name", "Fatima"), ("name", "Daan"), ("age", "(8)")]


def test_initial_after_gezin_but_not_the_institution():
    assert found("het gezin K. is bekend bij Veilig Thuis") == [("name", "K.")]


@pytest.mark.parametrize("text, name", [
    ("We spraken met de familie De Vries.", "De Vries"),
    ("Ik belde mevrouw de Vries terug.", "de Vries"),
    ("Het verslag is van J. de Boer.", "J. de Boer"),
    ("Hij speelt vaak met Jan B. buiten.", "Jan B."),
    ("De buurvrouw, Fatima el Amrani, belde.", "Fatima el Amrani"),
    ("Het gesprek met dhr. Jansen liep stroef.", "Jansen"),
    ("Gisteren belde mw. Bakker.", "Bakker"),
    ("Ik sprak met Xandra over haar dochter.", "Xandra"),   # unknown name mid-sentence
    ("Daan speelt buiten.", "Daan"),                         # known name at a sentence start
    ("Daans moeder belde.", "Daans"),
    ("Naam: Xandra", "Xandra"),
])
def test_names(text, name):
    assert found(text) == [("name", name)]


def test_an_unknown_capitalised_word_at_a_sentence_start_is_not_a_name():
    assert check("Xandra belde gisteren.") == []


def test_ambiguous_first_names_only_count_inside_a_sentence():
    assert check("Roos vindt het lastig. Ben je er?") == []
    assert found("Haar zus Roos vindt het lastig.") == [("name", "Roos")]


def test_first_name_list_and_non_name_list_do_not_overlap():
    assert not {n.lower() for n in FIRST_NAMES} & NON_NAMES


# --- BSN ---------------------------------------------------------------------------------------

def test_elfproef():
    assert is_valid_bsn("111222333")          # 9+8+7+12+10+8+9+6-3 = 66
    assert is_valid_bsn("123.456.782")
    assert not is_valid_bsn("123456789")
    assert not is_valid_bsn("000000000")
    assert not is_valid_bsn("12345678")


@pytest.mark.parametrize("bsn", ["111222333", "123.456.782", "123 456 782", "1234.56.782"])
def test_bsn_found(bsn):
    assert found(f"BSN {bsn} staat in het dossier.") == [("bsn", bsn)]


def test_nine_digits_failing_the_elfproef_are_not_a_bsn():
    assert check("Zaaknummer 123456789 is aangemaakt.") == []


# --- addresses and postcodes -------------------------------------------------------------------

def test_address_and_postcode():
    assert found("Ze wonen op de Dorpsstraat 12 in 1234 AB") == [
        ("address", "Dorpsstraat 12"), ("postcode", "1234 AB")]


@pytest.mark.parametrize("address", [
    "Kerkweg 3a", "Laan van Meerdervoort 140", "Burgemeester de Withstraat 5"])
def test_addresses(address):
    assert found(f"Het gezin woonde eerder aan de {address}.") == [("address", address)]


def test_address_after_a_living_cue():
    assert found("Hij woont op Molenkamp 3.") == [("address", "Molenkamp 3")]


@pytest.mark.parametrize("postcode", ["1234 AB", "1234AB", "1234ab"])
def test_postcodes(postcode):
    assert found(f"Postcode {postcode}.") == [("postcode", postcode)]


def test_years_and_doses_are_not_postcodes():
    assert check("In 2012 en 2015 kreeg hij 1000mg per dag.") == []


# --- phone numbers and e-mail ------------------------------------------------------------------

@pytest.mark.parametrize("phone", [
    "06-12345678", "06 1234 5678", "0612345678", "+31 6 12345678", "+31612345678",
    "+31 (0)6 12345678", "0031 6 12345678", "010-1234567", "(010) 123 45 67",
])
def test_phone_numbers(phone):
    assert found(f"Bel {phone} na vijven.") == [("phone", phone)]


def test_a_phone_number_right_after_a_date():
    assert found("Gesprek op 01-03-2015 06 12345678 genoteerd.") == [
        ("birthdate", "01-03-2015"), ("phone", "06 12345678")]


def test_email_wins_over_the_name_inside_it():
    assert found("mail naar j.jansen@example.nl of Daan.Jansen@school.nl.") == [
        ("email", "j.jansen@example.nl"), ("email", "Daan.Jansen@school.nl")]


# --- schools -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, school", [
    ("Hij zit op basisschool De Regenboog.", "basisschool De Regenboog"),
    ("Ze gaat naar De Regenboog-school.", "De Regenboog-school"),
    ("Daarvoor zat hij op OBS Het Kompas.", "OBS Het Kompas"),
    ("Zijn zus zit op CBS De Wegwijzer.", "CBS De Wegwijzer"),
    ("Hij zit op het Stedelijk Gymnasium.", "Stedelijk Gymnasium"),
    ("Ze zit op het Da Vinci College in de brugklas.", "Da Vinci College"),
    ("Het Amsterdams Lyceum belde.", "Het Amsterdams Lyceum"),
    ("Sinds vorig jaar zit hij op vmbo Het Baken.", "vmbo Het Baken"),
    ("Ze zat op de Prinses Julianaschool.", "Prinses Julianaschool"),
])
def test_schools(text, school):
    assert found(text) == [("school", school)]


# --- dates of birth ----------------------------------------------------------------------------

@pytest.mark.parametrize("text, date", [
    ("Daan is geboren op 12-03-2015.", "12-03-2015"),
    ("Zijn zus (geb. 3-4-2012) woont bij oma.", "3-4-2012"),
    ("Zijn zus, geb. 3-4-'12, woont bij oma.", "3-4-'12"),
    ("Hij is geboren in 2012.", "2012"),
    ("Ze is jarig op 12 maart.", "12 maart"),
    ("Het gesprek was op 12 maart 2015.", "12 maart 2015"),
    ("Het gesprek was op 12/3/2015.", "12/3/2015"),
    ("Het gesprek was op 2015-03-12.", "2015-03-12"),
])
def test_birthdates(text, date):
    assert [(k, t) for k, t in found(text) if k != "name"] == [("birthdate", date)]


def test_future_and_ancient_dates_are_not_birthdates():
    next_year = datetime.date.today().year + 1
    assert check(f"De zitting is op 12-03-{next_year}. Het pand is uit 1-1-1850.") == []


# --- the result as a whole ---------------------------------------------------------------------

def test_findings_are_sorted_without_overlap_and_point_into_the_text():
    text = ("Moeder Fatima (geb. 1-2-1985) woont op de Kerkweg 3a, 1234 AB. Bel 06-12345678 of "
            "mail f.jansen@example.nl. Daan zit op basisschool De Regenboog; BSN 111222333.")
    findings = check(text)
    assert [f.kind for f in findings] == [
        "name", "birthdate", "address", "postcode", "phone", "email", "name", "school", "bsn"]
    for finding, following in zip(findings, findings[1:]):
        assert finding.end <= following.start
    assert all(text[f.start:f.end] == f.text for f in findings)


def test_findings_are_frozen_values():
    finding = check("Bel 0612345678")[0]
    assert finding == Finding("phone", "0612345678", 4, 14)
    with pytest.raises(AttributeError):
        finding.kind = "name"  # type: ignore[misc]


def test_every_kind_has_a_dutch_label_and_an_english_translation(app):
    dutch = {
        "name": "een naam", "birthdate": "een geboortedatum", "bsn": "een BSN", "address": "een adres",
        "postcode": "een postcode", "phone": "een telefoonnummer", "email": "een e-mailadres",
        "school": "een schoolnaam", "place": "een plaatsnaam", "age": "een leeftijd",
    }
    with app.test_request_context():
        with force_locale("nl"):
            assert {kind: str(label) for kind, label in KIND_LABELS.items()} == dutch
        with force_locale("en"):
            english = {kind: str(label) for kind, label in KIND_LABELS.items()}
    assert english["bsn"] == "a citizen service number" and english["name"] == "a name"
    assert not set(english.values()) & set(dutch.values())


# --- found by the labelled set (tests/unit/test_recognisable_set.py) -----------------------------

def test_a_family_word_ending_a_sentence_does_not_make_the_next_word_a_name():
    assert check("Elke vrijdag gaan de kinderen naar vader. Rond de kerst lopen de spanningen op.") == []


def test_an_initial_after_a_family_word_and_a_particle():
    assert found("Het gezin de V. heeft al jaren schulden.") == [("name", "de V.")]


def test_an_initial_with_an_age_is_a_child():
    assert found("J. (16) is door de politie thuisgebracht.") == [("name", "J."), ("age", "(16)")]


# --- ages and places ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, age", [
    ("Moeder Ilse zegt dat haar zoon van 7 slecht slaapt.", "7"),
    ("Moeder Ilse zegt dat haar dochter van zes jaar slecht slaapt.", "zes jaar"),
    ("Een 14-jarige uit de klas van Daan.", "14-jarige"),
    ("Noor (13) zit in de brugklas.", "(13)"),
    ("Rayan is 11 en zit in groep 8.", "11"),
    ("Daan is acht jaar.", "acht jaar"),
    ("Haar dochter Kaylee is op haar zestiende zwanger.", "zestiende"),
])
def test_an_age_next_to_a_name_is_pointed_out(text, age):
    assert ("age", age) in found(text)


def test_an_age_alone_identifies_no_one():
    assert check("De jongen van 15 hangt 's avonds rond. Zijn zus is 12 en een 9-jarige broer.") == []


def test_ages_that_are_not_ages():
    assert kinds("Moeder Ilse werkt al 12 jaar in de zorg, een schuld van 12.000 euro, zoon van 3 jaar geleden.") \
        == {"name"}


@pytest.fixture
def places():
    assert placenames.load(timeout=300), "Deduce's place names did not load"


def test_places_from_deduce(places):
    assert found("Ze woont in Den Haag; eerder bij het station van Zwolle en daarvoor in Staphorst.") == [
        ("place", "Den Haag"), ("place", "Zwolle"), ("place", "Staphorst")]


def test_a_place_that_is_a_surname_stays_a_name(places):
    assert found("Ik belde mevrouw de Vries en Jan de Vries. De Vries belde terug.") == [
        ("name", "de Vries"), ("name", "Jan de Vries"), ("name", "De Vries")]


def test_countries_and_provinces_are_too_wide_to_identify(places):
    assert check("In 2019 verhuisde het gezin vanuit Marokko naar Nederland en woont nu in Brabant.") == []


def test_places_can_be_left_out(places):
    assert check("Ze woont in Zwolle.", places=False) == []
    assert found("Ze woont in Zwolle.") == [("place", "Zwolle")]


def test_while_the_places_load_the_check_runs_on_our_patterns(monkeypatch):
    monkeypatch.setattr(placenames, "_loaded", threading.Event())   # a process that just started
    monkeypatch.setattr(placenames, "_loader", threading.Thread())  # whose load is under way
    started = time.perf_counter()
    assert found("Vader Youssef woont in Zwolle.") == [("name", "Youssef")]
    assert time.perf_counter() - started < 0.5


def test_a_broken_place_list_leaves_our_patterns_working(monkeypatch, caplog):
    def broken():
        raise ImportError("No module named 'deduce'")
    monkeypatch.setattr(placenames, "_placename_trie", broken)
    monkeypatch.setattr(placenames, "_loaded", threading.Event())
    monkeypatch.setattr(placenames, "_loader", None)
    monkeypatch.setattr(placenames, "_trie", None)
    assert placenames.load(timeout=10)
    assert found("Vader Youssef woont in Zwolle.") == [("name", "Youssef")]
    assert "could not be loaded" in caplog.text
