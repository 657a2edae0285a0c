"""Opening hours and holidays per line (FreePBX "time conditions"): config/hours.yaml, checked by the call flow
at the moment of the key press, edited from the /admin page."""
