"""One module per outside system (IMAP, SMTP, CalDAV), each behind a small interface."""
