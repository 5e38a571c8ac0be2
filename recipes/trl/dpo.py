"""
Direct preference optimisation with TRL's DPOTrainer (written against TRL 0.19.1) on an o1coder
preference export ({"prompt", "chosen", "rejected"}, TRL's standard format):

- policy DPO (the paper's iterative DPO): `o1coder export dpo`;
- TCG DPO: `o1coder tcg export --format dpo`.

The reference model is a frozen copy of `--model` (TRL's default when ref_model is None; with a
LoRA adapter, the base model with the adapter disabled).

    python recipes/trl/dpo.py --model out/sft --data dpo.jsonl --output-dir out/dpo
"""
from _common import finish, load_export, load_policy, parser, run, training_args


def main():
    p = parser("DPO (TRL DPOTrainer) on an o1coder dpo or tcg-dpo export")
    p.add_argument("--beta", type=float, default=0.1)
    p.add_argument("--max-prompt-length", type=int, default=3072)
    a = p.parse_args()
    from trl import DPOConfig, DPOTrainer

    dataset = load_export(a.data, ["prompt", "chosen", "rejected"])
    model, tokenizer, peft_config = load_policy(a.model, a.lora_r)
    config = DPOConfig(beta=a.beta, max_length=a.max_length, max_prompt_length=a.max_prompt_length, **training_args(a))
    trainer = DPOTrainer(model=model, ref_model=None, args=config, train_dataset=dataset, processing_class=tokenizer, peft_config=peft_config)
    trainer.train()
    finish(trainer, a.output_dir, {"trainer": "DPOTrainer", "rows": len(dataset)})


if __name__ == "__main__":
    run(main)
