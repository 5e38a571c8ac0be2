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
