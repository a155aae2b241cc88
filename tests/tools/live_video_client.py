#!/usr/bin/env python3
"""Live video client for didban's tests and measurements (Python standard library only).

A minimal RFC 6455 WebSocket client over a socket (handshake, masked client frames, fragmented and control frames)
and an MJPEG (multipart/x-mixed-replace) reader.

  live_video_client.py record --port P --camera C --seconds S --out clip.mp4 --init init.json [--tracks tracks.json]
      Opens /api/v1/cameras/C/live.mp4, writes the binary messages (init segment, fragments) to clip.mp4 and the text
      init messages to init.json (a JSON list); with --tracks, also follows /api/v1/live?topics=tracks&camera=C for
      the same time and writes the pts_us of every tracks message.
  live_video_client.py mjpeg --port P --camera C --parts N --out-dir D
      Reads N JPEG parts of /api/v1/cameras/C/live.mjpeg into D/part-<i>.jpg; prints their headers as JSON.
  live_video_client.py viewers --port P --camera C --count N --seconds S
      N concurrent viewers of the camera's fMP4 (one thread, selectors), reading and dropping what arrives; prints
      messages and bytes per viewer as JSON.
"""

import argparse
import base64
import json
import os
import selectors
import socket
import struct
import sys
import threading
import time


class WebSocket:
    def __init__(self, port, path, host="127.0.0.1", timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError(f"{path}: connection closed during the handshake")
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        status = head.split(b"\r\n", 1)[0].decode()
        if " 101 " not in status + " ":
            raise ConnectionError(f"{path}: upgrade refused: {status}")
        self.closed = False
        self.partial = b""
        self.partial_op = None

    def _send(self, opcode, payload=b""):
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def feed(self, data):
        """Adds received bytes; returns the complete messages as (is_text, payload)."""
        self.buf += data
        out = []
        while True:
            if len(self.buf) < 2:
                return out
            b0, b1 = self.buf[0], self.buf[1]
            n = b1 & 0x7F
            pos = 2
            if n == 126:
                if len(self.buf) < 4:
                    return out
                n = struct.unpack("!H", self.buf[2:4])[0]
                pos = 4
            elif n == 127:
                if len(self.buf) < 10:
                    return out
                n = struct.unpack("!Q", self.buf[2:10])[0]
                pos = 10
            if len(self.buf) < pos + n:
                return out
            payload = self.buf[pos:pos + n]
            self.buf = self.buf[pos + n:]
            fin, op = b0 & 0x80, b0 & 0x0F
            if op == 8:  # close
                self.closed = True
                return out
            if op == 9:  # ping
                self._send(10, payload)
                continue
            if op == 10:
                continue
            if op in (1, 2):
                self.partial_op, self.partial = op, payload
            else:  # continuation
                self.partial += payload
            if fin:
                out.append((self.partial_op == 1, self.partial))
                self.partial = b""

    def recv_messages(self):
        data = self.sock.recv(1 << 20)
        if not data:
            self.closed = True
            return []
        return self.feed(data)

    def close(self):
        try:
            self._send(8, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()


def record(args):
    tracks = []
    stop = threading.Event()

    def follow_tracks():
        ws = WebSocket(args.port, f"/api/v1/live?topics=tracks&camera={args.camera}")
        ws.sock.settimeout(0.5)
        while not stop.is_set() and not ws.closed:
            try:
                for is_text, payload in ws.recv_messages():
                    m = json.loads(payload)
                    if m.get("topic") == "tracks":
                        tracks.append(m["data"]["pts_us"])
            except socket.timeout:
                pass
        ws.close()

    follower = None
    if args.tracks:
        follower = threading.Thread(target=follow_tracks)
        follower.start()
    ws = WebSocket(args.port, f"/api/v1/cameras/{args.camera}/live.mp4")
    ws.sock.settimeout(0.5)
    inits, binary, messages = [], 0, 0
    end = time.monotonic() + args.seconds
    with open(args.out, "wb") as f:
        while time.monotonic() < end and not ws.closed:
            try:
                for is_text, payload in ws.recv_messages():
                    messages += 1
                    if is_text:
                        inits.append(json.loads(payload))
                    else:
                        binary += 1
                        f.write(payload)
            except socket.timeout:
                pass
    ws.close()
    stop.set()
    if follower:
        follower.join()
        with open(args.tracks, "w") as f:
            json.dump(tracks, f)
    with open(args.init, "w") as f:
        json.dump(inits, f)
    print(json.dumps({"messages": messages, "binary": binary, "inits": len(inits), "tracks": len(tracks)}))


def mjpeg(args):
    sock = socket.create_connection(("127.0.0.1", args.port), timeout=10)
    sock.sendall(f"GET /api/v1/cameras/{args.camera}/live.mjpeg HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, data = data.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    if " 200 " not in lines[0] + " ":
        sys.exit(f"mjpeg: {lines[0]}")
    content_type = [l.split(":", 1)[1].strip() for l in lines[1:] if l.lower().startswith("content-type:")][0]
    boundary = content_type.split("boundary=", 1)[1].encode()
    parts = []
    os.makedirs(args.out_dir, exist_ok=True)
    while len(parts) < args.parts:
        h = data.find(b"\r\n\r\n")
        if h >= 0:
            part_head = data[:h].decode().split("\r\n")
            if part_head[0] != "--" + boundary.decode():
                sys.exit(f"mjpeg: part does not start with the boundary: {part_head[0]!r}")
            headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in part_head[1:]}
            n = int(headers["content-length"])
            if len(data) >= h + 4 + n + 2:
                body = data[h + 4:h + 4 + n]
                path = os.path.join(args.out_dir, f"part-{len(parts)}.jpg")
                with open(path, "wb") as f:
                    f.write(body)
                parts.append({"path": path, "bytes": n, "content_type": headers.get("content-type"),
                              "timestamp_us": int(headers.get("x-timestamp-us", "0"))})
                data = data[h + 4 + n + 2:]
                continue
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    sock.close()
    print(json.dumps({"content_type": content_type, "parts": parts}))


def viewers(args):
    sel = selectors.DefaultSelector()
    socks = []
    for _ in range(args.count):
        ws = WebSocket(args.port, f"/api/v1/cameras/{args.camera}/live.mp4")
        ws.sock.setblocking(False)
        ws.stats = [0, 0]  # messages, bytes
        sel.register(ws.sock, selectors.EVENT_READ, ws)
        socks.append(ws)
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=0.2):
            ws = key.data
            try:
                for _, payload in ws.recv_messages():
                    ws.stats[0] += 1
                    ws.stats[1] += len(payload)
            except BlockingIOError:
                pass
            if ws.closed:
                sel.unregister(ws.sock)
    for ws in socks:
        ws.close()
    msgs = [ws.stats[0] for ws in socks]
    print(json.dumps({"viewers": len(socks), "closed": sum(ws.closed for ws in socks), "min_messages": min(msgs),
                      "max_messages": max(msgs), "bytes": sum(ws.stats[1] for ws in socks)}))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--camera", required=True)
    r.add_argument("--seconds", type=float, default=5)
    r.add_argument("--out", required=True)
    r.add_argument("--init", required=True)
    r.add_argument("--tracks")
    m = sub.add_parser("mjpeg")
    m.add_argument("--port", type=int, required=True)
    m.add_argument("--camera", required=True)
    m.add_argument("--parts", type=int, default=3)
    m.add_argument("--out-dir", required=True)
    v = sub.add_parser("viewers")
    v.add_argument("--port", type=int, required=True)
    v.add_argument("--camera", required=True)
    v.add_argument("--count", type=int, default=100)
    v.add_argument("--seconds", type=float, default=20)
    args = p.parse_args()
    {"record": record, "mjpeg": mjpeg, "viewers": viewers}[args.cmd](args)


if __name__ == "__main__":
    main()
