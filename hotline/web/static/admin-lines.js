// Admin tab "lines": filled in by its feature (registers with Admin.tab("lines", {load(section)})).
