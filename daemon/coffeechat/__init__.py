"""coffeechat: informational interviews over plain email and calendar standards."""

__version__ = "0.1.0"
