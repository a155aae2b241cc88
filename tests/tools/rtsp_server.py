#!/usr/bin/python3
"""Serves video files over RTSP with GStreamer's RTSP server, each looped, for live-source tests.

    /usr/bin/python3 tests/tools/rtsp_server.py [--port N] [--host 127.0.0.1] [--minutes M] FILE [FILE...]

One mount per file, named after the file's stem (`/intel_car-detection`; a stem used twice gets `_2`, `_3`).
Prints one URL per file on stdout (`rtsp://127.0.0.1:PORT/STEM`), in argument order, then `ready`, and serves until
SIGINT/SIGTERM. Port 0 (the default) picks a free port; start the tool again with the printed port to bring the same
URLs back after stopping it (SIGTERM, or SIGKILL to drop the clients without a goodbye). SIGSTOP stalls it, SIGCONT
resumes it.

The loop: each file's video is stream-copied (no re-encoding, `ffmpeg -stream_loop`) into a temporary Matroska file
holding at least --minutes of video (default 10) with continuous timestamps, so a client sees one long stream whose
time never goes back. H.264 is sent as it is; other codecs are encoded with x264 (ultrafast, zero latency, a key frame
every 25 frames). Each client gets its own pipeline, starting at the first frame. Uses /usr/bin/python3 (the Debian
python3-gi and gir1.2-gst-rtsp-server-1.0 packages) and Debian's ffmpeg/ffprobe.
"""
import argparse
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def probe(path):
    """(video codec name, duration in seconds) of the file's first video stream."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "stream=codec_name:format=duration", "-of", "json", path],
                         check=True, capture_output=True, text=True).stdout
    info = json.loads(out)
    if not info.get("streams"):
        raise SystemExit(f"rtsp_server: {path}: no video stream")
    return info["streams"][0]["codec_name"], float(info.get("format", {}).get("duration", 0) or 0)


def looped_copy(path, minutes, folder):
    """A Matroska file with the video of `path` repeated to last at least `minutes` (stream copy)."""
    codec, duration = probe(path)
    loops = max(1, math.ceil(minutes * 60 / duration)) if duration > 0 else 1
    out = os.path.join(folder, f"{len(os.listdir(folder))}.mkv")
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-stream_loop", str(loops - 1), "-i", path, "-map", "0:v:0",
                    "-c", "copy", "-f", "matroska", out], check=True)
    return out, codec


def launch_line(path, codec):
    src = f'filesrc location="{path}" ! matroskademux'
    if codec == "h264":
        return f"( {src} ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1 )"
    return (f"( {src} ! decodebin ! videoconvert ! video/x-raw,format=I420 ! "
            "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=25 ! h264parse ! "
            "rtph264pay name=pay0 pt=96 config-interval=-1 )")


def mount_names(paths):
    names, seen = [], {}
    for p in paths:
        stem = re.sub(r"[^A-Za-z0-9._-]", "_", os.path.splitext(os.path.basename(p))[0]) or "video"
        seen[stem] = seen.get(stem, 0) + 1
        names.append(stem if seen[stem] == 1 else f"{stem}_{seen[stem]}")
    return names


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="TCP port (default 0: a free one)")
    parser.add_argument("--minutes", type=float, default=10, help="length of each looped stream (default 10)")
    parser.add_argument("files", nargs="+", help="video files to serve, one mount each")
    args = parser.parse_args()
    for f in args.files:
        if not os.path.isfile(f):
            raise SystemExit(f"rtsp_server: {f}: no such file")

    Gst.init(None)
    folder = tempfile.mkdtemp(prefix="rtsp_server_")
    try:
        server = GstRtspServer.RTSPServer()
        server.set_address(args.host)
        server.set_service(str(args.port))
        mounts = server.get_mount_points()
        names = mount_names(args.files)
        for path, name in zip(args.files, names):
            looped, codec = looped_copy(os.path.abspath(path), args.minutes, folder)
            factory = GstRtspServer.RTSPMediaFactory()
            factory.set_launch(launch_line(looped, codec))
            factory.set_shared(False)
            mounts.add_factory("/" + name, factory)
        if server.attach(None) == 0:
            raise SystemExit(f"rtsp_server: cannot listen on {args.host}:{args.port}")
        port = server.get_bound_port()
        for name in names:
            print(f"rtsp://{args.host}:{port}/{name}", flush=True)
        print("ready", flush=True)
        loop = GLib.MainLoop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
        loop.run()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
