"""TEST DOUBLE of verl 0.4.1 (see recipes/testing/README.md): `python -m verl.trainer.main_ppo` only."""
__version__ = "0.4.1"
