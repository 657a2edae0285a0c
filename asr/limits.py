"""Audio limits shared with the call flow: the menu's `record_max_seconds` may not exceed what the ASR takes."""

MAX_DESCRIPTION_SECONDS = 120  # the longest caller description a menu may record
MAX_AUDIO_SECONDS = MAX_DESCRIPTION_SECONDS + 1.0  # what the engines accept: 1 s for the beep and frame rounding
