# free_port: a TCP port of 127.0.0.1 that nothing is bound to, for a test server that must listen on a port known in
# advance (ffmpeg -listen, nats-server, PostgreSQL) or come back on the same port after a restart. Sourced, not run.
# The port is drawn at random below the kernel's ephemeral range (net.ipv4.ip_local_port_range): ports in that range
# are handed out to every client connection and to every server bound to port 0, so one picked there can be taken
# by another test's connection between the pick and the bind (seen in CI: `ffmpeg does not listen on port P`).
free_port() {
  python3 - <<'PY'
import random
import socket

low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for _ in range(500):
    port = random.randrange(10000, max(10001, low))
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
else:
    raise SystemExit("free_port: no free port below the ephemeral range")
PY
}
