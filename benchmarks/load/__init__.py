"""The parts of benchmarks/webhook_load.py: fake Telegram and model, learners, the load
generator, the bare PTB baseline, process statistics and the report."""
