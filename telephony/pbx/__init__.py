"""Local Asterisk sandbox: the shared root (rootfs), per-instance config (config) and lifecycle (sandbox)."""
from telephony.pbx.config import PbxConfigError
from telephony.pbx.rootfs import PbxBuildError, build_root
from telephony.pbx.sandbox import PbxError, PbxSandbox, PbxStatus

__all__ = ["PbxBuildError", "PbxConfigError", "PbxError", "PbxSandbox", "PbxStatus", "build_root"]
