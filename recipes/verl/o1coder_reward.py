"""
verl custom reward function: o1coder's execution reward, from `o1coder serve` (`POST /v1/reward`).

verl calls `compute_score(data_source, solution_str, ground_truth, extra_info)`: once per
completion (the `naive` reward manager), or with lists of each (the `batch` reward manager), and
each call is ONE request to the service, which scores the whole batch concurrently on its warm
sandbox pool and its execution cache. An o1coder verl export's `reward_model.ground_truth` is
exactly what a request item needs besides the completion (`problem_id`, `suite_id`, and the
generated suite inline as `problem`); a ground truth without `problem` names a stored problem
(`problem_id`, optionally `suite_id`) that the service scores against its generated suite.

A service that cannot be reached or answers an error raises (verl stops): a silent 0 would train
the policy on a broken reward. Overloaded (429) and unavailable (503) answers are retried.

Settings (environment): O1CODER_REWARD_URL (default http://127.0.0.1:8750), O1CODER_REWARD_TOKEN
(bearer, needed when the service is not on loopback), O1CODER_REWARD_RUN (run name recorded with
each execution: `select * from rl_cost` in `o1coder sql`), O1CODER_REWARD_ALPHA (weight of
"it compiled"), O1CODER_REWARD_TIMEOUT (seconds per request, default 600).
Needs `requests` (Debian: python3-requests).
"""
import json
import os
import time

import requests

_session = requests.Session()
_RETRIES = 5
_ITEM_KEYS = ("problem_id", "suite_id", "problem")


def _url():
    return os.environ.get("O1CODER_REWARD_URL", "http://127.0.0.1:8750").rstrip("/") + "/v1/reward"


def _item(solution_str, ground_truth, extra_info):
    truth = json.loads(ground_truth) if isinstance(ground_truth, (str, bytes)) else dict(ground_truth or {})
    item = {"completion": solution_str}
    for key in _ITEM_KEYS:
        if truth.get(key) is not None:
            item[key] = truth[key]
    extra = extra_info if isinstance(extra_info, dict) else {}
    for key in ("problem_id", "suite_id"):
        if key not in item and isinstance(extra.get(key), str) and extra[key] != "":
            item[key] = extra[key]
    if "problem" not in item and "problem_id" not in item:
        raise ValueError("o1coder reward: the ground truth names no problem (expected an o1coder verl export's reward_model.ground_truth)")
    return item


def _post(body):
    url = _url()
    headers = {"Content-Type": "application/json"}
    token = os.environ.get("O1CODER_REWARD_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    timeout = float(os.environ.get("O1CODER_REWARD_TIMEOUT", "600"))
    for attempt in range(_RETRIES):
        try:
            response = _session.post(url, data=json.dumps(body), headers=headers, timeout=timeout)
        except requests.RequestException as e:
            raise RuntimeError(f"o1coder reward service {url} unreachable: {e}") from e
        if response.status_code in (429, 503) and attempt + 1 < _RETRIES:
            time.sleep(float(response.headers.get("Retry-After", "1")))
            continue
        if response.status_code != 200:
            raise RuntimeError(f"o1coder reward service {url} answered HTTP {response.status_code}: {response.text[:500]}")
        return response.json()
    raise RuntimeError(f"o1coder reward service {url} stayed overloaded after {_RETRIES} attempts")


def score_batch(solution_strs, ground_truths, extra_infos=None):
    """Every completion's result (`reward`, `compiled`, `passed`, `total`, `verdicts`, ...) in one request."""
    extras = extra_infos if extra_infos is not None else [None] * len(solution_strs)
    body = {"completions": [_item(s, g, e) for s, g, e in zip(solution_strs, ground_truths, extras)]}
    for env, key, cast in (("O1CODER_REWARD_RUN", "run", str), ("O1CODER_REWARD_ALPHA", "alpha", float)):
        if os.environ.get(env):
            body[key] = cast(os.environ[env])
    answer = _post(body)
    results = answer.get("results") if isinstance(answer, dict) else None
    if not isinstance(results, list) or len(results) != len(body["completions"]) or not all(isinstance(r.get("reward"), (int, float)) for r in results):
        raise RuntimeError(f"o1coder reward service {_url()}: unexpected answer {json.dumps(answer)[:500]}")
    return results


def compute_score(data_source=None, solution_str=None, ground_truth=None, extra_info=None,
                  data_sources=None, solution_strs=None, ground_truths=None, extra_infos=None, **_):
    """One completion's reward (verl's `naive` manager), or, called as verl's `batch` manager calls
    it (`solution_strs=`, `ground_truths=`, ... or lists in the first arguments), a list of rewards."""
    if solution_strs is not None:
        return [float(r["reward"]) for r in score_batch(list(solution_strs), list(ground_truths), None if extra_infos is None else list(extra_infos))]
    if isinstance(solution_str, (list, tuple)):
        return [float(r["reward"]) for r in score_batch(list(solution_str), list(ground_truth), None if extra_info is None else list(extra_info))]
    return float(score_batch([solution_str], [ground_truth], [extra_info])[0]["reward"])
