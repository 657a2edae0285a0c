"""Asyncio AMI client: wire protocol, connection, manager. Knows no hotline rule."""
from telephony.ami.errors import (
    AgiError,
    AgiHangup,
    AmiActionError,
    AmiError,
    AmiLoginError,
    AmiNotConnected,
    AmiTimeout,
)
from telephony.ami.manager import AmiManager
from telephony.ami.message import Message

__all__ = ["AmiManager", "Message", "AmiError", "AmiLoginError", "AmiTimeout", "AmiActionError",
           "AmiNotConnected", "AgiError", "AgiHangup"]
