"""Google Wallet: a LoyaltyClass per programme, a LoyaltyObject per card, kept in step with the
engine through Google's REST API, and the "Add to Google Wallet" link (SPEC §5)."""
