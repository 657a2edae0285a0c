"""A tiny stand-in for app_queue's AMI actions (QueueAdd/Remove/Pause/Status), for unit tests only."""
from telephony.ami.errors import AmiActionError
from telephony.ami.message import Message


class FakeQueueAmi:
    connected = True

    def __init__(self, static: dict[str, list[str]] | None = None):
        # (asterisk queue, interface) -> member fields
        self.members: dict[tuple[str, str], dict] = {}
        self.sent: list[tuple[str, dict]] = []
        for queue, interfaces in (static or {}).items():
            for iface in interfaces:
                self.members[(queue, iface)] = {"Membership": "static", "Paused": "0", "PausedReason": ""}

    async def send_action(self, name, **fields):
        self.sent.append((name, fields))
        key = (fields.get("Queue"), fields.get("Interface"))
        if name == "QueueAdd":
            if key in self.members:
                raise AmiActionError("QueueAdd: Unable to add interface: Already there")
            self.members[key] = {"Membership": "dynamic", "Paused": "1" if fields.get("Paused") == "true" else "0",
                                 "PausedReason": ""}
        elif name == "QueueRemove":
            if key not in self.members:
                raise AmiActionError("QueueRemove: Unable to remove interface: Not there")
            if self.members[key]["Membership"] == "static":
                raise AmiActionError("QueueRemove: Unable to remove interface: Member not dynamic")
            del self.members[key]
        elif name == "QueuePause":
            member = self.members[key]
            member["Paused"] = "1" if fields["Paused"] == "true" else "0"
            member["PausedReason"] = fields.get("Reason", "") if member["Paused"] == "1" else ""
        return Message({"Response": "Success"})

    async def send_action_list(self, name, **fields):
        assert name == "QueueStatus"
        return [Message({"Event": "QueueMember", "Queue": q, "Name": iface.split("/")[1], "Location": iface,
                         "StateInterface": iface, "Status": "1", "InCall": "0", "CallsTaken": "0", **m})
                for (q, iface), m in self.members.items()
                if not fields.get("Member") or fields["Member"] == iface]
