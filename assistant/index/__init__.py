"""The code index: tree-sitter parsing, symbol and reference extraction, the SQLite store."""
