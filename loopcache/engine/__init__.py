"""The inference engine: the only code that runs the model."""
