"""HTTP: FastAPI routers that translate Talon.One's wire format to use cases and back."""
