"""Voice prompts as admins manage them: list, listen, upload a recording, re-synthesise from text, reset.

`prompt_names(settings)` is the set of prompts that exist (for the menu editor's publish check)."""
from hotline.prompts.service import PromptService, prompt_names

__all__ = ["PromptService", "prompt_names"]
