"""Errors raised by the AMI client and the AsyncAGI layer on top of it."""
from __future__ import annotations


class AmiError(Exception):
    """Base of every AMI/AGI error."""


class AmiLoginError(AmiError):
    """Asterisk refused the username/secret."""


class AmiTimeout(AmiError):
    """No answer within the time limit."""


class AmiNotConnected(AmiError):
    """The AMI link is down (never up, lost, or closed)."""


class AmiActionError(AmiError):
    """Asterisk answered `Response: Error`; `.response` holds the full message."""

    def __init__(self, message: str, response=None):
        super().__init__(message)
        self.response = response


class AgiError(AmiError):
    """An AGI command failed with a 5xx code (510 invalid command, 520 usage, ...)."""

    def __init__(self, message: str, result=None):
        super().__init__(message)
        self.result = result


class AgiHangup(AmiError):
    """The channel hung up or left AsyncAGI before (or while) the command ran."""
