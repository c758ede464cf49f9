"""The IMAP adapter: connecting, watching folders for new mail, filing copies."""
