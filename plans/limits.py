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
MAX_PHRASE_CHARS = 400  # a deadline phrase (the grammar reads no more); the longest real: 147
MAX_PHRASES_CHARS = 30_000  # the plan's distinct phrases together; seeds < 1,000 (bounds the
# grammar's time: reading a phrase grows with the square of its length)
MAX_TASKS = 1_000  # the seeds have at most 140
MAX_PLAN_YEARS = 30  # year .. until, inclusive: a plan "đến năm 2045, tầm nhìn 2050" fits
DUE_YEARS_AROUND_PLAN = 10  # a deadline's year at most this far from the plan's years
MAX_RECURRENCE_RULES = 20  # rules of one recurring deadline; the seeds use at most 3
MAX_RULE_PARTS = 20  # parts of one composite deadline ("Quý I, III/2025" has two)
MAX_OCCURRENCES = 20_000  # tasks x units x periods; the seeds expand to at most 170

# -- policies -------------------------------------------------------------------------------
MAX_STEPS = 20  # reminders, or escalation steps, in one policy; the seeds have at most 4
MAX_DURATION = timedelta(days=3653)  # ten years: the longest reminder, escalation or wait
MAX_WORKING_DAYS = 2_600  # ten years of working days, for waits counted in them
MIN_STEP = timedelta(seconds=1)  # a reminder before, an escalation after the deadline
MIN_REPEAT = timedelta(minutes=1)  # a repeated escalation no more often (the demo: PT3M)
