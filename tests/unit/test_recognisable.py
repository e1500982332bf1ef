"""The casus privacy check: what may make a client recognisable, and what may not."""
import datetime

import pytest

from app.recognisable import (
    FIRST_NAMES, KIND_LABELS_NL, NON_NAMES, Finding, check, is_valid_bsn,
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
    assert found("Moeder Fatima belde over haar zoon Daan (8).") == [("name", "Fatima"), ("name", "Daan")]


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
    ("Daan is acht jaar.", "Daan"),                          # known name at a sentence start
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


def test_every_kind_has_a_dutch_label():
    assert KIND_LABELS_NL == {
        "name": "een naam", "birthdate": "een geboortedatum", "bsn": "een BSN", "address": "een adres",
        "postcode": "een postcode", "phone": "een telefoonnummer", "email": "een e-mailadres",
        "school": "een schoolnaam",
    }
