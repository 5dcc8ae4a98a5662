"""What both interop peers do once connected: report every event as one JSON line on stdout,
echo every message back, and close when asked to.

The Node test drives the conversation from the wsx side; this peer only reacts, so one script
covers every case of the matrix. A text message "wsx-interop:close <code> <reason>" makes this
side start the closing handshake with that code and reason instead of echoing.
"""

import base64
import hashlib
import json
import sys

import websockets

CLOSE_REQUEST = "wsx-interop:close "
MAX_SIZE = 8 * 2**20  # room for the 1 MiB messages (the default, 1 MiB, is exactly the limit)
DEADLINE = 20  # seconds: the peer exits by itself even if the test side hangs


def report(event, **fields):
    """One JSON line per event (ASCII-escaped, so no encoding question on the pipe)."""
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


def describe(message):
    """The message as received: exact for small ones, length and SHA-256 for all."""
    data = message.encode("utf-8") if isinstance(message, str) else message
    fields = {
        "type": "text" if isinstance(message, str) else "binary",
        "length": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    if len(data) <= 4096:
        fields["data"] = message if isinstance(message, str) else base64.b64encode(data).decode()
    return fields


def deflate_params(ws):
    """What the permessage-deflate extension in force does, from this side's point of view."""
    for extension in ws.extensions:
        if extension.name == "permessage-deflate":
            return {
                "local_no_context_takeover": extension.local_no_context_takeover,
                "remote_no_context_takeover": extension.remote_no_context_takeover,
                "local_max_window_bits": extension.local_max_window_bits,
                "remote_max_window_bits": extension.remote_max_window_bits,
            }
    return None


def close_frame(close):
    return None if close is None else {"code": close.code, "reason": close.reason}


async def converse(ws):
    """Echo until the connection closes; report what happened."""
    report(
        "open",
        subprotocol=ws.subprotocol,
        extensions=[extension.name for extension in ws.extensions],
        # The agreed header as this side saw it (a client reads it, a server wrote it), and
        # the permessage-deflate parameters websockets put in force from it.
        extensions_header=ws.response_headers.get("Sec-WebSocket-Extensions"),
        deflate=deflate_params(ws),
    )
    try:
        async for message in ws:
            report("message", **describe(message))
            if isinstance(message, str) and message.startswith(CLOSE_REQUEST):
                code, _, reason = message[len(CLOSE_REQUEST) :].partition(" ")
                await ws.close(int(code), reason)
                break
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass
    await ws.wait_closed()
    report(
        "closed",
        code=ws.close_code,
        reason=ws.close_reason,
        rcvd=close_frame(ws.close_rcvd),
        sent=close_frame(ws.close_sent),
        rcvd_then_sent=ws.close_rcvd_then_sent,
    )
