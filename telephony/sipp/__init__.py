"""SIPp driver: scripted callers (UAC), agent phones (UAS) and load against a SIP server on 127.0.0.1.

Generic: it knows SIP, RTP and SIPp, no hotline rule. Each SIPp gets its own SIP and media ports.
"""
from __future__ import annotations

from pathlib import Path

from telephony.sipp.caller import CallResult, SippCaller, render_steps
from telephony.sipp.load import LoadCall, SippLoad
from telephony.sipp.media import dtmf_to_pcap, free_media_port, free_udp_port, wav_to_pcap
from telephony.sipp.phone import PhoneEvent, SippAgentPhone
from telephony.sipp.process import SippError, SippProcess

__all__ = ["CallResult", "LoadCall", "PhoneEvent", "SippAgentPhone", "SippCaller", "SippError", "SippFactory",
           "SippLoad", "SippProcess", "dtmf_to_pcap", "free_media_port", "free_udp_port", "render_steps",
           "wav_to_pcap"]


class SippFactory:
    """Makes callers and agent phones for one SIP server and kills every SIPp it started on close()."""

    def __init__(self, sip_port: int, agent_phone_base_port: int, work_dir: Path):
        self.sip_port, self.agent_phone_base_port, self.work_dir = sip_port, agent_phone_base_port, Path(work_dir)
        self._started: list = []
        self._count = 0

    def _dir(self, name: str) -> Path:
        self._count += 1
        return self.work_dir / f"{self._count:02d}-{name}"

    def caller(self, number: str, **options) -> SippCaller:
        caller = SippCaller(self.sip_port, number, work_dir=self._dir(f"call-{number}"), **options)
        self._started.append(caller)
        return caller

    def agent_phone(self, agent: int, **options) -> SippAgentPhone:
        """The phone of agentN, on agent_phone_base_port + N, already listening."""
        phone = SippAgentPhone(f"agent{agent}", self.agent_phone_base_port + agent,
                               work_dir=self._dir(f"agent{agent}"), **options)
        self._started.append(phone)
        return phone.start()

    def phone(self, user: str, port: int, **options) -> SippAgentPhone:
        """Any phone (UAS) on 127.0.0.1:port, already listening: e.g. a caller's phone the PBX calls back.
        `steps=[("pause", 8.0), ("dtmf", "3"), ("hold", None)]` after answering (then waits for the BYE)."""
        phone = SippAgentPhone(user, port, work_dir=self._dir(user), **options)
        self._started.append(phone)
        return phone.start()

    def close(self) -> list[str]:
        """Kill every SIPp still running. Returns the caller ids of calls killed mid-call: killed SIPp
        sends no BYE, so their channels stay up in the PBX until someone hangs them up."""
        unfinished = [item.caller_id for item in self._started
                      if isinstance(item, SippCaller) and item.process is not None and item.process.running]
        for item in self._started:
            if item.process is not None:
                item.process.kill()
        self._started.clear()
        return unfinished
