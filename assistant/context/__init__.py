"""The context engine: reference-graph ranking, retrieval and the repo map."""
