"""Rasa input channels of the assistant (imported by the Rasa server, not the action server).

The Rasa server imports this package through credentials.yml: the one place our code runs in
its process, so the measured fix to action-response validation and the French answer given
when the action server fails are installed here, whichever channel is configured.
"""

from channels import performance, resilience

performance.install()
resilience.install()
