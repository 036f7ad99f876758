"""The update pipeline: bring an index in line with files, add built documents, remove documents.

It sits above ``indexer.index`` (storage) and drives ingest (reading files), gongwen (chunking) and
embed (vectors): ``changes`` decides what an operation changes in a working copy of the live
generation, ``embedding`` embeds what is new, ``pipeline`` runs an operation against any store and
has it commit, and ``backends`` gives each configured store these operations as methods.
"""
