// Admin tab "rules": filled in by its feature (registers with Admin.tab("rules", {load(section)})).
