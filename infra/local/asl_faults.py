"""Faults for the embedded Step Functions: the calls a state machine's Task states make (DynamoDB, SNS,
SQS service integrations) can be made to fail, a number of times or always, with the error the real
service answers when it is throttled or down; and the interpreter's Retry waits can be shortened, so a
test sees six retries with backoff in a second instead of two minutes.

Only the interpreter's own clients are affected (the functions' calls are not): moto's ASL interpreter
builds a client per Task through `boto_client_for`, and `install()` wraps that to add a `before-parameter-build`
hook that consults the configured faults. Nothing here changes the ASL or the code under test."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

_SERVICE_MODULES = ("dynamodb", "sns", "sqs")
_lock = threading.Lock()
_faults: list[Fault] = []
_retry_speed = 1.0
_installed = False


@dataclass
class Fault:
    """`service` ("dynamodb", "sns", "sqs") and `operation` (botocore's name: "UpdateItem", "Publish",
    "SendMessage") fail with `code` while `times` lasts (None: always) for calls whose parameters
    `matches` (default: every call), after the first `skip` of them."""

    service: str
    operation: str
    code: str = "ThrottlingException"
    times: int | None = 1
    matches: Callable[[dict[str, Any]], bool] = lambda params: True
    skip: int = 0  # matching calls let through before the fault starts
    raised: int = field(default=0)
    seen: int = field(default=0)

    def take(self, service: str, operation: str, params: dict[str, Any]) -> bool:
        if (service, operation) != (self.service, self.operation) or not self.matches(params):
            return False
        self.seen += 1
        if self.seen <= self.skip or (self.times is not None and self.raised >= self.times):
            return False
        self.raised += 1
        return True


def _hook(service: str) -> Callable[..., None]:
    def before_call(params: dict[str, Any], model: Any, **_: Any) -> None:
        with _lock:
            fault = next((f for f in _faults if f.take(service, model.name, params)), None)
        if fault is not None:
            raise ClientError(
                {
                    "Error": {"Code": fault.code, "Message": f"injected fault: {fault.code}"},
                    "ResponseMetadata": {"HTTPStatusCode": 400, "RequestId": "fault"},
                },
                model.name,
            )

    return before_call


class _ScaledSleep:
    """Stands for the `time` module inside moto's retrier: its waits run `_retry_speed` times faster."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(seconds / _retry_speed)


def install() -> None:
    """Wraps moto's interpreter clients once per process (a no-op when no fault is configured)."""
    global _installed
    if _installed:
        return
    import importlib

    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    base = "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_"
    for service in _SERVICE_MODULES:
        module = importlib.import_module(base + service)
        original = module.boto_client_for

        def faulty_client(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            client = _original(*args, **kwargs)
            name = client.meta.service_model.service_name
            # Before the request is built: `matches` sees the call's own parameters (TableName, ...).
            client.meta.events.register(f"before-parameter-build.{name}", _hook(name))
            return client

        module.boto_client_for = faulty_client
    retrier_decl.time = _ScaledSleep()  # type: ignore[assignment]
    _installed = True


@contextmanager
def faults(*configured: Fault, retry_speed: float = 1.0) -> Iterator[list[Fault]]:
    """The faults in force inside the block (and Retry waits `retry_speed` times faster)."""
    global _retry_speed
    install()
    with _lock:
        _faults.extend(configured)
        _retry_speed = retry_speed
    try:
        yield list(configured)
    finally:
        with _lock:
            for fault in configured:
                _faults.remove(fault)
            _retry_speed = 1.0
