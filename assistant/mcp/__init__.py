"""MCP both ways: the user's MCP servers as agent tools (client side), and the context engine
served read-only to other agents (`assistant mcp serve`)."""
