#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# sync: a directory of files, one per device, brought onto the devices. The
# plan (-j) is checked step by step, the sandbox's traffic shows each change
# (every blocked probe reached unfiltered first), and sync never touches a
# device without a file, nor detaches one it did not attach.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2119 # vr_init takes tool names, not our arguments
vr_init

vr_veth_sandbox
A=$VR_DEV # the sandbox's device: its traffic shows what sync did
B=vrsb$VR_ID C=vrsc$VR_ID D=vrsd$VR_ID E=vrse$VR_ID X=vrsx$VR_ID
for d in $B $D $E $X; do vr_add_link "$d" type veth peer name "${d}p"; done
vr_start_servers "tcp:$VR_WEB4:8080" "tcp:$VR_WEB4:9090" "tcp:$VR_WEB6:8080" "tcp:$VR_WEB6:9090"
DIR=$VR_TMP/devices
mkdir -p "$DIR"

# put NAME JSON: written as config management does, by a rename
put() {
	printf '%s\n' "$2" >"$DIR/.$1.tmp" && mv "$DIR/.$1.tmp" "$DIR/$1.json"
}
# step DEV: the action of DEV in the last plan ($VR_TMP/plan.json)
step() {
	jq -r --arg d "$1" '.devices[] | select(.device == $d) | .action + " " + .result' \
		"$VR_TMP/plan.json"
}
# sync_j WANT-RC ARGS...: sync -j, its plan kept in $VR_TMP/plan.json
sync_j() {
	local want=$1 rc
	shift
	vr -j sync "$@" >"$VR_TMP/plan.json" 2>"$VR_TMP/err"
	rc=$?
	[ "$rc" -eq "$want" ] || not_ok "sync $*: exit $rc, want $want ($(head -c 300 "$VR_TMP/err"))"
}
policy_id() { vr -j show "$1" | jq -r '.policy_id'; }

expect_reach "unfiltered" tcp "$VR_WEB4" 8080
expect_reach "unfiltered" tcp "$VR_WEB4" 9090
expect_reach "unfiltered" tcp "$VR_WEB6" 9090

put "$A" '{"default": "deny", "allow": ["203.0.113.10:8080/tcp", "[2001:db8::10]:8080/tcp"]}'
put "$B" '{"device": {"mode": "tc"}, "default": "allow"}'
put "$C" '{"default": "deny"}'
put "$X" '{"default": deny}'
put "vr-name-much-too-long$VR_ID" '{}'

# -- the plan, changing nothing --
sync_j 2 --dry-run "$DIR"
expect_eq "dry run: $A" "$(step "$A")" "attach planned"
expect_eq "dry run: $B" "$(step "$B")" "attach planned"
expect_eq "dry run: $C, no such device" "$(step "$C")" "wait none"
expect_eq "dry run: $X, its file unusable" "$(step "$X")" "deny planned"
expect_eq "dry run: a name no device can have" \
	"$(jq -r '[.devices[] | select(.device == null) | .action] | join(",")' "$VR_TMP/plan.json")" invalid
expect_eq "dry run: $D and $E, no file, not in the plan" \
	"$(jq -r --arg d "$D" --arg e "$E" '[.devices[] | select(.device == $d or .device == $e)] | length' "$VR_TMP/plan.json")" 0
expect_eq "dry run: the error names the file and the place" \
	"$(jq -r --arg d "$X" '.devices[] | select(.device == $d) | .error' "$VR_TMP/plan.json" | grep -c "$X.json:1:")" 1
expect_rc "dry run changed nothing: $A not attached" 2 vr show "$A"
rm "$DIR/vr-name-much-too-long$VR_ID.json"
expect_reach "after the dry run" tcp "$VR_WEB4" 9090

# -- from empty --
sync_j 2 "$DIR"
expect_eq "sync: $A" "$(step "$A")" "attach done"
expect_eq "sync: $B" "$(step "$B")" "attach done"
expect_eq "sync: $X attached deny-all" "$(step "$X")" "deny done"
expect_eq "sync: $X's policy" "$(vr -j show "$X" | jq -r '.default + " " + (.rule_count | tostring)')" "deny 0"
expect_reach "synced: allowed" tcp "$VR_WEB4" 8080
expect_blocked "synced: blocked" tcp "$VR_WEB4" 9090
expect_reach "synced: allowed" tcp "$VR_WEB6" 8080
expect_blocked "synced: blocked" tcp "$VR_WEB6" 9090
expect_eq "sync: $B default" "$(vr -j show "$B" | jq -r '.default')" allow

# -- nothing changed: nothing touched --
idA=$(policy_id "$A") idB=$(policy_id "$B")
put "$X" '{"default": "deny", "allow": ["192.0.2.1"]}'
sync_j 0 "$DIR"
expect_eq "again: $A untouched" "$(step "$A")" "unchanged none"
expect_eq "again: $B untouched" "$(step "$B")" "unchanged none"
expect_eq "again: $X, its file fixed" "$(step "$X")" "apply done"
expect_eq "again: $A's policy id" "$(policy_id "$A")" "$idA"
expect_eq "again: $B's policy id" "$(policy_id "$B")" "$idB"
vr sync "$DIR" >"$VR_TMP/text"
expect_eq "text: a line for what waits, none for what is untouched" \
	"$(grep -v '^sync: ' "$VR_TMP/text")" "wait      $C: no such device"

# -- a changed file: that device alone --
put "$A" '{"default": "deny", "allow": ["203.0.113.10:9090/tcp"]}'
sync_j 0 "$DIR"
expect_eq "changed: $A" "$(step "$A")" "apply done"
expect_eq "changed: $B untouched" "$(policy_id "$B")" "$idB"
expect_reach "changed: now allowed" tcp "$VR_WEB4" 9090
expect_blocked "changed: now blocked" tcp "$VR_WEB4" 8080
expect_blocked "changed: now blocked" tcp "$VR_WEB6" 8080

# -- another command's change, and a filter taken off: the file again --
expect "allow by hand" vr allow "$B" 192.0.2.9
expect "detach $A by hand" vr detach "$A"
expect_reach "detached by hand" tcp "$VR_WEB4" 8080
sync_j 0 "$DIR"
expect_eq "drift: $B" "$(jq -r --arg d "$B" '.devices[] | select(.device == $d) | .action + ": " + .reason' "$VR_TMP/plan.json")" \
	"apply: policy changed by another command"
expect_eq "drift: $A" "$(jq -r --arg d "$A" '.devices[] | select(.device == $d) | .action + ": " + .reason' "$VR_TMP/plan.json")" \
	"attach: filter missing"
expect_eq "drift: $B's hand edit gone" "$(vr -j show "$B" | jq -r '.rule_count')" 0
expect_blocked "re-attached: blocked" tcp "$VR_WEB4" 8080
expect_reach "re-attached: allowed" tcp "$VR_WEB4" 9090

# -- a device that appears later --
vr_add_link "$C" type veth peer name "${C}p"
sync_j 0 "$DIR"
expect_eq "appeared: $C" "$(step "$C")" "attach done"

# -- devices attached by hand: one given a file, one never --
expect "attach $D by hand" vr attach "$D"
expect "attach $E by hand" vr attach "$E"
put "$D" '{"default": "allow"}'
sync_j 0 "$DIR"
expect_eq "adopted: $D" "$(jq -r --arg d "$D" '.devices[] | select(.device == $d) | .action + ": " + .reason' "$VR_TMP/plan.json")" \
	"apply: attached before sync managed it"

# -- files removed: what sync attached is detached, the rest stays --
rm "$DIR/$A.json" "$DIR/$D.json"
sync_j 0 "$DIR"
expect_eq "removed: $A" "$(step "$A")" "detach done"
expect_eq "removed: $D" "$(step "$D")" "release done"
expect_rc "removed: $A detached" 2 vr show "$A"
expect "removed: $D still attached" vr show "$D"
expect "never in a file: $E still attached" vr show "$E"
expect_eq "never in a file: $E's policy" "$(vr -j show "$E" | jq -r '.default')" deny
expect_reach "removed: unfiltered again" tcp "$VR_WEB4" 8080

# -- a file the device refuses: nothing half applied, never unfiltered --
# ($D: attached, released above; $E: attached by hand, no file)
H=vrsh$VR_ID
vr_add_link "$H" type veth peer name "${H}p"
# an address of the host's on each: binding it would let the sandbox speak as the host
ip addr add 198.51.100.201/32 dev "$H"
ip addr add 198.51.100.202/32 dev "$D"
idD=$(policy_id "$D")
put "$H" '{"device": {"addresses": ["198.51.100.201"]}, "default": "allow"}'
put "$D" '{"device": {"addresses": ["198.51.100.202"]}, "default": "deny", "allow": ["192.0.2.5"]}'
sync_j 2 "$DIR"
expect_eq "refused binding: $D, its apply failed" "$(step "$D")" "apply failed"
expect_eq "refused binding: $D kept its policy whole" "$(policy_id "$D")" "$idD"
expect_eq "refused binding: $H, its attach failed" "$(step "$H")" "attach failed"
expect_eq "refused binding: $H attached deny-all instead" \
	"$(jq -r --arg d "$H" '.devices[] | select(.device == $d) | .denied' "$VR_TMP/plan.json"),$(vr -j show "$H" | jq -r '.default')" \
	"true,deny"
rm "$DIR/$D.json" "$DIR/$H.json"
sync_j 0 "$DIR"
expect_eq "refused binding: $H, deny-all, detached with its file" "$(step "$H")" "detach done"

# -- names cut at 15 characters: the devices' and the files' that are no device's --
N=$(printf 'vrsn%sxxxxxxxxxxxxxxx' "$VR_ID" | cut -c1-15)
vr_add_link "$N" type veth peer name "vrsnp$VR_ID"
put "$N" '{"default": "deny", "allow": ["192.0.2.1"]}'
put "$N-old" '{}'
put "$N-new" '{}'
sync_j 2 "$DIR"
expect_eq "cut names: $N" "$(step "$N")" "attach done"
put "$N" '{"default": "deny"}'
sync_j 2 "$DIR"
expect_eq "cut names: $N's change" "$(step "$N")" "apply done"
expect_eq "cut names: $N's rules" "$(vr -j show "$N" | jq -r '.rule_count')" 0
expect_eq "cut names: the two files no device has" \
	"$(jq -r '[.devices[] | select(.device == null) | .action] | join(",")' "$VR_TMP/plan.json")" "invalid,invalid"
rm "$DIR/$N-old.json" "$DIR/$N-new.json"

# -- PATH through a symlink swapped to a new folder: the same directory --
M=vrsm$VR_ID
vr_add_link "$M" type veth peer name "${M}p"
mkdir -p "$VR_TMP/v1" "$VR_TMP/v2"
printf '{"default": "deny"}\n' >"$VR_TMP/v1/$M.json"
printf '{"default": "allow"}\n' >"$VR_TMP/v2/$M.json"
ln -s v1 "$VR_TMP/current"
sync_j 0 "$VR_TMP/current"
expect_eq "through a symlink: $M" "$(step "$M")" "attach done"
ln -s v2 "$VR_TMP/current.new" && mv -T "$VR_TMP/current.new" "$VR_TMP/current"
rm -rf "$VR_TMP/v1"
sync_j 0 "$VR_TMP/current"
expect_eq "symlink swapped: $M's file applied" "$(step "$M")" "apply done"
expect_eq "symlink swapped: $M's policy" "$(vr -j show "$M" | jq -r '.default')" allow
expect_eq "symlink swapped: $DIR's devices not in its plan" \
	"$(jq -r '[.devices[].device] | join(",")' "$VR_TMP/plan.json")" "$M"
# a record whose directory is gone is taken over by the sync whose file names the device
mv "$VR_TMP/v2" "$VR_TMP/v3"
rm "$VR_TMP/current"
sync_j 0 "$VR_TMP/v3"
expect_eq "its directory gone: $M taken over" "$(step "$M")" "unchanged none"

# -- one file as PATH: that device alone, the others' files are not missing --
put "$B" '{"default": "deny"}'
sync_j 0 "$DIR/$B.json"
expect_eq "one file: $B alone in the plan" "$(jq -r '[.devices[].device] | join(",")' "$VR_TMP/plan.json")" "$B"
expect_eq "one file: $B applied" "$(step "$B")" "apply done"
expect "one file: $C still attached" vr show "$C"
policy_id "$C" >"$VR_TMP/idC"
expect_rc "a PATH that is not there" 2 vr sync "$VR_TMP/none"
expect_rc "--dry-run with --watch" 2 vr sync --dry-run --watch "$DIR"
expect_rc "a file not named DEVICE.json" 2 vr sync "$VR_TMP/plan.json"

# -- --watch on a ConfigMap's mount: files are symlinks into a folder that a
# renamed symlink (..data) replaces whole --
CM=$VR_TMP/configmap F=vrsf$VR_ID G=vrsg$VR_ID
mkdir -p "$CM/..v1"
printf '{"default": "deny"}\n' >"$CM/..v1/$F.json"
ln -s ..v1 "$CM/..data"
ln -s "..data/$F.json" "$CM/$F.json"
vr_add_link "$G" type veth peer name "${G}p"
"$VRNET_BIN" --pin-dir "$VR_PIN" -j sync --watch "$CM" >"$VR_TMP/watch.log" 2>&1 &
watcher=$!
vr_pids+=("$watcher")
sleep 0.5
vr_add_link "$F" type veth peer name "${F}p"
vr_wait_for 5 sh -c "$VRNET_BIN --pin-dir $VR_PIN show $F >/dev/null 2>&1"
expect "watch: a device that appears is attached" vr show "$F"
# the kubelet's update: a new folder, ..data renamed over, a file added
mkdir -p "$CM/..v2"
printf '{"default": "allow"}\n' >"$CM/..v2/$F.json"
printf '{"default": "deny"}\n' >"$CM/..v2/$G.json"
ln -s ..v2 "$CM/..data_tmp" && mv -T "$CM/..data_tmp" "$CM/..data"
printf '{"default": "allow"}\n' >"$CM/..v2/$B.json"
ln -s "..data/$G.json" "$CM/$G.json"
ln -s "..data/$B.json" "$CM/$B.json"
idB=$(policy_id "$B")
vr_wait_for 5 sh -c "$VRNET_BIN --pin-dir $VR_PIN -j show $F | jq -e '.default == \"allow\"' >/dev/null"
expect_eq "watch: ..data renamed, the changed file applied" "$(vr -j show "$F" | jq -r '.default')" allow
vr_wait_for 5 sh -c "$VRNET_BIN --pin-dir $VR_PIN show $G >/dev/null 2>&1"
expect "watch: a file added, its device attached" vr show "$G"
expect_eq "watch: nothing outside the folder touched: $C" "$(policy_id "$C")" "$(cat "$VR_TMP/idC")"
expect_eq "watch: $B, another directory's, untouched" "$(policy_id "$B")" "$idB"
expect_eq "watch: $B's file refused" \
	"$(jq -r --arg d "$B" 'select(.devices) | .devices[] | select(.device == $d) | .action + ": " + .error' \
		"$VR_TMP/watch.log" | tail -1)" "invalid: $B: the sync of $(realpath "$DIR") manages it"
expect_eq "watch: each pass printed as it ends" "$(jq -s 'length > 1' "$VR_TMP/watch.log")" true
kill -TERM "$watcher"
wait "$watcher"
expect_eq "watch: SIGTERM ends it, exit" "$?" 0
expect_eq "watch: one JSON document a pass" "$(jq -s 'map(has("devices")) | all' "$VR_TMP/watch.log")" true
