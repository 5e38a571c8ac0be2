"""TEST DOUBLE of `peft` (see recipes/testing/README.md): LoraConfig as the recipes build it."""


class LoraConfig:
    def __init__(self, r=8, lora_alpha=8, lora_dropout=0.0, target_modules=None, task_type=None):
        if r <= 0:
            raise ValueError("LoRA rank r must be positive")
        if task_type not in ("CAUSAL_LM", "TOKEN_CLS"):
            raise ValueError(f"unexpected task_type {task_type!r}")
        self.r, self.lora_alpha, self.lora_dropout, self.target_modules, self.task_type = r, lora_alpha, lora_dropout, target_modules, task_type

    def to_dict(self):
        return {"r": self.r, "lora_alpha": self.lora_alpha, "target_modules": self.target_modules, "task_type": self.task_type}


class PeftModel:
    """An adapter loaded on its base model (PeftModel.from_pretrained)."""

    def __init__(self, base, adapter_path, trainable):
        self.base, self.adapter_path, self.trainable = base, adapter_path, trainable
        self.name_or_path, self.model_class = adapter_path, f"PeftModel({base.model_class})"

    @classmethod
    def from_pretrained(cls, model, model_id, is_trainable=False, **kwargs):
        import json
        import os

        config = os.path.join(model_id, "adapter_config.json")
        if not os.path.isfile(config):
            raise ValueError(f"Can't find 'adapter_config.json' at '{model_id}'")
        with open(config) as f:
            base = json.load(f)["base_model_name_or_path"]
        if base != model.name_or_path:
            raise ValueError(f"adapter {model_id} was trained on {base}, not {model.name_or_path}")
        return cls(model, model_id, is_trainable)
