"""Connecting to Temporal the same way everywhere: settings in, a client with the pydantic
converter out; dondoc's search attributes registered; unreachable servers reported in one line."""

from __future__ import annotations

import re

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client, TLSConfig
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode

from dondoc.settings import Settings
from workflows.search_attributes import SEARCH_ATTRIBUTES


class Unreachable(Exception):
    """Temporal cannot be reached: the message is one line for the user."""


async def connect(settings: Settings) -> Client:
    tls: TLSConfig | bool = False
    if settings.temporal_tls or settings.temporal_tls_cert:
        tls = TLSConfig(
            client_cert=settings.temporal_tls_cert.read_bytes() if settings.temporal_tls_cert
            else None,
            client_private_key=settings.temporal_tls_key.read_bytes() if settings.temporal_tls_key
            else None,
        )
    try:
        return await Client.connect(
            settings.temporal_address,
            namespace=settings.temporal_namespace,
            data_converter=pydantic_data_converter,
            tls=tls,
            api_key=settings.temporal_api_key.get_secret_value() if settings.temporal_api_key
            else None,
        )
    except RuntimeError as error:
        reason = re.search(r'message: "([^"]+)"', str(error))
        raise Unreachable(
            f"cannot reach Temporal at {settings.temporal_address} "
            f"(namespace {settings.temporal_namespace}): "
            f"{reason.group(1) if reason else str(error).splitlines()[0]}. "
            "Start it with `dondoc dev`, or set DONDOC_TEMPORAL_ADDRESS."
        ) from None


async def register_search_attributes(client: Client, namespace: str) -> list[str]:
    """Add dondoc's custom search attributes that the namespace lacks; returns those added."""
    try:
        existing = set((await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace))).custom_attributes)
    except RPCError as error:
        if error.status != RPCStatusCode.UNIMPLEMENTED:  # the time-skipping test server
            raise
        existing = set()
    missing = {
        key.name: IndexedValueType.ValueType(int(key.indexed_value_type))
        for key in SEARCH_ATTRIBUTES if key.name not in existing
    }
    if missing:
        try:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(namespace=namespace, search_attributes=missing))
        except RPCError as error:
            if error.status != RPCStatusCode.ALREADY_EXISTS:
                raise
            return []
    return sorted(missing)
