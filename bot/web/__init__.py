"""The web pages: the chat page and widget (WEB_PORT) and a demo intranet page (DEMO_PORT)."""
