"""Plain Python core of the assistant: knowledge base and French text handling.

Nothing in this package imports rasa or rasa_sdk, so it is testable in milliseconds.
"""
