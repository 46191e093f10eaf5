#!/usr/bin/env python3
"""elite against other CPU runtimes, on the same weights: efficientnet-lite0..lite4, FP32 and
INT8, 1 and 2 threads, batch 1 latency (and batch 8 throughput as a second table).

  .venv/bin/python bench/compare.py [--build-dir build] [--quick] [--out DIR]

Runtimes (each timed in its own process, its thread count fixed there):
  elite        `elite bench --json` on the float .tflite, and on elite's own INT8 .tflite
               (`elite quantize`, min-max, --calib-images of the sample images)
  litert       ai-edge-litert with its default XNNPACK delegate, num_threads, on the very same
               .tflite files (FP32 and elite's INT8)
  onnxruntime  the ONNX export of the float .tflite (`elite export`; n/a while the CLI lacks
               it); INT8 from ONNX Runtime's own quantize_static (QDQ, per-channel)
  openvino     the float .tflite read directly; INT8 from nncf.quantize
  pytorch      Debian's torch 1.13 (/usr/bin/python3): tests/python/torch_reference.py built
               from the .pth the .tflite was converted from, traced + frozen TorchScript; INT8
               from FX graph-mode PTQ (onednn backend)
lite0..lite2 use models/efficientnet-liteN.tflite and .cache/pth/efficientnet-liteN.pth.
lite3 and lite4 have no weights here: a random state dict (bench/compare_peers/
make_random_pth.py) is converted with `elite convert`, so they too share weights everywhere.
Every peer INT8 calibration uses the same --calib-images sample images.
--precisions fp16 (not in the default set) adds half-precision rows on the float file:
`elite bench --precision fp16` against OpenVINO with INFERENCE_PRECISION_HINT f16 (the other
peers have no FP16 CPU path through their Python API).

Protocol: for each row (model, precision, threads, batch), `--rounds` rounds; in each round
every runtime, in an order rotated per round, starts a fresh process, does one first run plus
`--warmup` untimed runs and `--runs` timed runs. A runtime's figure is the median over rounds
of its per-round median (elite bench reports only its median). Ratio = elite / best peer
(below 1: elite is faster).

Accuracy (lite0..lite2; lite3/4 have random weights): top-1 on the sample images of the FP32
weights (`elite eval`; every runtime runs the same weights), of elite's INT8 file
(`elite eval`), and of each peer's own INT8 model (each worker with --eval-dir on the images
preprocessed by tests/tools/elite_preprocess, i.e. exactly elite's official preprocessing).

Outputs in --out: compare.md (both tables, the accuracy table, settings, machine),
compare.json (everything, raw times included), compare.png (latency against top-1, FP32 and
INT8, lite0..lite2, one panel per thread count).
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS_DIR = os.path.join(ROOT, "bench", "compare_peers")
PEERS = ["litert", "onnxruntime", "openvino", "pytorch"]
SIZES = {"lite0": 224, "lite1": 240, "lite2": 260, "lite3": 280, "lite4": 300}
PRETRAINED = ("lite0", "lite1", "lite2")
PEER_SCRIPTS = {"litert": "litert_peer.py", "onnxruntime": "ort_peer.py",
                "openvino": "openvino_peer.py", "pytorch": "torch_peer.py"}


def log(msg):
    print(f"[compare {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run_cmd(cmd, timeout=1800, env=None):
    """Runs cmd; returns (returncode, stdout, stderr)."""
    try:
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                           env=env)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return 124, "", f"timed out after {timeout} s"
    except OSError as e:
        return 127, "", str(e)


def last_json_line(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                pass
    return None


def short_error(stdout, stderr):
    j = last_json_line(stdout)
    if j and "error" in j:
        return j["error"]
    lines = [s for s in (stderr or stdout).strip().splitlines() if s.strip()]
    return lines[-1][:300] if lines else "failed without a message"


class Elite:
    """The elite CLI and which subcommands / options this build has."""

    def __init__(self, path):
        self.path = path
        rc, out, err = run_cmd([path, "--help"])
        if rc != 0:
            raise SystemExit(f"{path}: cannot run ({short_error(out, err)}); build it first")
        self.commands = set()
        in_sub = False
        for line in out.splitlines():
            if line.startswith("Subcommands"):
                in_sub = True
            elif in_sub and line.strip():
                self.commands.add(line.split()[0])
        rc, out, _ = run_cmd([path, "bench", "--help"])
        self.bench_batch = "--batch" in out

    def has(self, cmd):
        return cmd in self.commands


# ---------------------------------------------------------------- preparation of the models


class Prep:
    """Model files per (model, precision, runtime), or the reason there is none."""

    def __init__(self, args, elite):
        self.a, self.elite = args, elite
        self.work = args.work
        os.makedirs(self.work, exist_ok=True)
        self.files = {}  # (model, precision, runtime) -> path
        self.na = {}  # (model, precision, runtime) -> reason
        self.notes = []
        self.top1 = {}  # (model, precision) -> top-1 (elite eval)
        self.peer_top1 = {}  # (model, precision, runtime) -> top-1 of the peer's own file

    def w(self, name):
        return os.path.join(self.work, name)

    def fresh(self, path, *inputs):
        return os.path.exists(path) and all(
            os.path.getmtime(path) >= os.path.getmtime(i) for i in inputs if os.path.exists(i))

    def step(self, what, out, cmd, *inputs, timeout=3600):
        """Runs cmd unless out is fresh; returns None or the failure reason."""
        if self.fresh(out, *inputs):
            return None
        log(f"{what}: {' '.join(cmd)}")
        rc, so, se = run_cmd(cmd, timeout=timeout)
        if rc != 0 or not os.path.exists(out):
            reason = f"{what} failed: {short_error(so, se)}"
            log(reason)
            return reason
        return None

    def preprocessed(self, model):
        """Every sample image preprocessed at the model's size, NHWC float32 .npy: the exact
        official preprocessing (tests/tools/elite_preprocess) when built, else PIL bicubic
        (approximate; then peer top-1 figures are not comparable with elite's)."""
        size = SIZES[model]
        d = self.w(f"pre{size}")
        marker = os.path.join(d, ".done")
        if os.path.exists(marker):
            return d
        os.makedirs(d, exist_ok=True)
        images = sorted(f for f in os.listdir(self.a.images)
                        if f.lower().endswith((".jpg", ".jpeg", ".png")))
        paths = [os.path.join(self.a.images, f) for f in images]
        tool = os.path.join(self.a.build_dir, "tests", "elite_preprocess")
        log(f"preprocessing {len(paths)} images at {size} px")
        if os.path.exists(tool):
            rc, so, se = run_cmd([tool, "--size", str(size), "--out", d] + paths)
            if rc != 0:
                raise SystemExit(f"elite_preprocess failed: {short_error(so, se)}")
            how = "elite_preprocess (official, exact)"
        else:
            import numpy as np
            from PIL import Image
            for p in paths:
                img = Image.open(p).convert("RGB")
                crop = int(size / (size + 32) * min(img.size))
                left, top = (img.size[0] - crop + 1) // 2, (img.size[1] - crop + 1) // 2
                img = img.crop((left, top, left + crop, top + crop)).resize((size, size),
                                                                           Image.BICUBIC)
                x = (np.asarray(img, dtype=np.float32) - 127.0) / 128.0
                np.save(os.path.join(d, os.path.splitext(os.path.basename(p))[0] + ".npy"),
                        x[None])
            how = "PIL bicubic (approximate official; build tests/elite_preprocess for exact)"
        with open(marker, "w") as f:
            f.write(how)
        return d

    def calib_dir(self, model):
        """The first --calib-images preprocessed images (links), for the peers' INT8 PTQ:
        the same images `elite quantize --num-images` takes."""
        pre = self.preprocessed(model)
        d = self.w(f"calib{SIZES[model]}-{self.a.calib_images}")
        if not os.path.isdir(d):
            os.makedirs(d)
            files = sorted(f for f in os.listdir(pre) if f.endswith(".npy"))
            for f in files[:self.a.calib_images]:
                os.symlink(os.path.join(pre, f), os.path.join(d, f))
            self.notes.append(f"peer INT8 calibration: the first {self.a.calib_images} sample "
                              f"images at {SIZES[model]} px, preprocessed by "
                              f"{open(os.path.join(pre, '.done')).read()}")
        return d

    def labels(self):
        """{file stem: class index} from the synset prefix of the sample file names."""
        path = self.w("labels.json")
        synsets = os.path.join(ROOT, "models", "imagenet_synsets.txt")
        if not os.path.exists(synsets):
            return None
        index = {s.strip(): i for i, s in enumerate(open(synsets)) if s.strip()}
        labels = {}
        for f in os.listdir(self.a.images):
            stem = os.path.splitext(f)[0]
            if stem.split("_")[0] in index:
                labels[stem] = index[stem.split("_")[0]]
        with open(path, "w") as f:
            json.dump(labels, f)
        return path

    def peer_accuracy(self, model):
        """Top-1 of each peer's own INT8 model (and LiteRT on elite's INT8 file) on the sample
        images, preprocessed exactly as elite does. FP32 peers share elite's weights."""
        if model not in PRETRAINED or "int8" not in self.a.precisions:
            return
        labels = self.labels()
        if labels is None:
            return
        pre = self.preprocessed(model)
        for rt in PEERS:
            if rt not in self.a.peers or (model, "int8", rt) not in self.files:
                continue
            log(f"{model} int8 {rt}: top-1 on the sample images")
            py = "/usr/bin/python3" if rt == "pytorch" else sys.executable
            rc, so, se = run_cmd([py, os.path.join(PEERS_DIR, PEER_SCRIPTS[rt]), "--model",
                                  self.files[(model, "int8", rt)], "--threads", "1", "--size",
                                  str(SIZES[model]), "--eval-dir", pre, "--eval-labels", labels])
            j = last_json_line(so)
            if rc == 0 and j and "top1" in j:
                self.peer_top1[(model, "int8", rt)] = j["top1"]
                log(f"{model} int8 {rt}: top-1 {100 * j['top1']:.1f}% of {j['n']}")
            else:
                log(f"{model} int8 {rt} accuracy failed: {short_error(so, se)}")

    def prepare(self, model):
        a, e = self.a, self.elite
        full = f"efficientnet-{model}"
        if model in PRETRAINED:
            tfl = os.path.join(ROOT, "models", f"{full}.tflite")
            pth = os.path.join(ROOT, ".cache", "pth", f"{full}.pth")
        else:
            pth = self.w(f"{full}-random.pth")
            tfl = self.w(f"{full}-random.tflite")
            r = self.step(f"{model} random weights", pth,
                          ["/usr/bin/python3", os.path.join(PEERS_DIR, "make_random_pth.py"),
                           full, pth, "--images", a.images])
            r = r or self.step(f"{model} convert", tfl, [e.path, "convert", pth, "--model", full,
                                                         "-o", tfl], pth)
            if r:
                for p in ("fp32", "fp16", "int8"):
                    for rt in ["elite"] + PEERS:
                        self.na[(model, p, rt)] = r
                return
        if not os.path.exists(tfl):
            for p in ("fp32", "fp16", "int8"):
                for rt in ["elite"] + PEERS:
                    self.na[(model, p, rt)] = f"{tfl} missing (scripts/setup_models.sh)"
            return
        q = self.w(f"{full}-int8.tflite")
        for rt in ("elite", "litert", "openvino"):
            self.files[(model, "fp32", rt)] = tfl
        if "fp16" in a.precisions:
            # Half precision from the same float file: elite --precision fp16, OpenVINO's f16
            # inference precision hint; the others have no FP16 CPU path through their Python API.
            for rt in ("elite", "openvino"):
                self.files[(model, "fp16", rt)] = tfl
            for rt in ("litert", "onnxruntime", "pytorch"):
                self.na[(model, "fp16", rt)] = "no FP16 CPU inference through its Python API"
        if "int8" in a.precisions:
            if e.has("quantize"):
                r = self.step(f"{model} elite quantize", q,
                              [e.path, "quantize", "-m", tfl, "--calib", a.images,
                               "--num-images", str(a.calib_images), "-o", q], tfl)
            else:
                r = "this elite has no quantize command"
            for rt in ("elite", "litert"):
                if r:
                    self.na[(model, "int8", rt)] = r
                else:
                    self.files[(model, "int8", rt)] = q
        calib = self.calib_dir(model) if "int8" in a.precisions else None

        # ONNX Runtime: the ONNX export of the float file.
        onnx = self.w(f"{full}.onnx")
        if not e.has("export"):
            r = "no `elite export` (ONNX) in this build"
        else:
            r = self.step(f"{model} elite export", onnx,
                          [e.path, "export", "-m", tfl, "-o", onnx], tfl)
        if r:
            self.na[(model, "fp32", "onnxruntime")] = r
            self.na[(model, "int8", "onnxruntime")] = r
        else:
            self.files[(model, "fp32", "onnxruntime")] = onnx
            if "int8" in a.precisions:
                qo = self.w(f"{full}-ort-int8.onnx")
                r = self.step(f"{model} onnxruntime quantize_static", qo,
                              [sys.executable, os.path.join(PEERS_DIR, "ort_peer.py"),
                               "quantize", "--model", onnx, "--calib", calib, "-o", qo], onnx)
                if r:
                    self.na[(model, "int8", "onnxruntime")] = r
                else:
                    self.files[(model, "int8", "onnxruntime")] = qo

        # OpenVINO INT8: nncf on the float .tflite.
        if "int8" in a.precisions:
            xml = self.w(f"{full}-ov-int8.xml")
            r = self.step(f"{model} nncf quantize", xml,
                          [sys.executable, os.path.join(PEERS_DIR, "openvino_peer.py"),
                           "quantize", "--model", tfl, "--calib", calib, "-o", xml], tfl)
            if r:
                self.na[(model, "int8", "openvino")] = r
            else:
                self.files[(model, "int8", "openvino")] = xml

        # PyTorch: TorchScript FP32 and FX INT8 from the .pth.
        pt, qpt = self.w(f"{full}-torch-fp32.pt"), self.w(f"{full}-torch-int8.pt")
        want_int8 = "int8" in a.precisions
        if not os.path.exists("/usr/bin/python3"):
            r = "no /usr/bin/python3 (Debian python3-torch)"
        elif not os.path.exists(pth):
            r = f"{pth} missing"
        else:
            cmd = ["/usr/bin/python3", os.path.join(PEERS_DIR, "torch_peer.py"), "prepare",
                   "--name", full, "--pth", pth, "--calib", calib or "", "--out-fp32", pt]
            r = self.step(f"{model} torch prepare", qpt if want_int8 else pt,
                          cmd + (["--out-int8", qpt] if want_int8 else []), pth)
        for p, f in (("fp32", pt), ("int8", qpt)):
            if os.path.exists(f) and self.fresh(f, pth):
                self.files[(model, p, "pytorch")] = f
            else:
                self.na[(model, p, "pytorch")] = r

    def accuracy(self, model):
        """Top-1 on the sample images of elite's FP32, FP16 and INT8 runs (elite eval)."""
        if model not in PRETRAINED or not self.elite.has("eval"):
            return
        for p in self.a.precisions:
            f = self.files.get((model, p, "elite"))
            if not f:
                continue
            out = self.w(f"eval-{model}-{p}.json")
            r = self.step(f"{model} {p} elite eval", out,
                          [self.elite.path, "eval", "-m", f, "--images", self.a.images,
                           "--threads", "2", "--json", out]
                          + (["--precision", "fp16"] if p == "fp16" else []), f)
            if not r:
                self.top1[(model, p)] = json.load(open(out))["top1"]


# ------------------------------------------------------------------------------- timing


def time_one(a, elite, runtime, path, model, threads, batch, precision="fp32"):
    """One process, one runtime: {"median_ms", ...} or {"error"}."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = str(threads)
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    if runtime == "elite":
        cmd = [elite.path, "bench", "-m", path, "--threads", str(threads), "--warmup",
               str(a.warmup if batch == 1 else a.batch_warmup), "--runs", str(a.runs if batch == 1 else a.batch_runs), "--json"]
        if batch != 1:
            cmd += ["--batch", str(batch)]
        if precision == "fp16":
            cmd += ["--precision", "fp16"]
    else:
        py = "/usr/bin/python3" if runtime == "pytorch" else sys.executable
        script = PEER_SCRIPTS[runtime]
        cmd = [py, os.path.join(PEERS_DIR, script), "--model", path, "--threads", str(threads),
               "--warmup", str(a.warmup if batch == 1 else a.batch_warmup),
               "--runs", str(a.runs if batch == 1 else a.batch_runs),
               "--batch", str(batch), "--size", str(SIZES[model])]
        if precision == "fp16" and runtime == "openvino":
            cmd += ["--precision", "f16"]
    rc, so, se = run_cmd(cmd, timeout=900, env=env)
    j = last_json_line(so)
    if rc != 0 or j is None or "error" in j:
        return {"error": short_error(so, se)}
    if runtime == "elite":
        return {"median_ms": j["median_ms"], "p10_ms": j.get("p10_ms"),
                "p90_ms": j.get("p90_ms"), "isa": j.get("isa")}
    t = j["times_ms"]
    return {"median_ms": statistics.median(t), "min_ms": min(t), "times_ms": t,
            **{k: j[k] for k in ("version", "layout", "input_dtype", "quantized_engine")
               if k in j}}


def time_row(a, elite, prep, model, precision, threads, batch):
    runtimes = ["elite"] + [p for p in PEERS if p in a.peers]
    row = {"model": model, "precision": precision, "threads": threads, "batch": batch,
           "results": {}}
    active = []
    for rt in runtimes:
        if rt == "elite" and batch != 1 and not elite.bench_batch:
            row["results"][rt] = {"na": "elite bench has no --batch"}
        elif (model, precision, rt) in prep.files:
            active.append(rt)
            row["results"][rt] = {"rounds": []}
        else:
            row["results"][rt] = {"na": prep.na.get((model, precision, rt), "not prepared")}
    row["loadavg_before"] = os.getloadavg()[0]
    for r in range(a.rounds):
        order = active[r % max(1, len(active)):] + active[:r % max(1, len(active))]
        for rt in order:
            res = row["results"][rt]
            if "na" in res:
                continue
            o = time_one(a, elite, rt, prep.files[(model, precision, rt)], model, threads, batch,
                         precision)
            if "error" in o:
                log(f"{model} {precision} {threads}T b{batch} {rt}: {o['error']}")
                res.clear()
                res["na"] = o["error"]
            else:
                res["rounds"].append(o)
    row["loadavg_after"] = os.getloadavg()[0]
    for rt, res in row["results"].items():
        if "rounds" in res:
            res["median_ms"] = statistics.median(o["median_ms"] for o in res["rounds"])
    peers = [(res["median_ms"], rt) for rt, res in row["results"].items()
             if rt != "elite" and "median_ms" in res]
    if peers:
        row["best_peer"] = min(peers)[1]
        if "median_ms" in row["results"]["elite"]:
            row["ratio"] = row["results"]["elite"]["median_ms"] / min(peers)[0]
    summary = ", ".join(f"{rt} {res['median_ms']:.2f}" for rt, res in row["results"].items()
                        if "median_ms" in res)
    log(f"{model} {precision} {threads}T batch {batch}: {summary}")
    return row


# ------------------------------------------------------------------------------ reports


def machine_info():
    cpu = platform.processor()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    flags = set()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    isa = [f for f in ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "avx512_fp16", "amx_int8")
           if f in flags]
    return {"cpu": cpu, "cores": os.cpu_count(), "isa": isa, "kernel": platform.release()}


def versions(a):
    v = {}
    code = ("import importlib, json\nout = {}\n"
            "for m in ('ai_edge_litert', 'onnxruntime', 'openvino', 'nncf', 'numpy'):\n"
            "    try:\n"
            "        mod = importlib.import_module(m)\n"
            "        out[m] = getattr(mod, '__version__', '?')\n"
            "    except Exception as e:\n"
            "        out[m] = 'missing'\n"
            "print(json.dumps(out))")
    rc, so, _ = run_cmd([sys.executable, "-c", code])
    if rc == 0:
        v.update(last_json_line(so) or {})
    rc, so, _ = run_cmd(["/usr/bin/python3", "-c", "import torch; print(torch.__version__)"])
    v["torch"] = so.strip() if rc == 0 else "missing"
    rc, so, _ = run_cmd(["git", "rev-parse", "--short", "HEAD"])
    v["elite_commit"] = so.strip() if rc == 0 else "?"
    return v


def fmt_ms(res):
    if "median_ms" in res:
        return f"{res['median_ms']:.2f}"
    return "n/a"


def markdown(a, meta, rows):
    cols = ["elite"] + [p for p in PEERS if p in a.peers]
    out = [f"# elite vs peers ({meta['date']})", "",
           f"CPU: {meta['machine']['cpu']} ({meta['machine']['cores']} cores visible, "
           f"{' '.join(meta['machine']['isa'])}); elite {meta['versions'].get('elite_commit')}; "
           + ", ".join(f"{k} {v}" for k, v in meta["versions"].items() if k != "elite_commit"),
           "",
           f"Protocol: {a.rounds} rounds, runtimes rotated per round, each a fresh process; "
           f"per process 1 first run + {a.warmup} warm-up + {a.runs} timed runs (batch 8: "
           f"{a.batch_warmup} + {a.batch_runs}); median over rounds of each round's median. Ratio = elite / best "
           f"peer (< 1: elite faster). Load average (1 min) at start {meta['loadavg_start']:.2f}, "
           f"end {meta['loadavg_end']:.2f}.", ""]
    for batch, title in ((1, "Batch 1 latency, median ms"),
                         (8, "Batch 8 throughput, images/s")):
        sel = [r for r in rows if r["batch"] == batch]
        if not sel:
            continue
        out += [f"## {title}", ""]
        head = ["model", "precision", "threads"] + cols + (
            ["elite / best peer", "best peer"] if batch == 1 else ["best peer"])
        out += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for r in sel:
            cells = [r["model"], r["precision"], str(r["threads"])]
            for c in cols:
                res = r["results"].get(c, {"na": "not run"})
                if batch == 1:
                    cells.append(fmt_ms(res))
                else:
                    cells.append(f"{1000.0 * batch / res['median_ms']:.1f}"
                                 if "median_ms" in res else "n/a")
            if batch == 1:
                cells.append(f"{r['ratio']:.2f}" if "ratio" in r else "n/a")
            cells.append(r.get("best_peer", "n/a"))
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    ratios = sorted(r["ratio"] for r in rows if r["batch"] == 1 and "ratio" in r)
    if ratios:
        out += [f"elite / best peer over {len(ratios)} rows: median {statistics.median(ratios):.2f}, "
                f"worst {ratios[-1]:.2f}, best {ratios[0]:.2f}.", ""]
    reasons = {}
    for r in rows:
        for rt, res in r["results"].items():
            if "na" in res:
                reasons.setdefault(f"{rt}: {res['na']}", []).append(
                    f"{r['model']}/{r['precision']}/{r['threads']}T/b{r['batch']}")
    if reasons:
        out += ["n/a:", ""]
        for k, v in reasons.items():
            out.append(f"- {k} ({len(v)} rows, e.g. {v[0]})")
        out.append("")
    if meta.get("top1"):
        out += ["## Top-1 on the 250 sample images", "",
                "FP32: `elite eval` of the float file (every runtime runs the same weights). "
                "INT8: elite = `elite eval` of elite's INT8 file; litert = LiteRT on that same "
                "file; the others = their own INT8 models; all on elite's exact preprocessing.",
                "FP16: `elite eval --precision fp16` of the float file.",
                "", "| model | FP32 | " + ("FP16 elite | " if "fp16" in a.precisions else "")
                + "INT8 elite | " + " | ".join(f"INT8 {p}" for p in PEERS if p in a.peers) + " |",
                "|" + "---|" * (3 + ("fp16" in a.precisions)
                                + len([p for p in PEERS if p in a.peers]))]
        for m in a.models:
            if not any(f"{m}/{p}" in meta["top1"] for p in ("fp32", "fp16", "int8")):
                continue
            pct = lambda v: f"{v * 100:.1f}%" if v is not None else "n/a"  # noqa: E731
            cells = [m, pct(meta["top1"].get(f"{m}/fp32"))]
            if "fp16" in a.precisions:
                cells.append(pct(meta["top1"].get(f"{m}/fp16")))
            cells.append(pct(meta["top1"].get(f"{m}/int8")))
            cells += [pct(meta["peer_top1"].get(f"{m}/int8/{p}")) for p in PEERS if p in a.peers]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    if meta.get("peaks") and meta.get("madds"):
        out += floors_markdown(rows, meta["peaks"], meta["madds"])
    for n in meta.get("notes", []):
        out.append(f"- {n}")
    return "\n".join(out) + "\n"


def read_peaks(path):
    """Per-core peaks from `peak_bench --benchmark_format=json` (with or without repetitions;
    the highest rate of each counter wins): {"fp32_flops": ..., "int8_macs": ...} per second,
    and "fp16_flops" where the CPU has AVX512-FP16.
    Each takes the best instruction the CPU ran (INT8: vpmaddwd on AVX2, vpdpbusd with VNNI,
    tdpbssd with AMX), and is labelled with it."""
    peaks = {}
    for b in json.load(open(path)).get("benchmarks", []):
        name = b.get("name", "")
        if "/per_core" not in name:
            continue
        if "FLOPS" in b:
            kind = "fp16" if name.startswith("fp16") else "fp32"
            if b["FLOPS"] > peaks.get(f"{kind}_flops", 0):
                peaks[f"{kind}_flops"], peaks[f"{kind}_from"] = b["FLOPS"], name.split("/per_core")[0]
        if "MACS" in b:
            if b["MACS"] > peaks.get("int8_macs", 0):
                peaks["int8_macs"], peaks["int8_from"] = b["MACS"], name.split("/per_core")[0]
    return peaks


def model_madds(elite, models):
    """Multiply-adds per image from `elite info NAME --json`."""
    out = {}
    for m in models:
        rc, so, _ = run_cmd([elite, "info", f"efficientnet-{m}", "--json"])
        j = json.loads(so) if rc == 0 else {}
        if "madds" in j:
            out[m] = j["madds"]
    return out


def floors_markdown(rows, peaks, madds):
    """Compute floor = multiply-adds / (per-core peak x threads), and the share of it elite
    reaches (floor / elite's median), for the batch-1 rows."""
    out = ["## Compute floor", "",
           f"Per-core peaks (peak_bench): FP32 {peaks['fp32_flops'] / 1e9:.1f} GFLOP/s "
           f"({peaks.get('fp32_from')}), INT8 {peaks['int8_macs'] / 1e9:.1f} G multiply-adds/s "
           f"({peaks.get('int8_from')})"
           + (f", FP16 {peaks['fp16_flops'] / 1e9:.1f} GFLOP/s ({peaks.get('fp16_from')})"
              if "fp16_flops" in peaks else "")
           + ". Floor = multiply-adds (`elite info`) / (peak x "
           "threads); share = floor / elite's median.", "",
           "| model | multiply-adds | precision | threads | floor ms | elite ms | share of peak |",
           "|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["batch"] != 1 or r["model"] not in madds:
            continue
        # FP32 and FP16: 2 FLOP per multiply-add.
        if r["precision"] == "fp16" and "fp16_flops" not in peaks:
            continue
        rate = (peaks[f"{r['precision']}_flops"] / 2 if r["precision"] in ("fp32", "fp16")
                else peaks["int8_macs"])
        floor = 1e3 * madds[r["model"]] / (rate * r["threads"])
        res = r["results"].get("elite", {})
        if "median_ms" in res:
            r["floor_ms"] = floor
            r["elite_share_of_peak"] = floor / res["median_ms"]
        out.append(f"| {r['model']} | {madds[r['model']] / 1e6:.0f}M | {r['precision']} | "
                   f"{r['threads']} | {floor:.2f} | {fmt_ms(res)} | "
                   + (f"{100 * r['elite_share_of_peak']:.0f}%" if "median_ms" in res else "n/a")
                   + " |")
    return out + [""]


def plot(a, rows, top1, peer_top1, path):
    """Latency (batch 1) against top-1, one panel per thread count; a line per runtime and
    precision through lite0..lite2. FP32 rows of every runtime use the FP32 top-1 of the file
    (same weights); INT8 rows each runtime's own top-1."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    threads = sorted({r["threads"] for r in rows if r["batch"] == 1})
    fig, axes = plt.subplots(1, len(threads), figsize=(6.5 * len(threads), 5), squeeze=False)
    colors = {"elite": "C3", "litert": "C0", "onnxruntime": "C1", "openvino": "C2",
              "pytorch": "C4"}
    for ax, t in zip(axes[0], threads):
        for rt in ["elite"] + PEERS:
            for prec, style in (("fp32", "-o"), ("fp16", ":^"), ("int8", "--s")):
                xs, ys, names = [], [], []
                for m in PRETRAINED:
                    r = next((r for r in rows if r["batch"] == 1 and r["threads"] == t and
                              r["model"] == m and r["precision"] == prec), None)
                    acc = (top1.get((m, prec)) if prec in ("fp32", "fp16") or rt == "elite"
                           else peer_top1.get((m, prec, rt)))
                    if r is None or acc is None:
                        continue
                    res = r["results"].get(rt, {})
                    if "median_ms" in res:
                        xs.append(res["median_ms"]), ys.append(100 * acc)
                        names.append(m)
                if xs:
                    ax.plot(xs, ys, style, color=colors[rt], label=f"{rt} {prec.upper()}",
                            alpha=1.0 if rt == "elite" else 0.7)
                    if rt == "elite":
                        for x, y, n in zip(xs, ys, names):
                            ax.annotate(n, (x, y), textcoords="offset points", xytext=(4, 4),
                                        fontsize=8)
        ax.set_xlabel(f"latency, batch 1, {t} thread{'s' if t > 1 else ''} (ms, median)")
        ax.set_ylabel("top-1 on the 250 sample images (%)")
        ax.set_title(f"efficientnet-lite0..2, {t} thread{'s' if t > 1 else ''}")
        ax.set_xscale("log")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    fig.suptitle("FP32: top-1 of the shared float weights (elite eval); INT8: each runtime's "
                 "own INT8 model (LiteRT runs elite's file)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


# --------------------------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default="build", help="where elite (and tests/) were built")
    ap.add_argument("--elite", default=None, help="elite binary (default BUILD_DIR/elite)")
    ap.add_argument("--work", default=None, help="model files made here (default "
                    "BUILD_DIR/compare-work; reused when newer than their inputs)")
    ap.add_argument("--out", default=None, help="results (default BUILD_DIR/compare)")
    ap.add_argument("--images", default=os.path.join(ROOT, "..", "shared", "data",
                                                     "imagenet-sample"))
    ap.add_argument("--models", default="lite0,lite1,lite2,lite3,lite4")
    ap.add_argument("--precisions", default="fp32,int8")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--peers", default=",".join(PEERS))
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch8", default="2", help="thread counts for the batch-8 table "
                    "('' to skip)")
    ap.add_argument("--batch-runs", type=int, default=5, help="timed runs at batch 8")
    ap.add_argument("--batch-warmup", type=int, default=2, help="warm-up runs at batch 8")
    ap.add_argument("--calib-images", type=int, default=100)
    ap.add_argument("--peaks", default=None, help="JSON of `peak_bench --benchmark_format=json`"
                    ": adds the compute-floor table (default: BUILD_DIR/peak_bench run here, "
                    "if built, 3 repetitions)")
    ap.add_argument("--from-json", default=None, help="only re-render the reports of an "
                    "earlier compare.json (with --peaks, adds the floors)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: lite0 only, 1 round, 1 warm-up, 3 runs, batch 8 at 2 threads")
    a = ap.parse_args()
    if a.quick:
        a.models, a.rounds, a.warmup, a.runs = "lite0", 1, 1, 3
        a.batch_runs, a.batch_warmup, a.batch8 = 2, 1, "2"
    a.build_dir = os.path.abspath(a.build_dir)
    a.elite = os.path.abspath(a.elite or os.path.join(a.build_dir, "elite"))
    a.work = os.path.abspath(a.work or os.path.join(a.build_dir, "compare-work"))
    a.out = os.path.abspath(a.out or os.path.join(a.build_dir, "compare"))
    a.models = [m.strip().replace("efficientnet-", "") for m in a.models.split(",") if m.strip()]
    for m in a.models:
        if m not in SIZES:
            raise SystemExit(f"unknown model {m}")
    a.precisions = [p for p in a.precisions.split(",") if p]
    a.threads = [int(t) for t in a.threads.split(",") if t]
    a.peers = [p for p in a.peers.split(",") if p]
    a.batch8 = [int(t) for t in a.batch8.split(",") if t]
    a.images = os.path.abspath(a.images)
    if not os.path.isdir(a.images):
        raise SystemExit(f"{a.images}: no such folder (sample images)")
    os.makedirs(a.out, exist_ok=True)

    if a.from_json:
        data = json.load(open(a.from_json))
        meta, rows = data["meta"], data["rows"]
        for k in ("models", "peers", "precisions"):
            setattr(a, k, meta["settings"][k])
        for k in ("warmup", "runs", "rounds", "batch_runs"):
            setattr(a, k, meta["settings"][k])
        a.batch_warmup = meta["settings"].get("batch_warmup", a.batch_warmup)
        if a.peaks:
            meta["peaks"] = read_peaks(a.peaks)
            meta["madds"] = model_madds(a.elite, a.models)
        finish(a, meta, rows, {tuple(k.split("/")): v for k, v in meta["top1"].items()},
               {tuple(k.split("/")): v for k, v in meta.get("peer_top1", {}).items()})
        return

    elite = Elite(a.elite)
    started = time.time()
    meta = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine_info(), "versions": versions(a),
            "loadavg_start": os.getloadavg()[0],
            "settings": {k: v for k, v in vars(a).items()},
            "elite_has": sorted(elite.commands), "elite_bench_batch": elite.bench_batch}
    prep = Prep(a, elite)
    for m in a.models:
        prep.prepare(m)
        prep.accuracy(m)
        prep.peer_accuracy(m)
    rows = []
    for m in a.models:
        for p in a.precisions:
            for t in a.threads:
                rows.append(time_row(a, elite, prep, m, p, t, 1))
    for m in a.models:
        for p in a.precisions:
            for t in a.batch8:
                rows.append(time_row(a, elite, prep, m, p, t, 8))
    meta["loadavg_end"] = os.getloadavg()[0]
    meta["seconds"] = round(time.time() - started)
    meta["top1"] = {f"{m}/{p}": v for (m, p), v in prep.top1.items()}
    meta["peer_top1"] = {f"{m}/{p}/{rt}": v for (m, p, rt), v in prep.peer_top1.items()}
    meta["notes"] = prep.notes + ([] if elite.bench_batch else [
        "elite bench has no --batch option: elite's batch-8 column is n/a"])
    peak_json = a.peaks
    peak_bin = os.path.join(a.build_dir, "peak_bench")
    if not peak_json and os.path.exists(peak_bin):
        peak_json = os.path.join(a.out, "peaks.json")
        log(f"{peak_bin} (3 repetitions)")
        rc, so, se = run_cmd([peak_bin, "--benchmark_repetitions=3",
                              "--benchmark_format=json", f"--benchmark_out={peak_json}"])
        if rc != 0:
            log(f"peak_bench failed: {short_error(so, se)}")
            peak_json = None
    if peak_json:
        meta["peaks"] = read_peaks(peak_json)
        meta["madds"] = model_madds(a.elite, a.models)
    finish(a, meta, rows, prep.top1, prep.peer_top1)


def finish(a, meta, rows, top1, peer_top1):
    with open(os.path.join(a.out, "compare.json"), "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=1)
    md = markdown(a, meta, rows)
    with open(os.path.join(a.out, "compare.md"), "w") as f:
        f.write(md)
    try:
        plot(a, rows, top1, peer_top1, os.path.join(a.out, "compare.png"))
    except Exception as e:  # noqa: BLE001 - the tables still stand without the plot
        log(f"plot failed: {e}")
    print(md)
    log(f"wrote {a.out}/compare.md, compare.json, compare.png")


if __name__ == "__main__":
    main()
