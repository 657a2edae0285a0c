// Admin tab "prompts": filled in by its feature (registers with Admin.tab("prompts", {load(section)})).
