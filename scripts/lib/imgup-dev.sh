# Sourced by the scripts that run `imgup dev` on free ports (smoke test,
# start-up benchmark, admin app end-to-end test).

# Sets api, auth and s3 to three distinct free ports, picked while all three
# are held, below the kernel's ephemeral range (net.ipv4.ip_local_port_range):
# a port the kernel hands out (port 0) is one an outgoing connection may take
# before `imgup dev` binds it, which once failed CI with "Address already in use".
imgup_dev_ports() {
  read -r api auth s3 < <(free_ports 3)
}

# N distinct free ports below the ephemeral range (see above), one a line.
free_ports() {
  python3 - "$1" <<'PY'
import random, socket, sys
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
socks = []
while len(socks) < int(sys.argv[1]):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", random.randrange(20000, min(low, 32768))))
    except OSError:
        s.close()
        continue
    socks.append(s)
print(*(s.getsockname()[1] for s in socks))
PY
}

# Succeeds once both the API and auth answer /readyz.
imgup_dev_ready() {
  curl -sf "http://127.0.0.1:$api/readyz" >/dev/null && curl -sf "http://127.0.0.1:$auth/readyz" >/dev/null
}
