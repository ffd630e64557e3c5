"""The terminal front end: a Textual chat app over the agent (widgets and screens only)."""
