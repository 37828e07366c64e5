"""Rasa input channels of the assistant (imported by the Rasa server, not the action server)."""
