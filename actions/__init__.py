"""rasa_sdk adapter: slots in, one knowledge-base call, response names and values out."""
