"""One date format everywhere in the console (admin lists, change pages, templates using the
`date` filter without an argument): ISO dates, 24-hour times. Django's English locale would
otherwise show "Dec. 2, 2026, 1:56 p.m." on some pages and our "2026-12-02 13:56" on others."""

DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
FIRST_DAY_OF_WEEK = 1  # Monday
