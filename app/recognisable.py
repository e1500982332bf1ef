"""Spot text in a casus that could make a client recognisable (AVG).

The casus editor calls `check(text)` before saving and shows each finding as a warning
("Je casus bevat mogelijk een naam"). The author can overrule a warning with one tap, so this
module leans towards flagging: a missed BSN, phone number, e-mail address or postcode is worse
than a false alarm. Names are the fuzzy part; the heuristics below keep false alarms on ordinary
casus language (weekdays, "Veilig Thuis", "het Wijkteam", sentence starts) low.

Pure module: standard library only, no Flask, no I/O.
"""
from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

__all__ = ["Finding", "KIND_LABELS_NL", "check", "is_valid_bsn"]


@dataclass(frozen=True)
class Finding:
    kind: str      # "name", "birthdate", "bsn", "address", "postcode", "phone", "email", "school"
    text: str      # the matched text as written
    start: int
    end: int


KIND_LABELS_NL: dict[str, str] = {
    "name": "een naam",
    "birthdate": "een geboortedatum",
    "bsn": "een BSN",
    "address": "een adres",
    "postcode": "een postcode",
    "phone": "een telefoonnummer",
    "email": "een e-mailadres",
    "school": "een schoolnaam",
}


def _words(block: str) -> frozenset[str]:
    """A static word list written as whitespace-separated text, lower-cased."""
    return frozenset(word.lower() for word in block.split())


# --------------------------------------------------------------------------------------------
# Word lists
# --------------------------------------------------------------------------------------------

# Common given names in Dutch youth care: children of today and their parents, Dutch and the
# largest migrant groups. Flagged wherever they appear capitalised, also at a sentence start.
FIRST_NAMES = frozenset("""
    Daan Sem Lucas Noah Liam Levi Luuk Finn Milan Bram Jesse Thomas Lars Mees Max Sam Thijs Tijn
    Ruben Siem Julian Adam Olivier Hugo Teun Guus Boaz Stijn Gijs Jayden Mats Benjamin Jens Sven
    Dex Ties Owen Vince Floris Jurre Morris Niek Pepijn Jack Cas Tim Tom Jan Kees Piet Henk Gerrit
    Willem Johan Peter Paul Marco Erik Sander Martijn Jeroen Dennis Patrick Richard Robert Michel
    Frank Hans Ronald Marcel Bart Wouter Arjen Remco Vincent Rob Ruud Edwin Kevin Mike Jordy Dylan
    Rick Nick Koen Joep Bas Niels Jasper Joris Rutger Stefan Tristan Sebastiaan Matthijs Maarten
    Mark Jeffrey Danny Ricardo Raymond Rik Wesley Jelle Sjoerd Hidde Jorn Kai Luca Nathan Elias
    Ben Wil Dirk Joost Jochem Jort Timo Gert Harm Klaas Arie Cor Wim Theo Ton Fons Gerard
    Emir Yusuf Mohammed Mohamed Muhammed Mohammad Ahmed Ahmad Ali Omar Youssef Yassin Ibrahim Hamza
    Ayoub Bilal Mehmet Mustafa Emre Burak Kerem Yunus Efe Soufiane Rayan Ilias Anas Amir Sami Karim
    Khalid Khaled Mahmoud Hassan Hussein Samir Nordin Mounir Rachid Abdel Abdelkader Said Driss
    Murat Hakan Selim Ozan Deniz Jakub Kacper Piotr Tomasz Marek Krzysztof Pawel Dawid Filip Yonas
    Filmon Merhawi Tesfay Abel Daniel David Jamal Jairo Quincy Jermaine Dwayne Shaquille Xavier
    Romano Gino Mario Ivan Dmitri Oleksandr Andriy Mykola
    Emma Julia Mila Tess Sophie Zoë Zoe Sara Sarah Nora Yara Eva Noor Liv Lotte Evi Anna Saar Lynn
    Fenna Lieke Femke Nina Noa Olivia Elin Maud Luna Isa Fleur Roos Sanne Anouk Iris Britt Demi
    Kim Laura Lisa Manon Marloes Esmee Chantal Priscilla Naomi Shanice Ilse Kiki Jasmijn Hailey
    Amira Sofia Lina Hanna Hannah Vera Mia Lara Lauren Puck Pien Jet Floor Merel Romy Nienke Marit
    Ivy Jade Feline Nova Ella Charlotte Rosalie Esther Ingrid Monique Sandra Petra Marieke
    Annemarie Linda Miranda Wendy Natasja Ellen Karin Marjolein Suzanne Mirjam Saskia Judith Anja
    Astrid Yvonne Inge Maria Marie Anne Joyce Nicole Kelly Melissa Daphne Bianca Jolanda Tamara
    Danielle Mandy Simone Angela Patricia Annet Ria Gerda Truus Els Carla Marian Mariska Jessica
    Stephanie Samantha Jennifer Rachel Sharon Ashley Sabrina Shirley Gina Priya Chelsea Kimberly
    Melanie Denise Claudia Sylvia Fatima Fatma Aisha Aicha Ayşe Ayse Elif Zeynep Meryem Malika Nadia
    Samira Yasmina Yasmine Salma Hiba Khadija Nour Amina Layla Leila Imane Ikram Soumaya Hafsa Hajar
    Houda Naima Zineb Sanaa Rania Rama Lana Hatice Emine Esra Büşra Busra Merve Ebru Derya Zuzanna
    Oliwia Katarzyna Agnieszka Magdalena Joanna Anastasia Olena Oksana Senait Semhar Helen Selam
    Saba Rahel Storm
""".split())

FIRST_NAMES_LOWER = frozenset(name.lower() for name in FIRST_NAMES)

# Given names that are also ordinary Dutch words ("Ben je...", "Wil jij...", "Roos" the flower):
# only flagged when they are not the first word of a sentence.
AMBIGUOUS_FIRST_NAMES = frozenset("Ben Wil Roos Fleur Floor Storm Mees Jet Iris Said".split())

# Surname particles: "Jan van der Berg", "Fatima el Amrani", "Anne ter Horst".
PARTICLES = _words("van de der den ten ter te el al von da du le la 't")

# Words right before a name ("moeder Fatima", "mw. Bakker", "gezin K.", "heet Bram").
SURNAME_CUES = _words("meneer mevrouw mevr mw dhr heer familie fam gezin juffrouw")
GIVEN_NAME_CUES = _words("""
    moeder vader mama papa mam pap zoon zoontje dochter dochtertje broer broertje zus zusje oma
    opa tante oom neef neefje nicht nichtje stiefvader stiefmoeder stiefzoon stiefdochter stiefbroer
    stiefzus halfbroer halfzus pleegmoeder pleegvader pleegkind pleegzoon pleegdochter grootmoeder
    grootvader cliënt client cliënte jongen jongetje meisje kind kindje baby jongere tiener puber
    peuter kleuter leerling vriend vriendje vriendin vriendinnetje partner man vrouw echtgenoot
    echtgenote ex buurman buurvrouw buurjongen buurmeisje juf meester genaamd heet heette noemt
    naam
""")
NAME_CUES = SURNAME_CUES | GIVEN_NAME_CUES

# Capitalised words that are not names. Dutch capitalises these mid-sentence (places,
# nationalities, institutions) or they turn up capitalised after quotes, brackets and bullets.
NON_NAMES = NAME_CUES | _words("""
    januari februari maart april mei juni juli augustus september oktober november december
    maandag dinsdag woensdag donderdag vrijdag zaterdag zondag
    kerst kerstmis pasen pinksteren ramadan suikerfeest offerfeest sinterklaas koningsdag
    nieuwjaar carnaval halloween hemelvaart bevrijdingsdag kerstvakantie zomervakantie
    herfstvakantie voorjaarsvakantie meivakantie
    de het een hij zij ze ik wij we jij je u uw dit dat die deze er daar hier toen nu maar en of
    want dus ook als na voor op in met bij om tot zonder over wat wie waar wanneer hoe waarom
    welke welk mijn zijn haar hun ons onze jullie niet geen wel toch sinds tijdens vanaf volgens
    omdat hoewel terwijl zodra nadat voordat eerst daarna vervolgens gisteren vandaag morgen
    vorige afgelopen volgende elke iedere ieder alle veel weinig soms vaak altijd nooit later
    eerder ondanks door naar uit aan tegen tussen onder boven achter naast binnen buiten zo zoals
    ja nee oké ok hallo beste groet groeten vriendelijke zie let verder kortom bovendien helaas
    gelukkig uiteindelijk inmiddels ondertussen intussen daarom daardoor hierdoor waardoor echter
    wellicht misschien dan zelf iemand niemand iedereen alles niets iets graag kan kun kunnen
    moet moeten willen mag mogen zal zullen is was heeft hebben had wordt werd volgens ten
    dokter huisarts psycholoog psychiater orthopedagoog gedragswetenschapper jeugdarts
    jeugdverpleegkundige wijkagent agent politie rechter kinderrechter voogd gezinsvoogd
    jeugdbeschermer mentor docent leraar lerares directeur leerplichtambtenaar casusregisseur
    gezinscoach hulpverlener jeugdprofessional collega teamleider manager gedragsdeskundige
    jeugdzorg jeugdhulp wijkteam buurtteam jeugdteam gebiedsteam sociaal team zorgteam ggz ggd cjg
    jgz raad kinderbescherming jeugdbescherming gecertificeerde instelling reclassering halt
    gemeente rechtbank ziekenhuis huisartsenpraktijk stichting centrum jeugd gezin kindertelefoon
    meldcode jeugdwet wmo wet avg zorgverzekeraar uwv dienst belastingdienst toeslagen
    woningcorporatie schuldhulpverlening voedselbank vluchtelingenwerk coa ind azc moskee kerk
    dagbesteding opvang crisisopvang pleegzorg gezinshuis leefgroep ambulant thuis veilig samen
    ouder ouders kinderen kindteam consultatiebureau kinderopvang bso kdv peuterspeelzaal
    intervisie casus hulpvraag vraag leerkring school basisschool college lyceum gymnasium
    atheneum mavo havo vwo vmbo mbo hbo roc noord zuid oost west regio provincie groep zorg
    plan veiligheidsplan gezinsplan perspectiefplan hulpverleningsplan ondersteuningsplan
    nederland belgië duitsland marokko turkije suriname curaçao aruba syrië eritrea somalië
    afghanistan irak iran polen bulgarije roemenië oekraïne ghana nigeria spanje frankrijk
    engeland amerika europa afrika azië
    nederlands nederlandse marokkaans marokkaanse turks turkse surinaams surinaamse antilliaans
    antilliaanse syrisch syrische eritrees eritrese somalisch somalische afghaans afghaanse pools
    poolse bulgaars bulgaarse roemeens roemeense oekraïens oekraïense irakees irakese iraans
    iraanse ghanees ghanese duits duitse belgisch belgische engels engelse arabisch arabische
    berbers koerdisch koerdische tigrinya frans franse spaans spaanse europese afrikaanse
    aziatische islamitische christelijke joodse hindoestaanse creoolse kaapverdische molukse
    chinese
    amsterdam rotterdam utrecht eindhoven groningen tilburg almere breda nijmegen arnhem haarlem
    enschede apeldoorn amersfoort zaanstad zwolle leiden maastricht dordrecht zoetermeer deventer
    delft alkmaar heerlen venlo leeuwarden hilversum amstelveen emmen lelystad gouda schiedam
    noord-holland zuid-holland brabant noord-brabant limburg gelderland overijssel drenthe
    friesland fryslân zeeland flevoland randstad
    whatsapp instagram tiktok snapchat facebook youtube google netflix fortnite minecraft roblox
    playstation xbox iphone ipad teams zoom digid outlook discord
    god allah jezus islam koran bijbel corona covid euro
""")

# Multi-word names of institutions, places and methods. Capitalised words inside them are not
# names of people, even when one part is (Emma Kinderziekenhuis, William Schrikker Groep).
_PROTECTED_RE = re.compile(r"""
      veilig\s+thuis
    | raad\s+voor\s+de\s+kinderbescherming
    | (?:centrum\s+voor\s+)?jeugd\s+en\s+gezin
    | leger\s+des\s+heils
    | william\s+schrikker(?:\s+(?:groep|stichting|jeugdbescherming))?
    | samen\s+veilig(?:\s+midden-nederland)?
    | sterk\s+huis | blijf\s+groep | openbaar\s+ministerie
    | bureau\s+jeugdzorg | jeugdzorg\s+plus | sociaal\s+wijkteam
    | signs\s+of\s+safety | triple\s+p\b | eigen\s+kracht(?:-conferentie)?
    | functional\s+family\s+therapy | multisysteem\s?therapie | multisystemic\s+therapy
    | nederlands\s+jeugdinstituut | kinder-\s+en\s+jeugdpsychiatrie
    | (?:emma|wilhelmina|sophia|juliana)\s+kinderziekenhuis
    | prinses\s+m[aá]xima\s+centrum | jeroen\s+bosch\s+ziekenhuis
    | oud\s+en\s+nieuw | den\s+haag | den\s+bosch | den\s+helder | 's-hertogenbosch
""", re.IGNORECASE | re.VERBOSE)

# Abbreviations whose full stop does not end a sentence ("mw. Bakker", "o.a. Sara").
_ABBREVIATIONS = _words("mw mevr dhr fam o.a bijv bv ca evt geb nr tel i.v.m m.b.t t.a.v d.w.z m.n")


# --------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------

def check(text: str) -> list[Finding]:
    """All findings in `text`, sorted by position, never overlapping.

    Detectors run from most to least specific; a later detector cannot claim text an earlier one
    already claimed. So "j.jansen@example.nl" is an e-mail address and not a name, and
    "basisschool De Regenboog" is a school and not a name.
    """
    if not text:
        return []
    claimed: list[Finding] = []
    for detect in _DETECTORS:
        for finding in _longest_first(detect(text)):
            if not _overlaps_any(finding.start, finding.end, claimed):
                claimed.append(finding)
    for finding in _longest_first(_names(text, claimed)):
        if not _overlaps_any(finding.start, finding.end, claimed):
            claimed.append(finding)
    return sorted(claimed, key=lambda f: (f.start, f.end))


def _longest_first(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.start - f.end, f.start))


def _overlaps_any(start: int, end: int, spans: Iterable[Finding]) -> bool:
    return any(start < other.end and other.start < end for other in spans)


def _finding(kind: str, text: str, start: int, end: int) -> Finding:
    return Finding(kind, text[start:end], start, end)


# --------------------------------------------------------------------------------------------
# E-mail
# --------------------------------------------------------------------------------------------

_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?!\w)")


def _emails(text: str) -> Iterator[Finding]:
    for m in _EMAIL_RE.finditer(text):
        yield _finding("email", text, m.start(), m.end())


# --------------------------------------------------------------------------------------------
# Phone numbers
# --------------------------------------------------------------------------------------------

# Up to two separator characters between digits covers "06-12345678", "06 1234 5678",
# "(010) 123 45 67" and "+31 (0)6 12345678". The digit count is exact, so the pattern cannot
# swallow a neighbouring number.
_SEP = r"[ \-.()/]{0,2}"
# A Dutch number: 0 and nine more digits. It must not start like a date ("01-03-2015 06...").
_NATIONAL_PHONE_RE = re.compile(
    r"(?<![\w+])\(?(?!\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}(?!\d))0(?:" + _SEP + r"\d){9}(?!\d)")
# +31 / 0031, with an optional "(0)", then nine digits.
_NL_INTERNATIONAL_PHONE_RE = re.compile(
    r"(?<![\w+])(?:\+|00)\s?31" + _SEP + r"(?:\(0\)\s?)?[1-9](?:" + _SEP + r"\d){8}(?!\d)")
# Any other country: + or 00, a country code, and 7 to 12 more digits.
_FOREIGN_PHONE_RE = re.compile(
    r"(?<![\w+])(?:\+|00)\s?[1-9]\d{0,2}(?:" + _SEP + r"\d){7,12}(?!\d)")


def _phones(text: str) -> Iterator[Finding]:
    for pattern in (_NL_INTERNATIONAL_PHONE_RE, _NATIONAL_PHONE_RE, _FOREIGN_PHONE_RE):
        # Overlapping search: a bad candidate must not hide a real number that starts inside it.
        for m in _overlapping(pattern, text):
            yield _finding("phone", text, m.start(), m.end())


def _overlapping(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    pos = 0
    while (m := pattern.search(text, pos)) is not None:
        yield m
        pos = m.start() + 1


# --------------------------------------------------------------------------------------------
# BSN
# --------------------------------------------------------------------------------------------

# Nine digits as written: 111222333, 111.222.333, 111 222 333, or 1112.22.333 as on an ID card.
_BSN_RE = re.compile(r"""
    (?<![\w+])(?<!\d[.,])
    (?: \d{9}
      | \d{3}([ .-])\d{3}\1\d{3}
      | \d{4}([ .])\d{2}\2\d{3} )
    (?!\w)(?![.,]\d)
""", re.VERBOSE)


def is_valid_bsn(digits: str) -> bool:
    """The elfproef: 9*d1 + 8*d2 + ... + 2*d8 - 1*d9 is divisible by 11 (and not all zeros)."""
    digits = re.sub(r"\D", "", digits)
    if len(digits) != 9 or set(digits) == {"0"}:
        return False
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    return sum(w * int(d) for w, d in zip(weights, digits)) % 11 == 0


def _bsns(text: str) -> Iterator[Finding]:
    for m in _BSN_RE.finditer(text):
        # Only numbers passing the elfproef: most random 9-digit numbers (amounts, case numbers)
        # fail it, so this keeps false alarms down without missing real BSNs.
        if is_valid_bsn(m.group()):
            yield _finding("bsn", text, m.start(), m.end())


# --------------------------------------------------------------------------------------------
# Dates of birth
# --------------------------------------------------------------------------------------------

# Full month names first; only an abbreviation takes a full stop ("12 mrt. 2015", not "maart.").
_MONTHS = (r"(?:januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november"
           r"|december|(?:jan|febr|feb|mrt|apr|jun|jul|aug|sept|sep|okt|nov|dec)\.?)")
_NUMERIC_DATE_RE = re.compile(
    r"(?<![\w/.\-])(\d{1,2})([-/.])(\d{1,2})\2(\d{4})(?![\w/\-])(?!\.\d)")
_ISO_DATE_RE = re.compile(r"(?<![\w\-])(\d{4})-(\d{2})-(\d{2})(?![\w\-])")
_WRITTEN_DATE_RE = re.compile(r"(?<!\w)(\d{1,2})\s+" + _MONTHS + r"\s+(\d{4})(?!\w)", re.IGNORECASE)

# After "geboren", "geb.", "jarig" even a partial date or a bare year identifies a child.
_BIRTH_CUE_RE = re.compile(r"""
    \b(?:geboren|geboortedatum|geboortedag|geboortejaar|geb\.?\s?datum|geb\.?|jarig|verjaardag)
    (?!\w)[\s:]*
    (?:(?:op|in|is|was|de|het|rond|begin|eind|medio|jaar|van|sinds|ergens)\s+){0,3}
""", re.IGNORECASE | re.VERBOSE)
_CUED_DATE_RES = (
    # 3-4-2012, 3-4-'12, 3-4-12
    re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](?:'?\d{2}|\d{4})(?!\w)"),
    # 12 maart 2015, 12 maart
    re.compile(r"\d{1,2}\s+" + _MONTHS + r"(?:\s+(\d{4}|'\d{2}))?(?!\w)", re.IGNORECASE),
    # maart 2015
    re.compile(_MONTHS + r"\s+(\d{4})(?!\w)", re.IGNORECASE),
    # 2015, '15
    re.compile(r"(?:\d{4}|'\d{2})(?!\w)"),
)


def _plausible_year(year: int) -> bool:
    # Future dates (a court hearing, an appointment) are not dates of birth.
    return 1900 <= year <= _dt.date.today().year


def _plausible_day_month(day: int, month: int) -> bool:
    return 1 <= day <= 31 and 1 <= month <= 12


def _birthdates(text: str) -> Iterator[Finding]:
    yield from _full_dates(text)
    yield from _cued_birth_dates(text)


def _full_dates(text: str) -> Iterator[Finding]:
    """Any full date in a plausible birth year. In a casus, full dates are risky anyway."""
    for m in _NUMERIC_DATE_RE.finditer(text):
        if _plausible_day_month(int(m[1]), int(m[3])) and _plausible_year(int(m[4])):
            yield _finding("birthdate", text, m.start(), m.end())
    for m in _ISO_DATE_RE.finditer(text):
        if _plausible_day_month(int(m[3]), int(m[2])) and _plausible_year(int(m[1])):
            yield _finding("birthdate", text, m.start(), m.end())
    for m in _WRITTEN_DATE_RE.finditer(text):
        if 1 <= int(m[1]) <= 31 and _plausible_year(int(m[2])):
            yield _finding("birthdate", text, m.start(), m.end())


def _cued_birth_dates(text: str) -> Iterator[Finding]:
    """ "geboren in 2012", "geb. 3-4-'12", "jarig op 12 maart": flag the date part."""
    for cue in _BIRTH_CUE_RE.finditer(text):
        for pattern in _CUED_DATE_RES:
            m = pattern.match(text, cue.end())
            if m and _cued_date_is_plausible(m.group()):
                yield _finding("birthdate", text, m.start(), m.end())
                break


def _cued_date_is_plausible(value: str) -> bool:
    years = re.findall(r"(?<!\d)\d{4}(?!\d)", value)
    if years and not _plausible_year(int(years[0])):
        return False
    numeric = re.match(r"(\d{1,2})[-/.](\d{1,2})[-/.]", value)
    return not numeric or _plausible_day_month(int(numeric[1]), int(numeric[2]))


# --------------------------------------------------------------------------------------------
# Postcodes
# --------------------------------------------------------------------------------------------

# 1234 AB or 1234AB. PostNL never uses SA, SD or SS. Lower case only without a space ("1234ab"):
# with a space, "in 2012 en" would be a postcode.
_POSTCODE_RE = re.compile(
    r"(?<![\w\-])[1-9]\d{3}(?: ?(?!SA|SD|SS)[A-Z]{2}|(?!sa|sd|ss)[a-z]{2})(?!\w)")
_UNITS = _words("km cm mm mg ml kg gr kb mb gb uur jr")


def _postcodes(text: str) -> Iterator[Finding]:
    for m in _POSTCODE_RE.finditer(text):
        if m.group()[-2:].lower() not in _UNITS:   # "1000mg paracetamol" is a dose
            yield _finding("postcode", text, m.start(), m.end())


# --------------------------------------------------------------------------------------------
# Addresses
# --------------------------------------------------------------------------------------------

_HOUSE_NUMBER = r"\d{1,5}(?:\s?[A-Za-z](?!\w)|-\d{1,4}(?!\w)|\s?-?(?:hs|bis|bs|I{1,3})(?!\w))?(?!\w)"
# Street suffixes that are practically never anything else: any case ("dorpsstraat 12").
_STRONG_STREET = r"(?:straat|laan|plein|gracht|kade|singel|steeg|dreef|plantsoen|boulevard|straatweg)"
# Suffixes that also end ordinary words ("onderweg"): only in a capitalised word.
_WEAK_STREET = (r"(?:weg|dijk|pad|hof|park|markt|veld|wal|erf|baan|haven|berg|hout|horst|akker"
                r"|wetering|vaart|zoom|gaarde|donk|werf|wijk|allee|passage)")
_PREFIX_WORDS = r"(?:[A-Z][\w'’.\-]*\s+(?:(?:van|de|der|den|het|'t|ter|ten|te)\s+)*){0,2}"
_STREET_RES = (
    # Dorpsstraat 12, Burgemeester de Withstraat 5, kerkweg 3a
    re.compile(r"(?<![\w\-])" + _PREFIX_WORDS + r"[A-Za-z][\w'’\-]*?" + _STRONG_STREET
               + r"\s+" + _HOUSE_NUMBER),
    re.compile(r"(?<![\w\-])" + _PREFIX_WORDS + r"[A-Z][\w'’\-]*?" + _WEAK_STREET
               + r"\s+" + _HOUSE_NUMBER),
    # Laan van Meerdervoort 140, Weg naar Rhoon 5
    re.compile(r"(?<![\w\-])(?:Laan|Weg|Plein|Kade|Singel|Gracht|Dijk|Park|Hof|Straat|Dreef|Pad)"
               r"(?:\s+(?:van|der|de|den|het|'t|ter|ten|te|op|naar|in|over|bij))+"
               r"\s+[A-Z][\w'’\-]*(?:\s+[A-Z][\w'’\-]*)?\s+" + _HOUSE_NUMBER),
    # "woont op Molenkamp 3": you live "in" a town but "op/aan" a street
    re.compile(r"(?i:\b(?:woont|wonen|woonde|woonden|wonend|woonachtig|verblijft|verblijven)"
               r"\s+(?:op|aan)\s+(?:(?:de|het)\s+)?)"
               r"([A-Z][\w'’\-]*(?:\s+[A-Z][\w'’\-]*){0,2}\s+" + _HOUSE_NUMBER + ")"),
    re.compile(r"(?i:\b(?:woon)?adres\s*:?\s+)([A-Z][\w'’\-]*(?:\s+[\w'’\-]+){0,3}\s+"
               + _HOUSE_NUMBER + ")"),
)
_NOT_STREETS = _words("onderweg halfweg halverweg blokkade barricade arcade")


def _addresses(text: str) -> Iterator[Finding]:
    for pattern in _STREET_RES:
        for m in pattern.finditer(text):
            group = 1 if pattern.groups else 0
            words = {word.lower() for word in m.group(group).split()}
            if not words & _NOT_STREETS:
                yield _finding("address", text, m.start(group), m.end(group))


# --------------------------------------------------------------------------------------------
# Schools
# --------------------------------------------------------------------------------------------

# A capitalised article belongs to the name ("De Regenboog-school"); "het" in "op het Stedelijk
# Gymnasium" is just grammar and stays out of the finding.
_ARTICLE = r"(?:(?:Het|De|'t)\s+)"
_CAPITALISED = r"[A-Z][\w'’\-]*"
# Name after a school type: "De Regenboog", "Het Kompas", "Sint Jozef", "van Amsterdam".
_SCHOOL_NAME = (r"(?:(?:[Dd]e|[Hh]et|'t|[Vv]an|St\.?|Sint)\s+){0,2}" + _CAPITALISED
                + r"(?:\s+" + _CAPITALISED + r"){0,2}")
_SCHOOL_TYPE = (r"(?:(?i:basisschool|school|obs|cbs|pcbs|rkbs|rk\s+basisschool|ikc|kindcentrum|sbo"
                r"|sbao|roc|mavo|havo|vwo|vmbo|atheneum|scholengemeenschap|praktijkschool"
                r"|montessorischool|daltonschool|jenaplanschool|vrije\s+school|hogeschool)|SO|VSO)")
_SCHOOL_TYPE_LAST = r"(?:Gymnasium|Lyceum|College|Atheneum|Scholengemeenschap|Academie|Mavo|Havo)"
_SCHOOL_RES = (
    # basisschool De Regenboog, OBS Het Kompas, vmbo Het Baken
    re.compile(r"(?<![\w\-])" + _SCHOOL_TYPE + r"\s+(" + _SCHOOL_NAME + ")"),
    # het Stedelijk Gymnasium, Da Vinci College
    re.compile(r"(?<![\w\-])" + _ARTICLE + r"?((?:" + _CAPITALISED + r"\s+){1,3})"
               + _SCHOOL_TYPE_LAST + r"(?!\w)"),
    # De Regenboog-school, Prinses Julianaschool
    re.compile(r"(?<![\w\-])" + _ARTICLE + r"?((?:" + _CAPITALISED + r"\s+){0,2}[A-Z][\w'’]*?)"
               r"-?(?:school|college|lyceum)(?!\w)"),
)
# Compounds that name a kind of school, not a school ("Basisschool is lastig voor hem.").
_GENERIC_SCHOOL_PREFIXES = _words("""
    basis hoge montessori dalton jenaplan vrije praktijk zomer dag muziek rij zwem taal kunst
    avond brede speciale voort middelbare beroeps lagere kost internaat hoor werk
""")


def _schools(text: str) -> Iterator[Finding]:
    for pattern in _SCHOOL_RES:
        for m in pattern.finditer(text):
            if _is_school_name(m.group(1)):
                yield _finding("school", text, m.start(), m.end())


def _is_school_name(name_part: str) -> bool:
    """The capitalised part must look like a proper name, not "Het" or "Maandag"."""
    words = [w for w in name_part.split() if w.lower() not in {"de", "het", "'t", "van", "st.", "st", "sint"}]
    if not words:
        return False
    first = words[0].lower()
    if len(words) == 1 and first.rstrip("-") in _GENERIC_SCHOOL_PREFIXES:
        return False
    return first not in NON_NAMES or first in FIRST_NAMES_LOWER


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------

# A word in any script: "Daan", "Zoë", "Büşra", "Anne-Marie", "Daan's".
_WORD_RE = re.compile(r"(?<![\w'’])[^\W\d_]+(?:['’\-][^\W\d_]+)*")
# J. de Boer, J.B. Jansen, A. el Amrani
_INITIALS_SURNAME_RE = re.compile(
    r"(?<![\w.])(?:[A-Z]\.\s?){1,3}(?:(?:van|de|der|den|ten|ter|te|el|al|von|'t)\s+)*([A-Z][^\W\d_]+)")
# gezin K., mevrouw K, moeder A.B.
_CUE_INITIALS_RE = re.compile(
    r"(?i:\b(?:" + "|".join(sorted(NAME_CUES, key=len, reverse=True)) + r")\.?)"
    r"\s+((?:[A-Z]\.){1,3}|[A-Z](?![\w.]))")
_CUE_BEFORE_RE = re.compile(
    r"(?i:(?<!\w)(?:" + "|".join(sorted(NAME_CUES, key=len, reverse=True)) + r")\.?)[\s,:]*$")
_SURNAME_CUE_BEFORE_RE = re.compile(
    r"(?i:(?<!\w)(?:" + "|".join(sorted(SURNAME_CUES, key=len, reverse=True)) + r")\.?)\s+$")
_PARTICLES_BEFORE_RE = re.compile(
    r"(?<!\w)((?:(?:" + "|".join(sorted(PARTICLES, key=len, reverse=True)) + r")\s+)+)$",
    re.IGNORECASE)
# Only spaces between the parts: a line break or comma separates two people.
_NAME_GAP_RE = re.compile(
    r"[ \t]+(?:(?:" + "|".join(sorted(PARTICLES, key=len, reverse=True)) + r")[ \t]+)*")
_TRAILING_INITIAL_RE = re.compile(r"\s+[A-Z]\.(?!\w)")


def _names(text: str, claimed: list[Finding]) -> list[Finding]:
    """Likely names of people, on text no other detector has claimed."""
    protected = [(m.start(), m.end()) for m in _PROTECTED_RE.finditer(text)]

    def free(start: int, end: int) -> bool:
        return (not _overlaps_any(start, end, claimed)
                and not any(start < p_end and p_start < end for p_start, p_end in protected))

    spans = [(m.start(), m.end()) for m in _WORD_RE.finditer(text)
             if free(m.start(), m.end()) and _looks_like_name(text, m.start(), m.group())]
    spans += [(m.start(), m.end()) for m in _INITIALS_SURNAME_RE.finditer(text)
              if free(m.start(), m.end()) and m[1].lower() not in NON_NAMES and not m[1].isupper()]
    spans += [(m.start(1), m.end(1)) for m in _CUE_INITIALS_RE.finditer(text)
              if free(m.start(1), m.end(1))]
    spans = [_extend_name(text, start, end, free) for start, end in _merge_spans(text, spans)]
    return [_finding("name", text, start, end) for start, end in _merge_spans(text, spans)]


def _looks_like_name(text: str, start: int, word: str) -> bool:
    if len(word) < 2 or not word[0].isupper() or word.isupper():
        return False                     # lower case, single letters and acronyms (GGZ, CJG)
    lower = word.lower()
    base = re.sub(r"['’]s$", "", lower)  # "Daan's"
    if lower in NON_NAMES or base in NON_NAMES or lower.split("-")[0] in NON_NAMES:
        return False
    at_start = _is_sentence_start(text, start)
    if _is_first_name(base):
        return not (at_start and word in AMBIGUOUS_FIRST_NAMES)
    if _CUE_BEFORE_RE.search(text[max(0, start - 30):start]):
        return True                      # "Naam: Xandra", "Moeder: Xandra"
    # Any other capitalised word in the middle of a sentence is probably a name (or a small
    # place, which is just as identifying). At a sentence start it is usually just a word.
    return not at_start


def _is_first_name(lower: str) -> bool:
    if lower in FIRST_NAMES_LOWER or lower.split("-")[0] in FIRST_NAMES_LOWER:
        return True
    # Dutch genitive without apostrophe: "Daans moeder".
    return lower.endswith("s") and len(lower) > 3 and lower[:-1] in FIRST_NAMES_LOWER


def _is_sentence_start(text: str, start: int) -> bool:
    """Is the word at `start` the first word of a sentence, line, quote or list item?"""
    i = start - 1
    while i >= 0 and text[i] in " \t":
        i -= 1
    if i < 0:
        return True
    char = text[i]
    if char in "\n\r!?:;\"“”„«»‘'":
        return True
    if char in "-–—•*":
        line_start = text.rfind("\n", 0, i) + 1
        return not text[line_start:i].strip()          # a bullet at the start of a line
    if char == ".":
        before = re.search(r"([\w.]*)$", text[max(0, i - 20):i])
        previous = before.group(1) if before else ""
        if previous.lower() in _ABBREVIATIONS or re.fullmatch(r"[A-Z](?:\.[A-Z])*", previous):
            return False                               # "mw. Bakker", "gezin K. Sara"
        return True
    return False


def _merge_spans(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join name parts next to each other: "Daan Jansen", "Jan van der Berg", "J. de Boer"."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and (start <= merged[-1][1] or _NAME_GAP_RE.fullmatch(text[merged[-1][1]:start])):
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def _extend_name(text: str, start: int, end: int, free: Callable[[int, int], bool]) -> tuple[int, int]:
    """Take in surname particles before a name and an initial after it.

    "De Vries" and "Van Dijk" (capitalised particle), "mevrouw de Vries" (after a surname cue)
    and "Jan B." (a trailing initial).
    """
    particles = _PARTICLES_BEFORE_RE.search(text[max(0, start - 20):start])
    if particles:
        p_start = start - len(particles.group(1))
        written = particles.group(1)
        if (written[0].isupper() or _SURNAME_CUE_BEFORE_RE.search(text[max(0, p_start - 20):p_start])) \
                and free(p_start, start):
            start = p_start
    initial = _TRAILING_INITIAL_RE.match(text, end)
    if initial and free(end, initial.end()):
        end = initial.end()
    return start, end


_DETECTORS: tuple[Callable[[str], Iterator[Finding]], ...] = (
    # Most specific first: they claim their text before a vaguer detector sees it.
    _emails, _phones, _bsns, _birthdates, _postcodes, _addresses, _schools,
)
