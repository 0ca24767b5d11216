#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# "virtualing-helper address up|down" in two network namespaces this test creates, joined by a
# veth pair: ns A holds the jail's device (vl0) and a spare pair (vl2/vl3), ns B the peer vl1
# where a capture looks for the announcements. Documentation addresses only.
# Usage: test-address.sh PATH-TO-virtualing-helper     (TAP output, needs root and ip netns)
set -u

helper=${1:?usage: $0 PATH-TO-virtualing-helper}
helper=$(realpath "$helper")

if [ "$(id -u)" -ne 0 ]; then
        echo "1..0 # SKIP needs root"
        exit 0
fi
if ! command -v ip >/dev/null || ! command -v python3 >/dev/null; then
        echo "1..0 # SKIP needs ip and python3"
        exit 0
fi

umask 022
ns_a=vl-test-a-$$-$RANDOM
ns_b=vl-test-b-$$-$RANDOM
tmp=$(mktemp -d /tmp/virtualing-test-address.XXXXXX)
listener_pid=

cleanup() {
        [ -n "$listener_pid" ] && kill "$listener_pid" 2>/dev/null
        ip netns del "$ns_a" 2>/dev/null
        ip netns del "$ns_b" 2>/dev/null
        rm -rf "$tmp"
}
trap cleanup EXIT
trap "exit 1" INT TERM HUP # so a signal also runs the EXIT trap

if ! ip netns add "$ns_a" 2>/dev/null; then
        echo "1..0 # SKIP ip netns unavailable"
        exit 0
fi
ip netns add "$ns_b" || exit 1

in_a() { ip netns exec "$ns_a" "$@"; }
set_up_pair() { # NAME PEER PEER-NS: no link-local addresses, so address lists stay still
        ip -n "$ns_a" link add "$1" type veth peer name "$2" netns "$3" &&
                ip -n "$ns_a" link set "$1" addrgenmode none &&
                ip -n "$3" link set "$2" addrgenmode none &&
                ip -n "$ns_a" link set "$1" up &&
                ip -n "$3" link set "$2" up
}
set_up_pair vl0 vl1 "$ns_b" || exit 1
set_up_pair vl2 vl3 "$ns_a" || exit 1
mac0=$(in_a cat /sys/class/net/vl0/address)
ifindex0=$(in_a cat /sys/class/net/vl0/ifindex)

mkdir -p "$tmp/conf" "$tmp/run"
export VIRTUALING_CONFIG_PATH=$tmp/conf VIRTUALING_RUNTIME_DIR=$tmp/run

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
        n=$((n + 1))
        echo "not ok $n - $1"
        failed=1
        [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/#   /'
        return 0
}
check() { # DESCRIPTION COMMAND…: ok if the command succeeds; returns its status
        local d=$1
        shift
        if "$@"; then ok "$d"; else not_ok "$d"; return 1; fi
}

jail() { # NAME DEVICE [AnnounceARP] ADDRESS…
        local name=$1 dev=$2
        shift 2
        {
                printf '[Jail]\nRoot=/srv/%s\nExec=/bin/true\n\n[Network]\nDevice=%s\n' "$name" "$dev"
                for a in "$@"; do
                        case $a in
                                AnnounceARP=*) echo "$a" ;;
                                *) echo "Address=$a" ;;
                        esac
                done
        } >"$tmp/conf/$name.conf"
}

# Runs the helper in ns A; sets $rc and $out (stdout and stderr).
helper() {
        out=$(in_a "$helper" "$@" 2>&1)
        rc=$?
}

# "inet 192.0.2.30/24" lines of one device, or of all of ns A without an argument.
addrs() {
        if [ $# -gt 0 ]; then
                ip -n "$ns_a" -o addr show dev "$1" | awk '{ print $3, $4 }' | sort
        else
                ip -n "$ns_a" -o addr show | sort
        fi
}
has_addr() { addrs "$1" | grep -qxF "$2"; }

cat >"$tmp/listen.py" <<'EOF'
# Prints the gratuitous ARPs and Neighbor Advertisements seen on IFNAME, until COUNT of them
# or TIMEOUT seconds. Starts with a READY line once the socket is bound.
import socket, struct, sys, time

ifname, count, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
mac = lambda b: ":".join("%02x" % x for x in b)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
s.bind((ifname, 0))
print("READY", flush=True)
seen, end = 0, time.monotonic() + timeout
while seen < count and time.monotonic() < end:
    s.settimeout(max(end - time.monotonic(), 0.01))
    try:
        f = s.recv(65535)
    except socket.timeout:
        break
    ethertype, p = struct.unpack("!H", f[12:14])[0], f[14:]
    if ethertype == 0x0806 and len(p) >= 28:
        op = struct.unpack("!H", p[6:8])[0]
        print("ARP op=%d dst=%s sha=%s spa=%s tha=%s tpa=%s" % (op, mac(f[0:6]), mac(p[8:14]),
              socket.inet_ntoa(p[14:18]), mac(p[18:24]), socket.inet_ntoa(p[24:28])), flush=True)
        seen += 1
    elif ethertype == 0x86dd and len(p) >= 64 and p[6] == 58 and p[40] == 136:
        icmp, opts, tlla = p[40:], p[64:], "none"
        while len(opts) >= 8 and opts[1] > 0:
            if opts[0] == 2:
                tlla = mac(opts[2:8])
            opts = opts[opts[1] * 8:]
        print("NA src=%s dst=%s hlim=%d target=%s R=%d S=%d O=%d tlla=%s" % (
              socket.inet_ntop(socket.AF_INET6, p[8:24]), socket.inet_ntop(socket.AF_INET6, p[24:40]),
              p[7], socket.inet_ntop(socket.AF_INET6, icmp[8:24]),
              icmp[4] >> 7 & 1, icmp[4] >> 6 & 1, icmp[4] >> 5 & 1, tlla), flush=True)
        seen += 1
EOF

listen_start() { # COUNT TIMEOUT: capture on vl1 in ns B into $tmp/capture
        : >"$tmp/capture"
        ip netns exec "$ns_b" python3 -u "$tmp/listen.py" vl1 "$1" "$2" >"$tmp/capture" 2>&1 &
        listener_pid=$!
        for _ in $(seq 100); do
                grep -q READY "$tmp/capture" && return 0
                sleep 0.05
        done
        return 1
}
listen_wait() {
        wait "$listener_pid"
        listener_pid=
}

baseline=$(addrs)

# ---- up: addresses, prefixes, announcements, record ----
jail web vl0 192.0.2.30/24 2001:db8::30/64 198.51.100.7 2001:db8::31
listen_start 4 5 || not_ok "capture started in ns B" "$(cat "$tmp/capture")"
helper address up web
check "up exits 0" [ "$rc" -eq 0 ]
check "up prints nothing" [ -z "$out" ] || echo "# $out"
check "up added 192.0.2.30/24 with its broadcast" \
        grep -q "inet 192.0.2.30/24 brd 192.0.2.255 scope global" <<<"$(ip -n "$ns_a" -o addr show dev vl0)"
check "up added 2001:db8::30/64" has_addr vl0 "inet6 2001:db8::30/64"
check "default IPv4 prefix is /32" has_addr vl0 "inet 198.51.100.7/32"
check "default IPv6 prefix is /128" has_addr vl0 "inet6 2001:db8::31/128"
check "the IPv6 address is not tentative (no DAD)" \
        bash -c "! ip -n $ns_a -o addr show dev vl0 | grep 2001:db8::30 | grep -q tentative"
listen_wait
capture=$(cat "$tmp/capture")
check "gratuitous ARP for 192.0.2.30 seen in ns B" grep -qxF \
        "ARP op=1 dst=ff:ff:ff:ff:ff:ff sha=$mac0 spa=192.0.2.30 tha=00:00:00:00:00:00 tpa=192.0.2.30" <<<"$capture" ||
        sed 's/^/#   /' <<<"$capture"
check "gratuitous ARP for 198.51.100.7 seen in ns B" grep -q "ARP op=1 .*spa=198.51.100.7 .*tpa=198.51.100.7" <<<"$capture"
check "unsolicited NA for 2001:db8::30 seen in ns B (O set, S and R clear, TLLA = device MAC)" grep -qxF \
        "NA src=2001:db8::30 dst=ff02::1 hlim=255 target=2001:db8::30 R=0 S=0 O=1 tlla=$mac0" <<<"$capture" ||
        sed 's/^/#   /' <<<"$capture"
check "unsolicited NA for 2001:db8::31 seen in ns B" grep -q "NA .*target=2001:db8::31 R=0 S=0 O=1" <<<"$capture"

record=$tmp/run/addresses/web
expected_record="inet 192.0.2.30/24 $ifindex0 vl0
inet6 2001:db8::30/64 $ifindex0 vl0
inet 198.51.100.7/32 $ifindex0 vl0
inet6 2001:db8::31/128 $ifindex0 vl0"
check "record lists family, address/prefix, ifindex and ifname of each address" \
        [ "$(grep -v '^#' "$record" 2>/dev/null)" = "$expected_record" ]
check "record is mode 0644 in a 0755 directory, no temporary file left" \
        [ "$(stat -c %a "$record" "$tmp/run/addresses" 2>/dev/null | xargs) $(ls -A "$tmp/run/addresses" 2>/dev/null)" = "644 755 web" ]

# ---- up again while up: busy, nothing changed ----
before=$(addrs) rec_before=$(cat "$record" 2>/dev/null)
helper address up web
check "second up fails with the busy status 21" [ "$rc" -eq 21 ]
check "the message names the address and the interface" grep -q "192.0.2.30 already on vl0" <<<"$out"
check "second up changed neither addresses nor record" [ "$(addrs)" = "$before" -a "$(cat "$record" 2>/dev/null)" = "$rec_before" ]

# ---- down ----
helper address down web
check "down exits 0" [ "$rc" -eq 0 ]
check "after down the addresses of ns A are exactly as before up" [ "$(addrs)" = "$baseline" ]
check "down removed the record" [ ! -e "$record" ]
helper address down web
check "down twice exits 0 silently" [ "$rc" -eq 0 -a -z "$out" ]

jail never vl0 192.0.2.60/24
helper address down never
check "down of a jail never brought up exits 0 silently" [ "$rc" -eq 0 -a -z "$out" ]

# ---- AnnounceARP=no ----
jail quiet vl0 AnnounceARP=no 192.0.2.40/24 2001:db8::40/64
listen_start 1 2 || not_ok "capture started in ns B"
helper address up quiet
check "up with AnnounceARP=no exits 0" [ "$rc" -eq 0 ]
listen_wait
check "with AnnounceARP=no no ARP or NA is seen" [ "$(grep -v READY "$tmp/capture")" = "" ]
helper address down quiet
check "down after AnnounceARP=no restores ns A" [ "$rc" -eq 0 -a "$(addrs)" = "$baseline" ]

# ---- busy on another interface, second of two: nothing half-applied ----
ip -n "$ns_a" addr add 192.0.2.50/24 dev vl2
jail busy vl0 192.0.2.51/24 192.0.2.50/24
helper address up busy
check "an address on another interface makes up fail with 21" [ "$rc" -eq 21 ]
check "the message names the address and the other interface" grep -q "192.0.2.50 already on vl2" <<<"$out" ||
        echo "# $out"
check "the first address is not left behind" bash -c "! ip -n $ns_a -o addr show | grep -q 192.0.2.51/"
check "the busy address stays where it was" has_addr vl2 "inet 192.0.2.50/24"
check "no record after a busy up" [ ! -e "$tmp/run/addresses/busy" ]
helper address down busy
check "down after a failed up (ExecStopPost) exits 0 and leaves the other address" \
        eval '[ "$rc" -eq 0 ] && has_addr vl2 "inet 192.0.2.50/24"'
ip -n "$ns_a" addr del 192.0.2.50/24 dev vl2 2>/dev/null

# ---- busy on the same interface, and down never removes what it did not add ----
ip -n "$ns_a" addr add 198.51.100.9/24 dev vl0
jail hand vl0 198.51.100.9/24
helper address up hand
check "an address already on the device makes up fail with 21, naming the device" \
        eval '[ "$rc" -eq 21 ] && grep -q "198.51.100.9 already on vl0" <<<"$out"'
helper address down hand
check "down without a record leaves a hand-added address that is in the config" \
        eval '[ "$rc" -eq 0 ] && has_addr vl0 "inet 198.51.100.9/24"'

jail mixed vl0 198.51.100.10/24
helper address up mixed
jail mixed vl0 198.51.100.10/24 198.51.100.9/24 # config now also lists the hand-added one
helper address down mixed
check "down removes what the record lists and nothing else the config lists" \
        eval '[ "$rc" -eq 0 ] && has_addr vl0 "inet 198.51.100.9/24" && ! has_addr vl0 "inet 198.51.100.10/24"'
ip -n "$ns_a" addr del 198.51.100.9/24 dev vl0 2>/dev/null

# ---- adding the second address fails: the first is removed again ----
in_a sysctl -qw net.ipv6.conf.vl2.disable_ipv6=1
jail half vl2 192.0.2.70/24 2001:db8::70/64
helper address up half
check "a failing add exits 20 and says what failed" eval '[ "$rc" -eq 20 ] && grep -q "2001:db8::70" <<<"$out"' ||
        echo "# $out"
check "the address added before it was removed again, no record" \
        [ -z "$(addrs vl2)" -a ! -e "$tmp/run/addresses/half" ]
in_a sysctl -qw net.ipv6.conf.vl2.disable_ipv6=0

# ---- missing device ----
jail nodev nosuch0 192.0.2.80/24
helper address up nodev
check "a missing Device= makes up fail with 20" [ "$rc" -eq 20 ]
check "the message names the device" grep -q "nosuch0" <<<"$out"

# ---- the recorded ifindex now names another interface ----
jail moved vl2 192.0.2.90/24
helper address up moved
ip -n "$ns_a" link set vl2 down && ip -n "$ns_a" link set vl2 name vl9
helper address down moved
check "down leaves an interface whose ifindex changed name alone, and says so" \
        eval '[ "$rc" -eq 0 ] && has_addr vl9 "inet 192.0.2.90/24" && grep -q "vl9" <<<"$out"' ||
        echo "# $out"
check "and removes the record" [ ! -e "$tmp/run/addresses/moved" ]
ip -n "$ns_a" addr del 192.0.2.90/24 dev vl9 2>/dev/null
ip -n "$ns_a" link set vl9 name vl2 && ip -n "$ns_a" link set vl2 up

# ---- malformed record ----
jail broken vl0 192.0.2.95/24
mkdir -p "$tmp/run/addresses"
echo "inet 192.0.2.95/24 notanumber vl0" >"$tmp/run/addresses/broken"
helper address down broken
check "a malformed record makes down fail with 22, naming the file" \
        eval '[ "$rc" -eq 22 ] && grep -qF "$tmp/run/addresses/broken" <<<"$out"' || echo "# $out"

check "at the end the addresses of ns A are exactly as at the start" [ "$(addrs)" = "$baseline" ]

echo "1..$n"
exit $failed
