"""An ASGI echo application for Hypercorn (test/interop/http2-peers.test.ts).

Every WebSocket is accepted with two headers that let the test see how it arrived: the HTTP
version of its request (`2` for an extended CONNECT, RFC 8441) and the client's TCP port (equal
for WebSockets that share one HTTP/2 connection). Every message is echoed as it came, text or
binary, except the text "close <code>", which makes the application close with that code. Any
plain HTTP request gets 404.
"""


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "websocket":
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    await receive()  # websocket.connect
    client_port = str(scope["client"][1]) if scope.get("client") else ""
    headers = [
        (b"x-http-version", scope["http_version"].encode()),
        (b"x-client-port", client_port.encode()),
    ]
    await send({"type": "websocket.accept", "headers": headers})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is not None and text.startswith("close "):
            await send({"type": "websocket.close", "code": int(text[6:])})
        elif text is not None:
            await send({"type": "websocket.send", "text": text})
        else:
            await send({"type": "websocket.send", "bytes": message["bytes"]})
