"""Test helper: runs MBPP reference solutions and their mutants against the dataset's asserts,
each in a forked child with a CPU alarm, and reports which mutants are killed. Trusted dataset
code and mutants of it only (derived by the CodeMutator from references); used by tests."""
import json
import os
import resource
import signal
import sys


def passes(setup, code, tests):
    pid = os.fork()
    if pid == 0:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            resource.setrlimit(resource.RLIMIT_CPU, (2, 2))
            resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
            signal.alarm(3)
            namespace = {}
            exec(compile(setup + "\n" + code, "<candidate>", "exec"), namespace)
            for test in tests:
                exec(test, namespace)
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def main():
    items = json.load(sys.stdin)
    out = []
    for item in items:
        compiles = []
        for m in item["mutants"]:
            try:
                compile(m, "<mutant>", "exec")
                compiles.append(True)
            except SyntaxError:
                compiles.append(False)
        out.append({
            "id": item["id"],
            "referencePasses": passes(item["setup"], item["reference"], item["tests"]),
            "mutantsCompile": compiles,
            "mutantsPass": [passes(item["setup"], m, item["tests"]) for m in item["mutants"]],
        })
    json.dump(out, sys.stdout)


main()
