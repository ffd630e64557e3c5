"""The model client: chat with tools, streaming, fill-in-the-middle completions, retries."""
