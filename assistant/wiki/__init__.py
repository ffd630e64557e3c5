"""The repo wiki: pages planned from the index, written by the model, kept current, served."""
