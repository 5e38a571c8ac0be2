"""
Process reward model with TRL's PRMTrainer (written against TRL 0.19.1, where it is `trl.PRMTrainer`;
TRL 0.24+ moved it to `trl.experimental.prm`) on o1coder's stepwise export
(`o1coder export prm --format trl-stepwise`: {"prompt", "completions", "labels"}, one boolean per
step). Steps carry no trailing newline: TRL's step separator "\\n" rebuilds the rendered path. The
model is a two-class token classifier; a later round's PRM starts from the previous PRM checkpoint.

    python recipes/trl/prm.py --model Qwen/Qwen2.5-Coder-1.5B-Instruct --data prm.jsonl --output-dir out/prm
"""
from _common import fail, finish, load_export, parser, run, training_args


def main():
    p = parser("PRM (TRL PRMTrainer) on an o1coder prm trl-stepwise export")
    p.add_argument("--max-prompt-length", type=int, default=3072)
    a = p.parse_args()
    if a.lora_r > 0:
        fail("--lora-r: the PRM recipe trains the full token classifier")
    try:
        from trl import PRMConfig, PRMTrainer
    except ImportError:  # TRL >= 0.24
        from trl.experimental.prm import PRMConfig, PRMTrainer
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    dataset = load_export(a.data, ["prompt", "completions", "labels"])
    model = AutoModelForTokenClassification.from_pretrained(a.model, num_labels=2)
    tokenizer = AutoTokenizer.from_pretrained(a.model)
    config = PRMConfig(step_separator="\n", max_length=a.max_length, max_prompt_length=a.max_prompt_length, **training_args(a))
    trainer = PRMTrainer(model=model, args=config, train_dataset=dataset, processing_class=tokenizer)
    trainer.train()
    finish(trainer, a.output_dir, {"trainer": "PRMTrainer", "rows": len(dataset)})


if __name__ == "__main__":
    run(main)
