"""Dutch dates: "27 nov. 2026", "27 nov. 2026 14:05", "nov. 2026", "27 nov."; the input formats
are Django's (nl)."""

DATE_FORMAT = "j N Y"
DATETIME_FORMAT = "j N Y H:i"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "N Y"
MONTH_DAY_FORMAT = "j N"
SHORT_DATE_FORMAT = "d-m-Y"
SHORT_DATETIME_FORMAT = "d-m-Y H:i"
