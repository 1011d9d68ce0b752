"""The Teams edge: HTTP endpoint, guards, activity handler, cards, proactive messages.

The only package (with `dialogs/`) that imports botbuilder."""
