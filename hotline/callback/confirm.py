"""The caller pressed 1 in the queue: read their number back, take 1 (confirm) or another number ending with #.

Runs on the caller's channel in AsyncAGI ([hotline-callback-offer], argument `callback`). Returns the number to
call back, or None (no key, a bad number, hang-up): the dialplan then puts the caller back at their place.
"""
from __future__ import annotations

import re

from telephony.agi import AgiHangup
from telephony.agi_channel import ALL_KEYS, AgiChannel

NUMBER = re.compile(r"[0-9]{3,20}")   # what may go into the dial string: digits only
MAX_DIGITS = 20


def valid_number(number: str | None) -> str | None:
    return number if number and NUMBER.fullmatch(number) else None


async def say_number(channel: AgiChannel, sound, number: str) -> None:
    for digit in number:
        await channel.play(sound(f"digit-{digit}"))


async def read_number(channel: AgiChannel, first: str, timeout: float) -> str | None:
    """Digits after `first` until # (or a pause of `timeout`); None if it is no number."""
    digits = first
    while len(digits) <= MAX_DIGITS:
        key = await channel.wait_for_key(timeout)
        if key is None or key == "#":
            break
        if key.isdigit():
            digits += key
    return valid_number(digits)


async def confirm_number(channel: AgiChannel, sound, caller: str | None, timeout: float) -> str | None:
    """The number to call back. `sound(name)` -> the prompt's path as Asterisk plays it."""
    try:
        key = None
        if valid_number(caller):
            key = await channel.play(sound("callback-confirm"), ALL_KEYS)
            if key is None:
                for digit in caller or "":
                    key = await channel.play(sound(f"digit-{digit}"), ALL_KEYS)
                    if key:
                        break
        key = key or await channel.prompt_for_key(sound("callback-confirm-keys"), timeout)
        if key == "1" and valid_number(caller):
            return caller
        if key is None or not key.isdigit():
            return None
        number = await read_number(channel, key, timeout)
        if number:
            await say_number(channel, sound, number)
        return number
    except AgiHangup:
        return None
