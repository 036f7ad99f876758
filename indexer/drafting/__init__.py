"""Drafting the reply to a proposal: office settings, the assembled draft and its GB/T 9704 .docx."""
