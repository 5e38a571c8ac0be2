"""Shared by the TRL recipes: arguments, loading an o1coder export as written, failing loudly."""
import argparse
import json
import os
import sys
import traceback


def parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--model", required=True, help="HF id or checkpoint directory to start from (o1coder: {base_model_path})")
    p.add_argument("--data", required=True, help="the o1coder export (JSONL) to train on (o1coder: {dataset})")
    p.add_argument("--output-dir", required=True, help="where the checkpoint is written (o1coder: {output_dir})")
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--lr", type=float, default=None, help="learning rate (default: the trainer's)")
    p.add_argument("--batch-size", type=int, default=1, help="per device")
    p.add_argument("--grad-accum", type=int, default=8)
    p.add_argument("--max-length", type=int, default=4096, help="prompt + completion tokens (o1coder's step prompt is long)")
    p.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--lora-r", type=int, default=0, help="LoRA rank (0: full fine-tuning); an adapter --model keeps training its adapter")
    return p


def training_args(a):
    """The TrainingArguments fields every recipe sets the same way."""
    out = dict(
        output_dir=a.output_dir,
        num_train_epochs=a.epochs,
        per_device_train_batch_size=a.batch_size,
        gradient_accumulation_steps=a.grad_accum,
        bf16=a.bf16,
        logging_steps=10,
        save_strategy="no",  # one checkpoint, at the end, where o1coder registers it
        report_to="none",
        seed=a.seed,
    )
    if a.lr is not None:
        out["learning_rate"] = a.lr
    return out


def load_export(path, columns):
    """The export exactly as written (TRL's json loader, no conversion); fails when a column is missing."""
    from datasets import load_dataset

    if not os.path.isfile(path):
        fail(f"{path}: no such file")
    dataset = load_dataset("json", data_files=path, split="train")
    if len(dataset) == 0:
        fail(f"{path}: no rows (did the export select anything? see `o1coder export ... --json`)")
    require_columns(path, dataset, columns)
    return dataset


def require_columns(path, dataset, columns):
    missing = [c for c in columns if c not in dataset.column_names]
    if missing:
        fail(f"{path}: missing column(s) {missing}; it has {dataset.column_names}")


def load_policy(path, lora_r):
    """
    The policy to train and its LoRA config. A LoRA adapter directory (an earlier round's output,
    served by name) keeps training on its base model; otherwise `--lora-r` > 0 adds a new adapter.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    adapter = os.path.join(path, "adapter_config.json")
    tokenizer = AutoTokenizer.from_pretrained(path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if os.path.isfile(adapter):
        from peft import PeftModel

        with open(adapter) as f:
            base = json.load(f)["base_model_name_or_path"]
        model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base, torch_dtype="auto"), path, is_trainable=True)
        return model, tokenizer, None
    model = AutoModelForCausalLM.from_pretrained(path, torch_dtype="auto")
    if lora_r <= 0:
        return model, tokenizer, None
    from peft import LoraConfig

    return model, tokenizer, LoraConfig(r=lora_r, lora_alpha=2 * lora_r, lora_dropout=0.05, target_modules="all-linear", task_type="CAUSAL_LM")


def fail(message, code=2):
    print(f"recipe failed: {message}", file=sys.stderr)
    sys.exit(code)


def run(main):
    """Exit 0 only when training and saving finished; any error prints its traceback and exits 1."""
    try:
        main()
    except SystemExit:
        raise
    except BaseException:
        traceback.print_exc()
        print("recipe failed: see the traceback above", file=sys.stderr)
        sys.exit(1)


def finish(trainer, output_dir, extra=None):
    trainer.save_model(output_dir)
    with open(os.path.join(output_dir, "o1coder-recipe.json"), "w") as f:
        json.dump({"argv": sys.argv[1:], **(extra or {})}, f, indent=1)
    print(f"checkpoint written to {output_dir}")
