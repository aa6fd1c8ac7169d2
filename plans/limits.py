"""What a plan, contacts or calendar file may hold. Past a limit the file is refused with a
line-numbered message, before any work grows with the input: files come from office editors
and web uploads, and none of them may stall or crash dondoc.

Each limit sits well above what the five seed plans need (noted beside it).
"""

from __future__ import annotations

from datetime import timedelta

# -- the YAML text --------------------------------------------------------------------------
MAX_FILE_BYTES = 512 * 1024  # the largest seed plan is 113 KB
MAX_DEPTH = 24  # nested mappings and lists; the seeds nest 8 deep
MAX_VALUES = 50_000  # keys and values, each alias counted with all it repeats; seeds < 4,000

# -- the plan -------------------------------------------------------------------------------
MAX_PHRASE_CHARS = 300  # a deadline phrase; the longest real one (tests/data) has 147
MAX_TASKS = 1_000  # the seeds have at most 140
MAX_PLAN_YEARS = 30  # year .. until, inclusive: a plan "đến năm 2045, tầm nhìn 2050" fits
DUE_YEARS_AFTER_PLAN = 5  # a due day at most this many years after the plan's last year
MAX_OCCURRENCES = 20_000  # tasks x units x periods; the seeds expand to at most 170

# -- policies -------------------------------------------------------------------------------
MAX_DURATION = timedelta(days=3653)  # ten years: the longest reminder, escalation or wait
MIN_REPEAT = timedelta(minutes=1)  # a repeated escalation no more often than this
