"""TEST DOUBLE of `transformers` 4.53 (see recipes/testing/README.md): the from_pretrained calls the recipes make."""
from _standin import check_model_path


class PreTrainedModel:
    def __init__(self, name_or_path, cls, **kwargs):
        self.name_or_path = name_or_path
        self.model_class = cls
        self.kwargs = kwargs


class _Auto:
    kind = "CausalLM"

    @classmethod
    def from_pretrained(cls, name_or_path, **kwargs):
        check_model_path(name_or_path, f"{cls.__name__}.from_pretrained")
        return PreTrainedModel(name_or_path, cls.__name__, **kwargs)


class AutoModelForCausalLM(_Auto):
    pass


class AutoModelForTokenClassification(_Auto):
    @classmethod
    def from_pretrained(cls, name_or_path, num_labels=2, **kwargs):
        if num_labels != 2:
            raise ValueError(f"the PRM is a two-class token classifier, got num_labels={num_labels}")
        return super().from_pretrained(name_or_path, num_labels=num_labels, **kwargs)


class PreTrainedTokenizer:
    def __init__(self, name_or_path):
        self.name_or_path = name_or_path
        self.pad_token = None
        self.eos_token = "</s>"


class AutoTokenizer:
    @classmethod
    def from_pretrained(cls, name_or_path, **kwargs):
        check_model_path(name_or_path, "AutoTokenizer.from_pretrained")
        return PreTrainedTokenizer(name_or_path)


class TrainingArguments:
    """The fields the recipes set; any other keyword is an error, as for the real dataclass."""

    FIELDS = {
        "output_dir": None, "num_train_epochs": 3.0, "per_device_train_batch_size": 8, "gradient_accumulation_steps": 1,
        "learning_rate": 5e-5, "bf16": False, "logging_steps": 500, "save_strategy": "steps", "report_to": "all",
        "gradient_checkpointing": False, "seed": 42,
    }

    def __init__(self, **kwargs):
        fields = {**TrainingArguments.FIELDS, **type(self).EXTRA}
        for k in kwargs:
            if k not in fields:
                raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword argument '{k}'")
        for k, v in {**fields, **kwargs}.items():
            setattr(self, k, v)
        if not self.output_dir:
            raise ValueError(f"{type(self).__name__}: output_dir is required")

    EXTRA = {}

    def to_dict(self):
        return {k: getattr(self, k) for k in {**TrainingArguments.FIELDS, **type(self).EXTRA}}
