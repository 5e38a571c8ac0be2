"""
Supervised fine-tuning with TRL's SFTTrainer (written against TRL 0.19.1) on an o1coder export:

- policy SFT on D+: `o1coder export sft --format prompt-completion` (or `messages`);
- TCG SFT: `o1coder tcg export --format sft` ({"prompt", "completion"}).

Prompt-completion rows train on the completion only (TRL's default for that format).

    python recipes/trl/sft.py --model Qwen/Qwen2.5-Coder-7B-Instruct --data sft.jsonl --output-dir out/sft
"""
from _common import finish, load_export, parser, run, training_args


def main():
    p = parser("SFT (TRL SFTTrainer) on an o1coder sft or tcg-sft export")
    p.add_argument("--lora-r", type=int, default=0, help="LoRA rank; 0 = full fine-tuning")
    a = p.parse_args()
    from trl import SFTConfig, SFTTrainer

    with open(a.data, encoding="utf-8") as f:
        first = f.readline()
    columns = ["messages"] if '"messages"' in first else ["prompt", "completion"]
    dataset = load_export(a.data, columns)
    peft_config = None
    if a.lora_r > 0:
        from peft import LoraConfig

        peft_config = LoraConfig(r=a.lora_r, lora_alpha=2 * a.lora_r, lora_dropout=0.05, target_modules="all-linear", task_type="CAUSAL_LM")
    config = SFTConfig(max_length=a.max_length, **training_args(a))
    trainer = SFTTrainer(model=a.model, args=config, train_dataset=dataset, peft_config=peft_config)
    trainer.train()
    finish(trainer, a.output_dir, {"trainer": "SFTTrainer", "rows": len(dataset)})


if __name__ == "__main__":
    run(main)
