# Apple device registrations arrive with the wallet integrations (SPEC §2, §5).
