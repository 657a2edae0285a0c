// Admin tab "menu": filled in by its feature (registers with Admin.tab("menu", {load(section)})).
