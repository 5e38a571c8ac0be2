#!/bin/sh
# Online RL (GRPO) with verl 0.4.1 on an o1coder verl export, rewarded by o1coder.
#   bash recipes/verl/grpo.sh --model HF_ID_OR_DIR --data train.parquet --output-dir DIR [hydra overrides ...]
# e.g. trainer.n_gpus_per_node=4 actor_rollout_ref.rollout.n=16. The reward service is
# O1CODER_REWARD_URL (default http://127.0.0.1:8750). Writes verl's checkpoints under DIR/verl and
# the last step's Hugging Face checkpoint into DIR (what o1coder registers as the new version).
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
model="" data="" out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    --output-dir) out="$2"; shift 2 ;;
    *) break ;;
  esac
done
if [ -z "$model" ] || [ -z "$data" ] || [ -z "$out" ]; then
  echo "recipe failed: usage: grpo.sh --model HF_ID_OR_DIR --data train.parquet --output-dir DIR [overrides]" >&2
  exit 2
fi
[ -f "$data" ] || { echo "recipe failed: $data: no such file" >&2; exit 2; }
python="${PYTHON:-python3}"
"$python" -m verl.trainer.main_ppo --config-path "$here" --config-name grpo \
  data.train_files="$data" data.val_files="$data" \
  actor_rollout_ref.model.path="$model" \
  trainer.default_local_dir="$out/verl" \
  custom_reward_function.path="$here/o1coder_reward.py" \
  "$@"
step="$(cat "$out/verl/latest_checkpointed_iteration.txt")"
hf="$out/verl/global_step_$step/actor/huggingface"
[ -f "$hf/config.json" ] || { echo "recipe failed: verl wrote no Hugging Face checkpoint at $hf" >&2; exit 1; }
cp -R "$hf/." "$out/"
echo "checkpoint written to $out (verl step $step)"
