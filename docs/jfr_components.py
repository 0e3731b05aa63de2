#!/usr/bin/env python3
"""Per-event CPU and stream-thread waits of a `bench trainer` run recorded with JFR, by component.

Record with: java -XX:StartFlightRecording=filename=run.jfr,settings=speed.jfc -jar inflight-ops.jar bench trainer ...
where speed.jfc is the JDK's lib/jfr/profile.jfc with jdk.ThreadPark's threshold set to 1 ms.
Usage: jfr_components.py run.jfr EVENTS [-MODEL-BATCH]   (e.g. 150000 -lr-256: only that run's threads)
Execution samples (10 ms apart, taken only while a thread runs Java code, so they count CPU, not
wall time) are put in the first component whose pattern matches a frame of the stack; parks of the
stream thread (>= 1 ms each) by what it waited for. The in-process line sums the main thread's
samples inside InProcessRun (all models of the run: pass a one-model run for it).
"""
import re, subprocess, sys, collections
# usage: jfrcpu.py file.jfr events  -> CPU µs/event by thread and component (10 ms samples), stream-thread parks
f, events = sys.argv[1], int(sys.argv[2])
APP = sys.argv[3] if len(sys.argv) > 3 else ""  # e.g. "-lr-256" (application id suffix): only its threads
PERIOD_US = 10_000
txt = subprocess.run(["jfr", "print", "--stack-depth", "96", "--events", "jdk.ExecutionSample", f],
                     capture_output=True, text=True).stdout
RULES = [
    ("checkpoint", r"topology\.Checkpoints|CheckpointRecords"),
    ("journal", r"topology\.Journal\."),
    ("publication (make records)", r"topology\.Publication"),
    ("dead letters", r"topology\.DeadLetters"),
    ("decode+validate", r"topics\.EventCodec|JsonEventCodec|EventValidator|topology\.Intake"),
    ("prepare (keys)", r"BatchTrainer\.prepare|BatchJobs\.prepare"),
    ("forwarding (outputs to producer)", r"BatchPipeline\.forwardDone"),
    ("model math + rows", r"BatchTrainer\.step|io\.inflight\.trainer\.model|io\.inflight\.store|nd4j|bytedeco"),
    ("metrics", r"PersistedMetrics|ProgressiveMetrics|TrainerTasks"),
    ("producer (commit, send)", r"clients\.producer"),
    ("consumer/poll", r"clients\.consumer"),
    ("Streams internals", r"org\.apache\.kafka\.streams"),
]
by = collections.Counter(); thr = collections.Counter()
for e in re.split(r"\njdk\.ExecutionSample", txt):
    m = re.search(r'sampledThread = "([^"]*)"', e)
    if not m: continue
    name = m.group(1); st = e.split("stackTrace = [", 1)[-1]
    if APP and name != "main" and APP + "-" not in name: continue
    if "StreamThread" in name: t = "stream thread"
    elif name.startswith("inflight-trainer"): t = "trainer thread"
    elif name == "main":
        if "InProcessRun" in st and "ops.generate" not in st: t = "in-process (main, steps)"
        else: continue
    else: continue
    comp = "other"
    for c, rx in RULES:
        if re.search(rx, st): comp = c; break
    by[(t, comp)] += 1; thr[t] += 1
for t in ["in-process (main, steps)", "stream thread", "trainer thread"]:
    n = thr[t]
    print(f"{t}: {n*PERIOD_US/events:.1f} us/event CPU ({n} samples)")
    for (tt, c), k in sorted(by.items(), key=lambda x: -x[1]):
        if tt == t: print(f"    {c:34s} {k*PERIOD_US/events:6.1f} us/event {100*k/n:5.1f}%")
txt = subprocess.run(["jfr", "print", "--stack-depth", "40", "--events", "jdk.ThreadPark", f], capture_output=True, text=True).stdout
park = collections.Counter()
for e in re.split(r"\n(?=jdk\.ThreadPark \{)", txt):
    m = re.search(r'eventThread = "([^"]*)"', e)
    if not m or "StreamThread" not in m.group(1): continue
    if APP and APP + "-" not in m.group(1): continue
    d = re.search(r'duration = ([0-9.]+) (ms|s)', e)
    if not d: continue
    us = float(d.group(1)) * (1e6 if d.group(2) == 's' else 1e3)
    if "KafkaProducer.flush" in e: k = "commit: producer flush"
    elif "sendOffsetsToTransaction" in e: k = "commit: send offsets"
    elif "KafkaProducer.commitTransaction" in e: k = "commit: end transaction"
    elif "beforeCommit" in e: k = "checkpoint: wait for trainer"
    elif "BatchPipeline.submit" in e: k = "hand-over: trainer 8 behind"
    elif "BatchPipeline.awaitAll" in e: k = "calls: wait for trainer"
    else: k = "other"
    park[k] += us
print(f"stream thread parked (>= 1 ms each): {sum(park.values())/events:.1f} us/event")
for k, v in park.most_common():
    print(f"    {k:34s} {v/events:6.1f} us/event")
