# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Frames whose offload metadata a guest chose, and a receiver that says what arrived.

  offload_frames.py tap TAP KIND...       writes each KIND into TAP with a virtio-net header
  offload_frames.py packet IFACE KIND...  sends each KIND on IFACE with PACKET_VNET_HDR
  offload_frames.py receive TAP OUT SECS  reads TAP (no virtio-net header, no offloads, so
                                          the kernel completes checksums and segments before
                                          handing frames over) for SECS seconds, or until
                                          OUT.stop exists, and writes to OUT one line per kind
                                          and shape that arrived: "KIND udp 203.0.113.10 4444 x1"

Every frame carries "vrof-KIND." in its payload. The attacks point the checksum that
the kernel completes after the verdict at a header field, with a payload word chosen so
that what is written there is what the attacker wants.
"""
import fcntl
import os
import re
import select
import socket
import struct
import sys
import time

TUNSETIFF, IFF_TAP, IFF_NO_PI, IFF_VNET_HDR = 0x400454CA, 0x0002, 0x1000, 0x4000
SOL_PACKET, PACKET_VNET_HDR = 263, 15
NEEDS_CSUM = 1
GSO_NONE, GSO_TCPV4, GSO_TCPV6, GSO_ECN = 0, 1, 4, 0x80

DST_MAC = bytes.fromhex("027672000010")  # nobody's: the bridge floods it
SRC_MAC = bytes.fromhex("02767200000a")
SRC4, DST4 = "203.0.113.99", "203.0.113.10"  # not the sandbox stack's .2
SRC6, DST6 = "2001:db8:10::2", "2001:db8:10::10"


def fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def sum16(data):
    data += b"\0" * (len(data) & 1)
    return fold(sum(struct.unpack("!%dH" % (len(data) // 2), data)))


def ip_csum(hdr):
    return ~sum16(hdr) & 0xFFFF


def ipv4(proto, l4, dst=DST4):
    """Past 64 KiB (BIG TCP) the total length is 0, as Linux writes it."""
    total = 20 + len(l4) if 20 + len(l4) <= 0xFFFF else 0
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 1, 0, 64, proto, 0,
                      socket.inet_aton(SRC4), socket.inet_aton(dst))
    return b"\x08\x00" + hdr[:10] + struct.pack("!H", ip_csum(hdr)) + hdr[12:] + l4


def ipv6(proto, l4, dst=DST6, hops=64):
    return b"\x86\xdd" + struct.pack("!IHBB16s16s", 6 << 28, len(l4), proto, hops,
                                     socket.inet_pton(socket.AF_INET6, SRC6),
                                     socket.inet_pton(socket.AF_INET6, dst)) + l4


def pseudo_sum(frame, l4_len):
    """The pseudo-header sum a guest puts in the checksum field for the device."""
    if frame[12:14] == b"\x08\x00":
        return sum16(frame[26:34] + struct.pack("!BBH", 0, frame[23], l4_len & 0xFFFF))
    return sum16(frame[22:54] + struct.pack("!IxxxB", l4_len, frame[20]))


def marker(kind, length):
    """The payload: the marker repeated (every segment of a GSO frame holds one)."""
    m = b"vrof-" + kind.encode() + b"."
    m += b"_" * (len(m) & 1)
    return (m * (length // len(m) + 1))[:length]


def icmp6(type_, body):
    return struct.pack("!BBH", type_, 0, 0) + body


def udp(dport, payload, csum=0):
    return struct.pack("!HHHH", 40000, dport, 8 + len(payload), csum) + payload


def tcp(dport, payload, flags=0x18):  # ACK|PSH
    return struct.pack("!HHIIBBHHH", 40000, dport, 1, 1, 5 << 4, flags, 64240, 0, 0) + payload


def vnet(flags=0, gso_type=GSO_NONE, hdr_len=0, gso_size=0, start=0, offset=0):
    return struct.pack("<BBHHHH", flags, gso_type, hdr_len, gso_size, start, offset)


def steer(frame, start, offset, want):
    """Sets the frame's last 16-bit word (counted from @start) so that completing
    the checksum from @start writes @want at @start + @offset."""
    knob = start + ((len(frame) - start - 2) & ~1)
    frame = bytearray(frame)
    frame[knob:knob + 2] = b"\0\0"
    base = sum16(bytes(frame[start:]))
    for w in range(0x10000):
        if ~fold(base + w) & 0xFFFF == want:
            frame[knob:knob + 2] = struct.pack("!H", w)
            return bytes(frame)
    raise SystemExit("no word steers the checksum to %#x" % want)


def seeded(frame, l4_off, field):
    """A real guest's partial checksum: the pseudo-header sum in the field."""
    frame = bytearray(frame)
    l4_len = len(frame) - l4_off
    frame[l4_off + field:l4_off + field + 2] = struct.pack("!H", pseudo_sum(bytes(frame), l4_len))
    return bytes(frame)


def frames(kind):
    """(virtio-net header, frame) of KIND."""
    eth = DST_MAC + SRC_MAC
    if kind == "udp-port":  # the UDP checksum lands on the destination port
        f = eth + ipv4(17, udp(443, marker(kind, 40)))
        return vnet(NEEDS_CSUM, start=34, offset=2), steer(f, 34, 2, 4444)
    if kind == "udp-start":  # the same, with csum_start on the port itself
        f = eth + ipv4(17, udp(443, marker(kind, 40)))
        return vnet(NEEDS_CSUM, start=36, offset=0), steer(f, 36, 0, 4444)
    if kind == "tcp-port":
        f = eth + ipv4(6, tcp(443, marker(kind, 40)))
        return vnet(NEEDS_CSUM, start=34, offset=2), steer(f, 34, 2, 4444)
    if kind == "udp6-addr":  # 2001:db8:10::10 becomes 2001:db8:66::10
        f = eth + ipv6(17, udp(443, marker(kind, 40), csum=1))
        return vnet(NEEDS_CSUM, start=42, offset=0), steer(f, 42, 0, 0x66)
    if kind == "arp-sender":  # an ARP request whose sender address becomes 10.0.113.99
        body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, SRC_MAC,
                           socket.inet_aton(SRC4), b"\0" * 6, socket.inet_aton(DST4))
        f = b"\xff" * 6 + SRC_MAC + b"\x08\x06" + body + marker(kind, 18)
        # csum_start may not lie before byte 20 (the tap takes it for a transport header)
        return vnet(NEEDS_CSUM, start=20, offset=8), steer(f, 20, 8, 0x0A00)
    if kind == "udp-ok":  # what a guest's stack sends: the UDP checksum offloaded
        f = seeded(eth + ipv4(17, udp(443, marker(kind, 40))), 34, 6)
        return vnet(NEEDS_CSUM, start=34, offset=6), f
    if kind == "udp-tcpoff":  # csum_offset of TCP on a UDP datagram
        f = eth + ipv4(17, udp(443, marker(kind, 40)))
        return vnet(NEEDS_CSUM, start=34, offset=16), f
    if kind in ("gso-tcp", "gso-tcp-blocked"):  # TSO: 2,500 bytes in segments of 1,000
        f = seeded(eth + ipv4(6, tcp(443 if kind == "gso-tcp" else 9999, marker(kind, 2500))),
                   34, 16)
        return vnet(NEEDS_CSUM, GSO_TCPV4, 54, 1000, 34, 16), f
    if kind == "gso-tcp-big":  # BIG TCP: 70,000 bytes, more than the total length can say
        f = seeded(eth + ipv4(6, tcp(443, marker(kind, 70000))), 34, 16)
        return vnet(NEEDS_CSUM, GSO_TCPV4, 54, 1000, 34, 16), f
    if kind == "gso-tcp-ecn":  # TSO with ECN: CWR on the first segment only
        f = seeded(eth + ipv4(6, tcp(443, marker(kind, 2500), flags=0x98)), 34, 16)
        return vnet(NEEDS_CSUM, GSO_TCPV4 | GSO_ECN, 54, 1000, 34, 16), f
    if kind in ("nd-type", "nd-ok"):  # a solicitation (exempt), the marker as its target
        ns = icmp6(135, b"\0" * 4 + marker(kind, 16) + bytes([14, 1]) + b"\0" * 6)  # + nonce
        f = eth + ipv6(58, ns, dst="ff02::1:ff00:10", hops=255)
        if kind == "nd-ok":
            return vnet(), f
        # the checksum written over type and code: a redirect (137) leaves the sandbox
        return vnet(NEEDS_CSUM, start=54, offset=0), steer(f, 54, 0, 0x8900)
    if kind == "icmp6-ok":  # an echo request with its checksum offloaded
        f = seeded(eth + ipv6(58, icmp6(128, b"\0\1\0\1" + marker(kind, 40))), 54, 2)
        return vnet(NEEDS_CSUM, start=54, offset=2), f
    if kind == "gso-tcp6":
        f = seeded(eth + ipv6(6, tcp(443, marker(kind, 2500))), 54, 16)
        return vnet(NEEDS_CSUM, GSO_TCPV6, 74, 1000, 54, 16), f
    raise SystemExit("unknown kind " + kind)


def open_tap(name, flags):
    """The tap's fd, once the bridge forwards through the tap: its carrier comes
    with the fd, and the bridge learns of it up to a second later."""
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI | flags))
    end = time.monotonic() + 3
    while time.monotonic() < end:
        with open("/sys/class/net/%s/brport/state" % name) as f:
            if f.read().strip() == "3":  # BR_STATE_FORWARDING
                return fd
        time.sleep(0.05)
    raise SystemExit("the bridge does not forward through " + name)


def describe(frame):
    """"udp 203.0.113.10 4444", "tcp 2001:db8:66::10 443", "arp sender 10.0.113.2"."""
    etype = frame[12:14]
    if etype == b"\x08\x06":
        return "arp sender %s" % socket.inet_ntoa(frame[28:32])
    if etype == b"\x08\x00":
        proto, dst, l4 = frame[23], socket.inet_ntoa(frame[30:34]), 14 + (frame[14] & 15) * 4
    elif etype == b"\x86\xdd":
        proto, dst, l4 = frame[20], socket.inet_ntop(socket.AF_INET6, frame[38:54]), 54
    else:
        return "ethertype %s" % etype.hex()
    if proto == 58:
        return "icmp6 %s type %d" % (dst, frame[l4])
    name = {6: "tcp", 17: "udp"}.get(proto, "proto%d" % proto)
    return "%s %s %d" % (name, dst, struct.unpack("!H", frame[l4 + 2:l4 + 4])[0])


def kind_of(frame):
    """The first whole marker's kind (a completed checksum may have hit one)."""
    for m in re.finditer(rb"vrof-([a-z0-9-]+)\.", frame):
        return m.group(1).decode()
    return None


def receive(tap, out, seconds):
    fd = open_tap(tap, 0)
    open(out + ".ready", "w").close()
    seen = {}
    end = time.monotonic() + seconds
    stopping = False
    while time.monotonic() < end:
        # once told to stop, what is queued is still read
        if not select.select([fd], [], [], 0 if stopping else 0.1)[0]:
            if stopping:
                break
            stopping = os.path.exists(out + ".stop")
            continue
        frame = os.read(fd, 65536)
        kind = kind_of(frame)
        if not kind:
            continue
        key = "%s %s" % (kind, describe(frame))
        seen[key] = seen.get(key, 0) + 1
    with open(out + ".tmp", "w") as f:
        for key in sorted(seen):
            f.write("%s x%d\n" % (key, seen[key]))
    os.replace(out + ".tmp", out)


def main():
    mode, where = sys.argv[1], sys.argv[2]
    if mode == "receive":
        receive(where, sys.argv[3], float(sys.argv[4]))
        return
    if mode == "tap":
        fd = open_tap(where, IFF_VNET_HDR)
        for kind in sys.argv[3:]:
            hdr, frame = frames(kind)
            os.write(fd, hdr + frame)
        os.close(fd)
        return
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    s.bind((where, 0))
    for kind in sys.argv[3:]:
        hdr, frame = frames(kind)
        s.send(hdr + frame)
    s.close()


if __name__ == "__main__":
    main()
