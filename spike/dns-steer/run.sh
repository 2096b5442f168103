set -e
H=vrspkh S=vrspks
ip netns add $H; ip netns add $S
trap 'ip netns del $H; ip netns del $S' EXIT
ip -n $H link set lo up; ip -n $S link set lo up
ip -n $H link add vrsh type veth peer name vrss netns $S
ip -n $H link add vrdns type veth peer name vrdnsx; ip -n $H link set vrdnsx up
ip -n $H addr add 198.18.53.1/24 dev vrdns
ip -n $H link set vrdns arp off; ip -n $H link set vrdns up; ip -n $H link set vrsh up
ip -n $S addr add 10.9.0.2/24 dev vrss; ip -n $S link set vrss up
ip -n $S route add default via 10.9.0.1
# host side has no address: the sandbox's gateway 10.9.0.1 answers nothing; give a static neighbour
ip -n $S neigh add 10.9.0.1 lladdr 02:00:00:00:00:01 dev vrss
MAC=$(ip netns exec $H cat /sys/class/net/vrdns/address)
ip netns exec $H ./load vrsh vrdns 198.18.53.1 198.18.53.2 $MAC
ip netns exec $H python3 -c '
import socket, threading
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("198.18.53.1", 53))
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); t.bind(("198.18.53.1", 53)); t.listen(4)
def tcp():
    c, a = t.accept(); d = c.recv(100); c.sendall(b"tcp-pong:" + d + str(a).encode()); c.close()
threading.Thread(target=tcp, daemon=True).start()
d, a = u.recvfrom(100); u.sendto(b"udp-pong:" + d + str(a).encode(), a)
import time; time.sleep(3)
' &
sleep 0.5
ip netns exec $S python3 -c '
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(2)
u.sendto(b"q", ("192.0.2.53", 53)); d, a = u.recvfrom(200); print("udp reply", d, "from", a)
t = socket.create_connection(("192.0.2.53", 53), timeout=2); t.sendall(b"tq"); print("tcp reply", t.recv(200), "peer", t.getpeername())
' || true
wait; ip -n $H -s link show vrdns | head -6; ip netns exec $H cat /proc/net/snmp | grep -A1 "^Udp:"; ip netns exec $H nstat -az 2>/dev/null | grep -iE "martian|rpfilter|InAddrErrors|InNoRoutes|InHdrErrors|InCsum|Drop" | head
