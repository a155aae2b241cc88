#!/usr/bin/python3
"""Prints the text messages of a WebSocket, one per line, each prefixed with its arrival time (Unix seconds) and a tab.

    python3 tests/tools/ws_tail.py ws://127.0.0.1:PORT/api/v1/live?topics=event

A minimal client (RFC 6455: handshake, unmasked server frames, pings answered) with the standard library only, for
the serve tests; it ends when the server closes or dies. Prints `open` on its own line once the upgrade is accepted.
"""
import base64
import os
import socket
import struct
import sys
import time
from urllib.parse import urlsplit


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def send_frame(sock, opcode, payload):
    mask = os.urandom(4)
    head = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


def main():
    url = urlsplit(sys.argv[1])
    sock = socket.create_connection((url.hostname, url.port or 80))
    key = base64.b64encode(os.urandom(16)).decode()
    path = url.path + ("?" + url.query if url.query else "")
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {url.hostname}:{url.port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            sys.exit("ws_tail: connection closed during the handshake")
        head += chunk
    status = head.split(b"\r\n", 1)[0].decode()
    if " 101 " not in status + " ":
        sys.exit(f"ws_tail: {status}")
    print("open", flush=True)
    message, kind = b"", 1
    try:
        while True:
            b0, b1 = read_exact(sock, 2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", read_exact(sock, 2))[0]
            elif n == 127:
                n = struct.unpack("!Q", read_exact(sock, 8))[0]
            payload = read_exact(sock, n)
            opcode = b0 & 0x0F
            if opcode == 8:
                break
            if opcode == 9:
                send_frame(sock, 10, payload)
                continue
            if opcode in (0, 1, 2):
                if opcode != 0:
                    kind = opcode
                message += payload
                if b0 & 0x80:
                    if kind == 1:
                        print(f"{time.time():.6f}\t{message.decode()}", flush=True)
                    message = b""
    except (EOFError, ConnectionError):
        pass


if __name__ == "__main__":
    main()
