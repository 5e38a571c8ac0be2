"""
TEST DOUBLE of `python -m verl.trainer.main_ppo` (verl 0.4.1; see recipes/testing/README.md).

Reads the Hydra config the recipe names (--config-path/--config-name, defaults to verl's
ppo_trainer) plus `key=value` overrides, refuses keys verl's config does not have, and checks what
the real trainer would need: the model path, the train parquet's columns (prompt_key, the reward
key, reward_model.ground_truth, extra_info), GRPO's group size, and a custom reward function with
verl's signature. Then, instead of training, it writes the checkpoint layout verl writes
(`default_local_dir/global_step_1/actor/huggingface` and `latest_checkpointed_iteration.txt`).
"""
import importlib.util
import inspect
import json
import os
import sys

import yaml

from _standin import StandinError, check_model_path, write_checkpoint
from verl._parquet_schema import column_tree

# The keys of verl 0.4.1's ppo_trainer config that recipes set (a subset: anything else is refused).
KNOWN = {
    "data.tokenizer", "data.train_files", "data.val_files", "data.prompt_key", "data.reward_fn_key", "data.max_prompt_length",
    "data.max_response_length", "data.train_batch_size", "data.val_batch_size", "data.return_raw_chat", "data.shuffle",
    "data.filter_overlong_prompts", "data.filter_overlong_prompts_workers", "data.truncation",
    "actor_rollout_ref.hybrid_engine", "actor_rollout_ref.model.path", "actor_rollout_ref.model.use_remove_padding",
    "actor_rollout_ref.model.enable_gradient_checkpointing", "actor_rollout_ref.model.lora_rank", "actor_rollout_ref.model.lora_alpha",
    "actor_rollout_ref.actor.strategy", "actor_rollout_ref.actor.ppo_mini_batch_size", "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu",
    "actor_rollout_ref.actor.use_dynamic_bsz", "actor_rollout_ref.actor.ppo_max_token_len_per_gpu", "actor_rollout_ref.actor.grad_clip",
    "actor_rollout_ref.actor.clip_ratio", "actor_rollout_ref.actor.entropy_coeff", "actor_rollout_ref.actor.use_kl_loss",
    "actor_rollout_ref.actor.kl_loss_coef", "actor_rollout_ref.actor.kl_loss_type", "actor_rollout_ref.actor.ppo_epochs",
    "actor_rollout_ref.actor.optim.lr", "actor_rollout_ref.actor.checkpoint.contents", "actor_rollout_ref.actor.fsdp_config.param_offload",
    "actor_rollout_ref.actor.fsdp_config.optimizer_offload", "actor_rollout_ref.rollout.name", "actor_rollout_ref.rollout.mode",
    "actor_rollout_ref.rollout.n", "actor_rollout_ref.rollout.temperature", "actor_rollout_ref.rollout.top_p", "actor_rollout_ref.rollout.top_k",
    "actor_rollout_ref.rollout.tensor_model_parallel_size", "actor_rollout_ref.rollout.gpu_memory_utilization",
    "actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu", "actor_rollout_ref.rollout.max_num_batched_tokens",
    "actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu", "actor_rollout_ref.ref.fsdp_config.param_offload",
    "reward_model.enable", "reward_model.reward_manager", "reward_model.launch_reward_fn_async",
    "custom_reward_function.path", "custom_reward_function.name",
    "algorithm.adv_estimator", "algorithm.gamma", "algorithm.lam", "algorithm.norm_adv_by_std_in_grpo", "algorithm.use_kl_in_reward",
    "trainer.project_name", "trainer.experiment_name", "trainer.logger", "trainer.nnodes", "trainer.n_gpus_per_node",
    "trainer.total_epochs", "trainer.total_training_steps", "trainer.save_freq", "trainer.test_freq", "trainer.val_before_train",
    "trainer.default_local_dir", "trainer.resume_mode", "trainer.max_actor_ckpt_to_keep", "ray_init.num_cpus",
}
VERL_COLUMNS = ("data_source", "prompt", "ability", "reward_model", "extra_info")


def flatten(tree, prefix=""):
    out = {}
    for k, v in tree.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def parse_args(argv):
    config_path = config_name = None
    overrides = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("--config-path", "--config-name"):
            value, i = argv[i + 1], i + 2
        elif arg.startswith(("--config-path=", "--config-name=")):
            arg, value = arg.split("=", 1)
            i += 1
        else:
            key, sep, value = arg.partition("=")
            if not sep:
                raise StandinError(f"hydra: cannot parse override {arg!r} (expected key=value)")
            overrides[key.lstrip("+")] = yaml.safe_load(value) if value != "" else ""
            i += 1
            continue
        if arg == "--config-path":
            config_path = value
        else:
            config_name = value
    return config_path, config_name, overrides


def load_config(config_path, config_name, overrides):
    config = {}
    if config_name is not None:
        file = os.path.join(config_path or ".", f"{config_name}.yaml")
        with open(file, encoding="utf-8") as f:
            loaded = yaml.safe_load(f) or {}
        if "ppo_trainer" not in (loaded.get("defaults") or []):
            raise StandinError(f"{file}: defaults must extend verl's ppo_trainer")
        loaded.pop("defaults", None)
        loaded.pop("hydra", None)
        config = flatten(loaded)
        for key in config:
            if key not in KNOWN:
                raise StandinError(f"{file}: Key '{key}' is not in struct (verl 0.4.1 ppo_trainer has no such key)")
    for key in overrides:
        if key not in KNOWN:
            raise StandinError(f"Could not override '{key}'. Key '{key}' is not in struct")
    config.update(overrides)
    return config


def check_parquet(path, config):
    if not os.path.isfile(path):
        raise StandinError(f"data.train_files: no such file {path}")
    tree, rows = column_tree(path)
    for column in VERL_COLUMNS:
        if column not in tree:
            raise StandinError(f"{path}: no column {column!r} (columns: {sorted(tree)})")
    prompt_key = config.get("data.prompt_key", "prompt")
    if prompt_key not in tree:
        raise StandinError(f"{path}: data.prompt_key {prompt_key!r} is not a column")
    element = ((tree[prompt_key] or {}).get("list") or {}).get("element") or {}
    if sorted(element) != ["content", "role"]:
        raise StandinError(f"{path}: {prompt_key} must be a list of chat messages {{role, content}}, got {tree[prompt_key]}")
    if "ground_truth" not in (tree["reward_model"] or {}):
        raise StandinError(f"{path}: reward_model has no ground_truth")
    if config.get("data.reward_fn_key", "data_source") not in tree:
        raise StandinError(f"{path}: data.reward_fn_key is not a column")
    if rows == 0:
        raise StandinError(f"{path}: no rows")
    return rows, sorted(tree)


def check_reward(config):
    path, name = config.get("custom_reward_function.path"), config.get("custom_reward_function.name", "compute_score")
    if not path or not os.path.isfile(path):
        raise StandinError(f"custom_reward_function.path: no such file {path!r}")
    spec = importlib.util.spec_from_file_location("custom_module", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fn = getattr(module, name, None)
    if not callable(fn):
        raise StandinError(f"Reward function '{name}' not found in '{path}'")
    params = list(inspect.signature(fn).parameters)
    if params[:3] != ["data_source", "solution_str", "ground_truth"] or "extra_info" not in params:
        raise StandinError(f"{path}: {name}{inspect.signature(fn)} does not take verl's (data_source, solution_str, ground_truth, extra_info)")
    return path


def main(argv):
    config = load_config(*parse_args(argv))
    model = check_model_path(config.get("actor_rollout_ref.model.path"), "actor_rollout_ref.model.path")
    rows, columns = check_parquet(config.get("data.train_files"), config)
    if config.get("algorithm.adv_estimator") == "grpo" and int(config.get("actor_rollout_ref.rollout.n", 1)) < 2:
        raise StandinError("GRPO needs actor_rollout_ref.rollout.n > 1 (a group of completions per prompt)")
    reward = check_reward(config)
    out = config.get("trainer.default_local_dir")
    if not out:
        raise StandinError("trainer.default_local_dir is required")
    contents = config.get("actor_rollout_ref.actor.checkpoint.contents") or []
    actor = os.path.join(out, "global_step_1", "actor")
    os.makedirs(actor, exist_ok=True)
    if "hf_model" in contents:
        write_checkpoint(os.path.join(actor, "huggingface"), {
            "trainer": "verl.main_ppo", "verl": "0.4.1", "base_model": model, "rows": rows, "columns": columns,
            "reward_function": reward, "adv_estimator": config.get("algorithm.adv_estimator"), "group": config.get("actor_rollout_ref.rollout.n"),
        })
    with open(os.path.join(out, "latest_checkpointed_iteration.txt"), "w") as f:
        f.write("1")
    print(f"[stand-in verl] {rows} prompts from {model}: nothing is trained (test double); config {json.dumps(sorted(config))[:200]}...")


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except StandinError as e:
        print(f"Error executing job: {e}", file=sys.stderr)
        sys.exit(1)
