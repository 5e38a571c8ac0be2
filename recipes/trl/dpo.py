"""
Direct preference optimisation with TRL's DPOTrainer (written against TRL 0.19.1) on an o1coder
preference export ({"prompt", "chosen", "rejected"}, TRL's standard format):

- policy DPO (the paper's iterative DPO): `o1coder export dpo`;
- TCG DPO: `o1coder tcg export --format dpo`.

The reference model is a frozen copy of `--model` (TRL's default when ref_model is None).

    python recipes/trl/dpo.py --model out/sft --data dpo.jsonl --output-dir out/dpo
"""
from _common import finish, load_export, parser, run, training_args


def main():
    p = parser("DPO (TRL DPOTrainer) on an o1coder dpo or tcg-dpo export")
    p.add_argument("--beta", type=float, default=0.1)
    p.add_argument("--max-prompt-length", type=int, default=3072)
    p.add_argument("--lora-r", type=int, default=0, help="LoRA rank; 0 = full fine-tuning")
    a = p.parse_args()
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import DPOConfig, DPOTrainer

    dataset = load_export(a.data, ["prompt", "chosen", "rejected"])
    model = AutoModelForCausalLM.from_pretrained(a.model, torch_dtype="auto")
    tokenizer = AutoTokenizer.from_pretrained(a.model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    peft_config = None
    if a.lora_r > 0:
        from peft import LoraConfig

        peft_config = LoraConfig(r=a.lora_r, lora_alpha=2 * a.lora_r, lora_dropout=0.05, target_modules="all-linear", task_type="CAUSAL_LM")
    config = DPOConfig(beta=a.beta, max_length=a.max_length, max_prompt_length=a.max_prompt_length, **training_args(a))
    trainer = DPOTrainer(model=model, ref_model=None, args=config, train_dataset=dataset, processing_class=tokenizer, peft_config=peft_config)
    trainer.train()
    finish(trainer, a.output_dir, {"trainer": "DPOTrainer", "rows": len(dataset)})


if __name__ == "__main__":
    run(main)
