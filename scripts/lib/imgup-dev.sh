# Sourced by the scripts that run `imgup dev` on free ports (smoke test,
# start-up benchmark, admin app end-to-end test).

# Sets api, auth and s3 to three distinct free ports, picked while all three are held.
imgup_dev_ports() {
  read -r api auth s3 < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
}

# Succeeds once both the API and auth answer /readyz.
imgup_dev_ready() {
  curl -sf "http://127.0.0.1:$api/readyz" >/dev/null && curl -sf "http://127.0.0.1:$auth/readyz" >/dev/null
}
