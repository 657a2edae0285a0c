// Admin tab "hours": filled in by its feature (registers with Admin.tab("hours", {load(section)})).
