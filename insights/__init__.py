"""What a merchant (and the platform) learns from the ledger: the statistics of SPEC §4, one
selector module used by the API, the back office's dashboard and the exports."""
