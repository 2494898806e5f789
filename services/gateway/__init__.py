"""Gateway: the one HTTP edge: API, web app and read models."""
