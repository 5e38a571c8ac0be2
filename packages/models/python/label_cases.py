"""Trusted helper of the simulated test generator: runs a dataset's REFERENCE solution (trusted
dataset code, never model output) to label candidate test inputs, and derives a plausible wrong
output for each. Reads one JSON request on stdin, writes one JSON reply on stdout.

  {"kind": "function", "code": str, "setup": str, "entryPoint": str, "args": [str], "want": int, "seed": int}
  {"kind": "stdio", "code": str, "inputs": [str]}
    -> {"cases": [{"args"|"input": str, "expected"|"output": str, "wrong": str}], "error": str?}
"""
import ast
import copy
import io
import json
import random
import signal
import subprocess
import sys


class Timeout(Exception):
    pass


def on_alarm(signum, frame):
    raise Timeout()


def wrong_value(v):
    if isinstance(v, bool):
        return not v
    if isinstance(v, int):
        return v + 1
    if isinstance(v, float):
        return v + 1.5
    if isinstance(v, str):
        return v + "x" if len(v) < 50 else v[:-1]
    if isinstance(v, list):
        return v[:-1] if len(v) > 1 else v + [0]
    if isinstance(v, tuple):
        return v[:-1] if len(v) > 1 else v + (0,)
    if isinstance(v, dict):
        w = dict(v)
        w["__wrong__"] = 0
        return w
    if isinstance(v, (set, frozenset)):
        return set(v) | {"__wrong__"}
    if v is None:
        return 0
    return None


def perturb(value, rng):
    """A nearby literal of the same type (for extra inputs)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + rng.choice([-2, -1, 1, 2, 3])
    if isinstance(value, float):
        return value + rng.choice([-1.0, 0.5, 1.0])
    if isinstance(value, str):
        return value + rng.choice("abcxyz ") if value else "a"
    if isinstance(value, list):
        if value and rng.random() < 0.5:
            i = rng.randrange(len(value))
            return value[:i] + [perturb(value[i], rng)] + value[i + 1:]
        return value[:-1] if len(value) > 1 else value + copy.deepcopy(value)
    if isinstance(value, tuple):
        return tuple(perturb(list(value), rng))
    return value


def literal_args(text):
    try:
        return list(ast.literal_eval("(" + text + ",)"))
    except Exception:
        return None


def function_cases(req):
    namespace = {}
    signal.signal(signal.SIGALRM, on_alarm)
    exec(compile((req.get("setup") or "") + "\n" + req["code"], "<reference>", "exec"), namespace)
    fn = namespace[req["entryPoint"]]
    rng = random.Random(req.get("seed", 0))
    candidates = list(req["args"])
    parsed = [a for a in (literal_args(t) for t in req["args"]) if a]
    tries = 0
    while parsed and len(candidates) < req["want"] * 2 and tries < req["want"] * 10:
        tries += 1
        base = rng.choice(parsed)
        i = rng.randrange(len(base))
        variant = list(base)
        variant[i] = perturb(copy.deepcopy(base[i]), rng)
        text = ", ".join(repr(a) for a in variant)
        if text not in candidates:
            candidates.append(text)
    cases = []
    for text in candidates:
        if len(cases) >= req["want"]:
            break
        try:
            args = eval("(" + text + ",)", dict(namespace))
            signal.setitimer(signal.ITIMER_REAL, 1.0)
            try:
                result = fn(*copy.deepcopy(args))
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            expected = repr(result)
            if eval(expected, dict(namespace)) != result:
                continue
            cases.append({"args": text, "expected": expected, "wrong": repr(wrong_value(result))})
        except BaseException:
            continue
    return {"cases": cases}


def wrong_output(out):
    lines = out.rstrip("\n").split("\n")
    last = lines[-1].split(" ")
    for j in range(len(last) - 1, -1, -1):
        try:
            last[j] = str(int(last[j]) + 1)
            lines[-1] = " ".join(last)
            return "\n".join(lines) + "\n"
        except ValueError:
            continue
    return out.rstrip("\n") + " x\n"


def stdio_cases(req):
    cases = []
    for stdin in req["inputs"]:
        try:
            done = subprocess.run([sys.executable, "-I", "-c", req["code"]], input=stdin, capture_output=True, text=True, timeout=5)
        except subprocess.TimeoutExpired:
            continue
        if done.returncode != 0:
            continue
        cases.append({"input": stdin, "output": done.stdout, "wrong": wrong_output(done.stdout)})
    return {"cases": cases}


def main():
    req = json.load(sys.stdin)
    real_stdout = sys.stdout
    sys.stdout = io.StringIO()  # reference code may print: keep the reply clean
    sys.stdin = io.StringIO()
    try:
        reply = function_cases(req) if req["kind"] == "function" else stdio_cases(req)
    except BaseException as e:
        reply = {"cases": [], "error": f"{type(e).__name__}: {e}"}
    real_stdout.write(json.dumps(reply))


if __name__ == "__main__":
    main()
