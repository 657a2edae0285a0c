"""Partner lines (水电气热 linkage): the agent console's 一键转接 (blind and attended transfers through AMI), the
tickets' transfer records for every transfer (menu ones too) and the partners' webhooks. docs/partners.md."""
