#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Turns bench/results/results.json into results.md and PNG plots (gnuplot)."""
import json
import os
import subprocess
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "bench/results"
r = json.load(open(os.path.join(out, "results.json")))
md = []


def table(header, rows):
    md.append("| " + " | ".join(header) + " |")
    md.append("|" + "---|" * len(header))
    for row in rows:
        md.append("| " + " | ".join(str(c) for c in row) + " |")
    md.append("")


def fmt(x, digits=1):
    return f"{x:,.{digits}f}" if isinstance(x, float) else f"{x:,}"


def plot(name, title, xlabel, ylabel, series, logy=False):
    """series: {label: [(x, y, ymin, ymax), ...]} -> NAME.png with error bars"""
    data = os.path.join(out, name + ".dat")
    with open(data, "w") as f:
        for label, points in series.items():
            f.write(f'"{label}"\n')
            for p in sorted(points):
                f.write(" ".join(str(v) for v in p) + "\n")
            f.write("\n\n")
    plots = ", ".join(
        f"'{data}' index {i} using 1:2:3:4 with yerrorlines title columnheader(1)"
        for i in range(len(series)))
    script = f"""
set terminal pngcairo size 900,540 font ',11'
set output '{os.path.join(out, name + ".png")}'
set title '{title}'
set xlabel '{xlabel}'
set ylabel '{ylabel}'
set logscale x
{"set logscale y" if logy else "set yrange [0:*]"}
set key outside right
set grid
plot {plots}
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    md.append(f"![{title}]({name}.png)")
    md.append("")


m = r.get("machine", {})
md.append("# vrnet-bpf benchmark results")
md.append("")
md.append(f"Machine: {m.get('cpu', '?')}, {m.get('nproc', '?')} CPUs, kernel {m.get('kernel', '?')}, "
          f"{m.get('date', '?')}, mode `{m.get('mode', '?')}`. Figures are medians with min–max; "
          "the machine is shared and noisy, so compare ratios within one run.")
md.append("")

if "verdict" in r:
    v = r["verdict"]
    md.append("## Verdict cost (BPF_PROG_TEST_RUN, ns per packet)")
    md.append("")
    md.append(f"Cold runs time each frame alone and include the kernel's timer overhead "
              f"(about {fmt(float(r.get('timer_overhead_ns', 0)))} ns).")
    md.append("")
    rows = [(e["prefixes"], f"IPv{e['family']}", e["verdict"], e["mode"],
             fmt(float(e["ns_median"])), f"{fmt(float(e['ns_min']))}–{fmt(float(e['ns_max']))}")
            for e in v]
    table(["prefixes", "family", "verdict", "mode", "ns (median)", "min–max"], rows)
    series = {}
    for e in v:
        if e["prefixes"] == 0:
            continue
        label = f"IPv{e['family']} {e['verdict']} {e['mode']}"
        series.setdefault(label, []).append(
            (e["prefixes"], e["ns_median"], e["ns_min"], e["ns_max"]))
    plot("verdict", "Verdict cost vs policy size", "prefixes in the policy", "ns per packet",
         series)

if "conntrack" in r:
    md.append("## Connection tracking (BPF_PROG_TEST_RUN, ns per packet, hot)")
    md.append("")
    md.append("A reply is looked up only where the default would drop a packet: compare it with "
              "a packet a rule allows, the default's drop (a lookup that misses) with a block "
              "rule's, and the tc egress program with an empty one on the same frame.")
    md.append("")
    rows = [(e["case"], e["program"], fmt(float(e["ns_median"])),
             f"{fmt(float(e['ns_min']))}–{fmt(float(e['ns_max']))}") for e in r["conntrack"]]
    table(["case", "program", "ns (median)", "min–max"], rows)

if "wire" in r:
    w = r["wire"]
    md.append("## Wire throughput (64-byte UDP, sandbox veth to host)")
    md.append("")
    md.append("A flood row's rate is what the sender pushed through while the filter dropped "
              "it all. In place: the program's own time per packet on that traffic "
              "(run_time_ns / run_cnt, the kernel's statistics on for the run only); the "
              "empty program's is the floor, what any tc program costs there.")
    md.append("")

    def ratio(e, key):
        return f"{float(e[key]):.3f}" if key in e else ""

    def in_place(e):
        if "ns_in_place_median" not in e:
            return ""
        return (f"{fmt(float(e['ns_in_place_median']))} "
                f"({fmt(float(e['ns_in_place_min']))}–{fmt(float(e['ns_in_place_max']))})")

    rows = [(e["firewall"], fmt(e["rules"]), e.get("destinations", ""),
             fmt(float(e["pps_median"]), 0),
             f"{fmt(float(e['pps_min']), 0)}–{fmt(float(e['pps_max']), 0)}",
             ratio(e, "ratio_to_none"), ratio(e, "ratio_to_empty_tc"), in_place(e))
            for e in w]
    table(["firewall", "rules", "destinations", "pps (median)", "min–max",
           "ratio to no filter", "ratio to empty tc", "ns a packet in place (min–max)"], rows)
    xs = [e["rules"] for e in w if e["rules"] > 0] or [1]
    lo, hi = min(xs), max(xs)

    def level(fw, key, lo_key, hi_key):
        """a 0-rule configuration as a line across the plot (its widest destination list)"""
        es = [e for e in w if e["firewall"] == fw and key in e]
        if not es:
            return []
        e = max(es, key=lambda e: e["destinations"])
        return [(x, e[key], e[lo_key], e[hi_key]) for x in (lo, hi)]

    series = {}
    for e in w:
        if e["rules"] == 0 or e["firewall"].endswith("-flood"):
            continue
        series.setdefault(e["firewall"], []).append(
            (e["rules"], e["pps_median"], e["pps_min"], e["pps_max"]))
    for fw, label in (("none", "no filter"), ("empty-tc", "empty tc program")):
        pts = level(fw, "pps_median", "pps_min", "pps_max")
        if pts:
            series[label] = pts
    plot("wire", "Packets per second vs rules", "rules", "packets per second", series)
    series = {}
    for e in w:
        if e["rules"] == 0 or "ns_in_place_median" not in e:
            continue
        label = {"vrnet-bpf": "vrnet-bpf, allowed", "vrnet-bpf-flood": "vrnet-bpf, dropped flood",
                 "vrnet-bpf-xdp": "XDP mode, allowed (both programs)",
                 "vrnet-bpf-xdp-flood": "XDP mode, dropped flood",
                 "vrnet-bpf-replies": "vrnet-bpf, replies"}.get(e["firewall"], e["firewall"])
        series.setdefault(label, []).append(
            (e["rules"], e["ns_in_place_median"], e["ns_in_place_min"], e["ns_in_place_max"]))
    pts = level("empty-tc", "ns_in_place_median", "ns_in_place_min", "ns_in_place_max")
    if series and pts:
        series["empty tc program"] = pts
    if series:
        plot("in_place", "Program time per packet in place", "rules", "ns per packet", series)

if "policy" in r:
    p = r["policy"]
    md.append("## Policy change cost (ms, whole command)")
    md.append("")
    rows = [(e["tool"], e["what"], fmt(e["rules"]), fmt(float(e["ms_median"])),
             f"{fmt(float(e['ms_min']))}–{fmt(float(e['ms_max']))}",
             fmt(float(e["visible_ms_median"])) if "visible_ms_median" in e else "")
            for e in p]
    table(["tool", "what", "rules", "ms (median)", "min–max", "visible to packets after (ms)"],
          rows)
    series = {}
    for e in p:
        if e["what"] == "install":
            series.setdefault(e["tool"], []).append(
                (e["rules"], e["ms_median"], e["ms_min"], e["ms_max"]))
    plot("policy", "Time to install N rules", "rules", "ms", series, logy=True)

if "scale" in r:
    s = r["scale"]
    md.append("## Scale (tap devices)")
    md.append("")
    table(["devices", "rules each", "attach total", "per device", "detach total",
           "per device", "kernel memory, one device", "per further device"],
          [(s["devices"], s["rules_per_device"], f"{s['attach_total_ms']} ms",
            f"{s['attach_ms_per_device']} ms", f"{s['detach_total_ms']} ms",
            f"{s['detach_ms_per_device']} ms",
            f"{s['memlock_bytes_one_device'] / 1048576:.1f} MiB",
            f"{s['memlock_bytes_per_device'] / 1024:.1f} KiB")])
    if "sync" in s:
        y = s["sync"]
        md.append("")
        md.append(f"`sync` over the same {s['devices']} taps, one file each (whole command, median "
                  "of 5; the pass alone, its `duration_ms`, in brackets; `/bin/true`, the "
                  "floor of starting any command, in the same run):")
        md.append("")
        table(["attach all", "no change", "one file changed", "detach all", "/bin/true"],
              [(f"{y['attach_all_ms']} ms", f"{y['no_change_ms']} ms ({y['no_change_pass_ms']})",
                f"{y['one_changed_ms']} ms ({y['one_changed_pass_ms']})",
                f"{y['detach_all_ms']} ms", f"{y['true_ms']} ms")])

if "dns" in r:
    d = r["dns"]
    q, lat, c = d["qps"], d["latency"], d["connect"]

    def us(x, digits=0):
        return "–" if x is None else f"{x:,.{digits}f} µs"

    md.append("## DNS proxy (dnsperf from the sandbox, directly and through the proxy)")
    md.append("")
    md.append(f"Queries/s at full load ({d['duration_s']} s a run, {d['rounds']} round(s), "
              f"{d['names']:,} names); latency of every answered query at "
              f"{lat['rate_qps']:,} queries/s; CPU per query over the full-load runs (the "
              "proxy's includes the sends that push packets through veth and the stack).")
    md.append("")
    table(["path", "queries/s (median)", "min–max", "lost", "latency median", "p99",
           "CPU per query: proxy", "upstream", "whole machine"],
          [(k, fmt(q[k]["median"]), f"{fmt(q[k]['min'])}–{fmt(q[k]['max'])}",
            f"{q[k]['lost']}" + (f" ({q[k]['dropped_by_proxy']} by the proxy's bound)"
                                 if "dropped_by_proxy" in q[k] else ""),
            us(lat[k]["median_us"]) if k in lat else "", us(lat[k]["p99_us"]) if k in lat else "",
            us(q[k]["cpu_us_per_query"]["proxy"]) if k != "direct" else "",
            us(q[k]["cpu_us_per_query"]["upstream"]), us(q[k]["cpu_us_per_query"]["machine"]))
           for k in ("direct", "proxy", "proxy_logged") if k in q])
    md.append("proxy: as its systemd unit runs it (a `-j` line per refused or failed query); "
              "proxy_logged: with `--log-answers` (a line per query), as in the latency runs "
              "and the connect test.")
    md.append(f"Added by the proxy: {us(lat['added_median_us'])} at the median, "
              f"{us(lat['added_p99_us'])} at p99; full load through the proxy is "
              f"{q['proxy']['median'] / q['direct']['median']:.2f}× the direct rate.")
    if "floor" in q:
        md.append("")
        md.append(f"The floor, a responder in the proxy's place that sends each query back "
                  f"as its answer (the steering, the sockets and the return program, none of "
                  f"the proxy's work): {fmt(q['floor']['median'])} queries/s "
                  f"({q['floor']['median'] / q['direct']['median']:.2f}× the direct rate).")
    md.append("")
    md.append("From the upstream's answer to its release (`open_ns`, the answer's addresses "
              "written to the map between):")
    md.append("")
    names = {"max": "full load", "rate": f"{lat['rate_qps']:,} queries/s",
             "connect": "one lookup at a time (connect test)"}
    table(["phase", "answers", "median", "p99", "max"],
          [(names[k], fmt(v["answered"]), us(v["median"] / 1000, 1), us(v["p99"] / 1000, 1),
            us(v["max"] / 1000, 1)) for k, v in d["open_ns"].items() if v["answered"]])
    md.append(f"Connect test: {c['lookups']:,} lookups of distinct names through the proxy, "
              f"each answer a new address, connected to at once ({c['seconds']} s):")
    md.append("")
    table(["lookups failed", "wrong answers", "connects failed", "filter drops",
           "SYN retransmits", "lookup median / p99", "connect median / p99"],
          [(c["lookup_failures"], c["wrong_answers"], c["connect_failures"],
            c["filter_drops"], c["syn_retransmits"],
            f"{us(c['lookup_median_us'])} / {us(c['lookup_p99_us'])}",
            f"{us(c['connect_median_us'])} / {us(c['connect_p99_us'])}")])

open(os.path.join(out, "results.md"), "w").write("\n".join(md))
