"""
Supervised fine-tuning with TRL's SFTTrainer (written against TRL 0.19.1) on an o1coder export:

- policy SFT on D+: `o1coder export sft --format prompt-completion` (or `messages`);
- TCG SFT: `o1coder tcg export --format sft` ({"prompt", "completion"}).

Prompt-completion rows train on the completion only (TRL's default for that format).

    python recipes/trl/sft.py --model Qwen/Qwen2.5-Coder-7B-Instruct --data sft.jsonl --output-dir out/sft
"""
from _common import finish, load_export, load_policy, parser, require_columns, run, training_args


def main():
    a = parser("SFT (TRL SFTTrainer) on an o1coder sft or tcg-sft export").parse_args()
    from trl import SFTConfig, SFTTrainer

    dataset = load_export(a.data, [])
    # Conversational ({"messages"}) or prompt-completion, as exported.
    require_columns(a.data, dataset, ["messages"] if "messages" in dataset.column_names else ["prompt", "completion"])
    model, tokenizer, peft_config = load_policy(a.model, a.lora_r)
    config = SFTConfig(max_length=a.max_length, **training_args(a))
    trainer = SFTTrainer(model=model, args=config, train_dataset=dataset, processing_class=tokenizer, peft_config=peft_config)
    trainer.train()
    finish(trainer, a.output_dir, {"trainer": "SFTTrainer", "rows": len(dataset)})


if __name__ == "__main__":
    run(main)
