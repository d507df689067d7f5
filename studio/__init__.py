"""Studio: catalogue, show plans, live console, clips and replay for live-commerce studios."""

__version__ = "0.1.0"
