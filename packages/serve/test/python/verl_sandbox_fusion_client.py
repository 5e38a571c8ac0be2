"""
A SandboxFusion client that speaks the protocol the way verl's `sandbox_fusion` reward does
(verl/utils/reward_score/sandbox_fusion/utils.py): one `POST /run_code` per test case with
{compile_timeout, run_timeout, code, stdin, memory_limit_MB, language, files: {}, fetch_files: []},
then, from the answer, `status` (Success / Failed / SandboxError), `compile_result` and
`run_result` {status, stdout, return_code}: True when Success, Finished and stdout equals the
expected output up to trailing newlines; False on a wrong answer; -1 API or sandbox error,
-2 runtime error, -3 timeout, -4 compile error.

stdin: JSON {"url", "cases": [{"code", "inputs": [...], "outputs": [...]}], "timeout"}; stdout: JSON
list (per case) of lists (per test) of results.
"""
import json
import sys

import requests


def call(url, code, stdin, timeout):
    payload = json.dumps({
        "compile_timeout": timeout, "run_timeout": timeout, "code": code, "stdin": stdin,
        "memory_limit_MB": 1024, "language": "python", "files": {}, "fetch_files": [],
    })
    response = requests.post(url, headers={"Content-Type": "application/json", "Accept": "application/json"}, data=payload, timeout=timeout * 2 + 10)
    response.raise_for_status()
    return response.json()


def classify(answer, expected):
    status = answer.get("status")
    compile_result, run_result = answer.get("compile_result"), answer.get("run_result")
    if status == "SandboxError":
        return -1
    if status == "Failed":
        if compile_result and (compile_result.get("status") in ("Error", "TimeLimitExceeded") or (compile_result.get("status") == "Finished" and compile_result.get("return_code") != 0)):
            return -4
        if run_result:
            run_status = run_result.get("status")
            if run_status == "TimeLimitExceeded":
                return -3
            if run_status == "Error" or (run_status == "Finished" and run_result.get("return_code") != 0):
                return -2
        return -1
    if status == "Success" and run_result and run_result.get("status") == "Finished":
        stdout = run_result.get("stdout") or ""
        return str(stdout).rstrip("\n") == str(expected).rstrip("\n")
    return -1


def main():
    job = json.load(sys.stdin)
    url = job["url"].rstrip("/") + "/run_code"
    out = []
    for case in job["cases"]:
        out.append([classify(call(url, case["code"], i, job["timeout"]), o) for i, o in zip(case["inputs"], case["outputs"])])
    print(json.dumps(out))


main()
