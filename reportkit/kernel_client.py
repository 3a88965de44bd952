"""The kernel client of a run: ready as soon as the kernel has answered, not 0.2 s later.

jupyter_client's ``wait_for_ready`` sends ``kernel_info``, waits for the reply on the shell channel
and for one message on IOPub (proof that IOPub is connected), then reads IOPub until it has been
silent for 0.2 s, to drop the status messages the request caused. That last wait is idle time on
every kernel start: a kernel forked from a warm template answers in about 0.15 s and then waits
0.2 s more (in a batch of 26 runs, over 5 s of a worker's time).

:class:`RunKernelClient` waits for the same things and stops as soon as they arrived: the reply to
*its* ``kernel_info`` request, then on IOPub the kernel's ``idle`` status for that request, which
the kernel sends last for every request (Jupyter messaging protocol: "busy" before handling a
request, "idle" when done). Seeing that message proves IOPub is connected and nothing of the
request is left on the channel. If it does not come within :data:`IOPUB_GAP` s between messages
(IOPub joined late and missed it), the request is sent again, as jupyter_client does. A kernel that dies or does
not answer within ``timeout`` raises RuntimeError, as jupyter_client's does (nbclient expects it).
"""

from __future__ import annotations

import functools
import time
from queue import Empty
from typing import Any

#: seconds without an IOPub message after which IOPub counts as not (yet) connected and the request
#: is sent again. jupyter_client waits 0.2 s; a connected kernel sends its idle status right after
#: its reply (already read), so a shorter gap costs at most a repeated kernel_info, while about half
#: of the kernels of a batch started before IOPub had joined and waited the full gap (0.2 s idle each)
IOPUB_GAP = 0.05


@functools.cache
def client_class() -> type:
    """:class:`RunKernelClient` (built on first use: jupyter_client is imported only by runs)."""
    from jupyter_client.asynchronous import AsyncKernelClient

    class RunKernelClient(AsyncKernelClient):
        """An AsyncKernelClient whose ``wait_for_ready`` ends when the kernel has answered (module doc)."""

        async def wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            while True:
                msg_id = self.kernel_info()
                reply = await self._reply_to(msg_id, min(1.0, max(0.0, deadline - time.monotonic())))
                if reply is not None and await self._idle_after(msg_id):
                    self._handle_kernel_info_reply(reply)
                    return
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

        async def _reply_to(self, msg_id: str, wait: float) -> dict[str, Any] | None:
            """The shell reply to request ``msg_id`` within ``wait`` seconds (older replies are dropped)."""
            end = time.monotonic() + wait
            while (left := end - time.monotonic()) > 0:
                try:
                    msg = await self.shell_channel.get_msg(timeout=left)
                except Empty:
                    return None
                if msg.get("parent_header", {}).get("msg_id") == msg_id and msg["msg_type"] == "kernel_info_reply":
                    reply: dict[str, Any] = msg
                    return reply
            return None

        async def _idle_after(self, msg_id: str) -> bool:
            """Read IOPub up to the kernel's ``idle`` status for ``msg_id``; False after IOPUB_GAP s of silence."""
            while True:
                try:
                    msg = await self.iopub_channel.get_msg(timeout=IOPUB_GAP)
                except Empty:
                    return False
                if (msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle"
                        and msg.get("parent_header", {}).get("msg_id") == msg_id):
                    return True

    return RunKernelClient
