"""The agent: its loop, the events it yields, the permission policy, the prompt, the context
budget, the conversation it carries, and the one place an agent is assembled (runner)."""
