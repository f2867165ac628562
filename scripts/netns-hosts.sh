#!/usr/bin/env bash
# Two simulated hosts on this machine, for testing MPI across hosts without a network: network namespaces
# PREFIX-h0 and PREFIX-h1 joined by a veth pair, addresses 10.213.N.10 and 10.213.N.11 that exist only inside
# them (nothing leaves this machine). Run as root.
#   scripts/netns-hosts.sh up PREFIX N     create them (N: 0-255, picks the subnet)
#   scripts/netns-hosts.sh down PREFIX     remove them
# Then, from inside the first:
#   ip netns exec PREFIX-h0 mpirun --host 10.213.N.10:1,10.213.N.11:1 -np 2 \
#     --mca plm_rsh_agent scripts/netns-rsh --mca oob_tcp_if_include 10.213.N.0/24 \
#     --mca btl_tcp_if_include 10.213.N.0/24 --mca btl self,tcp grow …
set -euo pipefail
case "${1:-}" in
  up)
    p="$2"; n="$3"
    ip netns add "$p-h0"; ip netns add "$p-h1"
    ip link add "$p-v0" type veth peer name "$p-v1"
    ip link set "$p-v0" netns "$p-h0"; ip link set "$p-v1" netns "$p-h1"
    ip -n "$p-h0" addr add "10.213.$n.10/24" dev "$p-v0"; ip -n "$p-h1" addr add "10.213.$n.11/24" dev "$p-v1"
    for i in 0 1; do ip -n "$p-h$i" link set "$p-v$i" up; ip -n "$p-h$i" link set lo up; done
    ;;
  down)
    p="$2"
    ip netns del "$p-h0" 2>/dev/null || true; ip netns del "$p-h1" 2>/dev/null || true
    ;;
  *) echo "usage: $0 up PREFIX N | down PREFIX" >&2; exit 64 ;;
esac
