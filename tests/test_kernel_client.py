"""The run's kernel client (reportkit.kernel_client): ready once the kernel answered its own
kernel_info request and IOPub carried that request's idle status; retried when IOPub missed it;
an error when the kernel is dead. Then a real kernel through the run's kernel manager."""

from __future__ import annotations

import asyncio
import tempfile
from queue import Empty

import pytest

from reportkit.kernel_client import IOPUB_GAP, client_class


class _Channel:
    """A channel whose get_msg hands out queued messages, then raises Empty (as on a timeout)."""

    def __init__(self) -> None:
        self.queue: list[dict] = []
        self.waits: list[float] = []

    async def get_msg(self, timeout: float | None = None) -> dict:
        self.waits.append(timeout or 0.0)
        if not self.queue:
            raise Empty
        return self.queue.pop(0)


def _fake(*, alive: bool = True, iopub_misses: int = 0):
    """A RunKernelClient whose channels are fakes; the kernel answers each kernel_info request,
    and IOPub loses the status messages of the first ``iopub_misses`` requests."""

    class Fake(client_class()):
        def __init__(self) -> None:
            super().__init__()
            self.shell, self.iopub, self.sent, self.handled = _Channel(), _Channel(), [], []

        @property
        def shell_channel(self):
            return self.shell

        @property
        def iopub_channel(self):
            return self.iopub

        def kernel_info(self) -> str:
            msg_id = f"info-{len(self.sent)}"
            self.sent.append(msg_id)
            if alive:
                # a stale reply to an earlier request comes first; then this one's
                self.shell.queue += [_msg("kernel_info_reply", "older"), _msg("kernel_info_reply", msg_id)]
                if len(self.sent) > iopub_misses:
                    self.iopub.queue += [_status("busy", msg_id), _status("idle", "older"), _status("idle", msg_id)]
            return msg_id

        def _handle_kernel_info_reply(self, msg: dict) -> None:
            self.handled.append(msg["parent_header"]["msg_id"])

        async def _async_is_alive(self) -> bool:
            return alive

    return Fake()


def _msg(kind: str, parent: str, content: dict | None = None) -> dict:
    return {"msg_type": kind, "parent_header": {"msg_id": parent}, "content": content or {}}


def _status(state: str, parent: str) -> dict:
    return _msg("status", parent, {"execution_state": state})


def test_ready_after_its_own_reply_and_idle_status_without_waiting_for_silence():
    kc = _fake()
    asyncio.run(kc.wait_for_ready(timeout=5))
    assert kc.sent == ["info-0"]
    assert kc.handled == ["info-0"]  # the reply to this request, not the stale one before it
    assert kc.iopub.queue == []  # everything of the request was read …
    assert kc.iopub.waits == [IOPUB_GAP] * 3  # … and no read waited for a silence that ends nothing


def test_a_request_whose_idle_status_iopub_missed_is_sent_again():
    kc = _fake(iopub_misses=2)
    asyncio.run(kc.wait_for_ready(timeout=5))
    assert kc.sent == ["info-0", "info-1", "info-2"]
    assert kc.handled == ["info-2"]


def test_a_dead_kernel_is_an_error_as_in_jupyter_client():
    kc = _fake(alive=False)
    with pytest.raises(RuntimeError, match="Kernel died before replying to kernel_info"):
        asyncio.run(kc.wait_for_ready(timeout=5))


@pytest.mark.e2e
def test_a_real_kernel_is_ready_and_leaves_nothing_on_iopub(tmp_path):
    """The run's kernel manager hands out this client; after wait_for_ready the first IOPub
    message of an execute request belongs to that request (nothing of kernel_info is left)."""
    from reportkit.build import thread_limits
    from reportkit.execute import DEFAULT_KERNEL, _kernel_manager_class

    async def scenario() -> tuple[type, list[dict], str]:
        with tempfile.TemporaryDirectory(prefix="rk-ipc-") as ipc:
            km = _kernel_manager_class(tmp_path / "kernel.log", ipc, env=thread_limits(), cwd=str(tmp_path))(
                kernel_name=DEFAULT_KERNEL)
            await km.start_kernel()
            kc = km.client()
            kc.start_channels()
            try:
                await kc.wait_for_ready(timeout=60)
                msg_id = kc.execute("print(6 * 7)")
                seen = []
                while not (seen and seen[-1]["msg_type"] == "status"
                           and seen[-1]["content"]["execution_state"] == "idle"):
                    seen.append(await kc.get_iopub_msg(timeout=30))
                return type(kc), seen, msg_id
            finally:
                kc.stop_channels()
                await km.shutdown_kernel(now=True)

    kind, seen, msg_id = asyncio.run(scenario())
    assert kind is client_class()
    assert {m["parent_header"]["msg_id"] for m in seen} == {msg_id}
    assert [m["content"]["text"] for m in seen if m["msg_type"] == "stream"] == ["42\n"]
