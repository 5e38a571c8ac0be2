"""
TEST DOUBLE of TRL 0.19.1 (see recipes/testing/README.md). SFTTrainer, DPOTrainer and PRMTrainer
with the 0.19.1 constructor signatures: they check the model, the dataset columns TRL reads (SFT:
`text`, `messages` or `prompt` + `completion`; DPO: `prompt`, `chosen`, `rejected`; PRM: `prompt`,
`completions`, `labels` with one boolean label per step) and write a fake checkpoint on
`save_model(output_dir)`. Nothing is trained.
"""
from _standin import StandinError, check_model_path, columns_of, is_messages, is_str, require_columns, write_checkpoint
from transformers import PreTrainedModel, TrainingArguments

__version__ = "0.19.1"


class SFTConfig(TrainingArguments):
    EXTRA = {"max_length": 1024, "completion_only_loss": None, "packing": False, "dataset_text_field": "text", "assistant_only_loss": False}


class DPOConfig(TrainingArguments):
    EXTRA = {"beta": 0.1, "max_length": 1024, "max_prompt_length": 512, "loss_type": "sigmoid"}


class PRMConfig(TrainingArguments):
    EXTRA = {"max_length": 1024, "max_prompt_length": 512, "max_completion_length": None, "step_separator": "\n", "train_on_last_step_only": False, "disable_dropout": True}


def _model_name(model, trainer):
    if isinstance(model, PreTrainedModel) or type(model).__name__ == "PeftModel":
        if type(model).__name__ == "PeftModel" and not model.trainable:
            raise StandinError(f"{trainer}: the adapter was loaded with is_trainable=False")
        return model.name_or_path, model.model_class
    if isinstance(model, str):
        return check_model_path(model, f"{trainer}(model=...)"), "AutoModelForCausalLM"
    raise StandinError(f"{trainer}: model must be a model id, a directory or a loaded model, got {type(model).__name__}")


class _Trainer:
    NAME = "Trainer"

    def __init__(self, model, args, train_dataset, processing_class=None, peft_config=None):
        if args is None:
            raise StandinError(f"{self.NAME}: the recipes pass their config explicitly")
        if train_dataset is None:
            raise StandinError(f"{self.NAME}: train_dataset is required")
        self.base_model, self.model_class = _model_name(model, self.NAME)
        # A LoRA run saves an adapter over the underlying base model.
        self.adapter_base = model.base.name_or_path if type(model).__name__ == "PeftModel" else (self.base_model if peft_config is not None else None)
        self.args = args
        self.rows = list(train_dataset)
        self.peft_config = peft_config
        self.processing_class = processing_class
        self.check_dataset(self.rows)
        self.trained = False

    def check_dataset(self, rows):
        raise NotImplementedError

    def train(self):
        self.trained = True
        print(f"[stand-in {self.NAME}] {len(self.rows)} rows from {self.base_model}: nothing is trained (test double)")

    def save_model(self, output_dir=None):
        if not self.trained:
            raise StandinError(f"{self.NAME}: save_model before train")
        target = output_dir or self.args.output_dir
        write_checkpoint(target, {
            "trainer": self.NAME,
            "trl": __version__,
            "base_model": self.base_model,
            "model_class": self.model_class,
            "rows": len(self.rows),
            "columns": columns_of(self.rows),
            "peft": None if self.peft_config is None else self.peft_config.to_dict(),
            "config": self.args.to_dict(),
        }, adapter_base=self.adapter_base)


class SFTTrainer(_Trainer):
    NAME = "SFTTrainer"

    def __init__(self, model, args=None, data_collator=None, train_dataset=None, eval_dataset=None, processing_class=None,
                 compute_loss_func=None, compute_metrics=None, callbacks=None, optimizers=(None, None),
                 optimizer_cls_and_kwargs=None, preprocess_logits_for_metrics=None, peft_config=None, formatting_func=None):
        super().__init__(model, args, train_dataset, processing_class, peft_config)

    def check_dataset(self, rows):
        first = rows[0] if rows else {}
        if "messages" in first:
            require_columns(rows, {"messages": is_messages}, self.NAME)
        elif "prompt" in first:
            require_columns(rows, {"prompt": is_str, "completion": is_str}, self.NAME)
        else:
            require_columns(rows, {self.args.dataset_text_field: is_str}, self.NAME)


class DPOTrainer(_Trainer):
    NAME = "DPOTrainer"

    def __init__(self, model, ref_model=None, args=None, data_collator=None, train_dataset=None, eval_dataset=None,
                 processing_class=None, compute_metrics=None, callbacks=None, optimizers=(None, None),
                 optimizer_cls_and_kwargs=None, preprocess_logits_for_metrics=None, peft_config=None):
        super().__init__(model, args, train_dataset, processing_class, peft_config)

    def check_dataset(self, rows):
        require_columns(rows, {"prompt": is_str, "chosen": is_str, "rejected": is_str}, self.NAME)


class PRMTrainer(_Trainer):
    NAME = "PRMTrainer"

    def __init__(self, model=None, args=None, data_collator=None, train_dataset=None, eval_dataset=None, processing_class=None,
                 model_init=None, compute_metrics=None, callbacks=None, optimizers=(None, None),
                 preprocess_logits_for_metrics=None, peft_config=None):
        if data_collator is None and processing_class is None:
            raise ValueError("A processing_class must be specified when using the default DataCollatorForTokenClassification")
        if isinstance(model, PreTrainedModel) and model.model_class != "AutoModelForTokenClassification":
            raise StandinError(f"PRMTrainer: expected a token-classification model, got {model.model_class}")
        super().__init__(model, args, train_dataset, processing_class, peft_config)

    def check_dataset(self, rows):
        require_columns(rows, {
            "prompt": is_str,
            "completions": lambda v: isinstance(v, list) and len(v) > 0 and all(isinstance(c, str) for c in v),
            "labels": lambda v: isinstance(v, list) and all(isinstance(b, bool) for b in v),
        }, self.NAME)
        for i, row in enumerate(rows):
            if len(row["labels"]) != len(row["completions"]):
                raise StandinError(f"PRMTrainer: row {i} has {len(row['completions'])} steps but {len(row['labels'])} labels")
