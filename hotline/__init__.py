"""12345 hotline IVR service: composition of telephony/, ivr/, asr/ into one application."""
