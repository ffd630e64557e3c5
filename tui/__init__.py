"""Front end package (see DESIGN.md); protocol/UI code only, calling assistant/."""
