"""Defaults that are only safe in the sandbox: with HOTLINE_ENV=production, `hotline up` refuses to start
while any of them is still in place (the AMI secret everyone can read in the repo, the demo passwords)."""
from __future__ import annotations

from hotline.auth.users import UsersFileError, load_directory, verify_password
from hotline.core.config import Settings

DEMO_PASSWORD = "{username}@12345"  # config/users.yaml's documented demo passwords


def sandbox_defaults(settings: Settings) -> list[str]:
    """What still has a sandbox default, one line each; empty when nothing does."""
    problems = []
    if settings.ami_secret == Settings.model_fields["ami_secret"].default:
        problems.append("HOTLINE_AMI_SECRET is the sandbox default; set a long random secret")
    if settings.followup_enabled and "@followup-out" in settings.followup_dial:   # 回访 (hotline/survey)
        problems.append("HOTLINE_FOLLOWUP_DIAL rings the sandbox's SIPp phone; point it at your trunk "
                        "(e.g. PJSIP/{number}@my-trunk) or set HOTLINE_FOLLOWUP_ENABLED=false")
    if settings.followup_clock:
        problems.append("HOTLINE_FOLLOWUP_CLOCK is a test/demo setting (it fakes the 回访 hours); unset it")
    if settings.clock_offset_seconds:
        problems.append("HOTLINE_CLOCK_OFFSET_SECONDS is set: it is for tests and demos only (opening hours)")
    try:
        users = load_directory().users
    except UsersFileError as exc:
        return problems + [f"users file unreadable: {exc}"]
    for user in users:
        if verify_password(DEMO_PASSWORD.format(username=user.username), user.password_hash):
            problems.append(f"user {user.username} still has the demo password; "
                            f"run `hotline users set-password {user.username}`")
    return problems


def refuse_sandbox_defaults(settings: Settings) -> None:
    """Raise RuntimeError listing every sandbox default when HOTLINE_ENV=production."""
    if settings.env != "production":
        return
    problems = sandbox_defaults(settings)
    if problems:
        raise RuntimeError("HOTLINE_ENV=production but sandbox defaults are in place:\n  - " + "\n  - ".join(problems))
