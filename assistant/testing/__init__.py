"""The scripted OpenAI-compatible server that tests and replays run against."""
