"""Pydantic models: requests and answers of the API, stored entities, internal events."""
