"""Answers written by the office's own language model, every sentence checked against its citations.

``client`` speaks the OpenAI chat API, ``prompt`` numbers the passages the model may use, ``check``
keeps only the sentences its cited passages support, and ``answer`` puts them in that order, falling
back to the extractive answer whenever a checked answer cannot be had.
"""
