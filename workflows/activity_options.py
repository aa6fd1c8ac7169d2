"""The activities workflows call, by name, and how long each may take and is retried."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

RECORD_EVENT = "record_event"
SEND_NOTICE = "send_notice"

ACTIVITY_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2),
                             maximum_interval=timedelta(minutes=5))
RECORD_START_TO_CLOSE = timedelta(seconds=30)
# Sending a notice: up to three routes, each an OAuth refresh and two tries, then the office's;
# a live worker heartbeats every few seconds, so a dead one is noticed within the heartbeat
# timeout while a slow provider gets the time it needs.
NOTICE_START_TO_CLOSE = timedelta(minutes=10)
NOTICE_HEARTBEAT = timedelta(seconds=20)
