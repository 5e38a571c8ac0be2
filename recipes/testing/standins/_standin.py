"""TEST DOUBLE helpers shared by the stand-in trainer modules (see recipes/testing/README.md)."""
import json
import os
import re

HF_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")


class StandinError(ValueError):
    """What the real library would raise for the same input (with the reason spelled out)."""


def check_model_path(path, what="model"):
    """An HF id or an existing checkpoint directory, as from_pretrained accepts; never a spec."""
    if not isinstance(path, str) or path.strip() == "" or path == "none":
        raise StandinError(f"{what}: expected an HF id or a checkpoint directory, got {path!r}")
    if os.path.isdir(path):
        if not any(os.path.isfile(os.path.join(path, f)) for f in ("config.json", "adapter_config.json")):
            raise StandinError(f"{what}: {path} is a directory without config.json or adapter_config.json (not a checkpoint)")
        return path
    if path.startswith(("/", ".", "~")):
        raise StandinError(f"{what}: no checkpoint directory at {path}")
    if not HF_ID.match(path):
        raise StandinError(f"{what}: {path!r} is neither an HF id (org/name) nor a directory (a model spec?)")
    return path


def write_checkpoint(output_dir, record, adapter_base=None):
    """A fake checkpoint where the real trainer's save_model writes one (a LoRA adapter when `adapter_base`)."""
    if not output_dir:
        raise StandinError("output_dir is required")
    os.makedirs(output_dir, exist_ok=True)
    if adapter_base is not None:
        with open(os.path.join(output_dir, "adapter_config.json"), "w") as f:
            json.dump({"peft_type": "LORA", "base_model_name_or_path": adapter_base, "task_type": "CAUSAL_LM"}, f)
        weights = "adapter_model.safetensors"
    else:
        with open(os.path.join(output_dir, "config.json"), "w") as f:
            json.dump({"model_type": "standin", "architectures": [record.get("model_class", "StandinModel")]}, f)
        weights = "model.safetensors"
    with open(os.path.join(output_dir, weights), "w") as f:
        f.write("fake weights written by a test double\n")
    with open(os.path.join(output_dir, "standin-run.json"), "w") as f:
        json.dump(record, f, indent=1, sort_keys=True)


def columns_of(rows):
    names = []
    for row in rows:
        for k in row:
            if k not in names:
                names.append(k)
    return names


def require_columns(rows, required, trainer):
    if len(rows) == 0:
        raise StandinError(f"{trainer}: the training dataset is empty")
    for i, row in enumerate(rows):
        for name, kind in required.items():
            if name not in row:
                raise StandinError(f"{trainer}: row {i} has no column {name!r} (columns: {sorted(row)})")
            if not kind(row[name]):
                raise StandinError(f"{trainer}: row {i} column {name!r} has the wrong type: {type(row[name]).__name__}")


def is_str(v):
    return isinstance(v, str)


def is_messages(v):
    return isinstance(v, list) and len(v) > 0 and all(isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str) for m in v)
