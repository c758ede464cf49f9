"""`python -m coffeechat` is the `coffeechat` command."""

from coffeechat.entry import main

main()
