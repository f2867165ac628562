#!/usr/bin/env python3
"""Side-by-side benchmark: `grow bench --json` vs bench/pytorch_reference.py, interleaved.

For each thread count, runs both programs alternately ROUNDS times and keeps, per workload, the best
training and inference rate of each (best-of reduces the effect of a noisy neighbour on a shared VM).
Around every run it samples /proc/stat and reports how much CPU time *other* processes (and the
hypervisor, as steal) took, so contaminated rounds can be spotted. Prints a Markdown table, with the
CPU's model name above it, each side's training speed as a share of the measured FMA peak (SGEMM 1024³), and a
second table of peak resident memory per workload (separate quick runs, so each peak belongs to one workload).

Usage: python3 bench/compare.py [--rounds 3] [--threads 1,2] [--grow .build/release/grow] [--python PY]
                                [--only efficientnet-lite0-224,efficientnet-lite0-112,resnet18-224] [--no-memory]
                                [--isa avx2]
(--isa avx2 stands in for a CPU without AVX-512: both sides' kernel libraries and our own kernels are capped at
AVX2 through their environment variables, ISA_CAPS below.)
(--only is passed to both programs; without it each runs its default workloads.)
"""
import argparse, json, os, subprocess, sys

def cpu_times():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    busy = v[0] + v[1] + v[2] + v[5] + v[6]  # user nice system irq softirq
    return busy, v[7] if len(v) > 7 else 0    # (busy jiffies, steal jiffies)

# Environment that caps each side's instruction set: oneDNN (ours and PyTorch's), OpenBLAS, our own kernels,
# PyTorch's ATen kernels and MKL.
ISA_CAPS = {"avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2", "OPENBLAS_CORETYPE": "Haswell", "GROW_MAX_ISA": "avx2",
                     "ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"}}
CHILD_ENV = dict(os.environ)

def run(cmd, quiet=False):
    """(parsed JSON, other load, steal, peak resident MiB of the child); `quiet` drops the child's progress (stderr)."""
    before_busy, before_steal = cpu_times()
    t0 = os.times()
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL if quiet else None, text=True,
                          env=CHILD_ENV) as child:
        out = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise subprocess.CalledProcessError(child.returncode, cmd)
    t1 = os.times()
    after_busy, after_steal = cpu_times()
    hz = os.sysconf("SC_CLK_TCK")
    own = (t1.children_user + t1.children_system - t0.children_user - t0.children_system) * hz
    elapsed = (t1.elapsed - t0.elapsed) * hz * os.cpu_count()
    other = max(0.0, (after_busy - before_busy) - own) / max(elapsed, 1)
    steal = (after_steal - before_steal) / max(elapsed, 1)
    return json.loads(out), other, steal, usage.ru_maxrss / 1024

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
    p.add_argument("--no-memory", dest="memory", action="store_false",
                   help="skip the peak-memory table (one quick training run per workload and side, at the last thread count)")
    p.add_argument("--isa", choices=sorted(ISA_CAPS), help="cap both sides' instruction set (stand-in for an older CPU)")
    a = p.parse_args()
    if a.isa:
        CHILD_ENV.update(ISA_CAPS[a.isa])
    only = ["--only", a.only] if a.only else []
    rows, flops, peaks = [], {}, {}
    for t in [int(x) for x in a.threads.split(",")]:
        best, order = {}, []  # order: workloads as grow reports them
        worst_other = 0.0
        for r in range(a.rounds):
            for name, cmd in [("grow", [a.grow, "bench", "--threads", str(t), "--json"] + only),
                              ("torch", [a.python, "bench/pytorch_reference.py", "--threads", str(t), "--json"] + only)]:
                result, other, steal, _ = run(cmd)
                worst_other = max(worst_other, other + steal)
                rates = ", ".join(f"{w['name']} {w['train_images_per_s']:.1f}/{w['inference_images_per_s']:.1f}" for w in result["workloads"])
                print(f"threads {t} round {r + 1} {name}: other load {100 * other:.1f}%, steal {100 * steal:.1f}%"
                      f" (train/inference img/s: {rates})", file=sys.stderr)
                for w in result["workloads"]:
                    if name == "grow" and w["name"] not in order:
                        order.append(w["name"])
                        flops[w["name"]] = w["train_flops_per_image"]
                    k = (name, w["name"])
                    b = best.setdefault(k, [0.0, 0.0])
                    b[0] = max(b[0], w["train_images_per_s"]); b[1] = max(b[1], w["inference_images_per_s"])
                k = (name, "sgemm")
                best[k] = [max(best.get(k, [0, 0])[0], result["sgemm_gflops"]), 0]
        # The machine's measured FMA peak at t threads: the faster of the two SGEMM 1024³ runs (both reach it).
        peak = peaks[t] = max(best[("grow", "sgemm")][0], best[("torch", "sgemm")][0])
        for w in order:
            if ("torch", w) not in best:
                continue  # a workload the PyTorch side does not build
            g, q = best[("grow", w)], best[("torch", w)]
            share = lambda rate: f"{100 * rate * flops[w] / (peak * 1e9):.0f} %"
            rows.append(f"| {w} | {t} | {g[0]:.1f} | {q[0]:.1f} | {g[0] / q[0]:.2f}× | {g[1]:.1f} | {q[1]:.1f} | {g[1] / q[1]:.2f}× "
                        f"| {share(g[0])} | {share(q[0])} |")
        rows.append(f"| SGEMM 1024³ GFLOP/s | {t} | {best[('grow', 'sgemm')][0]:.1f} | {best[('torch', 'sgemm')][0]:.1f} | | | | | | |")
        print(f"threads {t}: worst other+steal load during a run {100 * worst_other:.1f}%", file=sys.stderr)
    capped = f", instruction sets capped at {a.isa.upper()} on both sides ({' '.join(f'{k}={v}' for k, v in ISA_CAPS[a.isa].items())})" if a.isa else ""
    print(f"CPU: {cpu_model()}, {os.cpu_count()} logical CPUs{capped}\n")
    print("| workload | threads | GrowingBrain train img/s | PyTorch train img/s | ratio | GrowingBrain inference img/s | PyTorch inference img/s | ratio "
          "| GrowingBrain train, share of FMA peak | PyTorch train, share of FMA peak |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    print("\nFMA peak: the SGEMM 1024³ rate (the faster side's) at that thread count; training FLOPs per image counted by "
          "`grow bench` at the convolution seam and in fully connected layers (2 per multiply-add, forward and backward).")
    if a.memory:
        print_memory(a, order, only)

def print_memory(a, workloads, only):
    """Peak resident memory of a process that builds and trains one workload (one per run, so each peak is that workload's)."""
    print("\n| workload | GrowingBrain peak RSS MiB | PyTorch peak RSS MiB | ratio |\n|---|---:|---:|---:|")
    threads = a.threads.split(",")[-1]
    for w in workloads:
        peak = {}
        for name, cmd in [("grow", [a.grow, "bench", "--threads", threads, "--json", "--quick", "--only", w]),
                          ("torch", [a.python, "bench/pytorch_reference.py", "--threads", threads, "--json", "--quick", "--only", w])]:
            peak[name] = run(cmd, quiet=True)[3]
        print(f"| {w} | {peak['grow']:.0f} | {peak['torch']:.0f} | {peak['grow'] / peak['torch']:.2f}× |")

if __name__ == "__main__":
    main()
