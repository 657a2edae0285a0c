"""派单 (dispatch): the 承办单位 directory and routing rules (directory.py, router.py), the suggested unit on
tickets (suggestion.py), dispatching (service.py, http.py) and the 150 s measure (stats.py)."""
