"""The HTTP layer: the FastAPI app, its dependencies, API keys and limits, routes per
resource and the browser pages."""
