"""
verl custom reward function: o1coder's execution reward for a completion of an o1coder verl export.

verl (0.4.1, `custom_reward_function.path` / `.name`) calls
`compute_score(data_source, solution_str, ground_truth, extra_info)` once per completion. The
export's `reward_model.ground_truth` is the problem's generated suite as JSON (`kind`,
`entry_point`, `setup`, `tests`) and `extra_info` carries `problem_id` and `suite_id`; the
completion and its suite are posted, as an inline problem, to o1coder's reward service
`POST {O1CODER_REWARD_URL}/v1/reward` (default http://127.0.0.1:8750), which runs the code in its
sandbox and answers the reward `alpha * compile + (1 - alpha) * pass_ratio`.

MINIMAL CLIENT, to be completed by the `o1coder serve` work (issue 17), written before that service
existed, against its documented request/response:
  request  {"completions": [{"completion": str, "problem": {kind, entry_point, setup, tests},
            "problem_id": str, "suite_id": str}], "run": str?}
  response {"results": [{"reward": float, "compiled": bool, "passed": int, "total": int, ...}]}
Standard library only. A service that cannot be reached or answers an error raises (verl stops):
a silent 0 would train the policy on a broken reward.

Settings: O1CODER_REWARD_URL, O1CODER_REWARD_TOKEN (bearer, optional), O1CODER_REWARD_RUN (tag
recorded with each execution), O1CODER_REWARD_TIMEOUT (seconds, default 120).
"""
import json
import os
import urllib.error
import urllib.request


def _endpoint():
    return os.environ.get("O1CODER_REWARD_URL", "http://127.0.0.1:8750").rstrip("/") + "/v1/reward"


def _post(body):
    url = _endpoint()
    headers = {"Content-Type": "application/json"}
    token = os.environ.get("O1CODER_REWARD_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=json.dumps(body).encode("utf-8"), headers=headers, method="POST")
    timeout = float(os.environ.get("O1CODER_REWARD_TIMEOUT", "120"))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"o1coder reward service {url} answered HTTP {e.code}: {e.read().decode('utf-8', 'replace')[:500]}") from e
    except urllib.error.URLError as e:
        raise RuntimeError(f"o1coder reward service {url} unreachable: {e.reason}") from e


def compute_score(data_source, solution_str, ground_truth, extra_info=None):
    extra = extra_info if isinstance(extra_info, dict) else {}
    problem = json.loads(ground_truth)
    item = {"completion": solution_str, "problem": problem}
    for key in ("problem_id", "suite_id"):
        if isinstance(extra.get(key), str) and extra[key] != "":
            item[key] = extra[key]
    body = {"completions": [item]}
    run = os.environ.get("O1CODER_REWARD_RUN")
    if run:
        body["run"] = run
    answer = _post(body)
    results = answer.get("results") if isinstance(answer, dict) else None
    if not isinstance(results, list) or len(results) != 1 or not isinstance(results[0].get("reward"), (int, float)):
        raise RuntimeError(f"o1coder reward service {_endpoint()}: unexpected answer {json.dumps(answer)[:500]}")
    return float(results[0]["reward"])
