#!/usr/bin/env python3
"""Side-by-side benchmark: `grow bench --json` vs bench/pytorch_reference.py, interleaved.

For each thread count, runs both programs alternately ROUNDS times and keeps, per workload, the best
training and inference rate of each (best-of reduces the effect of a noisy neighbour on a shared VM).
Around every run it samples /proc/stat and reports how much CPU time *other* processes (and the
hypervisor, as steal) took, so contaminated rounds can be spotted. Prints a Markdown table, with the
CPU's model name above it.

Usage: python3 bench/compare.py [--rounds 3] [--threads 1,2] [--grow .build/release/grow] [--python PY]
                                [--only efficientnet-lite0-224,efficientnet-lite0-112,resnet18-224]
(--only is passed to both programs; without it each runs its default workloads.)
"""
import argparse, json, os, subprocess, sys

def cpu_times():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    busy = v[0] + v[1] + v[2] + v[5] + v[6]  # user nice system irq softirq
    return busy, v[7] if len(v) > 7 else 0    # (busy jiffies, steal jiffies)

def run(cmd):
    before_busy, before_steal = cpu_times()
    t0 = os.times()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    t1 = os.times()
    after_busy, after_steal = cpu_times()
    hz = os.sysconf("SC_CLK_TCK")
    own = (t1.children_user + t1.children_system - t0.children_user - t0.children_system) * hz
    elapsed = (t1.elapsed - t0.elapsed) * hz * os.cpu_count()
    other = max(0.0, (after_busy - before_busy) - own) / max(elapsed, 1)
    steal = (after_steal - before_steal) / max(elapsed, 1)
    return json.loads(out), other, steal

def cpu_model():
    """The `model name` of /proc/cpuinfo (what lscpu shows as Model name)."""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--grow", default=".build/release/grow")
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--only", help="comma-separated workloads, passed to both programs")
    a = p.parse_args()
    only = ["--only", a.only] if a.only else []
    rows = []
    for t in [int(x) for x in a.threads.split(",")]:
        best, order = {}, []  # order: workloads as grow reports them
        worst_other = 0.0
        for r in range(a.rounds):
            for name, cmd in [("grow", [a.grow, "bench", "--threads", str(t), "--json"] + only),
                              ("torch", [a.python, "bench/pytorch_reference.py", "--threads", str(t), "--json"] + only)]:
                result, other, steal = run(cmd)
                worst_other = max(worst_other, other + steal)
                rates = ", ".join(f"{w['name']} {w['train_images_per_s']:.1f}/{w['inference_images_per_s']:.1f}" for w in result["workloads"])
                print(f"threads {t} round {r + 1} {name}: other load {100 * other:.1f}%, steal {100 * steal:.1f}%"
                      f" (train/inference img/s: {rates})", file=sys.stderr)
                for w in result["workloads"]:
                    if name == "grow" and w["name"] not in order:
                        order.append(w["name"])
                    k = (name, w["name"])
                    b = best.setdefault(k, [0.0, 0.0])
                    b[0] = max(b[0], w["train_images_per_s"]); b[1] = max(b[1], w["inference_images_per_s"])
                k = (name, "sgemm")
                best[k] = [max(best.get(k, [0, 0])[0], result["sgemm_gflops"]), 0]
        for w in order:
            if ("torch", w) not in best:
                continue  # a workload the PyTorch side does not build
            g, q = best[("grow", w)], best[("torch", w)]
            rows.append(f"| {w} | {t} | {g[0]:.1f} | {q[0]:.1f} | {g[0] / q[0]:.2f}× | {g[1]:.1f} | {q[1]:.1f} | {g[1] / q[1]:.2f}× |")
        rows.append(f"| SGEMM 1024³ GFLOP/s | {t} | {best[('grow', 'sgemm')][0]:.1f} | {best[('torch', 'sgemm')][0]:.1f} | | | | |")
        print(f"threads {t}: worst other+steal load during a run {100 * worst_other:.1f}%", file=sys.stderr)
    print(f"CPU: {cpu_model()}, {os.cpu_count()} logical CPUs\n")
    print("| workload | threads | GrowingBrain train img/s | PyTorch train img/s | ratio | GrowingBrain inference img/s | PyTorch inference img/s | ratio |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))

if __name__ == "__main__":
    main()
