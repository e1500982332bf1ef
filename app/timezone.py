"""The one time zone Leerkring's people live in: dates are stored in UTC and shown, planned and
kept quiet in Europe/Amsterdam (a round at 14:00 stays at 14:00 across daylight saving)."""
from zoneinfo import ZoneInfo

NAME = "Europe/Amsterdam"
AMSTERDAM = ZoneInfo(NAME)
